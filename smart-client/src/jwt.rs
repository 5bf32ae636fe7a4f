//! Reading the claims of a JWT without verifying it: an access token is not the app's to
//! verify (it may not even be a JWT), and an `id_token`'s claims are only ever used as
//! candidates that a FHIR read then confirms.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The claims of `token` when it is a JWS compact serialization whose payload is a JSON
/// object; `None` for opaque tokens.
pub(crate) fn claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    // Some issuers pad base64url; the standard says not to.
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_of_jwts_and_nothing_of_opaque_tokens() {
        let jwt = format!(
            "h.{}.s",
            URL_SAFE_NO_PAD.encode(r#"{"patient":"123","exp":5}"#)
        );
        let claims = claims(&jwt);
        assert_eq!(
            claims.as_ref().and_then(|c| c["patient"].as_str()),
            Some("123")
        );
        assert_eq!(super::claims("opaque-token"), None);
        assert_eq!(super::claims("a.b"), None);
        assert_eq!(
            super::claims(&format!("h.{}.s", URL_SAFE_NO_PAD.encode("[1]"))),
            None
        );
    }
}
