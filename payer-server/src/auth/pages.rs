//! The member's pages: sign-in, consent and connected apps, as plain HTML forms that work
//! without JavaScript. Every value written into a page is escaped.

use std::fmt::Write;

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

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;\
         color:#1a1a1a;line-height:1.5}}\
         label{{display:block;margin:.5rem 0}}input[type=text],input[type=password]\
         {{width:100%;padding:.5rem;font-size:1rem}}\
         button{{padding:.6rem 1.2rem;font-size:1rem;margin:.5rem .5rem .5rem 0}}\
         .error{{color:#a00000;font-weight:bold}}fieldset{{border:1px solid #888}}\
         </style></head><body><main>\n<h1>{title}</h1>\n{body}\n</main></body></html>\n",
        title = escape(title)
    )
}

/// A user name and password form posting to `action`, with the sign-in `session` when
/// there is one.
fn sign_in_form(action: &str, session: Option<&str>) -> String {
    let action = escape(action);
    let session = session
        .map(|s| {
            format!(
                "<input type=\"hidden\" name=\"session\" value=\"{}\">",
                escape(s)
            )
        })
        .unwrap_or_default();
    format!(
        "<form method=\"post\" action=\"{action}\">{session}\
         <label for=\"username\">User name</label>\
         <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\
         <label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form>"
    )
}

/// The sign-in form of an authorization request.
pub(crate) fn login(base: &str, session: &str, app: &str, error: Option<&str>) -> String {
    let mut body = format!(
        "<p><strong>{}</strong> asks to connect to your health plan account.</p>",
        escape(app)
    );
    if let Some(error) = error {
        let _ = write!(
            body,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    body.push_str(&sign_in_form(&format!("{base}/login"), Some(session)));
    page("Sign in to your health plan", &body)
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

/// A one-field form for a code, posting to `action` with the sign-in `session`.
fn code_form(action: &str, session: &str, label: &str, button: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">\
         <input type=\"hidden\" name=\"session\" value=\"{}\">\
         <label for=\"code\">{}</label>\
         <input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" \
         spellcheck=\"false\" required>\
         <button type=\"submit\">{}</button></form>",
        escape(action),
        escape(session),
        escape(label),
        escape(button)
    )
}

fn error_paragraph(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default()
}

/// The second-factor form: a code from the authenticator app, or a recovery code.
pub(crate) fn second_factor(base: &str, session: &str, error: Option<&str>) -> String {
    let body = format!(
        "<p>Open your authenticator app and type the 6-digit code it shows for this \
         account. If you lost your phone, type one of your recovery codes instead.</p>{}{}",
        error_paragraph(error),
        code_form(
            &format!("{base}/mfa"),
            session,
            "Code from your app, or a recovery code",
            "Continue"
        )
    );
    page("Two-step sign-in", &body)
}

/// The set-up form: the secret to add to an authenticator app, and its first code.
pub(crate) fn enroll(
    base: &str,
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
         <li>In the app, add an account with this key: <code class=\"secret\">{}</code>, \
         or on your phone <a href=\"{}\">open this link in the app</a>.</li>\
         <li>Type the 6-digit code the app shows.</li></ol>{}{}",
        escape(&grouped),
        escape(uri),
        error_paragraph(error),
        code_form(
            &format!("{base}/mfa/enroll"),
            session,
            "6-digit code from your app",
            "Turn on two-step sign-in"
        )
    );
    page("Set up two-step sign-in", &body)
}

/// The consent form: the app, each choice as a ticked box, the access period.
pub(crate) fn consent(
    base: &str,
    session: &str,
    app: &str,
    member: &str,
    choices: &[(String, String)],
    period: &str,
    recovery_codes: &[String],
) -> String {
    let mut body = recovery_codes_notice(recovery_codes);
    let _ = write!(
        body,
        "<p>Signed in as <strong>{}</strong>.</p>\
         <p><strong>{}</strong> asks for the following. Untick anything you do not want to \
         share.</p><form method=\"post\" action=\"{}/consent\">\
         <input type=\"hidden\" name=\"session\" value=\"{}\"><fieldset>\
         <legend>Share with {}</legend>",
        escape(member),
        escape(app),
        escape(base),
        escape(session),
        escape(app)
    );
    for (name, label) in choices {
        let _ = write!(
            body,
            "<label><input type=\"checkbox\" name=\"allow\" value=\"{}\" checked> {}</label>",
            escape(name),
            escape(label)
        );
    }
    let _ = write!(
        body,
        "</fieldset><p>{}</p><p>You can see and revoke the apps you connected at any time on \
         the <a href=\"{}/apps\">connected apps</a> page. Most apps are not covered by HIPAA: \
         read the app's privacy policy before you share.</p>\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        escape(period),
        escape(base)
    );
    page("Share your data with an app?", &body)
}

/// A page saying what went wrong, for errors that cannot go back to the app.
pub(crate) fn error(message: &str) -> String {
    page(
        "This request cannot be completed",
        &format!("<p class=\"error\" role=\"alert\">{}</p>", escape(message)),
    )
}

/// The connected apps page's sign-in form.
pub(crate) fn apps_login(base: &str, error: Option<&str>) -> String {
    let mut body = String::from("<p>Sign in to see the apps you connected to your data.</p>");
    if let Some(error) = error {
        let _ = write!(
            body,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    body.push_str(&sign_in_form(&format!("{base}/apps"), None));
    page("Connected apps", &body)
}

/// One connected app, as the list shows it.
pub(crate) struct ConnectedApp {
    pub(crate) grant_id: String,
    pub(crate) name: String,
    pub(crate) since: String,
    pub(crate) until: String,
    pub(crate) scope: String,
}

/// The list of connected apps, each with a revoke button, and the two-step sign-in
/// status of a local member (`enrolled`; `None` for members of another directory).
pub(crate) fn apps(
    base: &str,
    session: &str,
    member: &str,
    apps: &[ConnectedApp],
    enrolled: Option<bool>,
    recovery_codes: &[String],
) -> String {
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
             <p>Access: <code>{}</code></p>\
             <form method=\"post\" action=\"{}/apps/revoke\">\
             <input type=\"hidden\" name=\"session\" value=\"{}\">\
             <input type=\"hidden\" name=\"grant\" value=\"{}\">\
             <button type=\"submit\">Revoke {}</button></form></section>",
            escape(&app.name),
            escape(&app.since),
            escape(&app.until),
            escape(&app.scope),
            escape(base),
            escape(session),
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
                 <form method=\"post\" action=\"{}/apps/mfa\">\
                 <input type=\"hidden\" name=\"session\" value=\"{}\">\
                 <button type=\"submit\">Set up two-step sign-in</button></form></section>",
                escape(base),
                escape(session)
            );
        }
        None => {}
    }
    page("Connected apps", &body)
}
