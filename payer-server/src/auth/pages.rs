//! The member's pages (sign-in, second factor, consent, connected apps, the app gallery,
//! member education) and the support console's, as plain HTML forms that work without
//! JavaScript, in the payer's [`Theme`]. Every value written into a page is escaped.
//!
//! Accessibility (WCAG 2.2 AA): one `h1` per page in a `main` landmark, a skip link,
//! every field with a `label`, errors announced (`role="alert"`), a visible focus ring,
//! colours of 4.5:1 or more (the accent is checked when configured), no layout that
//! breaks at 400% zoom (one column, relative units).

use std::fmt::Write;

use super::store::{Client, MemberRecord};
use super::theme::Theme;

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hidden_session(session: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"session\" value=\"{}\">",
        escape(session)
    )
}

fn error_paragraph(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default()
}

/// The recovery codes just made, to write down: shown once.
fn recovery_codes_notice(codes: &[String]) -> String {
    if codes.is_empty() {
        return String::new();
    }
    let mut notice = String::from(
        "<section class=\"notice\" aria-labelledby=\"recovery\"><h2 id=\"recovery\">\
         Two-step sign-in is on: save your recovery codes</h2><p>If you lose your phone, \
         each of these codes signs you in once in place of a code from the app. Write them \
         down or print them now: they are not shown again.</p><ul class=\"codes\">",
    );
    for code in codes {
        let _ = write!(notice, "<li><code>{}</code></li>", escape(code));
    }
    notice.push_str("</ul></section>");
    notice
}

/// One connected app, as the list shows it.
pub(crate) struct ConnectedApp {
    pub(crate) grant_id: String,
    pub(crate) name: String,
    pub(crate) since: String,
    pub(crate) until: String,
    /// What it may see, as the member read it on the consent page.
    pub(crate) access: Vec<String>,
}

/// What the consent page shows.
pub(crate) struct ConsentView<'a> {
    pub(crate) session: &'a str,
    pub(crate) member: &'a str,
    pub(crate) client: &'a Client,
    /// `(field name, what the member reads)` for each box.
    pub(crate) choices: &'a [(String, String)],
    /// How long access lasts, in words.
    pub(crate) period: &'a str,
    /// Recovery codes made at this sign-in, to show once.
    pub(crate) recovery_codes: &'a [String],
}

/// One sign-in step, as the support console lists it.
pub(crate) struct SupportSignIn {
    pub(crate) at: String,
    pub(crate) member: String,
    pub(crate) app: String,
    pub(crate) outcome: &'static str,
    pub(crate) failure: bool,
    pub(crate) detail: String,
}

/// What the support console shows of one member.
pub(crate) struct SupportMember<'a> {
    pub(crate) username: String,
    pub(crate) patient_id: Option<String>,
    /// Their local directory record (`None` for members of another directory).
    pub(crate) record: Option<&'a MemberRecord>,
    pub(crate) locked_until: Option<String>,
    /// Connected apps: name, since, until, scope.
    pub(crate) apps: Vec<(String, String, String, String)>,
    pub(crate) sign_ins: Vec<SupportSignIn>,
    /// What apps read: when, app, what, status, how many resources.
    pub(crate) reads: Vec<(String, String, String, u16, usize)>,
    /// A line to confirm an action.
    pub(crate) notice: Option<&'a str>,
}

fn sign_in_table(rows: &[SupportSignIn], with_member: bool) -> String {
    if rows.is_empty() {
        return "<p>None.</p>".to_owned();
    }
    let mut table = String::from("<table><thead><tr><th scope=\"col\">When</th>");
    if with_member {
        table.push_str("<th scope=\"col\">Member</th>");
    }
    table.push_str(
        "<th scope=\"col\">App</th><th scope=\"col\">What happened</th>\
         <th scope=\"col\">Detail</th></tr></thead><tbody>",
    );
    for row in rows {
        let _ = write!(table, "<tr><td>{}</td>", escape(&row.at));
        if with_member {
            let _ = write!(table, "<td>{}</td>", escape(&row.member));
        }
        let outcome = if row.failure {
            format!("<strong class=\"error\">{}</strong>", escape(row.outcome))
        } else {
            escape(row.outcome)
        };
        let _ = write!(
            table,
            "<td>{}</td><td>{outcome}</td><td>{}</td></tr>",
            escape(&row.app),
            escape(&row.detail)
        );
    }
    table.push_str("</tbody></table>");
    table
}

