//! Documents fetched from other servers: apps' public keys registered by URL (`jwks_uri`
//! of an app, SMART App Launch 2.2 "Client Authentication: Asymmetric"), fetched when an
//! app authenticates, and an upstream identity provider's discovery document and keys.

use std::time::Duration;

use crate::error::{Error, Result};

/// Largest JWK Set accepted.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Whether the server fetches keys from `url`: https, or http on a loopback host (for
/// tests and local development; keys fetched over plain HTTP elsewhere could be swapped
/// on the way).
pub(crate) fn fetchable(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// An HTTP client for other servers' documents: short timeouts, no redirects.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    http: reqwest::Client,
}

impl Fetcher {
    pub(crate) fn new() -> Result<Fetcher> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Store(format!("the HTTP client for JWK Sets: {e}")))?;
        Ok(Fetcher { http })
    }

    /// The HTTP client, for requests other than a fetch.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// The document `what` (a JWK Set, a discovery document) at `url`, as text; the
    /// error says what went wrong, for the app or the payer.
    pub(crate) async fn fetch(&self, url: &str, what: &str) -> std::result::Result<String, String> {
        if !fetchable(url) {
            return Err(format!("the URL of {what}, {url}, is not https"));
        }
        let failed = |e: &dyn std::fmt::Display| format!("fetching {what} at {url}: {e}");
        let response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| failed(&e))?;
        if !response.status().is_success() {
            return Err(failed(&format!("HTTP {}", response.status())));
        }
        let body = response.bytes().await.map_err(|e| failed(&e))?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(failed(&"larger than 64 KiB"));
        }
        String::from_utf8(body.to_vec()).map_err(|e| failed(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::fetchable;

    #[test]
    fn keys_are_fetched_over_https_or_from_loopback() {
        assert!(fetchable("https://app.example/jwks.json"));
        assert!(fetchable("http://127.0.0.1:8080/jwks"));
        assert!(fetchable("http://localhost/jwks"));
        assert!(fetchable("http://[::1]:9/jwks"));
        assert!(!fetchable("http://app.example/jwks.json"));
        assert!(!fetchable("http://127.0.0.1.evil.example/jwks"));
        assert!(!fetchable("http://localhost@evil.example/jwks"));
        assert!(!fetchable("ftp://app.example/jwks"));
    }
}
