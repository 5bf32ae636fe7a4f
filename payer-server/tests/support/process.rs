//! The `payer-server` processes of the tests that start the binary: killed when dropped,
//! and servers started on a free loopback port and waited for until they answer.

#![allow(
    dead_code,
    reason = "each test file that includes this uses part of it"
)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed (SIGKILL) when dropped.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback address with a port free now: `127.0.0.1:<port>`.
pub(crate) fn free_address() -> Result<String, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// Spawns `command`, a `payer-server serve` told to listen at `listen`, and returns it
/// once its FHIR API (`/fhir`) answers (a bound of a minute for a server that never
/// starts, not a measure).
pub(crate) async fn serving(command: &mut Command, listen: &str) -> Result<Killed, String> {
    let server = Killed(
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?,
    );
    let started = Instant::now();
    while reqwest::get(format!("http://{listen}/fhir/metadata"))
        .await
        .is_err()
    {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the server did not start".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(server)
}
