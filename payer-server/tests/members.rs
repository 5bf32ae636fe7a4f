//! The member's side of the authorization server on a loopback port, driven by the
//! `testing` feature's member browser (with its authenticator app) on a clock the test
//! moves: two-step sign-in set up on the connected apps page or at the first consent,
//! the step-up before the first consent to each app, recovery codes used once, the
//! lockout after repeated failures and its end, lines of business a payer does not
//! serve, and the sign-in trail with the exact reason of each failure.

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use payer_server::audit::AuditStore;
use payer_server::auth::{
    AuthConfig, AuthStore, Lockout, MfaPolicy, Registration, SignInEvent, SignInOutcome, Theme,
    pkce_challenge,
};
use payer_server::store::{Clock, SqliteStore};
use payer_server::synth::LineOfBusiness;
use payer_server::testing::{LoopbackPayer, MemberBrowser};
use reqwest::StatusCode;
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;
type AnyResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const PASSWORD: &str = "correct horse battery";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "a-pkce-code-verifier-of-more-than-43-characters-0123456789";
const SCOPE: &str = "launch/patient openid fhirUser offline_access patient/*.rs";

/// A clock the test moves (2027-01-15).
#[derive(Debug)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct Payer {
    payer: LoopbackPayer,
    clock: Arc<TestClock>,
    browser: MemberBrowser,
    http: reqwest::Client,
}

async fn start(configure: impl FnOnce(AuthConfig) -> AuthConfig) -> AnyResult<Payer> {
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));
    let moved = clock.clone();
    let payer = LoopbackPayer::start(SqliteStore::in_memory()?, 5, move |config| {
        configure(config.with_clock(moved))
    })
    .await?;
    for member in &payer.members {
        payer.set_password(member, PASSWORD).await?;
    }
    let browser = MemberBrowser::new()?.with_clock(clock.clone());
    Ok(Payer {
        payer,
        clock,
        browser,
        http: reqwest::Client::new(),
    })
}

impl Payer {
    fn member(&self, line: LineOfBusiness) -> AnyResult<&str> {
        Ok(self
            .payer
            .members
            .iter()
            .find(|m| m.line_of_business == line)
            .ok_or("no member in that line")?
            .username
            .as_str())
    }

    fn tick(&self, seconds: i64) {
        self.clock.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }

    async fn register(&self, name: &str) -> AnyResult<String> {
        Ok(self
            .payer
            .auth
            .register(Registration::public(name, vec![REDIRECT.to_owned()]))
            .await?
            .client_id)
    }

    fn authorize_url(&self, client_id: &str, redirect_uri: &str) -> String {
        let challenge = pkce_challenge(VERIFIER);
        let query = form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", SCOPE),
            ("state", "s-1"),
            ("aud", &self.payer.fhir),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        format!("{}/auth/authorize?{query}", self.payer.origin)
    }

    /// Exchanges the code of the redirect `location` with `verifier`.
    async fn exchange(
        &self,
        location: &str,
        client_id: &str,
        verifier: &str,
    ) -> AnyResult<(StatusCode, Value)> {
        let code = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("code="))
            .ok_or_else(|| format!("no code in {location}"))?;
        let body = form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ]);
        let response = self
            .http
            .post(format!("{}/auth/token", self.payer.origin))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        Ok((response.status(), response.json().await?))
    }

    /// A member connects `client_id` through every page, and the app gets its tokens.
    async fn connect(&self, client_id: &str, username: &str) -> AnyResult<Value> {
        let location = self
            .browser
            .sign_in_and_allow(&self.authorize_url(client_id, REDIRECT), username, PASSWORD)
            .await?;
        let (status, token) = self.exchange(&location, client_id, VERIFIER).await?;
        assert_eq!(status, StatusCode::OK, "{token}");
        Ok(token)
    }

    async fn sign_ins(&self, username: Option<&str>) -> AnyResult<Vec<SignInEvent>> {
        Ok(self.payer.store.sign_ins(username, 100).await?)
    }

    async fn outcomes(&self, username: &str) -> AnyResult<Vec<SignInOutcome>> {
        let mut outcomes: Vec<_> = self
            .sign_ins(Some(username))
            .await?
            .iter()
            .map(|e| e.outcome)
            .collect();
        outcomes.reverse();
        Ok(outcomes)
    }
}

/// Form-encodes `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The value of the first `name="<name>" value="..."` input of a page.
fn input(page: &str, name: &str) -> AnyResult<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .ok_or_else(|| format!("no {name}: {page}"))?
        + marker.len();
    Ok(page[start..start + page[start..].find('"').ok_or("unclosed")?].to_owned())
}

