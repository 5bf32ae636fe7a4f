//! The member's side of the authorization server: signing in (password, then the second
//! factor when [`super::MfaPolicy`] asks for it, or setting one up), the consent page,
//! and the connected apps page. Each step that succeeds or fails is a
//! [`SignInEvent`] for the support console, with the exact reason and never what was
//! typed.
//!
//! ```text
//! login ──▶ (locked? wrong password?) ──▶ second factor needed? ──no──▶ consent
//!                                              │ yes, enrolled ──▶ /mfa ──────▶ consent
//!                                              │ yes, not yet  ──▶ /mfa/enroll ▶ consent
//! ```

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::crypto::{self, token_key};
use super::endpoints::{Form, html, millis, redirect};
use super::pages;
use super::scope::{ScopeToken, Scopes};
use super::security::{FactorUsed, MemberSecurity, MfaPolicy};
use super::store::{
    AuthStore, AuthorizationRequest, Client, CodeRecord, GrantRecord, Session, SignInEvent,
    SignInOutcome,
};
use super::totp::Totp;
use super::{AuthServer, CODE_LIFETIME_MS, Member, SESSION_LIFETIME_MS};
use crate::error::Error;

impl<A: AuthStore + Clone> AuthServer<A> {
    /// Appends an event to the sign-in trail. A trail that cannot be written does not
    /// stop the member (the store failing will show at the next step anyway).
    pub(super) async fn record(
        &self,
        subject: Option<&str>,
        client_id: Option<&str>,
        outcome: SignInOutcome,
        detail: impl Into<String>,
    ) {
        let event = SignInEvent::new(
            self.now_ms(),
            subject.map(str::to_owned),
            client_id.map(str::to_owned),
            outcome,
            detail,
        );
        if let Err(e) = self.inner.store.record_sign_in(event).await {
            eprintln!("a sign-in event could not be recorded: {e}");
        }
    }

    /// Changes the security record of local member `username` with `change` (compare
    /// and swap, read again when another sign-in changed it meanwhile): what `change`
    /// returned beside the record; `None` when there is no such local member.
    pub(super) async fn change_security<T>(
        &self,
        username: &str,
        change: impl Fn(&MemberSecurity) -> (MemberSecurity, T),
    ) -> Result<Option<T>, Error> {
        let store = &self.inner.store;
        loop {
            let Some(record) = store.member(username).await? else {
                return Ok(None);
            };
            let (next, out) = change(&record.security);
            if next == record.security
                || store
                    .swap_member_security(username, &record.security, next)
                    .await?
            {
                return Ok(Some(out));
            }
        }
    }
}

/// The form of a sign-in step, and its session with the session's key; the error page to
/// answer when the form does not decode or its session ended.
pub(super) async fn form_session<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    body: &Bytes,
) -> Result<(Form, String, Session), Response> {
    let form = Form::body(body)
        .map_err(|_| server.error_page(StatusCode::BAD_REQUEST, "the form does not decode"))?;
    let expired = || {
        server.error_page(
            StatusCode::BAD_REQUEST,
            "this sign-in has expired or was completed already: go back to the app and start again",
        )
    };
    let key = token_key(form.get("session").ok_or_else(expired)?);
    match server.inner.store.session(&key, server.now_ms()).await {
        Ok(Some(session)) => Ok((form, key, session)),
        Ok(None) => Err(expired()),
        Err(e) => Err(server.error_page(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())),
    }
}

/// The time `ms` as members read it.
pub(super) fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn locked_message(until_ms: i64) -> String {
    format!(
        "Too many failed attempts: sign-in is locked until {}. Try again then, or call \
         member services.",
        date(until_ms)
    )
}

