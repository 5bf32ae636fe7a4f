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

/// The consent form: the app, each choice as a ticked box, the access period.
pub(crate) fn consent(
    base: &str,
    session: &str,
    app: &str,
    member: &str,
    choices: &[(String, String)],
    period: &str,
) -> String {
    let mut body = format!(
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

/// The list of connected apps, each with a revoke button.
pub(crate) fn apps(base: &str, session: &str, member: &str, apps: &[ConnectedApp]) -> String {
    let mut body = format!("<p>Signed in as <strong>{}</strong>.</p>", escape(member));
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
    page("Connected apps", &body)
}