/// Where the first form of a page posts to.
fn action(page: &str) -> AnyResult<String> {
    let start = page.find("action=\"").ok_or("no form")? + "action=\"".len();
    Ok(page[start..start + page[start..].find('"').ok_or("unclosed")?].to_owned())
}

/// A well-formed code that is not the authenticator's current one.
fn wrong_code(right: &str) -> String {
    right
        .chars()
        .map(|c| char::from(b'0' + (c as u8 - b'0' + 5) % 10))
        .collect()
}

/// The authenticator's code for `username` now, without typing it.
fn current_code(payer: &Payer, username: &str) -> AnyResult<String> {
    let secret = payer.browser.totp_secret(username).ok_or("not enrolled")?;
    let totp = payer_server::auth::totp::Totp::from_base32(&secret).ok_or("not base32")?;
    Ok(totp.code_at(u64::try_from(payer.clock.now_ms() / 1000)?))
}

#[tokio::test]
async fn an_enrolled_member_steps_up_before_the_first_consent_to_each_app() -> TestResult {
    let payer = start(|config| config).await?;
    let member = payer.member(LineOfBusiness::Commercial)?;
    let first_app = payer.register("First app").await?;
    // Not enrolled (the default policy asks only those who are): the password suffices.
    payer.connect(&first_app, member).await?;

    // Two-step sign-in is set up on the connected apps page.
    let apps = format!("{}/auth/apps", payer.payer.origin);
    let (status, page) = payer
        .browser
        .submit(&apps, &[("username", member), ("password", PASSWORD)])
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("First app"), "{page}");
    assert!(page.contains("Set up two-step sign-in"), "{page}");
    let session = input(&page, "session")?;
    let (status, page) = payer
        .browser
        .submit(&action_of(&page, "/apps/mfa")?, &[("session", &session)])
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("otpauth://totp/"), "{page}");
    let page = payer.browser.second_factor(page, member, None).await?;
    assert!(page.contains("save your recovery codes"), "{page}");
    assert_eq!(payer.browser.recovery_codes(member).len(), 10);
    assert!(page.contains("<h2>Two-step sign-in</h2><p>On"), "{page}");

    // A new app: the code page comes between the password and the consent.
    payer.tick(60);
    let second_app = payer.register("Second app").await?;
    let url = payer.authorize_url(&second_app, REDIRECT);
    let (status, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(action(&page)?.ends_with("/auth/mfa"), "{page}");
    assert!(
        !page.contains("name=\"allow\""),
        "no consent before the code"
    );
    let session = input(&page, "session")?;
    let (status, again) = payer
        .browser
        .submit(
            &action(&page)?,
            &[
                ("session", &session),
                ("code", &wrong_code(&current_code(&payer, member)?)),
            ],
        )
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(again.contains("not right"), "{again}");
    // The consent form cannot be reached around the code.
    let (status, _) = payer
        .browser
        .submit(
            &format!("{}/auth/consent", payer.payer.origin),
            &[
                ("session", &session),
                ("decision", "allow"),
                ("allow", "patient/*.rs"),
            ],
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let page = payer.browser.second_factor(again, member, None).await?;
    let location = payer.browser.answer_consent(&page, true).await?;
    let (status, _) = payer.exchange(&location, &second_app, VERIFIER).await?;
    assert_eq!(status, StatusCode::OK);

    // Authorizing an app the member has connected already: the password alone.
    payer.tick(60);
    let url = payer.authorize_url(&first_app, REDIRECT);
    let (status, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"allow\""), "{page}");

    // The connected apps page asks an enrolled member for a code too.
    let (_, page) = payer
        .browser
        .submit(&apps, &[("username", member), ("password", PASSWORD)])
        .await?;
    assert!(action(&page)?.ends_with("/auth/mfa"), "{page}");
    let page = payer.browser.second_factor(page, member, None).await?;
    assert!(
        page.contains("Second app") && page.contains("First app"),
        "{page}"
    );

    use SignInOutcome::*;
    assert_eq!(
        payer.outcomes(member).await?,
        [
            SignedIn,
            ConsentGiven,
            SignedIn,
            SecondFactorEnrolled,
            SecondFactorFailed,
            SignedIn,
            ConsentGiven,
            SignedIn,
            SignedIn,
        ]
    );
    Ok(())
}