/// The pages of one server: its theme and the issuer URL the forms post to.
pub(crate) struct Pages<'a> {
    theme: &'a Theme,
    base: &'a str,
}

impl<'a> Pages<'a> {
    pub(crate) fn new(theme: &'a Theme, base: &'a str) -> Pages<'a> {
        Pages { theme, base }
    }

    /// Where the member education link goes.
    fn education_url(&self) -> String {
        self.theme
            .education_url
            .clone()
            .unwrap_or_else(|| format!("{}/sharing", self.base))
    }

    fn page(&self, title: &str, body: &str) -> String {
        let theme = self.theme;
        let logo = theme
            .logo_url
            .as_deref()
            .map(|url| format!("<img src=\"{}\" alt=\"\" height=\"40\">", escape(url)))
            .unwrap_or_default();
        let support = theme
            .support_contact
            .as_deref()
            .map(|c| format!("<p>Questions? {}</p>", escape(c)))
            .unwrap_or_default();
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} - {payer}</title><style>\
             :root{{--accent:{accent}}}\
             body{{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:0 1rem;\
             color:#1a1a1a;background:#fff;line-height:1.5}}\
             a{{color:var(--accent)}}\
             .skip{{position:absolute;left:-100vw}}.skip:focus{{position:static}}\
             header{{display:flex;align-items:center;gap:.75rem;padding:1rem 0;\
             border-bottom:1px solid #6b6b6b;font-weight:bold;font-size:1.15rem}}\
             label{{display:block;margin:.75rem 0 .25rem}}\
             fieldset label{{margin:.5rem 0}}\
             input[type=text],input[type=password]{{width:100%;box-sizing:border-box;\
             padding:.5rem;font-size:1rem;border:1px solid #6b6b6b;border-radius:4px}}\
             button{{padding:.6rem 1.2rem;font-size:1rem;margin:.75rem .5rem .5rem 0;\
             background:var(--accent);color:#fff;border:2px solid var(--accent);\
             border-radius:4px;cursor:pointer}}\
             button.secondary{{background:#fff;color:var(--accent)}}\
             :focus-visible{{outline:3px solid #1a1a1a;outline-offset:2px}}\
             .error{{color:#a00000;font-weight:bold}}\
             .warning{{border-left:6px solid #b45309;background:#fff7ed;padding:.5rem 1rem}}\
             .attested{{border-left:6px solid #137333;background:#f0fdf4;padding:.5rem 1rem}}\
             .notice{{border:2px solid var(--accent);padding:0 1rem;margin:1rem 0}}\
             fieldset{{border:1px solid #6b6b6b;border-radius:4px}}\
             section{{margin:1.5rem 0}}code{{font-size:1rem}}.qr{{margin:.5rem 0}}\
             table{{border-collapse:collapse;width:100%}}\
             th,td{{text-align:left;border-bottom:1px solid #6b6b6b;padding:.3rem .5rem .3rem 0;\
             vertical-align:top}}\
             footer{{border-top:1px solid #6b6b6b;margin-top:2rem;padding:1rem 0;color:#4a4a4a}}\
             </style></head><body><a class=\"skip\" href=\"#main\">Skip to the main content</a>\
             <header>{logo}<span>{payer}</span></header>\
             <main id=\"main\">\n<h1>{title}</h1>\n{body}\n</main><footer>{support}\
             <p><a href=\"{education}\">Sharing your health data with apps</a> · \
             <a href=\"{base}/gallery\">Apps you can connect</a> · \
             <a href=\"{base}/apps\">Your connected apps</a></p></footer></body></html>\n",
            title = escape(title),
            payer = escape(&theme.payer_name),
            accent = theme.accent,
            education = escape(&self.education_url()),
            base = escape(self.base),
        )
    }

    /// A user name and password form posting to `path`, with the sign-in `session` when
    /// there is one.
    fn sign_in_form(&self, path: &str, session: Option<&str>) -> String {
        let note = self
            .theme
            .sign_in_note
            .as_deref()
            .map(|n| format!("<p>{}</p>", escape(n)))
            .unwrap_or_default();
        format!(
            "{note}<form method=\"post\" action=\"{}{path}\">{}\
             <label for=\"username\">User name</label>\
             <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" \
             required>\
             <label for=\"password\">Password</label>\
             <input type=\"password\" id=\"password\" name=\"password\" \
             autocomplete=\"current-password\" required>\
             <button type=\"submit\">Sign in</button></form>",
            escape(self.base),
            session.map(hidden_session).unwrap_or_default()
        )
    }

    /// A one-field form for a code, posting to `path` with the sign-in `session`.
    fn code_form(&self, path: &str, session: &str, label: &str, button: &str) -> String {
        format!(
            "<form method=\"post\" action=\"{}{path}\">{}\
             <label for=\"code\">{}</label>\
             <input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" \
             spellcheck=\"false\" required>\
             <button type=\"submit\">{}</button></form>",
            escape(self.base),
            hidden_session(session),
            escape(label),
            escape(button)
        )
    }

    /// Who an app is and whether its developer attested to a privacy policy (CMS-9115-F
    /// lets payers ask apps to attest, and asks them to tell members plainly when an app
    /// did not: 85 FR 25510, section II.A.3).
    fn app_card(&self, client: &Client, id: &str) -> String {
        let mut card = format!("<h2 id=\"{id}\">{}</h2>", escape(&client.name));
        if let Some(description) = &client.description {
            let _ = write!(card, "<p>{}</p>", escape(description));
        }
        if let Some(homepage) = &client.homepage_url {
            let _ = write!(
                card,
                "<p>Developer's website: <a href=\"{0}\">{0}</a></p>",
                escape(homepage)
            );
        }
        match (&client.privacy_policy_url, client.privacy_attested_ms) {
            (Some(policy), Some(at)) => {
                let _ = write!(
                    card,
                    "<p class=\"attested\">The developer attested on {} that this app has a \
                     privacy policy in plain language saying how it uses, shares and sells \
                     your data and how you can have it deleted. \
                     <a href=\"{}\">Read the app's privacy policy</a>.</p>",
                    escape(&super::sign_in::date(at)[..10]),
                    escape(policy)
                );
            }
            (policy, _) => {
                let link = policy
                    .as_deref()
                    .map(|p| {
                        format!(
                            " <a href=\"{}\">Read the app's privacy policy</a>.",
                            escape(p)
                        )
                    })
                    .unwrap_or_default();
                let _ = write!(
                    card,
                    "<div class=\"warning\" role=\"note\"><p><strong>Warning:</strong> the \
                     developer of this app has not attested that it has a privacy policy \
                     telling you how it uses, shares or sells your data. Your health plan \
                     cannot check what the app does with it, and HIPAA does not protect \
                     data you share with most apps.{link}</p></div>"
                );
            }
        }
        card
    }

    /// The sign-in form of an authorization request.
    pub(crate) fn login(&self, session: &str, app: &str, error: Option<&str>) -> String {
        let form = format!(
            "{}{}",
            error_paragraph(error),
            self.sign_in_form("/login", Some(session))
        );
        self.login_with(app, &form)
    }

    /// The sign-in page of an authorization request, with `form` to sign in.
    pub(crate) fn login_with(&self, app: &str, form: &str) -> String {
        let body = format!(
            "<p><strong>{}</strong> asks to connect to your {} account.</p>{form}",
            escape(app),
            escape(&self.theme.payer_name),
        );
        self.page("Sign in", &body)
    }

    /// The button that sends the member to sign in at the payer's identity provider.
    pub(crate) fn upstream_form(&self, session: Option<&str>, provider: &str) -> String {
        format!(
            "<p>You sign in with your {provider} account.</p>\
             <form method=\"post\" action=\"{}/upstream/start\">{}\
             <button type=\"submit\">Continue to {provider}</button></form>",
            escape(self.base),
            session.map(hidden_session).unwrap_or_default(),
            provider = escape(provider)
        )
    }

    /// The second-factor form: a code from the authenticator app, or a recovery code.
    pub(crate) fn second_factor(&self, session: &str, error: Option<&str>) -> String {
        let body = format!(
            "<p>Open your authenticator app and type the 6-digit code it shows for this \
             account. If you lost your phone, type one of your recovery codes instead.</p>{}{}",
            error_paragraph(error),
            self.code_form(
                "/mfa",
                session,
                "Code from your app, or a recovery code",
                "Continue"
            )
        );
        self.page("Two-step sign-in", &body)
    }

    /// The `otpauth://` URI as a QR code an authenticator app scans: inline SVG (no image
    /// request), labelled for screen readers; empty if it cannot be encoded.
    fn qr_code(uri: &str) -> String {
        let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
            return String::new();
        };
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build();
        // Inline in HTML: no XML declaration.
        let svg = svg.find("<svg").map_or(svg.as_str(), |at| &svg[at..]);
        svg.replacen(
            "<svg ",
            "<svg role=\"img\" aria-label=\"QR code of the key, for your authenticator app\" ",
            1,
        )
    }

    /// The set-up form: the secret to add to an authenticator app, and its first code.
    pub(crate) fn enroll(
        &self,
        session: &str,
        secret: &str,
        uri: &str,
        error: Option<&str>,
    ) -> String {
        // Groups of four, as members type it.
        let grouped = secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let body = format!(
            "<p>Two-step sign-in protects your health data: after your password, you type a \
             code from an authenticator app on your phone.</p><ol>\
             <li>Install an authenticator app (for example Google Authenticator, Microsoft \
             Authenticator or 1Password).</li>\
             <li>In the app, add an account: scan this code,<div class=\"qr\">{}</div>or type \
             this key: <code class=\"secret\">{}</code>, or on your phone \
             <a href=\"{}\">open this link in the app</a>.</li>\
             <li>Type the 6-digit code the app shows.</li></ol>{}{}",
            Self::qr_code(uri),
            escape(&grouped),
            escape(uri),
            error_paragraph(error),
            self.code_form(
                "/mfa/enroll",
                session,
                "6-digit code from your app",
                "Turn on two-step sign-in"
            )
        );
        self.page("Set up two-step sign-in", &body)
    }

    /// The consent form: who the app is and its privacy attestation, what it will see
    /// (each category a ticked box), for how long, how to revoke, and what HIPAA does not
    /// cover. Nothing is decided elsewhere.
    pub(crate) fn consent(&self, view: &ConsentView<'_>) -> String {
        let app = escape(&view.client.name);
        let mut body = recovery_codes_notice(view.recovery_codes);
        let _ = write!(
            body,
            "<p>Signed in as <strong>{}</strong>. <strong>{app}</strong> asks to see your \
             health plan data. Nothing is shared unless you choose Allow.</p>\
             <section aria-labelledby=\"about-app\">{}</section>\
             <form method=\"post\" action=\"{}/consent\">{}<fieldset>\
             <legend>What {app} will see (untick anything you do not want to share)</legend>",
            escape(view.member),
            self.app_card(view.client, "about-app"),
            escape(self.base),
            hidden_session(view.session),
        );
        for (i, (name, label)) in view.choices.iter().enumerate() {
            let _ = write!(
                body,
                "<label for=\"allow{i}\"><input type=\"checkbox\" id=\"allow{i}\" name=\"allow\" \
                 value=\"{}\" checked> {}</label>",
                escape(name),
                escape(label)
            );
        }
        let _ = write!(
            body,
            "</fieldset><h2>For how long</h2><p>{}</p>\
             <h2>Changing your mind</h2><p>You can revoke {app}'s access at any time on your \
             <a href=\"{base}/apps\">connected apps</a> page; it stops at once.</p>\
             <h2>Before you share</h2><p>Once {app} has your data, your health plan no longer \
             protects it: most apps are not covered by HIPAA. \
             <a href=\"{}\">Learn about sharing your health data with apps</a>.</p>\
             <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
             <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">\
             Deny</button></form>",
            escape(view.period),
            escape(&self.education_url()),
            base = escape(self.base),
        );
        self.page("Share your data with an app?", &body)
    }

    /// A page saying what went wrong, for errors that cannot go back to the app.
    pub(crate) fn error(&self, message: &str) -> String {
        self.page(
            "This request cannot be completed",
            &error_paragraph(Some(message)),
        )
    }

    /// The connected apps page's sign-in form.
    pub(crate) fn apps_login(&self, error: Option<&str>) -> String {
        self.apps_login_with(&format!(
            "{}{}",
            error_paragraph(error),
            self.sign_in_form("/apps", None)
        ))
    }

    /// The connected apps page's sign-in, with `form` to sign in.
    pub(crate) fn apps_login_with(&self, form: &str) -> String {
        let body = format!("<p>Sign in to see the apps you connected to your data.</p>{form}");
        self.page("Connected apps", &body)
    }

    /// The list of connected apps, each with a revoke button, and the two-step sign-in
    /// status of a local member (`enrolled`; `None` for members of another directory).
    pub(crate) fn apps(
        &self,
        session: &str,
        member: &str,
        apps: &[ConnectedApp],
        enrolled: Option<bool>,
        recovery_codes: &[String],
    ) -> String {
        let base = escape(self.base);
        let mut body = recovery_codes_notice(recovery_codes);
        let _ = write!(
            body,
            "<p>Signed in as <strong>{}</strong>.</p>",
            escape(member)
        );
        if apps.is_empty() {
            body.push_str("<p>No app is connected to your data.</p>");
        }
        for app in apps {
            let _ = write!(
                body,
                "<section><h2>{}</h2><p>Connected {}; access ends {} at the latest.</p>\
                 <p>It may see:</p><ul>",
                escape(&app.name),
                escape(&app.since),
                escape(&app.until),
            );
            for line in &app.access {
                let _ = write!(body, "<li>{}</li>", escape(line));
            }
            let _ = write!(
                body,
                "</ul><form method=\"post\" action=\"{base}/apps/revoke\">{}\
                 <input type=\"hidden\" name=\"grant\" value=\"{}\">\
                 <button type=\"submit\">Revoke {}</button></form></section>",
                hidden_session(session),
                escape(&app.grant_id),
                escape(&app.name)
            );
        }
        match enrolled {
            Some(true) => body.push_str(
                "<section><h2>Two-step sign-in</h2><p>On: a code from your authenticator app \
                 is asked before you connect a new app.</p></section>",
            ),
            Some(false) => {
                let _ = write!(
                    body,
                    "<section><h2>Two-step sign-in</h2><p>Off. Turn it on so that nobody who \
                     learns your password can connect an app to your data.</p>\
                     <form method=\"post\" action=\"{base}/apps/mfa\">{}\
                     <button type=\"submit\">Set up two-step sign-in</button></form></section>",
                    hidden_session(session)
                );
            }
            None => {}
        }
        self.page("Connected apps", &body)
    }

    /// The app gallery: every app members can connect, with its privacy attestation.
    pub(crate) fn gallery(&self, clients: &[Client]) -> String {
        let mut body = format!(
            "<p>These apps are registered with {} and can ask for your data. To connect \
             one, open the app and choose your health plan there: you sign in here and \
             choose what it may see. See or revoke the apps you connected on your \
             <a href=\"{}/apps\">connected apps</a> page.</p>",
            escape(&self.theme.payer_name),
            escape(self.base)
        );
        if clients.is_empty() {
            body.push_str("<p>No app is registered yet.</p>");
        }
        for (i, client) in clients.iter().enumerate() {
            let id = format!("app{i}");
            let _ = write!(
                body,
                "<section aria-labelledby=\"{id}\">{}</section>",
                self.app_card(client, &id)
            );
        }
        self.page("Apps you can connect", &body)
    }

    /// The support console's sign-in form.
    pub(crate) fn support_login(&self, error: Option<&str>) -> String {
        let body = format!(
            "<p>For member services staff. Every lookup is recorded with your name.</p>{}\
             <form method=\"post\" action=\"{}/support\">\
             <label for=\"staff\">Your name</label>\
             <input type=\"text\" id=\"staff\" name=\"staff\" autocomplete=\"name\" required>\
             <label for=\"key\">Support access key</label>\
             <input type=\"password\" id=\"key\" name=\"key\" autocomplete=\"off\" required>\
             <button type=\"submit\">Sign in</button></form>",
            error_paragraph(error),
            escape(self.base)
        );
        self.page("Support console", &body)
    }

    /// The member search form, for `session`.
    fn support_search(&self, session: &str) -> String {
        format!(
            "<form method=\"post\" action=\"{}/support/member\" role=\"search\">{}\
             <label for=\"member\">Member id (the user name they sign in with)</label>\
             <input type=\"text\" id=\"member\" name=\"member\" required>\
             <button type=\"submit\">Look up</button></form>",
            escape(self.base),
            hidden_session(session)
        )
    }

    /// The console's first page: the search form and the latest failures.
    pub(crate) fn support_home(
        &self,
        session: &str,
        staff: &str,
        failures: &[SupportSignIn],
        error: Option<&str>,
    ) -> String {
        let body = format!(
            "<p>Signed in as <strong>{}</strong>.</p>{}{}\
             <h2>Latest failed sign-ins</h2>{}",
            escape(staff),
            error_paragraph(error),
            self.support_search(session),
            sign_in_table(failures, true)
        );
        self.page("Support console", &body)
    }

    /// One member's page in the support console.
    pub(crate) fn support_member(
        &self,
        session: &str,
        staff: &str,
        view: &SupportMember<'_>,
    ) -> String {
        let mut body = format!("<p>Signed in as <strong>{}</strong>.</p>", escape(staff));
        if let Some(notice) = view.notice {
            let _ = write!(body, "<p role=\"status\">{}</p>", escape(notice));
        }
        body.push_str(&self.support_search(session));
        let _ = write!(
            body,
            "<h2>Account</h2><dl><dt>Patient</dt><dd>{}</dd>",
            escape(view.patient_id.as_deref().unwrap_or("unknown"))
        );
        match view.record {
            Some(record) => {
                let security = &record.security;
                let _ = write!(
                    body,
                    "<dt>Line of business</dt><dd>{}</dd>\
                     <dt>Two-step sign-in</dt><dd>{}</dd>\
                     <dt>Failed attempts in a row</dt><dd>{}</dd>\
                     <dt>Locked</dt><dd>{}</dd></dl>",
                    record
                        .line_of_business
                        .map_or("not recorded", |l| l.display()),
                    if security.enrolled() {
                        let left = security.recovery_codes_sha256.len();
                        let plural = if left == 1 { "" } else { "s" };
                        format!("on; {left} recovery code{plural} left")
                    } else {
                        "off".to_owned()
                    },
                    security.failed_attempts,
                    escape(
                        view.locked_until
                            .as_deref()
                            .map_or("no".to_owned(), |u| format!("until {u}"))
                            .as_str()
                    ),
                );
                let actions = [
                    (view.locked_until.is_some(), "unlock", "Lift the lockout"),
                    (
                        security.enrolled(),
                        "reset-two-step",
                        "Reset two-step sign-in",
                    ),
                ];
                for (_, action, label) in actions.iter().filter(|(shown, ..)| *shown) {
                    let _ = write!(
                        body,
                        "<form method=\"post\" action=\"{}/support/action\">{}\
                         <input type=\"hidden\" name=\"member\" value=\"{}\">\
                         <button type=\"submit\" name=\"action\" value=\"{action}\">{label}\
                         </button></form>",
                        escape(self.base),
                        hidden_session(session),
                        escape(&view.username)
                    );
                }
            }
            None => body.push_str(
                "<dt>Directory</dt><dd>not in the local directory (signs in through the \
                 payer's identity provider)</dd></dl>",
            ),
        }
        body.push_str("<h2>Connected apps</h2>");
        if view.apps.is_empty() {
            body.push_str("<p>None.</p>");
        } else {
            body.push_str(
                "<table><thead><tr><th scope=\"col\">App</th><th scope=\"col\">Since</th>\
                 <th scope=\"col\">Until</th><th scope=\"col\">Scope</th></tr></thead><tbody>",
            );
            for (app, since, until, scope) in &view.apps {
                let _ = write!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    escape(app),
                    escape(since),
                    escape(until),
                    escape(scope)
                );
            }
            body.push_str("</tbody></table>");
        }
        let _ = write!(
            body,
            "<h2>Sign-in steps, newest first</h2>{}<h2>What apps read, newest first</h2>",
            sign_in_table(&view.sign_ins, false)
        );
        if view.reads.is_empty() {
            body.push_str("<p>None.</p>");
        } else {
            body.push_str(
                "<table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">App</th>\
                 <th scope=\"col\">Request</th><th scope=\"col\">Status</th>\
                 <th scope=\"col\">Resources sent</th></tr></thead><tbody>",
            );
            for (at, app, what, status, count) in &view.reads {
                let _ = write!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{status}</td><td>{count}</td></tr>",
                    escape(at),
                    escape(app),
                    escape(what)
                );
            }
            body.push_str("</tbody></table>");
        }
        self.page(&format!("Member {}", view.username), &body)
    }

    /// Member education on sharing health data with apps (CMS-9115-F: payers give
    /// members plain-language information on protecting their data and on HIPAA's
    /// reach, 42 CFR 422.119(g), 431.60(f), 457.730(f), 45 CFR 156.221(g)).
    pub(crate) fn sharing(&self) -> String {
        let body = format!(
            "<p>You have the right to send your health plan data (claims, coverage, \
             clinical records) to an app you choose. Before you do, know this:</p>\
             <h2>HIPAA does not protect most apps</h2><p>Your health plan must keep your \
             data private under HIPAA. Once an app has it, HIPAA usually no longer applies: \
             the app's own privacy policy and terms decide what happens to it. The Federal \
             Trade Commission can act against apps that break their promises.</p>\
             <h2>Questions to ask about an app</h2><ul>\
             <li>Will it sell my data, or share it for advertising?</li>\
             <li>Who else will it share my data with, and why?</li>\
             <li>How is my data protected, and where is it kept?</li>\
             <li>Can I have my data deleted, and how?</li>\
             <li>Did its developer attest to a privacy policy? The consent page and the \
             <a href=\"{base}/gallery\">app gallery</a> say so, and warn you when not.</li></ul>\
             <h2>You stay in control</h2><p>You choose what each app sees when you connect \
             it, and you can revoke an app at any time on your \
             <a href=\"{base}/apps\">connected apps</a> page. If you think an app misused \
             your data, you can complain to the Federal Trade Commission, and to the HHS \
             Office for Civil Rights about a provider or health plan.</p>",
            base = escape(self.base)
        );
        self.page("Sharing your health data with apps", &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::store::ClientAuth;

    #[test]
    fn every_value_is_escaped_and_an_app_without_attestation_is_warned_about() {
        let theme = Theme::new("Cascade <Health>");
        let pages = Pages::new(&theme, "http://127.0.0.1:1/auth");
        let mut client = Client::new("app", "<script>alert(1)</script>", ClientAuth::Public);
        client.description = Some("\"quoted\" & more".to_owned());
        let page = pages.gallery(&[client.clone()]);
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("&lt;script&gt;") && page.contains("&quot;quoted&quot; &amp;"));
        assert!(page.contains("Cascade &lt;Health&gt;"));
        assert!(page.contains("class=\"warning\""), "{page}");

        client.privacy_policy_url = Some("https://app.example/privacy".to_owned());
        client.privacy_attested_ms = Some(1_800_000_000_000);
        let page = pages.gallery(&[client]);
        assert!(!page.contains("class=\"warning\""));
        assert!(page.contains("attested on 2027-01-15"), "{page}");
        assert!(page.contains("href=\"https://app.example/privacy\""));
    }
}
