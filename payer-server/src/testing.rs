//! payer-server as the tests, load tests and demos of apps need it (feature `testing`):
//! - [`LoopbackPayer`]: synthetic members in SQLite, the SMART authorization server and
//!   the FHIR API it guards, served on a loopback port, with an open router beside it
//!   (`/open`) for tests to compare with;
//! - [`MemberBrowser`]: what a member's web browser does on the authorization server's
//!   pages: open the authorization URL, sign in, allow every box of the consent page, and
//!   report where the server sends the browser back to. The forms are plain HTML, so this
//!   is a few requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::audit::StoreAuditSink;
use crate::auth::totp::Totp;
use crate::auth::{AuthConfig, AuthServer, LocalMembers, Registration};
use crate::http::{ServerConfig, router};
use crate::ingest::{self, Validation};
use crate::store::{Clock, SqliteStore, SystemClock};
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
    /// The audit trail's writer into the store (`flush` it before reading the trail).
    pub audit: StoreAuditSink,
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
        // The audit trail in the store, as `payer-server serve` keeps it: the support
        // console reads it.
        let audit = StoreAuditSink::spawn(store.clone());
        let guarded = ServerConfig::new(&fhir)
            .with_authorizer(auth.authorizer())
            .with_smart_configuration(auth.smart_configuration())
            .with_audit(Arc::new(audit.clone()));
        let routes = axum::Router::new()
            .nest("/auth", auth.router().merge(auth.support_router()))
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
            audit,
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
    /// only to the members a test signs in as), with their line of business.
    pub async fn set_password(&self, member: &synth::Member, password: &str) -> BrowserResult<()> {
        LocalMembers::new(self.store.clone())
            .add_in_line(
                &member.username,
                password,
                &member.patient_id,
                Some(member.line_of_business),
            )
            .await?;
        Ok(())
    }
}

/// A member's browser: no cookies, no JavaScript, redirects not followed (the last one
/// goes to the app). It has the members' authenticator app too: it adds the secret of a
/// two-step sign-in set-up page, keeps the recovery codes shown, and types codes on the
/// second-factor page (a clone shares them).
#[derive(Clone)]
pub struct MemberBrowser {
    http: reqwest::Client,
    authenticator: Arc<Mutex<HashMap<String, Authenticator>>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemberBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberBrowser").finish_non_exhaustive()
    }
}

/// One member's account in the authenticator app.
#[derive(Debug, Clone, Default)]
struct Authenticator {
    secret: String,
    /// The last time step typed: the next code is of a later one (a member waits for the
    /// app's next code).
    last_step: Option<u64>,
    recovery_codes: Vec<String>,
}

