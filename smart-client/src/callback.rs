//! The redirect back from the authorization server (SMART App Launch 2.2 section 2.0.7):
//! the code, after checking the `state` the app sent, or the error the server or the
//! member gave. The parameters are read from the query, or from the fragment for servers
//! that answer with `response_mode=fragment`.

use crate::error::{Error, Result};

/// The authorization code of the redirect `url`, when its `state` is `expected_state`.
pub fn authorization_code(url: &str, expected_state: &str) -> Result<String> {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (url, None),
    };
    let query = before_fragment.split_once('?').map(|(_, q)| q);
    let params = [query, fragment]
        .into_iter()
        .flatten()
        .find(|part| {
            part.split('&')
                .any(|p| p.starts_with("code=") || p.starts_with("error="))
        })
        .map(|part| {
            form_urlencoded::parse(part.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .ok_or_else(|| {
            Error::Callback("the redirect has neither a code nor an error".to_owned())
        })?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    // The state is checked first, errors included: an error redirect with another state
    // did not come from this authorization request.
    match get("state") {
        Some(state) if state == expected_state => {}
        Some(_) => {
            return Err(Error::Callback(
                "the state differs from the one sent: not the answer to this request".to_owned(),
            ));
        }
        None => return Err(Error::Callback("the redirect has no state".to_owned())),
    }
    if let Some(error) = get("error") {
        return Err(Error::AuthorizationRefused {
            error,
            description: get("error_description"),
        });
    }
    get("code")
        .filter(|code| !code.is_empty())
        .ok_or_else(|| Error::Callback("the code is empty".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_comes_from_the_query_or_the_fragment() -> Result<()> {
        let state = "x7Yq-state";
        assert_eq!(
            authorization_code(
                "https://app.example/cb?code=abc%2Bd&state=x7Yq-state",
                state
            )?,
            "abc+d"
        );
        assert_eq!(
            authorization_code(
                "https://app.example/cb?lang=en#state=x7Yq-state&code=xyz",
                state
            )?,
            "xyz"
        );
        Ok(())
    }

    #[test]
    fn wrong_state_errors_and_refusals_are_told_apart() {
        let state = "x7Yq-state";
        let error = |url: &str| authorization_code(url, state).err();
        assert!(matches!(
            error("https://app.example/cb?code=abc&state=other"),
            Some(Error::Callback(why)) if why.contains("state differs")
        ));
        assert!(matches!(
            error("https://app.example/cb?code=abc"),
            Some(Error::Callback(why)) if why.contains("no state")
        ));
        assert!(matches!(
            error("https://app.example/cb?error=access_denied&error_description=the+member+did+not+allow&state=x7Yq-state"),
            Some(Error::AuthorizationRefused { error, description: Some(d) })
                if error == "access_denied" && d == "the member did not allow"
        ));
        // An error with another state is not trusted as this request's answer.
        assert!(matches!(
            error("https://app.example/cb?error=access_denied&state=forged"),
            Some(Error::Callback(_))
        ));
        assert!(matches!(
            error("https://app.example/cb"),
            Some(Error::Callback(_))
        ));
        // A malformed escape is kept as written (the WHATWG form decoder), not refused:
        // the server will not know that code, and says so at the exchange.
        assert_eq!(
            authorization_code("https://app.example/cb?code=%zz&state=x7Yq-state", state).ok(),
            Some("%zz".to_owned())
        );
    }
}
