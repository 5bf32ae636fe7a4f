//! The HTTP layer, behind a small object-safe trait so the same client runs natively
//! (reqwest over hyper and rustls) and in the browser (reqwest's fetch backend), and so
//! tests and hosts can put their own transport underneath.
//!
//! The trait carries the transport's notion of waiting ([`HttpClient::sleep`]) too: a
//! retry after `Retry-After` must sleep on whatever runtime the transport runs on (tokio
//! natively, the browser's timers on wasm), and this crate owns no runtime.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::Result;

/// `Send` natively, where futures cross threads; nothing on wasm32, where the browser's
/// futures (fetch) are single-threaded and not `Send`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync + ?Sized> MaybeSend for T {}
/// `Send` natively, where futures cross threads; nothing on wasm32, where the browser's
/// futures (fetch) are single-threaded and not `Send`.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// A boxed future, `Send` except on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A boxed future, `Send` except on wasm32.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A boxed stream, `Send` except on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxStream<'a, T> = Pin<Box<dyn futures_util::Stream<Item = T> + Send + 'a>>;
/// A boxed stream, `Send` except on wasm32.
#[cfg(target_arch = "wasm32")]
pub type BoxStream<'a, T> = Pin<Box<dyn futures_util::Stream<Item = T> + 'a>>;

/// The HTTP methods this client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `GET`: reads, searches, discovery. Safe to retry.
    Get,
    /// `POST`: the token endpoint, introspection, revocation.
    Post,
    /// `DELETE`: cancelling a bulk export.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A request as this crate builds it: whole, with its body in memory.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (a form or JSON), if any.
    pub body: Option<Vec<u8>>,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers carry bearer tokens and bodies carry secrets (codes, refresh tokens,
        // client secrets): neither goes to logs.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl HttpRequest {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// A `POST` of an `application/x-www-form-urlencoded` body to `url`.
    pub fn post_form<'a>(
        url: impl Into<String>,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> HttpRequest {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        HttpRequest {
            method: Method::Post,
            url: url.into(),
            headers: vec![
                (
                    "Content-Type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("Accept".to_owned(), "application/json".to_owned()),
            ],
            body: Some(body.into_bytes()),
        }
    }

    /// The same request with one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The value of header `name` (case-insensitive), if set.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }
}

/// A response: status, headers and the whole body.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body is PHI or tokens.
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl HttpResponse {
    /// A response with `status`, no headers and `body`.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The value of header `name` (case-insensitive), if sent.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// The body as text (invalid UTF-8 replaced), with a leading byte order mark dropped.
    pub fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.trim_start_matches('\u{feff}').to_owned()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A response whose body arrives as it is read: bulk export files can be larger than
/// memory.
#[non_exhaustive]
pub struct StreamingResponse {
    /// The status code.
    pub status: u16,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, chunk by chunk.
    pub body: BoxStream<'static, Result<Vec<u8>>>,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl StreamingResponse {
    /// A response with `status`, `headers` and a body of chunks.
    pub fn new(
        status: u16,
        headers: Vec<(String, String)>,
        body: BoxStream<'static, Result<Vec<u8>>>,
    ) -> StreamingResponse {
        StreamingResponse {
            status,
            headers,
            body,
        }
    }

    /// A whole response as a stream of one chunk.
    pub fn from_response(response: HttpResponse) -> StreamingResponse {
        let body = futures_util::stream::once(async move { Ok(response.body) });
        StreamingResponse {
            status: response.status,
            headers: response.headers,
            body: Box::pin(body),
        }
    }

    /// Reads the whole body (for error answers).
    pub async fn into_response(self) -> Result<HttpResponse> {
        use futures_util::TryStreamExt;
        let chunks: Vec<Vec<u8>> = self.body.try_collect().await?;
        Ok(HttpResponse {
            status: self.status,
            headers: self.headers,
            body: chunks.concat(),
        })
    }
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What this crate needs of an HTTP stack. Implementations send the request as is (no
/// redirects followed: a redirect is the caller's to judge, since a bearer token must not
/// follow it to another origin) and report transport failures as
/// [`crate::Error::Http`].
pub trait HttpClient: MaybeSend {
    /// Sends `request` and reads the whole response.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>>;

    /// Waits `duration` on the transport's runtime (for `Retry-After` and backoff).
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;

    /// Sends `request` and hands the body over as it arrives. The default reads it
    /// whole first; transports that can stream override it.
    fn send_streaming(&self, request: HttpRequest) -> BoxFuture<'_, Result<StreamingResponse>> {
        Box::pin(async move { Ok(StreamingResponse::from_response(self.send(request).await?)) })
    }
}

impl<T: HttpClient + ?Sized> HttpClient for std::sync::Arc<T> {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        (**self).send(request)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        (**self).sleep(duration)
    }

    fn send_streaming(&self, request: HttpRequest) -> BoxFuture<'_, Result<StreamingResponse>> {
        (**self).send_streaming(request)
    }
}

/// The origin (`scheme://host[:port]`, lower-cased) of an absolute URL.
pub fn origin(url: &str) -> Option<String> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() || authority.contains('@') {
        // No host, or userinfo, which a FHIR base never has and which hides the real host.
        return None;
    }
    let scheme = url[..scheme_end].to_ascii_lowercase();
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    if !default_port.is_empty() && authority.ends_with(default_port) {
        authority.truncate(authority.len() - default_port.len());
    }
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_ignore_case_and_default_ports_and_refuse_userinfo() {
        assert_eq!(
            origin("HTTPS://Payer.Example:443/fhir/Patient?x=1").as_deref(),
            Some("https://payer.example")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/fhir").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_ne!(
            origin("https://payer.example/fhir"),
            origin("https://payer.example.evil.test/fhir")
        );
        assert_eq!(origin("https://payer.example@evil.test/fhir"), None);
        assert_eq!(origin("/fhir/Patient"), None);
    }

    #[test]
    fn debug_output_keeps_secrets_out() {
        let request = HttpRequest::post_form(
            "https://payer.example/token",
            [("refresh_token", "secret-rt")],
        )
        .header("Authorization", "Bearer secret-at");
        let shown = format!("{request:?}");
        assert!(!shown.contains("secret"), "{shown}");
        let response = HttpResponse::new(200, "{\"access_token\":\"secret\"}");
        assert!(!format!("{response:?}").contains("secret"));
    }
}
