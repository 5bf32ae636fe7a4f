//! The support console (`{issuer}/support`): member services staff look up a member by
//! their id (the user name they sign in with) and see what a member calling about an app
//! needs answered: their line of business and two-step sign-in, the apps connected, each
//! sign-in step with its exact failure reason (wrong password, locked, second factor
//! failed, consent denied, PKCE or redirect URI mismatch, identity provider errors), and
//! the audit trail of what each app read. Staff can lift a lockout, and reset two-step
//! sign-in for a member who lost their phone and recovery codes.
//!
//! Staff sign in with the administrator's token and their name; every lookup is itself an
//! audit event (`support:<name>` read `Patient/<id>`), so who looked at whom is on record.
//! Mounted by [`super::AuthServer::support_router`] for stores that keep the audit trail.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;

use super::crypto::{self, token_key};
use super::endpoints::{Form, html};
use super::pages::{SupportMember, SupportSignIn};
use super::scope::Scopes;
use super::security::MemberSecurity;
use super::sign_in::date;
use super::store::{AuthStore, Session, SignInEvent, SignInOutcome};
use super::{AuthServer, SESSION_LIFETIME_MS};
use crate::access::{AuditAction, AuditEvent};
use crate::audit::AuditStore;

/// Sign-in steps and accesses a member's page lists at most.
const SHOWN: usize = 50;

pub(super) fn router<A: AuthStore + AuditStore + Clone>(server: AuthServer<A>) -> Router {
    Router::new()
        .route(
            "/support",
            axum::routing::get(home_login::<A>).post(staff_sign_in::<A>),
        )
        .route("/support/member", post(member::<A>))
        .route("/support/action", post(action::<A>))
        .with_state(server)
}

async fn home_login<A: AuthStore + Clone>(State(server): State<AuthServer<A>>) -> Response {
    html(StatusCode::OK, server.pages().support_login(None))
}

/// Signs a staff member in with the administrator's token.
async fn staff_sign_in<A: AuthStore + AuditStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let Ok(form) = Form::body(&body) else {
        return server.error_page(StatusCode::BAD_REQUEST, "the form does not decode");
    };
    let staff = form.get("staff").unwrap_or("").trim().to_owned();
    let admin = server.inner.config.admin_token_sha256.as_deref();
    let presented = token_key(form.get("key").unwrap_or(""));
    let allowed =
        admin.is_some_and(|admin| crypto::constant_time_eq(admin.as_bytes(), presented.as_bytes()));
    if !allowed || staff.is_empty() {
        let reason = if admin.is_none() {
            "The support console is off: the server has no administrator token."
        } else if staff.is_empty() {
            "Type your name: every lookup is recorded with it."
        } else {
            "The support access key is wrong."
        };
        return html(
            StatusCode::UNAUTHORIZED,
            server.pages().support_login(Some(reason)),
        );
    }
    let raw = crypto::random_token();
    let mut session = Session::new(None, server.now_ms() + SESSION_LIFETIME_MS);
    session.support_staff = Some(staff.clone());
    if let Err(e) = server
        .inner
        .store
        .put_session(&token_key(&raw), session)
        .await
    {
        return server.unavailable(&e);
    }
    home(&server, &raw, &staff, None).await
}

/// The console's first page: the search form and the latest failures of every member.
async fn home<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    session: &str,
    staff: &str,
    error: Option<&str>,
) -> Response {
    let failures: Vec<SignInEvent> = match server.inner.store.sign_ins(None, SHOWN * 4).await {
        Ok(events) => events
            .into_iter()
            .filter(|e| e.outcome.is_failure())
            .take(SHOWN)
            .collect(),
        Err(e) => return server.unavailable(&e),
    };
    let names = match AppNames::load(server).await {
        Ok(names) => names,
        Err(e) => return server.unavailable(&e),
    };
    let rows = sign_in_rows(&names, &failures);
    html(
        StatusCode::OK,
        server.pages().support_home(session, staff, &rows, error),
    )
}

/// The staff member of a console form, with the form.
async fn staff_session<A: AuthStore + Clone>(
    server: &AuthServer<A>,
    body: &Bytes,
) -> Result<(Form, String), Response> {
    let expired = || {
        html(
            StatusCode::UNAUTHORIZED,
            server
                .pages()
                .support_login(Some("Your console session ended: sign in again.")),
        )
    };
    let form = Form::body(body).map_err(|_| expired())?;
    let key = token_key(form.get("session").ok_or_else(expired)?);
    match server.inner.store.session(&key, server.now_ms()).await {
        Ok(Some(Session {
            support_staff: Some(staff),
            ..
        })) => Ok((form, staff)),
        Ok(_) => Err(expired()),
        Err(e) => Err(server.unavailable(&e)),
    }
}

fn sign_in_rows(names: &AppNames, events: &[SignInEvent]) -> Vec<SupportSignIn> {
    events
        .iter()
        .map(|event| SupportSignIn {
            at: date(event.at_ms),
            member: event.subject.clone().unwrap_or_default(),
            app: names.of(event.client_id.as_deref()),
            outcome: event.outcome.describe(),
            failure: event.outcome.is_failure(),
            detail: event.detail.clone(),
        })
        .collect()
}

/// The registered apps' names, read once per page (not once per row).
struct AppNames(HashMap<String, String>);

