//! payer-server as the tests, load tests and demos of apps need it (feature `testing`):
//! - [`LoopbackPayer`]: synthetic members in SQLite, the SMART authorization server and
//!   the FHIR API it guards, served on a loopback port, with an open router beside it
//!   (`/open`) for tests to compare with;
//! - [`MemberBrowser`]: what a member's web browser does on the authorization server's
//!   pages: open the authorization URL, sign in, allow every box of the consent page, and
//!   report where the server sends the browser back to. The forms are plain HTML, so this
//!   is a few requests.

use crate::auth::{AuthConfig, AuthServer, LocalMembers, Registration};
use crate::http::{ServerConfig, router};
use crate::ingest::{self, Validation};
use crate::store::SqliteStore;
use crate::synth;

type BrowserResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// payer-server on a loopback port: `{origin}/auth` (the SMART authorization server),
/// `{origin}/fhir` (the FHIR API behind it) and `{origin}/open` (the same store without
/// authorization: an oracle for tests; never mount one outside tests).
#[derive(Clone)]
#[non_exhaustive]
pub struct LoopbackPayer {
    /// `http://127.0.0.1:<port>`.
    pub origin: String,
    /// The FHIR base, `{origin}/fhir`.
    pub fhir: String,
    /// The authorization server, for registering apps.
    pub auth: AuthServer<SqliteStore>,
    /// The store.
    pub store: SqliteStore,
    /// The synthetic members, in order.
    pub members: Vec<synth::Member>,
    /// The resources loaded.
    pub resources: usize,
}

impl LoopbackPayer {
    /// Loads `members` synthetic members (the generator's defaults otherwise) into
    /// `store`, and serves it with the authorization server `configure` makes of the
    /// default configuration (a clock, token lifetimes).
    pub async fn start(
        store: SqliteStore,
        members: usize,
        configure: impl FnOnce(AuthConfig) -> AuthConfig,
    ) -> BrowserResult<LoopbackPayer> {
        let config = synth::Config {
            members,
            ..synth::Config::default()
        };
        let (report, members) = store
            .bulk_load(ingest::load_synthetic(&store, &config, Validation::Off))
            .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let fhir = format!("{origin}/fhir");
        let auth_config = configure(AuthConfig::new(format!("{origin}/auth"), &fhir));
        let auth = AuthServer::new(store.clone(), auth_config).await?;
        let guarded = ServerConfig::new(&fhir)
            .with_authorizer(auth.authorizer())
            .with_smart_configuration(auth.smart_configuration());
        let routes = axum::Router::new()
            .nest("/auth", auth.router())
            .nest("/fhir", router(store.clone(), guarded))
            .nest(
                "/open",
                router(store.clone(), ServerConfig::new(format!("{origin}/open"))),
            );
        tokio::spawn(async move { axum::serve(listener, routes).await });
        Ok(LoopbackPayer {
            origin,
            fhir,
            auth,
            store,
            members,
            resources: report.created,
        })
    }

    /// Registers a public app with `redirect_uris`: its `client_id`.
    pub async fn register_public_app(&self, redirect_uris: &[&str]) -> BrowserResult<String> {
        let uris = redirect_uris.iter().map(|u| (*u).to_owned()).collect();
        Ok(self
            .auth
            .register(Registration::public("Test app", uris))
            .await?
            .client_id)
    }

    /// Lets `member` sign in with `password` (one argon2id hash each: give passwords
    /// only to the members a test signs in as).
    pub async fn set_password(&self, member: &synth::Member, password: &str) -> BrowserResult<()> {
        LocalMembers::new(self.store.clone())
            .add(&member.username, password, &member.patient_id)
            .await?;
        Ok(())
    }
}

/// A member's browser: no cookies, no JavaScript, redirects not followed (the last one
/// goes to the app).
#[derive(Debug, Clone)]
pub struct MemberBrowser {
    http: reqwest::Client,
}

impl MemberBrowser {
    /// A browser.
    pub fn new() -> BrowserResult<MemberBrowser> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(MemberBrowser { http })
    }

    /// Opens `authorize_url`, signs in as `username` with `password`, allows everything
    /// the consent page asks; the URL the server redirects to (the app's redirect URI
    /// with the code and the state).
    pub async fn sign_in_and_allow(
        &self,
        authorize_url: &str,
        username: &str,
        password: &str,
    ) -> BrowserResult<String> {
        let page = self.page(self.http.get(authorize_url)).await?;
        let session = input_values(&page, "session")
            .pop()
            .ok_or("the authorization page has no sign-in form")?;
        let login = [
            ("session", session.as_str()),
            ("username", username),
            ("password", password),
        ];
        let page = self.page(self.post(&form_action(&page)?, login)).await?;
        let allowed = input_values(&page, "allow");
        if allowed.is_empty() {
            return Err("no consent page after signing in (wrong password?)".into());
        }
        let mut consent = vec![("session", session.as_str())];
        consent.extend(allowed.iter().map(|b| ("allow", b.as_str())));
        consent.push(("decision", "allow"));
        let response = self.post(&form_action(&page)?, consent).send().await?;
        if response.status() != reqwest::StatusCode::SEE_OTHER {
            return Err(format!("consent answered {}", response.status()).into());
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .ok_or("no redirect after consent")?;
        Ok(location.to_owned())
    }

    fn post<'a>(
        &self,
        url: &str,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> reqwest::RequestBuilder {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    async fn page(&self, request: reqwest::RequestBuilder) -> BrowserResult<String> {
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("the page answered {status}: {text}").into());
        }
        Ok(text)
    }
}

/// The values of the `name="<name>" value="..."` inputs of a page.
fn input_values(page: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    page.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &page[i + marker.len()..];
            rest.find('"').map(|end| unescape(&rest[..end]))
        })
        .collect()
}

/// The target of the first form of a page.
fn form_action(page: &str) -> BrowserResult<String> {
    let start = page.find("action=\"").ok_or("no form")? + "action=\"".len();
    let end = page[start..].find('"').ok_or("no form")?;
    Ok(unescape(&page[start..start + end]))
}

/// The HTML escapes the pages use (`crate::auth::pages`), undone.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
