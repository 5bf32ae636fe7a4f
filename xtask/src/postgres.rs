//! A throwaway PostgreSQL cluster for the tests of `PostgresStore`: `initdb` in a
//! temporary directory, started on a free loopback port, stopped and deleted when dropped.
//! Run as the `postgres` user when we are root (PostgreSQL refuses to run as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ci::{DynError, exec};

/// The variable the tests read the database URL from.
pub(crate) const TEST_POSTGRES_ENV: &str = "PAYER_SERVER_TEST_POSTGRES";

/// A running cluster.
pub(crate) struct TestCluster {
    bin: PathBuf,
    dir: PathBuf,
    user: Option<&'static str>,
    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub(crate) url: String,
}

impl TestCluster {
    /// Creates and starts a cluster; fails with what to install when PostgreSQL is not.
    pub(crate) fn start() -> Result<TestCluster, DynError> {
        let bin = server_bin_dir()?;
        let dir = std::env::temp_dir().join(format!("payer-server-test-pg-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let user = is_root().then_some("postgres");
        if let Some(user) = user {
            run_as(
                None,
                Path::new("chown"),
                &[&format!("{user}:"), &path(&dir)],
            )?;
        }
        let mut cluster = TestCluster {
            url: String::new(),
            bin,
            dir,
            user,
        };
        let data = path(&cluster.dir.join("data"));
        run_as(
            user,
            &cluster.bin.join("initdb"),
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        // Durability is not tested here (the store's crash tests kill the server, not the
        // database): no fsync makes the many small test databases fast.
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
            path(&cluster.dir)
        );
        run_as(
            user,
            &cluster.bin.join("pg_ctl"),
            &[
                "-D",
                &data,
                "-l",
                &path(&cluster.dir.join("log")),
                "-w",
                "-o",
                &options,
                "start",
            ],
        )?;
        cluster.url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Ok(cluster)
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let data = path(&self.dir.join("data"));
        let stopped = run_as(
            self.user,
            &self.bin.join("pg_ctl"),
            &["-D", &data, "-m", "immediate", "stop"],
        );
        if let Err(e) = stopped {
            eprintln!("stopping the test PostgreSQL: {e}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Runs `program` with `args`, as `user` when given (through `runuser`).
fn run_as(user: Option<&str>, program: &Path, args: &[&str]) -> Result<(), DynError> {
    let mut cmd = match user {
        None => Command::new(program),
        Some(user) => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", user, "--"]).arg(program);
            cmd
        }
    };
    cmd.args(args);
    exec(cmd)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The directory of `initdb` and `pg_ctl`: on `PATH`, else Debian's
/// `/usr/lib/postgresql/<major>/bin` (the highest major).
fn server_bin_dir() -> Result<PathBuf, DynError> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    if let Some(dir) = on_path {
        return Ok(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    debian.sort();
    debian.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): \
         install it (`apt-get install postgresql`; .ci/run does), or set \
         PAYER_SERVER_TEST_POSTGRES to a database the tests may create schemas in"
            .into()
    })
}
