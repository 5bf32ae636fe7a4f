//! The default [`HttpClient`]: reqwest, over hyper and rustls natively and over `fetch`
//! in the browser (feature `reqwest`, on by default).

use std::time::Duration;

use crate::error::{Error, Result};
#[cfg(not(target_arch = "wasm32"))]
use crate::http::StreamingResponse;
use crate::http::{BoxFuture, HttpClient, HttpRequest, HttpResponse, Method};

/// reqwest as this crate's transport: no redirects followed, a timeout per request.
#[derive(Debug, Clone)]
pub struct ReqwestHttp {
    client: reqwest::Client,
    timeout: Duration,
}

impl ReqwestHttp {
    /// A client with a 30-second timeout per request.
    pub fn new() -> Result<ReqwestHttp> {
        ReqwestHttp::with_timeout(Duration::from_secs(30))
    }

    /// A client whose requests give up after `timeout` (connecting, sending and reading
    /// the whole body).
    pub fn with_timeout(timeout: Duration) -> Result<ReqwestHttp> {
        let builder = reqwest::Client::builder();
        // A redirect is not followed: a bearer token must not travel to another origin,
        // and a redirected token request is a misconfiguration to report, not to chase.
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.redirect(reqwest::redirect::Policy::none());
        let client = builder.build().map_err(|e| Error::Http {
            url: String::new(),
            message: format!("the HTTP client could not start: {e}"),
        })?;
        Ok(ReqwestHttp { client, timeout })
    }

    /// Uses an already configured reqwest client (proxies, TLS roots); it should not
    /// follow redirects.
    pub fn from_client(client: reqwest::Client, timeout: Duration) -> ReqwestHttp {
        ReqwestHttp { client, timeout }
    }
}

impl ReqwestHttp {
    /// Sends `request`; the response with its body unread. `timeout` bounds the whole
    /// exchange, body included, when set.
    async fn start(
        &self,
        request: HttpRequest,
        timeout: Option<Duration>,
    ) -> Result<(reqwest::Response, u16, Vec<(String, String)>)> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, &request.url);
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| transport(&request.url, &e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        Ok((response, status, headers))
    }
}

impl HttpClient for ReqwestHttp {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        Box::pin(async move {
            let url = request.url.clone();
            let (response, status, headers) = self.start(request, Some(self.timeout)).await?;
            let body = response
                .bytes()
                .await
                .map_err(|e| transport(&url, &e))?
                .to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }

    /// Natively, chunk by chunk as hyper reads them; the timeout applies to the answer's
    /// head only (a large file may take longer than any one request should). On wasm32,
    /// the whole body first (the default).
    #[cfg(not(target_arch = "wasm32"))]
    fn send_streaming(&self, request: HttpRequest) -> BoxFuture<'_, Result<StreamingResponse>> {
        Box::pin(async move {
            let url = request.url.clone();
            let (response, status, headers) =
                tokio::time::timeout(self.timeout, self.start(request, None))
                    .await
                    .map_err(|_| Error::Http {
                        url: url.clone(),
                        message: "no answer in time (timed out)".to_owned(),
                    })??;
            let body = futures_util::stream::try_unfold(response, move |mut response| {
                let url = url.clone();
                async move {
                    match response.chunk().await {
                        Ok(Some(chunk)) => Ok(Some((chunk.to_vec(), response))),
                        Ok(None) => Ok(None),
                        Err(e) => Err(transport(&url, &e)),
                    }
                }
            });
            Ok(StreamingResponse::new(status, headers, Box::pin(body)))
        })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(sleep(duration))
    }
}

fn transport(url: &str, error: &reqwest::Error) -> Error {
    Error::Http {
        url: url.to_owned(),
        message: describe(error),
    }
}

/// reqwest's error with its sources: "error sending request" alone does not say whether
/// the name did not resolve, the connection was refused or TLS failed.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if error.is_timeout() {
        text.push_str(" (timed out)");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(not(target_arch = "wasm32"))]
async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// The browser's `setTimeout` (or a worker's) as a future.
#[cfg(target_arch = "wasm32")]
async fn sleep(duration: Duration) {
    use wasm_bindgen::JsCast;
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(set_timeout) => {
                let _ = set_timeout.call2(&wasm_bindgen::JsValue::NULL, &resolve, &millis.into());
            }
            // No timers (an unusual host): do not wait rather than hang.
            None => {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