impl AppNames {
    async fn load<A: AuthStore + Clone>(server: &AuthServer<A>) -> crate::error::Result<AppNames> {
        let clients = server.inner.store.clients().await?;
        Ok(AppNames(
            clients.into_iter().map(|c| (c.client_id, c.name)).collect(),
        ))
    }

    /// The name of `client_id`; its id when it is no longer registered.
    fn of(&self, client_id: Option<&str>) -> String {
        client_id
            .map(|id| self.0.get(id).cloned().unwrap_or_else(|| id.to_owned()))
            .unwrap_or_default()
    }
}

/// `POST /support/member`: one member's page.
async fn member<A: AuthStore + AuditStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, staff) = match staff_session(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let session = form.get("session").unwrap_or("").to_owned();
    let member = form.get("member").unwrap_or("").trim().to_owned();
    member_page(&server, &session, &staff, &member, None).await
}

async fn member_page<A: AuthStore + AuditStore + Clone>(
    server: &AuthServer<A>,
    session: &str,
    staff: &str,
    member: &str,
    notice: Option<&str>,
) -> Response {
    let store = &server.inner.store;
    let now = server.now_ms();
    let found = async {
        let record = store.member(member).await?;
        let grants = store.grants_of(member, now).await?;
        let sign_ins = store.sign_ins(Some(member), SHOWN).await?;
        let accesses = store.audit_events(Some(member), SHOWN).await?;
        let names = AppNames::load(server).await?;
        Ok::<_, crate::error::Error>((record, grants, sign_ins, accesses, names))
    }
    .await;
    let (record, grants, sign_ins, accesses, names) = match found {
        Ok(found) => found,
        Err(e) => return server.unavailable(&e),
    };
    if member.is_empty() || (record.is_none() && grants.is_empty() && sign_ins.is_empty()) {
        let error = format!("No member {member:?} is known here: check the id and try again.");
        return home(server, session, staff, Some(&error)).await;
    }
    let patient_id = record
        .as_ref()
        .map(|m| m.patient_id.clone())
        .or_else(|| grants.iter().find_map(|g| g.patient_id.clone()));
    // Who looked at whom: the lookup is an access to the member's record.
    let lookup = AuditEvent {
        at_ms: now,
        subject: Some(format!("support:{staff}")),
        client_id: None,
        action: AuditAction::Read,
        resource_type: "Patient".to_owned(),
        status: 200,
        resources: patient_id
            .iter()
            .map(|id| format!("Patient/{id}"))
            .collect(),
    };
    if let Err(e) = store.append_audit(vec![lookup]).await {
        return server.unavailable(&e);
    }
    let apps = grants
        .iter()
        .map(|grant| {
            (
                names.of(Some(&grant.client_id)),
                date(grant.created_ms),
                date(grant.expires_ms),
                Scopes::parse(&grant.scope).to_string(),
            )
        })
        .collect();
    let reads = accesses
        .iter()
        .map(|event| {
            (
                date(event.at_ms),
                names.of(event.client_id.as_deref()),
                format!(
                    "{} {}",
                    crate::audit::action_name(event.action),
                    event.resource_type
                ),
                event.status,
                event.resources.len(),
            )
        })
        .collect();
    let view = SupportMember {
        username: member.to_owned(),
        patient_id,
        record: record.as_ref(),
        locked_until: record
            .as_ref()
            .and_then(|m| m.security.locked_until(now))
            .map(date),
        apps,
        sign_ins: sign_in_rows(&names, &sign_ins),
        reads,
        notice,
    };
    html(
        StatusCode::OK,
        server.pages().support_member(session, staff, &view),
    )
}

/// A change staff make to a member's security: what it does, its trail entry, and the
/// line confirming it.
struct StaffAction {
    change: fn(&MemberSecurity) -> MemberSecurity,
    outcome: SignInOutcome,
    done: &'static str,
}

/// `POST /support/action` (`action` = `unlock` or `reset-two-step`), after staff checked
/// who is calling.
async fn action<A: AuthStore + AuditStore + Clone>(
    State(server): State<AuthServer<A>>,
    body: Bytes,
) -> Response {
    let (form, staff) = match staff_session(&server, &body).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let session = form.get("session").unwrap_or("").to_owned();
    let member = form.get("member").unwrap_or("").to_owned();
    let action = match form.get("action") {
        Some("unlock") => StaffAction {
            change: MemberSecurity::after_success,
            outcome: SignInOutcome::Unlocked,
            done: "The lockout is lifted.",
        },
        Some("reset-two-step") => StaffAction {
            change: MemberSecurity::without_second_factor,
            outcome: SignInOutcome::SecondFactorReset,
            done: "Two-step sign-in is reset: the member sets it up again from the connected \
                   apps page (or at their next consent when it is required).",
        },
        _ => return server.error_page(StatusCode::BAD_REQUEST, "unknown action"),
    };
    match server
        .change_security(&member, |s| ((action.change)(s), ()))
        .await
    {
        Ok(Some(())) => {
            server
                .record(Some(&member), None, action.outcome, format!("by {staff}"))
                .await;
            member_page(&server, &session, &staff, &member, Some(action.done)).await
        }
        Ok(None) => server.error_page(StatusCode::BAD_REQUEST, "no such local member"),
        Err(e) => server.unavailable(&e),
    }
}
