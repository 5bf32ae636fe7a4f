//! How the member's pages look and what they say of the payer: its name and logo, the
//! accent colour of links and buttons, how to reach member services, and where members
//! learn about sharing their data. A payer sets it through [`super::AuthConfig::with_theme`]
//! or `payer-server serve` options; every value is checked when it is set, so a page
//! never carries a colour that fails WCAG 2.2 contrast or a URL that is not http(s).

use crate::error::{Error, Result};

/// The WCAG 2.2 contrast ratio normal text needs (success criterion 1.4.3, level AA).
const MIN_CONTRAST: f64 = 4.5;

/// The pages' look and the payer's words on them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Theme {
    /// The payer's name: in the header, the page titles and members' authenticator apps.
    pub payer_name: String,
    /// The logo's URL (https, or a path on this server), shown beside the name.
    pub logo_url: Option<String>,
    /// Links and buttons: `#rrggbb`, at least 4.5:1 against white (the page and the
    /// buttons' text).
    pub accent: String,
    /// How to reach member services (a phone number, hours), on every page.
    pub support_contact: Option<String>,
    /// Where the "sharing your health data with apps" link goes: the server's own page
    /// (`{issuer}/sharing`) when `None`.
    pub education_url: Option<String>,
    /// A line above the sign-in form (which login to use, for example).
    pub sign_in_note: Option<String>,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            payer_name: "Health plan".to_owned(),
            logo_url: None,
            accent: "#0b5cab".to_owned(),
            support_contact: None,
            education_url: None,
            sign_in_note: None,
        }
    }
}

fn invalid(name: &str, message: String) -> Error {
    Error::InvalidParam {
        name: name.to_owned(),
        message,
    }
}

/// `url` when it is absolute http(s) or a path on this server.
fn checked_url(name: &str, url: &str) -> Result<String> {
    let url = url.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
        && !url.starts_with("//")
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(url.to_owned())
    } else {
        Err(invalid(
            name,
            format!("{url:?} is not an http(s) URL or a path starting with /"),
        ))
    }
}

impl Theme {
    /// The default look, for `payer_name`.
    pub fn new(payer_name: impl Into<String>) -> Theme {
        Theme {
            payer_name: payer_name.into(),
            ..Theme::default()
        }
    }

    /// With the logo at `url`.
    pub fn with_logo(mut self, url: &str) -> Result<Theme> {
        self.logo_url = Some(checked_url("logo_url", url)?);
        Ok(self)
    }

    /// With `accent` (`#rrggbb`) for links and buttons; an error when it is not a colour
    /// or its contrast with white is under 4.5:1.
    pub fn with_accent(mut self, accent: &str) -> Result<Theme> {
        let rgb = parse_hex(accent).ok_or_else(|| {
            invalid(
                "accent",
                format!("{accent:?} is not a colour written #rrggbb"),
            )
        })?;
        let ratio = contrast(rgb, [255, 255, 255]);
        if ratio < MIN_CONTRAST {
            return Err(invalid(
                "accent",
                format!(
                    "{accent} on white has a contrast of {ratio:.2}:1; links and buttons need \
                     at least 4.5:1 (WCAG 2.2, 1.4.3): choose a darker colour"
                ),
            ));
        }
        self.accent = accent.to_ascii_lowercase();
        Ok(self)
    }

    /// With how members reach member services.
    pub fn with_support_contact(mut self, contact: impl Into<String>) -> Theme {
        self.support_contact = Some(contact.into());
        self
    }

    /// With the member education link going to `url`.
    pub fn with_education_url(mut self, url: &str) -> Result<Theme> {
        self.education_url = Some(checked_url("education_url", url)?);
        Ok(self)
    }

    /// With a line above the sign-in form.
    pub fn with_sign_in_note(mut self, note: impl Into<String>) -> Theme {
        self.sign_in_note = Some(note.into());
        self
    }
}

/// `#rrggbb` as red, green and blue.
fn parse_hex(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG 2.2 relative luminance of an sRGB colour.
fn luminance(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/// The WCAG 2.2 contrast ratio of two colours, 1 to 21.
fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn contrast_follows_wcag_and_weak_accents_are_refused() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast([255, 255, 255], [255, 255, 255]) - 1.0).abs() < 1e-9);
        // #767676 is the lightest grey with 4.5:1 on white; #777777 is just under.
        assert!(contrast([0x76, 0x76, 0x76], [255, 255, 255]) >= 4.5);
        assert!(contrast([0x77, 0x77, 0x77], [255, 255, 255]) < 4.5);
        let theme = Theme::new("Cascade Health");
        assert_eq!(
            theme.clone().with_accent("#0B5CAB").unwrap().accent,
            "#0b5cab"
        );
        let weak = theme
            .clone()
            .with_accent("#ffcc00")
            .unwrap_err()
            .to_string();
        assert!(weak.contains("1.4") && weak.contains("4.5:1"), "{weak}");
        assert!(theme.clone().with_accent("red").is_err());
        assert!(theme.clone().with_accent("#12345g").is_err());
        assert!(
            Theme::default()
                .with_accent(&Theme::default().accent)
                .is_ok()
        );
    }

    #[test]
    fn urls_are_http_or_paths_on_this_server() {
        let theme = Theme::default();
        assert!(
            theme
                .clone()
                .with_logo("https://plan.example/logo.svg")
                .is_ok()
        );
        assert!(theme.clone().with_logo("/static/logo.png").is_ok());
        for bad in [
            "javascript:alert(1)",
            "//evil.example/x",
            "data:image/png;base64,AA",
            "https://a b",
        ] {
            assert!(theme.clone().with_logo(bad).is_err(), "{bad}");
            assert!(theme.clone().with_education_url(bad).is_err(), "{bad}");
        }
    }
}