/// Checks the user name and password of a sign-in form for `client_id` (`None` on the
/// connected apps page): the member and their local record's security. When the
/// account is locked or the password wrong, the answer is the page `again` makes with
/// the reason. Failures count towards the lockout of a local member.
async fn check_password<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    form: &Form,
    client_id: Option<&str>,
    again: impl Fn(&str) -> String,
) -> Result<(Member, Option<MemberSecurity>), Response> {
    let username = form.get("username").unwrap_or("");
    let password = form.get("password").unwrap_or("");
    let now = server.now_ms();
    let local = server
        .inner
        .store
        .member(username)
        .await
        .map_err(|e| server.unavailable(&e))?;
    // Only a known member's name goes in the trail: people type passwords into the user
    // name box.
    let subject = local.as_ref().map(|m| m.username.as_str());
    if let Some(until) = local.as_ref().and_then(|m| m.security.locked_until(now)) {
        server
            .record(
                subject,
                client_id,
                SignInOutcome::Locked,
                format!("refused while locked until {}", date(until)),
            )
            .await;
        return Err(html(StatusCode::FORBIDDEN, again(&locked_message(until))));
    }
    match server.inner.members.authenticate(username, password).await {
        Ok(Some(member)) => {
            let security = local.map(|m| m.security);
            Ok((member, security))
        }
        Ok(None) => {
            let lockout = server.inner.config.lockout;
            let locked = server
                .change_security(username, |s| {
                    let next = s.after_failure(now, lockout);
                    let locked = next.locked_until(now);
                    (next, locked)
                })
                .await
                .map_err(|e| server.unavailable(&e))?
                .flatten();
            let detail = match subject {
                Some(_) => "wrong password",
                None => "unknown user name",
            };
            server
                .record(subject, client_id, SignInOutcome::WrongPassword, detail)
                .await;
            if let Some(until) = locked {
                server
                    .record(
                        subject,
                        client_id,
                        SignInOutcome::Locked,
                        format!("locked until {} after repeated failures", date(until)),
                    )
                    .await;
            }
            let message = match locked {
                Some(until) => locked_message(until),
                None => "The user name or password is wrong.".to_owned(),
            };
            Err(html(StatusCode::UNAUTHORIZED, again(&message)))
        }
        Err(e) => Err(server.unavailable(&e)),
    }
}

/// What a member who gave the right password must do next.
enum NextStep {
    /// Nothing: signed in.
    Done,
    /// Type a code from their authenticator app (or a recovery code).
    Code,
    /// Set up two-step sign-in.
    Enroll,
}

/// The second factor [`super::MfaPolicy`] asks of `security` (the local record; `None`
/// for members of another directory, which runs its own) before consenting to
/// `client_id`, or before the connected apps page when `None`.
async fn next_step<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    username: &str,
    security: Option<&MemberSecurity>,
    client_id: Option<&str>,
) -> Result<NextStep, Error> {
    let policy = server.inner.config.mfa;
    let Some(security) = security.filter(|_| policy != MfaPolicy::Off) else {
        return Ok(NextStep::Done);
    };
    let Some(client_id) = client_id else {
        return Ok(if security.enrolled() {
            NextStep::Code
        } else {
            NextStep::Done
        });
    };
    // Step-up: the second factor guards the first consent to each app; authorizing an
    // app the member has connected already needs the password only.
    let connected = server
        .inner
        .store
        .grants_of(username, server.now_ms())
        .await?
        .iter()
        .any(|g| g.client_id == client_id);
    Ok(match (connected, security.enrolled(), policy) {
        (true, _, _) => NextStep::Done,
        (false, true, _) => NextStep::Code,
        (false, false, MfaPolicy::Required) => NextStep::Enroll,
        (false, false, _) => NextStep::Done,
    })
}

pub(super) async fn login<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, key, mut session) = match form_session(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some(request) = session.request.clone() else {
        return server.error_page(StatusCode::BAD_REQUEST, "this is not a sign-in for an app");
    };
    if server.inner.config.upstream.is_some() {
        return server.error_page(
            StatusCode::BAD_REQUEST,
            "members sign in at the payer's identity provider here, not with a password",
        );
    }
    let client = match server.inner.store.client(&request.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return server.error_page(StatusCode::BAD_REQUEST, "the app is no longer registered");
        }
        Err(e) => return server.unavailable(&e),
    };
    let raw_session = form.get("session").unwrap_or_default().to_owned();
    let checked = check_password(&server, &form, Some(&client.client_id), |wrong| {
        server
            .pages()
            .login(&raw_session, &client.name, Some(wrong))
    })
    .await;
    let (member, security) = match checked {
        Ok(found) => found,
        Err(page) => return page,
    };
    if let Some(refusal) = line_of_business_refusal(&server, &member) {
        server
            .record(
                Some(&member.username),
                Some(&client.client_id),
                SignInOutcome::LineOfBusinessNotServed,
                refusal.clone(),
            )
            .await;
        return server.error_page(StatusCode::FORBIDDEN, &refusal);
    }
    let step = match next_step(
        &server,
        &member.username,
        security.as_ref(),
        Some(&client.client_id),
    )
    .await
    {
        Ok(step) => step,
        Err(e) => return server.unavailable(&e),
    };
    session.patient_id = Some(member.patient_id.clone());
    proceed(&server, &key, &raw_session, session, &member.username, step).await
}