impl MemberBrowser {
    /// A browser, its authenticator on the system clock.
    pub fn new() -> BrowserResult<MemberBrowser> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(MemberBrowser {
            http,
            authenticator: Arc::default(),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same browser, its authenticator on `clock` (the server's, in tests that move
    /// time).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> MemberBrowser {
        self.clock = clock;
        self
    }

    /// The TOTP secret (base32) the authenticator holds for `username`.
    pub fn totp_secret(&self, username: &str) -> Option<String> {
        self.accounts()
            .get(username)
            .map(|account| account.secret.clone())
    }

    /// The recovery codes last shown to `username`.
    pub fn recovery_codes(&self, username: &str) -> Vec<String> {
        self.accounts()
            .get(username)
            .map(|account| account.recovery_codes.clone())
            .unwrap_or_default()
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Authenticator>> {
        self.authenticator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The code the authenticator shows `username` now, or its next one when the
    /// current was typed already.
    fn next_code(&self, username: &str) -> BrowserResult<String> {
        let mut accounts = self.accounts();
        let account = accounts
            .get_mut(username)
            .ok_or("the server asks for a code, and no authenticator holds this member")?;
        let totp = Totp::from_base32(&account.secret).ok_or("the secret is not base32")?;
        let now_s = u64::try_from(self.clock.now_ms() / 1000)?;
        let step = account
            .last_step
            .map_or(totp.step(now_s), |last| (last + 1).max(totp.step(now_s)));
        account.last_step = Some(step);
        Ok(totp.code_at(step * 30))
    }

    /// Adds the secret of a set-up page to the authenticator.
    fn add_account(&self, username: &str, page: &str) -> BrowserResult<()> {
        let secret = between(page, "<code class=\"secret\">", "</code>")
            .ok_or("the set-up page shows no secret")?
            .replace(' ', "");
        self.accounts().insert(
            username.to_owned(),
            Authenticator {
                secret,
                ..Authenticator::default()
            },
        );
        Ok(())
    }

    /// Signs in past the second-factor and set-up pages to the page after them (typing
    /// `code` when one is given, the authenticator's otherwise); keeps the recovery codes
    /// that page shows.
    pub async fn second_factor(
        &self,
        mut page: String,
        username: &str,
        code: Option<&str>,
    ) -> BrowserResult<String> {
        loop {
            let action = form_action(&page)?;
            if action.ends_with("/mfa/enroll") {
                self.add_account(username, &page)?;
            } else if !action.ends_with("/mfa") {
                break;
            }
            let session = input_values(&page, "session")
                .pop()
                .ok_or("the code form has no session")?;
            let code = match code {
                Some(code) => code.to_owned(),
                None => self.next_code(username)?,
            };
            let form = [("session", session.as_str()), ("code", code.as_str())];
            page = self.page(self.post(&action, form)).await?;
        }
        if page.contains("class=\"codes\"") {
            let codes = page
                .split("<li><code>")
                .skip(1)
                .filter_map(|item| item.split("</code>").next())
                .map(unescape)
                .collect();
            if let Some(account) = self.accounts().get_mut(username) {
                account.recovery_codes = codes;
            }
        }
        Ok(page)
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
        let (status, page) = self.sign_in(authorize_url, username, password).await?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("signing in answered {status}: {page}").into());
        }
        let page = self.second_factor(page, username, None).await?;
        self.answer_consent(&page, true).await
    }

    /// Opens `authorize_url` and posts the sign-in form as `username` with `password`:
    /// the status and the page that answers (the consent page, a second-factor page, or
    /// the sign-in form again with the reason). When the payer's members sign in at its
    /// identity provider, the browser continues there, posts that provider's sign-in
    /// form (the fields `username` and `password` beside its hidden ones) and follows
    /// the provider back: the page is then the one the callback answers.
    pub async fn sign_in(
        &self,
        authorize_url: &str,
        username: &str,
        password: &str,
    ) -> BrowserResult<(reqwest::StatusCode, String)> {
        let page = self.page(self.http.get(authorize_url)).await?;
        let credentials = [("username", username), ("password", password)];
        if form_action(&page)?.ends_with("/upstream/start") {
            return self.through_provider(&page, &credentials).await;
        }
        self.post_form(&page, &credentials).await
    }

    /// Continues a sign-in at the payer's identity provider from `page` (the form to go
    /// there), posting `credentials` on the provider's own form: what the callback
    /// answers.
    pub async fn through_provider(
        &self,
        page: &str,
        credentials: &[(&str, &str)],
    ) -> BrowserResult<(reqwest::StatusCode, String)> {
        let to_provider = self.redirect_of(self.post_form_request(page, &[])?).await?;
        let provider_page = self.page(self.http.get(&to_provider)).await?;
        let back = self
            .redirect_of(self.post_form_request(&provider_page, credentials)?)
            .await?;
        let response = self.http.get(&back).send().await?;
        Ok((response.status(), response.text().await?))
    }

    /// Where a request's `303` sends the browser.
    async fn redirect_of(&self, request: reqwest::RequestBuilder) -> BrowserResult<String> {
        let response = request.send().await?;
        let status = response.status();
        match response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
        {
            Some(location) if status.is_redirection() => Ok(location.to_owned()),
            _ => Err(format!(
                "expected a redirect, got {status}: {}",
                response.text().await?
            )
            .into()),
        }
    }

    /// Posts the first form of `page`: its hidden fields and `fields`.
    async fn post_form(
        &self,
        page: &str,
        fields: &[(&str, &str)],
    ) -> BrowserResult<(reqwest::StatusCode, String)> {
        let response = self.post_form_request(page, fields)?.send().await?;
        Ok((response.status(), response.text().await?))
    }

    fn post_form_request(
        &self,
        page: &str,
        fields: &[(&str, &str)],
    ) -> BrowserResult<reqwest::RequestBuilder> {
        let hidden = hidden_inputs(page);
        let pairs = hidden
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(fields.iter().copied());
        Ok(self.post(&form_action(page)?, pairs))
    }

    /// Answers a consent page: every box ticked and Allow, or Deny. The URL the server
    /// redirects to.
    pub async fn answer_consent(&self, page: &str, allow: bool) -> BrowserResult<String> {
        let allowed = input_values(page, "allow");
        if allowed.is_empty() {
            return Err(format!("this is not a consent page: {page}").into());
        }
        let session = input_values(page, "session")
            .pop()
            .ok_or("the consent form has no session")?;
        let mut consent = vec![("session", session.as_str())];
        if allow {
            consent.extend(allowed.iter().map(|b| ("allow", b.as_str())));
        }
        consent.push(("decision", if allow { "allow" } else { "deny" }));
        let response = self.post(&form_action(page)?, consent).send().await?;
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

    /// Posts `pairs` as a form to `url`: the status and the page.
    pub async fn submit(
        &self,
        url: &str,
        pairs: &[(&str, &str)],
    ) -> BrowserResult<(reqwest::StatusCode, String)> {
        let response = self.post(url, pairs.iter().copied()).send().await?;
        Ok((response.status(), response.text().await?))
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

/// The hidden fields of the first form of `page`: `(name, value)`.
fn hidden_inputs(page: &str) -> Vec<(String, String)> {
    let form = page.split("</form>").next().unwrap_or(page);
    form.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|input| {
            let name = between(input, "name=\"", "\"")?;
            let value = between(input, "value=\"", "\"")?;
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

/// The text of `page` between `start` and the next `end`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = page.find(start)? + start.len();
    let to = page[from..].find(end)?;
    Some(&page[from..from + to])
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