/// The target of the form posting to `path`.
fn action_of(page: &str, path: &str) -> AnyResult<String> {
    page.split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|target| target.ends_with(path))
        .map(str::to_owned)
        .ok_or_else(|| format!("no form posts to {path}: {page}").into())
}

#[tokio::test]
async fn required_two_step_sign_in_is_set_up_at_the_first_consent_and_recovery_codes_work_once()
-> TestResult {
    let payer = start(|config| config.with_mfa(MfaPolicy::Required)).await?;
    let member = payer.member(LineOfBusiness::MedicareAdvantage)?;
    let app = payer.register("First app").await?;
    let url = payer.authorize_url(&app, REDIRECT);
    let (status, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(action(&page)?.ends_with("/auth/mfa/enroll"), "{page}");
    assert!(
        page.contains("<label for=\"code\">"),
        "the code field is labelled"
    );
    assert!(
        page.contains("<svg role=\"img\" aria-label=\"QR code") && !page.contains("<?xml"),
        "a QR code to scan, inline: {page}"
    );
    let page = payer.browser.second_factor(page, member, None).await?;
    let codes = payer.browser.recovery_codes(member);
    assert_eq!(codes.len(), 10, "{page}");
    assert!(page.contains(&codes[9]), "the consent page shows them once");
    let location = payer.browser.answer_consent(&page, true).await?;
    assert_eq!(
        payer.exchange(&location, &app, VERIFIER).await?.0,
        StatusCode::OK
    );

    // A recovery code in place of the app's code, once.
    payer.tick(60);
    let second = payer.register("Second app").await?;
    let (_, page) = payer
        .browser
        .sign_in(&payer.authorize_url(&second, REDIRECT), member, PASSWORD)
        .await?;
    let page = payer
        .browser
        .second_factor(page, member, Some(&codes[0]))
        .await?;
    assert!(page.contains("name=\"allow\""), "{page}");
    assert!(!page.contains(&codes[1]), "codes are shown only when made");
    payer.browser.answer_consent(&page, true).await?;

    let third = payer.register("Third app").await?;
    let (_, page) = payer
        .browser
        .sign_in(&payer.authorize_url(&third, REDIRECT), member, PASSWORD)
        .await?;
    let session = input(&page, "session")?;
    let (status, _) = payer
        .browser
        .submit(
            &action(&page)?,
            &[("session", &session), ("code", &codes[0])],
        )
        .await?;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a recovery code works once"
    );
    // Another, typed in lower case with spaces.
    let typed = codes[1].to_lowercase().replace('-', " ");
    let (status, page) = payer
        .browser
        .submit(&action(&page)?, &[("session", &session), ("code", &typed)])
        .await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("name=\"allow\""), "{page}");

    let outcomes = payer.outcomes(member).await?;
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == SignInOutcome::RecoveryCodeUsed)
            .count(),
        2
    );
    assert!(outcomes.contains(&SignInOutcome::SecondFactorFailed));
    Ok(())
}