/// Why `member` may not connect apps here, when the payer serves only some lines of
/// business ([`super::AuthConfig::with_lines_of_business`]).
pub(super) fn line_of_business_refusal<A>(
    server: &AuthServer<A>,
    member: &Member,
) -> Option<String> {
    let served = server.inner.config.lines_of_business.as_ref()?;
    match member.line_of_business {
        Some(line) if served.contains(&line) => None,
        Some(line) => Some(format!(
            "Your plan ({line}) does not offer connecting apps here. Call member services \
             to ask how to share your data."
        )),
        None => Some(
            "Your plan is not recorded with a line of business served here. Call member \
             services to ask how to share your data."
                .to_owned(),
        ),
    }
}

/// Stores the session after the password was right, and shows the next page: the code
/// form, the set-up form, or (signed in) the consent page or the connected apps.
async fn proceed<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    key: &str,
    raw_session: &str,
    mut session: Session,
    username: &str,
    step: NextStep,
) -> Response {
    let page = match step {
        NextStep::Done => return signed_in(server, key, raw_session, session, username, &[]).await,
        NextStep::Code => {
            session.awaiting_second_factor = Some(username.to_owned());
            server.pages().second_factor(raw_session, None)
        }
        NextStep::Enroll => {
            let totp = Totp::generate();
            let page = enroll_page(server, raw_session, username, &totp, None);
            session.awaiting_second_factor = Some(username.to_owned());
            session.enrolling_secret = Some(totp.secret_base32());
            page
        }
    };
    if let Err(e) = server.inner.store.put_session(key, session).await {
        return server.unavailable(&e);
    }
    html(StatusCode::OK, page)
}

fn enroll_page<A>(
    server: &AuthServer<A>,
    raw_session: &str,
    username: &str,
    totp: &Totp,
    error: Option<&str>,
) -> String {
    server.pages().enroll(
        raw_session,
        &totp.secret_base32(),
        &totp.provisioning_uri(&server.inner.config.theme.payer_name, username),
        error,
    )
}

/// The member is signed in with every factor asked: records it, and shows the consent
/// page of the authorization request, or the connected apps, with `recovery_codes` to
/// write down when they were just made.
pub(super) async fn signed_in<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    key: &str,
    raw_session: &str,
    mut session: Session,
    username: &str,
    recovery_codes: &[String],
) -> Response {
    let client_id = session.request.as_ref().map(|r| r.client_id.clone());
    session.member = Some(username.to_owned());
    session.awaiting_second_factor = None;
    session.enrolling_secret = None;
    if let Err(e) = server.inner.store.put_session(key, session.clone()).await {
        return server.unavailable(&e);
    }
    // Only a whole sign-in clears the failures: a right password alone does not, or
    // someone who knows it could guess codes forever between passwords.
    if let Err(e) = server
        .change_security(username, |s| (s.after_success(), ()))
        .await
    {
        return server.unavailable(&e);
    }
    let factor = if recovery_codes.is_empty() {
        "signed in"
    } else {
        "signed in after setting up two-step sign-in"
    };
    server
        .record(
            Some(username),
            client_id.as_deref(),
            SignInOutcome::SignedIn,
            factor,
        )
        .await;
    match &session.request {
        Some(request) => consent_page(server, raw_session, request, username, recovery_codes).await,
        None => apps_list(server, raw_session, username, recovery_codes).await,
    }
}

async fn consent_page<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    raw_session: &str,
    request: &AuthorizationRequest,
    username: &str,
    recovery_codes: &[String],
) -> Response {
    let client = match server.inner.store.client(&request.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return server.error_page(StatusCode::BAD_REQUEST, "the app is no longer registered");
        }
        Err(e) => return server.unavailable(&e),
    };
    let scopes = Scopes::parse(&request.scope);
    let config = &server.inner.config;
    let minutes = config.access_token_lifetime.as_secs() / 60;
    let period = if scopes.has(&ScopeToken::OfflineAccess) {
        let until = server.now_ms() + millis(config.max_authorization);
        format!(
            "If you keep the box to keep access after you close the app, {} can read the \
             data you allow for {} days, until {} at the latest, unless you revoke it \
             sooner; then you sign in again. Without it, access ends within {minutes} \
             minutes.",
            client.name,
            config.max_authorization.as_secs() / 86_400,
            &date(until)[..10]
        )
    } else {
        format!(
            "{} can read the data you allow for {minutes} minutes, while you use it.",
            client.name
        )
    };
    let choices = scopes.consent_choices();
    html(
        StatusCode::OK,
        server.pages().consent(&pages::ConsentView {
            session: raw_session,
            member: username,
            client: &client,
            choices: &choices,
            period: &period,
            recovery_codes,
        }),
    )
}

/// The session of a second-factor form: who is signing in and the session itself.
async fn awaiting<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    body: &Bytes,
) -> Result<(Form, String, Session, String), Response> {
    let (form, key, session) = form_session(server, body).await?;
    let username = session
        .awaiting_second_factor
        .clone()
        .or_else(|| {
            session
                .member
                .clone()
                .filter(|_| session.enrolling_secret.is_some())
        })
        .ok_or_else(|| {
            server.error_page(StatusCode::BAD_REQUEST, "sign in with your password first")
        })?;
    Ok((form, key, session, username))
}

/// After a wrong code: counts it, and answers the page `again` makes, or the locked
/// page (the session ends) when this failure locked the account.
async fn code_failed<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    key: &str,
    session: &Session,
    username: &str,
    detail: &str,
    again: String,
) -> Response {
    let now = server.now_ms();
    let lockout = server.inner.config.lockout;
    let locked = match server
        .change_security(username, |s| {
            let next = s.after_failure(now, lockout);
            let locked = next.locked_until(now);
            (next, locked)
        })
        .await
    {
        Ok(locked) => locked.flatten(),
        Err(e) => return server.unavailable(&e),
    };
    let client_id = session.request.as_ref().map(|r| r.client_id.as_str());
    server
        .record(
            Some(username),
            client_id,
            SignInOutcome::SecondFactorFailed,
            detail,
        )
        .await;
    match locked {
        Some(until) => {
            if let Err(e) = server.inner.store.end_session(key).await {
                return server.unavailable(&e);
            }
            server
                .record(
                    Some(username),
                    client_id,
                    SignInOutcome::Locked,
                    format!("locked until {} after repeated failures", date(until)),
                )
                .await;
            server.error_page(StatusCode::FORBIDDEN, &locked_message(until))
        }
        None => html(StatusCode::UNAUTHORIZED, again),
    }
}

/// `POST /mfa`: the code from the authenticator app, or a recovery code.
pub(super) async fn second_factor<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, key, session, username) = match awaiting(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let raw_session = form.get("session").unwrap_or_default().to_owned();
    let code = form.get("code").unwrap_or("");
    let now = server.now_ms();
    let checked = server
        .change_security(&username, |s| {
            if let Some(until) = s.locked_until(now) {
                return (s.clone(), Err(Some(until)));
            }
            match s.check_code(code, now) {
                Some((next, used)) => (next, Ok(used)),
                None => (s.clone(), Err(None)),
            }
        })
        .await;
    let client_id = session.request.as_ref().map(|r| r.client_id.clone());
    match checked {
        Ok(Some(Ok(used))) => {
            if used == FactorUsed::RecoveryCode {
                server
                    .record(
                        Some(&username),
                        client_id.as_deref(),
                        SignInOutcome::RecoveryCodeUsed,
                        "a recovery code was spent",
                    )
                    .await;
            }
            signed_in(&server, &key, &raw_session, session, &username, &[]).await
        }
        Ok(Some(Err(Some(until)))) => {
            server.error_page(StatusCode::FORBIDDEN, &locked_message(until))
        }
        Ok(Some(Err(None))) => {
            let again = server.pages().second_factor(
                &raw_session,
                Some("That code is not right, or was used already. Try the newest code."),
            );
            let detail = if code.is_empty() {
                "no code typed"
            } else {
                "wrong or reused code"
            };
            code_failed(&server, &key, &session, &username, detail, again).await
        }
        Ok(None) => server.error_page(
            StatusCode::BAD_REQUEST,
            "the member is no longer registered",
        ),
        Err(e) => server.unavailable(&e),
    }
}