#[tokio::test]
async fn repeated_failures_lock_the_member_out_until_the_lock_ends() -> TestResult {
    let payer = start(|config| {
        config
            .with_mfa(MfaPolicy::Required)
            .with_lockout(Lockout::new(3, Duration::from_secs(600)))
    })
    .await?;
    let member = payer.member(LineOfBusiness::Medicaid)?;
    let app = payer.register("First app").await?;
    payer.connect(&app, member).await?;

    // Wrong codes: two are told to try again, the third locks.
    payer.tick(60);
    let second = payer.register("Second app").await?;
    let url = payer.authorize_url(&second, REDIRECT);
    let (_, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    let session = input(&page, "session")?;
    let wrong = wrong_code(&current_code(&payer, member)?);
    let mut statuses = Vec::new();
    let mut last = String::new();
    for _ in 0..3 {
        let (status, page) = payer
            .browser
            .submit(&action(&page)?, &[("session", &session), ("code", &wrong)])
            .await?;
        statuses.push(status);
        last = page;
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN
        ]
    );
    assert!(last.contains("locked until"), "{last}");

    // Locked: the right password and the right code are refused alike.
    let (status, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("locked until"), "{page}");
    let (status, _) = payer
        .browser
        .submit(
            &format!("{}/auth/mfa", payer.payer.origin),
            &[
                ("session", &session),
                ("code", &current_code(&payer, member)?),
            ],
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the locked session ended");

    // Ten minutes later the member is back in.
    payer.tick(600);
    payer.connect(&second, member).await?;

    // Wrong passwords lock the same way, and a success in between clears the count.
    let url = payer.authorize_url(&app, REDIRECT);
    for _ in 0..2 {
        let (status, _) = payer.browser.sign_in(&url, member, "wrong").await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    assert_eq!(status, StatusCode::OK, "two failures do not lock");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(payer.browser.sign_in(&url, member, "wrong").await?.0);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED
        ],
        "the third failure locks; its page says so"
    );
    let (status, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");

    let outcomes = payer.outcomes(member).await?;
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == SignInOutcome::Locked)
            .count(),
        4,
        "the two locks and the two refusals while locked: {outcomes:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_sign_in_trail_says_exactly_what_failed_and_never_what_was_typed() -> TestResult {
    let payer = start(|config| config).await?;
    let member = payer.member(LineOfBusiness::Qhp)?;
    let app = payer.register("First app").await?;
    let url = payer.authorize_url(&app, REDIRECT);

    let (status, page) = payer.browser.sign_in(&url, member, "hunter2-wrong").await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("user name or password is wrong"), "{page}");
    // Someone types their password into the user name box.
    let (status, _) = payer
        .browser
        .sign_in(&url, "typed-password-secret", PASSWORD)
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A redirect URI the app did not register: shown to the member, never redirected.
    let response = payer
        .http
        .get(payer.authorize_url(&app, "https://attacker.example/cb"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // The member denies, then allows and the app's exchange has the wrong verifier.
    let (_, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    let location = payer.browser.answer_consent(&page, false).await?;
    assert!(location.contains("error=access_denied"), "{location}");
    let location = payer
        .browser
        .sign_in_and_allow(&url, member, PASSWORD)
        .await?;
    let (status, body) = payer
        .exchange(
            &location,
            &app,
            "another-verifier-of-more-than-43-characters-0123456789",
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    use SignInOutcome::*;
    assert_eq!(
        payer.outcomes(member).await?,
        [
            WrongPassword,
            SignedIn,
            ConsentDenied,
            SignedIn,
            ConsentGiven,
            PkceMismatch
        ]
    );
    let everyone = payer.sign_ins(None).await?;
    let anonymous: Vec<_> = everyone.iter().filter(|e| e.subject.is_none()).collect();
    assert_eq!(anonymous.len(), 2, "{anonymous:?}");
    assert_eq!(anonymous[0].outcome, RedirectMismatch);
    assert!(anonymous[0].detail.contains("attacker.example"));
    assert_eq!(anonymous[0].client_id.as_deref(), Some(app.as_str()));
    assert_eq!(
        (anonymous[1].outcome, anonymous[1].detail.as_str()),
        (WrongPassword, "unknown user name")
    );
    let trail = serde_json::to_string(&everyone)?;
    for typed in [PASSWORD, "hunter2-wrong", "typed-password-secret", VERIFIER] {
        assert!(!trail.contains(typed), "the trail holds {typed:?}");
    }
    Ok(())
}

#[tokio::test]
async fn members_of_a_line_of_business_the_payer_does_not_serve_are_told_so() -> TestResult {
    let payer = start(|config| {
        config.with_lines_of_business(vec![
            LineOfBusiness::Commercial,
            LineOfBusiness::MedicareAdvantage,
        ])
    })
    .await?;
    let app = payer.register("First app").await?;
    let url = payer.authorize_url(&app, REDIRECT);
    for line in [
        LineOfBusiness::Commercial,
        LineOfBusiness::MedicareAdvantage,
    ] {
        payer.connect(&app, payer.member(line)?).await?;
    }
    let member = payer.member(LineOfBusiness::Medicaid)?;
    let (status, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Your plan (Medicaid)"), "{page}");
    assert!(!page.contains("name=\"allow\""));
    let events = payer.sign_ins(Some(member)).await?;
    assert_eq!(events[0].outcome, SignInOutcome::LineOfBusinessNotServed);
    Ok(())
}

#[tokio::test]
async fn the_consent_page_says_who_the_app_is_what_it_sees_for_how_long_and_how_to_revoke()
-> TestResult {
    let theme = Theme::new("Cascade Health")
        .with_logo("https://cascade.example/logo.svg")?
        .with_accent("#6b2c91")?
        .with_support_contact("Call member services at 1-800-555-0100, 8am-8pm.")
        .with_sign_in_note("Use your Cascade member portal login.");
    let payer = start(move |config| config.with_theme(theme).with_admin_token("admin")).await?;
    let member = payer.member(LineOfBusiness::Chip)?;
    // Registered through the admin API, attested.
    let response = payer
        .http
        .post(format!("{}/auth/admin/clients", payer.payer.origin))
        .bearer_auth("admin")
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "name": "Claims Keeper",
                "redirect_uris": [REDIRECT],
                "description": "Keeps your claims and explains your costs.",
                "homepage_url": "https://claims-keeper.example",
                "privacy_policy_url": "https://claims-keeper.example/privacy",
                "privacy_policy_attested": true,
            })
            .to_string(),
        )
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::CREATED);
    let attested: Value = response.json().await?;
    let attested = attested["client_id"]
        .as_str()
        .ok_or("no client_id")?
        .to_owned();
    let unattested = payer
        .payer
        .auth
        .register(
            Registration::public("Quick Health Score", vec![REDIRECT.to_owned()])
                .description("Scores your health."),
        )
        .await?
        .client_id;

    let (status, page) = payer
        .browser
        .sign_in(&payer.authorize_url(&attested, REDIRECT), member, PASSWORD)
        .await?;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "Keeps your claims and explains your costs.",
        "href=\"https://claims-keeper.example\"",
        "The developer attested on 2027-01-15",
        "href=\"https://claims-keeper.example/privacy\"",
        // What it sees, each a box to untick.
        "Your claims: visits, prescriptions and what the plan paid",
        "Keep access after you close the app",
        // For how long, and until when.
        "for 90 days, until 2027-04-15 at the latest",
        // How to revoke, and what HIPAA does not cover.
        "/auth/apps\">connected apps</a>",
        "most apps are not covered by HIPAA",
        "/auth/sharing\">Learn about sharing your health data with apps</a>",
        // The payer's theme.
        "<img src=\"https://cascade.example/logo.svg\"",
        "--accent:#6b2c91",
        "Call member services at 1-800-555-0100",
        "Cascade Health",
    ] {
        assert!(
            page.contains(shown),
            "the consent page lacks {shown}: {page}"
        );
    }
    assert!(!page.contains("class=\"warning\""), "{page}");

    let (_, page) = payer
        .browser
        .sign_in(
            &payer.authorize_url(&unattested, REDIRECT),
            member,
            PASSWORD,
        )
        .await?;
    assert!(page.contains("class=\"warning\""), "{page}");
    assert!(page.contains("has not attested"), "{page}");

    // The gallery lists both, with the same statuses; member education is a page.
    let response = payer
        .http
        .get(format!("{}/auth/gallery", payer.payer.origin))
        .send()
        .await?;
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("img-src 'self' https:"), "{csp}");
    let gallery = response.text().await?;
    let (claims, quick) = (
        gallery.find("Claims Keeper").ok_or("no Claims Keeper")?,
        gallery
            .find("Quick Health Score")
            .ok_or("no Quick Health Score")?,
    );
    assert!(claims < quick, "sorted by name");
    assert_eq!(
        gallery.matches("class=\"warning\"").count(),
        1,
        "only Quick Health Score: {gallery}"
    );
    assert!(gallery.contains("attested on 2027-01-15"));
    let sharing = payer
        .http
        .get(format!("{}/auth/sharing", payer.payer.origin))
        .send()
        .await?
        .text()
        .await?;
    assert!(
        sharing.contains("HIPAA does not protect most apps"),
        "{sharing}"
    );

    // An attestation without a policy is refused, with the reason.
    let response = payer
        .http
        .post(format!("{}/auth/admin/clients", payer.payer.origin))
        .bearer_auth("admin")
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"name": "X", "redirect_uris": [REDIRECT],
                "privacy_policy_attested": true})
            .to_string(),
        )
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn the_support_console_finds_a_member_and_shows_what_failed_what_was_read_and_lifts_a_lock()
-> TestResult {
    let payer = start(|config| {
        config
            .with_admin_token("support-key")
            .with_lockout(Lockout::new(2, Duration::from_secs(900)))
    })
    .await?;
    let member = payer.member(LineOfBusiness::Chip)?;
    let patient = payer
        .payer
        .members
        .iter()
        .find(|m| m.username == member)
        .ok_or("no member")?
        .patient_id
        .clone();
    let app = payer.register("Claims Keeper").await?;
    let url = payer.authorize_url(&app, REDIRECT);
    let token = payer.connect(&app, member).await?;
    let token = token["access_token"].as_str().ok_or("no token")?.to_owned();
    let read = payer
        .http
        .get(format!(
            "{}/ExplanationOfBenefit?patient={patient}",
            payer.payer.fhir
        ))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(read.status(), StatusCode::OK);
    // Two wrong passwords lock the member out.
    for _ in 0..2 {
        payer.browser.sign_in(&url, member, "wrong").await?;
    }
    assert_eq!(
        payer.browser.sign_in(&url, member, PASSWORD).await?.0,
        StatusCode::FORBIDDEN
    );
    // The read is in the trail (written off the request path).
    payer.payer.audit.flush().await;

    let console = format!("{}/auth/support", payer.payer.origin);
    let (status, page) = payer
        .browser
        .submit(&console, &[("staff", "Alice"), ("key", "not-the-key")])
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("access key is wrong"), "{page}");
    let (status, page) = payer
        .browser
        .submit(&console, &[("staff", "Alice"), ("key", "support-key")])
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Latest failed sign-ins"), "{page}");
    assert!(
        page.contains("account locked after repeated failures"),
        "{page}"
    );
    let session = input(&page, "session")?;

    let lookup = format!("{console}/member");
    let (_, page) = payer
        .browser
        .submit(&lookup, &[("session", &session), ("member", "nobody")])
        .await?;
    assert!(
        page.contains("No member &quot;nobody&quot; is known here"),
        "{page}"
    );
    let (status, page) = payer
        .browser
        .submit(&lookup, &[("session", &session), ("member", member)])
        .await?;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        format!("Patient</dt><dd>{patient}"),
        "Line of business</dt><dd>CHIP".to_owned(),
        "Claims Keeper".to_owned(),
        "wrong user name or password".to_owned(),
        "refused while locked until".to_owned(),
        "consent given".to_owned(),
        "search ExplanationOfBenefit".to_owned(),
        "Lift the lockout".to_owned(),
    ] {
        assert!(
            page.contains(&shown),
            "the member's page lacks {shown}: {page}"
        );
    }
    assert!(!page.contains(&token), "no token on the page");

    // The lookup itself is on record, by name.
    let lookups = payer
        .payer
        .store
        .audit_events(Some("support:Alice"), 10)
        .await?;
    assert_eq!(
        lookups.len(),
        1,
        "one lookup of a known member: {lookups:?}"
    );
    assert_eq!(lookups[0].resources, [format!("Patient/{patient}")]);

    // What staff do to the member's security, by the buttons' form.
    let act = async |action: &str| {
        let fields = [
            ("session", session.as_str()),
            ("member", member),
            ("action", action),
        ];
        payer
            .browser
            .submit(&format!("{console}/action"), &fields)
            .await
    };
    let (_, page) = act("unlock").await?;
    assert!(page.contains("The lockout is lifted."), "{page}");
    assert!(!page.contains("Lift the lockout"), "{page}");
    assert_eq!(
        payer.browser.sign_in(&url, member, PASSWORD).await?.0,
        StatusCode::OK
    );
    assert_eq!(
        payer.outcomes(member).await?.iter().rev().nth(1),
        Some(&SignInOutcome::Unlocked)
    );

    // A member who lost their phone and their recovery codes: staff reset two-step
    // sign-in, and the member is asked to set it up again.
    let record = payer.payer.store.member(member).await?.ok_or("no member")?;
    let mut enrolled = record.security.clone();
    enrolled.totp_secret = Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".to_owned());
    enrolled.recovery_codes_sha256 = vec!["0".repeat(64)];
    assert!(
        payer
            .payer
            .store
            .swap_member_security(member, &record.security, enrolled)
            .await?
    );
    let (_, page) = payer
        .browser
        .submit(&lookup, &[("session", &session), ("member", member)])
        .await?;
    assert!(page.contains("on; 1 recovery code left"), "{page}");
    let (_, page) = act("reset-two-step").await?;
    assert!(page.contains("Two-step sign-in is reset"), "{page}");
    assert!(page.contains("Two-step sign-in</dt><dd>off"), "{page}");
    let security = payer
        .payer
        .store
        .member(member)
        .await?
        .ok_or("no member")?
        .security;
    assert!(!security.enrolled() && security.recovery_codes_sha256.is_empty());
    let trail = payer.sign_ins(Some(member)).await?;
    assert_eq!(trail[0].outcome, SignInOutcome::SecondFactorReset);
    assert_eq!(trail[0].detail, "by Alice");

    // A member's session is not a console session.
    let (_, page) = payer.browser.sign_in(&url, member, PASSWORD).await?;
    let member_session = input(&page, "session")?;
    let (status, _) = payer
        .browser
        .submit(&lookup, &[("session", &member_session), ("member", member)])
        .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    Ok(())
}