/// `POST /mfa/enroll`: the first code from the authenticator app, confirming the secret
/// the set-up page showed.
pub(super) async fn enroll<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, key, session, username) = match awaiting(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let raw_session = form.get("session").unwrap_or_default().to_owned();
    let Some(secret) = session.enrolling_secret.clone() else {
        return server.error_page(
            StatusCode::BAD_REQUEST,
            "start setting up two-step sign-in again",
        );
    };
    let code = form.get("code").unwrap_or("");
    let now = server.now_ms();
    let enrolled = server
        .change_security(&username, |s| match s.enroll(&secret, code, now) {
            Some((next, codes)) => (next, Some(codes)),
            None => (s.clone(), None),
        })
        .await;
    let client_id = session.request.as_ref().map(|r| r.client_id.clone());
    match enrolled {
        Ok(Some(Some(codes))) => {
            server
                .record(
                    Some(&username),
                    client_id.as_deref(),
                    SignInOutcome::SecondFactorEnrolled,
                    "two-step sign-in set up",
                )
                .await;
            if session.awaiting_second_factor.is_some() {
                return signed_in(&server, &key, &raw_session, session, &username, &codes).await;
            }
            // Set up from the connected apps page, already signed in.
            let mut session = session;
            session.enrolling_secret = None;
            if let Err(e) = server.inner.store.put_session(&key, session).await {
                return server.unavailable(&e);
            }
            apps_list(&server, &raw_session, &username, &codes).await
        }
        Ok(Some(None)) => {
            let Some(totp) = Totp::from_base32(&secret) else {
                return server.error_page(StatusCode::BAD_REQUEST, "start again");
            };
            let again = enroll_page(
                &server,
                &raw_session,
                &username,
                &totp,
                Some(
                    "That code is not right. Check the app shows this account, then type its newest code.",
                ),
            );
            code_failed(
                &server,
                &key,
                &session,
                &username,
                "wrong code while setting up",
                again,
            )
            .await
        }
        Ok(None) => server.error_page(
            StatusCode::BAD_REQUEST,
            "the member is no longer registered",
        ),
        Err(e) => server.unavailable(&e),
    }
}

pub(super) async fn consent<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, key, session) = match form_session(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let (Some(request), Some(username), Some(patient_id)) =
        (session.request, session.member, session.patient_id)
    else {
        return server.error_page(StatusCode::BAD_REQUEST, "sign in first");
    };
    // One consent per sign-in.
    if let Err(e) = server.inner.store.end_session(&key).await {
        return server.unavailable(&e);
    }
    let back = |params: &[(&str, &str)]| {
        let mut params = params.to_vec();
        params.push(("state", &request.state));
        redirect(&request.redirect_uri, &params)
    };
    let granted = Scopes::parse(&request.scope).narrowed(&form.all("allow"));
    if form.get("decision") != Some("allow") || granted.resources().next().is_none() {
        let detail = if form.get("decision") == Some("allow") {
            "every box was unticked"
        } else {
            "the member chose Deny"
        };
        server
            .record(
                Some(&username),
                Some(&request.client_id),
                SignInOutcome::ConsentDenied,
                detail,
            )
            .await;
        return back(&[
            ("error", "access_denied"),
            ("error_description", "the member did not allow access"),
        ]);
    }
    let now = server.now_ms();
    let config = &server.inner.config;
    let lifetime = if granted.has(&ScopeToken::OfflineAccess) {
        config.max_authorization
    } else if granted.has(&ScopeToken::OnlineAccess) {
        config.online_authorization
    } else {
        config.access_token_lifetime
    };
    let code = crypto::random_token();
    let scope = granted.to_string();
    let record = CodeRecord {
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        grant: GrantRecord {
            id: crypto::random_token(),
            client_id: request.client_id.clone(),
            subject: username.clone(),
            patient_id: Some(patient_id),
            scope: scope.clone(),
            created_ms: now,
            expires_ms: now + millis(lifetime),
            revoked: false,
        },
        expires_ms: now + CODE_LIFETIME_MS,
    };
    if let Err(e) = server.inner.store.put_code(&token_key(&code), record).await {
        return server.unavailable(&e);
    }
    server
        .record(
            Some(&username),
            Some(&request.client_id),
            SignInOutcome::ConsentGiven,
            format!("allowed {scope}"),
        )
        .await;
    back(&[("code", &code)])
}

/// `GET /gallery`: every app members can connect, with its privacy attestation.
pub(super) async fn gallery<A: AuthStore + Clone>(State(server): State<AuthServer<A>>) -> Response {
    match server.inner.store.clients().await {
        Ok(clients) => {
            let mut apps: Vec<Client> = clients.into_iter().filter(|c| !c.backend).collect();
            apps.sort_by_key(|c| c.name.to_lowercase());
            html(StatusCode::OK, server.pages().gallery(&apps))
        }
        Err(e) => server.unavailable(&e),
    }
}

/// `GET /sharing`: what members should know before sharing their data with an app.
pub(super) async fn sharing<A: AuthStore + Clone>(State(server): State<AuthServer<A>>) -> Response {
    html(StatusCode::OK, server.pages().sharing())
}

pub(super) async fn apps_page<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
) -> Response {
    let page = match &server.inner.config.upstream {
        Some(upstream) => server
            .pages()
            .apps_login_with(&server.pages().upstream_form(None, upstream.display_name())),
        None => server.pages().apps_login(None),
    };
    html(StatusCode::OK, page)
}

/// Signs the member in to the connected apps page: a short session, the second factor
/// when they set one up, then the list.
pub(super) async fn apps_login<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let Ok(form) = Form::body(&body) else {
        return server.error_page(StatusCode::BAD_REQUEST, "the form does not decode");
    };
    if server.inner.config.upstream.is_some() {
        return server.error_page(
            StatusCode::BAD_REQUEST,
            "members sign in at the payer's identity provider here, not with a password",
        );
    }
    let checked = check_password(&server, &form, None, |wrong| {
        server.pages().apps_login(Some(wrong))
    })
    .await;
    let (member, security) = match checked {
        Ok(found) => found,
        Err(page) => return page,
    };
    let step = match next_step(&server, &member.username, security.as_ref(), None).await {
        Ok(step) => step,
        Err(e) => return server.unavailable(&e),
    };
    let raw_session = crypto::random_token();
    let mut session = Session::new(None, server.now_ms() + SESSION_LIFETIME_MS);
    session.patient_id = Some(member.patient_id.clone());
    proceed(
        &server,
        &token_key(&raw_session),
        &raw_session,
        session,
        &member.username,
        step,
    )
    .await
}

/// The signed-in member of a connected apps form, with the form and the session.
async fn apps_member<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    body: &Bytes,
) -> Result<(Form, String, Session, String), Response> {
    let (form, key, session) = form_session(server, body).await?;
    match (&session.request, &session.member) {
        (None, Some(member)) => {
            let member = member.clone();
            Ok((form, key, session, member))
        }
        _ => Err(server.error_page(
            StatusCode::BAD_REQUEST,
            "sign in to the connected apps page first",
        )),
    }
}

pub(super) async fn apps_revoke<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, _, _, member) = match apps_member(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let store = &server.inner.store;
    let grant_id = form.get("grant").unwrap_or("");
    // Only one of the member's own grants.
    match store.grants_of(&member, server.now_ms()).await {
        Ok(grants) if grants.iter().any(|g| g.id == grant_id) => {
            if let Err(e) = store.revoke_grant(grant_id).await {
                return server.unavailable(&e);
            }
        }
        Ok(_) => {}
        Err(e) => return server.unavailable(&e),
    }
    apps_list(&server, form.get("session").unwrap_or(""), &member, &[]).await
}

/// `POST /apps/mfa`: a signed-in member starts setting up two-step sign-in.
pub(super) async fn apps_enroll<A: AuthStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, key, mut session, member) = match apps_member(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let raw_session = form.get("session").unwrap_or_default().to_owned();
    let totp = Totp::generate();
    session.enrolling_secret = Some(totp.secret_base32());
    if let Err(e) = server.inner.store.put_session(&key, session).await {
        return server.unavailable(&e);
    }
    html(
        StatusCode::OK,
        enroll_page(&server, &raw_session, &member, &totp, None),
    )
}

async fn apps_list<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    session: &str,
    member: &str,
    recovery_codes: &[String],
) -> Response {
    let store = &server.inner.store;
    let grants = match store.grants_of(member, server.now_ms()).await {
        Ok(grants) => grants,
        Err(e) => return server.unavailable(&e),
    };
    let enrolled = match store.member(member).await {
        Ok(record) => record.map(|m| m.security.enrolled()),
        Err(e) => return server.unavailable(&e),
    };
    let mut apps = Vec::new();
    for grant in grants {
        let name = match store.client(&grant.client_id).await {
            Ok(Some(Client { name, .. })) => name,
            _ => grant.client_id.clone(),
        };
        apps.push(pages::ConnectedApp {
            grant_id: grant.id,
            name,
            since: date(grant.created_ms),
            until: date(grant.expires_ms),
            access: Scopes::parse(&grant.scope)
                .consent_choices()
                .into_iter()
                .map(|(_, label)| label)
                .collect(),
        });
    }
    html(
        StatusCode::OK,
        server
            .pages()
            .apps(session, member, &apps, enrolled, recovery_codes),
    )
}
