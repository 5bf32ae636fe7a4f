//! SMART discovery (SMART App Launch 2.2 section 2.0.3): the server's
//! `.well-known/smart-configuration`, or the deprecated `oauth-uris` extension of the
//! CapabilityStatement's `rest.security` that some servers still publish alone. Both parse
//! leniently into one [`SmartConfiguration`] that records what it had to tolerate.
//!
//! Sans-IO: the caller fetches `{fhir_base}/.well-known/smart-configuration` (and, when
//! that fails, `{fhir_base}/metadata`) and hands the bodies here.

use serde_json::Value;

use crate::error::{Error, Result};

/// Where a [`SmartConfiguration`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoverySource {
    /// `{fhir_base}/.well-known/smart-configuration`.
    WellKnown,
    /// The CapabilityStatement's `oauth-uris` extension.
    CapabilityStatement,
}

/// What a server says about its authorization, with every URL absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmartConfiguration {
    /// Where it came from.
    pub source: DiscoverySource,
    /// `issuer` (OpenID Connect), to check `id_token`s.
    pub issuer: Option<String>,
    /// `jwks_uri`: the keys of its `id_token`s.
    pub jwks_uri: Option<String>,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint` (required).
    pub token_endpoint: String,
    /// `introspection_endpoint`.
    pub introspection_endpoint: Option<String>,
    /// `revocation_endpoint`.
    pub revocation_endpoint: Option<String>,
    /// `management_endpoint`: where the member manages the apps they connected.
    pub management_endpoint: Option<String>,
    /// `registration_endpoint`.
    pub registration_endpoint: Option<String>,
    /// `capabilities`.
    pub capabilities: Vec<String>,
    /// `scopes_supported`.
    pub scopes_supported: Vec<String>,
    /// `grant_types_supported`.
    pub grant_types_supported: Vec<String>,
    /// `code_challenge_methods_supported`.
    pub code_challenge_methods_supported: Vec<String>,
    /// `token_endpoint_auth_methods_supported`.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// What was missing, inconsistent or tolerated, in words for a developer.
    pub warnings: Vec<String>,
}

impl SmartConfiguration {
    /// Parses a `.well-known/smart-configuration` body of the server at `fhir_base`.
    /// Whatever the `Content-Type`, a JSON object with a `token_endpoint` is accepted;
    /// relative URLs are resolved against `fhir_base` (the spec asks clients to).
    pub fn from_well_known(fhir_base: &str, body: &str) -> Result<SmartConfiguration> {
        let fail = |why: String| Error::Discovery {
            fhir_base: fhir_base.to_owned(),
            tried: vec![format!(".well-known/smart-configuration: {why}")],
        };
        let value: Value = serde_json::from_str(body.trim_start_matches('\u{feff}'))
            .map_err(|e| fail(format!("not JSON ({e})")))?;
        if !value.is_object() {
            return Err(fail("not a JSON object".to_owned()));
        }
        let mut warnings = Vec::new();
        let mut url = |key: &str| -> Option<String> {
            let raw = value.get(key)?.as_str()?.trim();
            if raw.is_empty() {
                return None;
            }
            let resolved = resolve(fhir_base, raw);
            if resolved != raw {
                warnings.push(format!("{key} {raw:?} is relative: resolved to {resolved}"));
            }
            Some(resolved)
        };
        let token_endpoint =
            url("token_endpoint").ok_or_else(|| fail("no token_endpoint".to_owned()))?;
        let mut config = SmartConfiguration {
            source: DiscoverySource::WellKnown,
            issuer: value["issuer"].as_str().map(str::to_owned),
            jwks_uri: url("jwks_uri"),
            authorization_endpoint: url("authorization_endpoint"),
            token_endpoint,
            introspection_endpoint: url("introspection_endpoint"),
            revocation_endpoint: url("revocation_endpoint"),
            management_endpoint: url("management_endpoint"),
            registration_endpoint: url("registration_endpoint"),
            capabilities: Vec::new(),
            scopes_supported: Vec::new(),
            grant_types_supported: Vec::new(),
            code_challenge_methods_supported: Vec::new(),
            token_endpoint_auth_methods_supported: Vec::new(),
            warnings,
        };
        let mut list = |key: &str| strings(&value[key], key, &mut config.warnings);
        config.capabilities = list("capabilities");
        config.scopes_supported = list("scopes_supported");
        config.grant_types_supported = list("grant_types_supported");
        config.code_challenge_methods_supported = list("code_challenge_methods_supported");
        config.token_endpoint_auth_methods_supported =
            list("token_endpoint_auth_methods_supported");
        config.check();
        Ok(config)
    }

    /// Reads the `oauth-uris` extension of a CapabilityStatement (JSON) of the server at
    /// `fhir_base`: the fallback for servers without `.well-known/smart-configuration`.
    pub fn from_capability_statement(fhir_base: &str, body: &str) -> Result<SmartConfiguration> {
        let fail = |why: &str| Error::Discovery {
            fhir_base: fhir_base.to_owned(),
            tried: vec![format!("CapabilityStatement: {why}")],
        };
        let value: Value = serde_json::from_str(body).map_err(|_| fail("not JSON"))?;
        if value["resourceType"] != "CapabilityStatement" {
            return Err(fail("not a CapabilityStatement"));
        }
        let uris = value["rest"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|rest| {
                rest["security"]["extension"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
            .find(|e| e["url"] == OAUTH_URIS)
            .ok_or_else(|| fail("no rest.security extension oauth-uris"))?;
        let uri = |name: &str| {
            uris["extension"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["url"] == name)
                .and_then(|e| e["valueUri"].as_str())
                .map(|u| resolve(fhir_base, u))
        };
        let token_endpoint = uri("token").ok_or_else(|| fail("oauth-uris has no token"))?;
        let mut config = SmartConfiguration {
            source: DiscoverySource::CapabilityStatement,
            issuer: None,
            jwks_uri: None,
            authorization_endpoint: uri("authorize"),
            token_endpoint,
            introspection_endpoint: uri("introspect"),
            revocation_endpoint: uri("revoke"),
            management_endpoint: uri("manage"),
            registration_endpoint: uri("register"),
            capabilities: Vec::new(),
            scopes_supported: Vec::new(),
            grant_types_supported: Vec::new(),
            code_challenge_methods_supported: Vec::new(),
            token_endpoint_auth_methods_supported: Vec::new(),
            warnings: vec![
                "no .well-known/smart-configuration: the endpoints come from the \
                 CapabilityStatement (deprecated), which lists no capabilities"
                    .to_owned(),
            ],
        };
        config.check();
        Ok(config)
    }

    /// Whether the server lists `capability` (`permission-offline`, ...).
    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// Adds warnings for what SMART requires and the configuration lacks. None of them
    /// stops the client: it sends PKCE S256 anyway, and decides whether it can refresh
    /// by whether a refresh token arrives, not by what is advertised.
    fn check(&mut self) {
        let mut warnings = Vec::new();
        if self.source == DiscoverySource::WellKnown {
            let methods = &self.code_challenge_methods_supported;
            if !methods.iter().any(|m| m == "S256") {
                warnings.push(
                    "code_challenge_methods_supported does not list S256 (required): PKCE \
                     S256 is sent anyway",
                );
            }
            if methods.iter().any(|m| m == "plain") {
                warnings.push("code_challenge_methods_supported lists plain, which SMART forbids");
            }
            if self.capabilities.is_empty() {
                warnings.push("capabilities is missing or empty (required)");
            }
            if self.has_capability("sso-openid-connect")
                && (self.issuer.is_none() || self.jwks_uri.is_none())
            {
                warnings.push(
                    "sso-openid-connect without issuer and jwks_uri: id_tokens cannot be checked",
                );
            }
        }
        if self.authorization_endpoint.is_none() {
            warnings.push(
                "no authorization_endpoint: only backend services (client_credentials) can \
                 connect",
            );
        }
        self.warnings
            .extend(warnings.into_iter().map(str::to_owned));
    }
}

const OAUTH_URIS: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

/// An array of strings; a single string, or non-string members, tolerated with a warning.
fn strings(value: &Value, key: &str, warnings: &mut Vec<String>) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::String(s) => {
            warnings.push(format!(
                "{key} is a string, not an array: read as a space-separated list"
            ));
            s.split_ascii_whitespace().map(str::to_owned).collect()
        }
        Value::Array(items) => {
            let out: Vec<String> = items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect();
            if out.len() != items.len() {
                warnings.push(format!("{key} has members that are not strings: left out"));
            }
            out
        }
        _ => {
            warnings.push(format!("{key} is not an array: ignored"));
            Vec::new()
        }
    }
}

/// `url` made absolute against the FHIR base: as is when absolute, against the base's
/// origin when it starts with `/`, under the base otherwise.
pub(crate) fn resolve(fhir_base: &str, url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        return url.to_owned();
    }
    let base = fhir_base.trim_end_matches('/');
    if let Some(path) = url.strip_prefix('/') {
        let origin_end = base
            .find("://")
            .and_then(|scheme| base[scheme + 3..].find('/').map(|p| scheme + 3 + p))
            .unwrap_or(base.len());
        format!("{}/{path}", &base[..origin_end])
    } else {
        format!("{base}/{url}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What payer-server publishes (its own tests check it against its
    /// CapabilityStatement), trimmed.
    const PAYER_SERVER: &str = r#"{
        "issuer": "http://127.0.0.1:8080/auth",
        "jwks_uri": "http://127.0.0.1:8080/auth/jwks",
        "authorization_endpoint": "http://127.0.0.1:8080/auth/authorize",
        "token_endpoint": "http://127.0.0.1:8080/auth/token",
        "introspection_endpoint": "http://127.0.0.1:8080/auth/introspect",
        "revocation_endpoint": "http://127.0.0.1:8080/auth/revoke",
        "management_endpoint": "http://127.0.0.1:8080/auth/apps",
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": ["launch-standalone", "client-public", "sso-openid-connect",
                         "context-standalone-patient", "permission-offline"]
    }"#;

    #[test]
    fn a_complete_configuration_parses_without_warnings() -> Result<()> {
        let config =
            SmartConfiguration::from_well_known("http://127.0.0.1:8080/fhir", PAYER_SERVER)?;
        assert_eq!(config.token_endpoint, "http://127.0.0.1:8080/auth/token");
        assert_eq!(
            config.management_endpoint.as_deref(),
            Some("http://127.0.0.1:8080/auth/apps")
        );
        assert!(config.has_capability("permission-offline"));
        assert_eq!(config.warnings, Vec::<String>::new());
        Ok(())
    }

    #[test]
    fn quirks_are_tolerated_and_reported() -> Result<()> {
        // Relative URLs, a BOM, capabilities as a string, no S256, plain listed.
        let body = "\u{feff}{\"token_endpoint\": \"/oauth/token\", \"authorization_endpoint\": \"authorize\",
            \"capabilities\": \"launch-standalone client-public\",
            \"code_challenge_methods_supported\": [\"plain\", 7]}";
        let config = SmartConfiguration::from_well_known("https://payer.example/api/fhir/", body)?;
        assert_eq!(config.token_endpoint, "https://payer.example/oauth/token");
        assert_eq!(
            config.authorization_endpoint.as_deref(),
            Some("https://payer.example/api/fhir/authorize")
        );
        assert_eq!(config.capabilities, ["launch-standalone", "client-public"]);
        let all = config.warnings.join("\n");
        for expected in ["relative", "not an array", "not strings", "S256", "plain"] {
            assert!(all.contains(expected), "{expected}: {all}");
        }
        Ok(())
    }

    #[test]
    fn unusable_configurations_say_why() {
        for (body, why) in [
            ("<html>Not found</html>", "not JSON"),
            ("[]", "not a JSON object"),
            (
                "{\"authorization_endpoint\": \"https://a/authorize\"}",
                "no token_endpoint",
            ),
        ] {
            let error = SmartConfiguration::from_well_known("https://payer.example/fhir", body)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.contains(why) && error.contains("payer.example/fhir"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_capability_statement_fallback_reads_oauth_uris() -> Result<()> {
        let body = r#"{"resourceType": "CapabilityStatement", "rest": [{"mode": "server",
            "security": {"extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
              "extension": [{"url": "authorize", "valueUri": "https://payer.example/authorize"},
                            {"url": "token", "valueUri": "https://payer.example/token"}]}]}}]}"#;
        let config =
            SmartConfiguration::from_capability_statement("https://payer.example/fhir", body)?;
        assert_eq!(config.source, DiscoverySource::CapabilityStatement);
        assert_eq!(config.token_endpoint, "https://payer.example/token");
        assert!(config.warnings[0].contains("deprecated"));
        let none = SmartConfiguration::from_capability_statement(
            "https://payer.example/fhir",
            r#"{"resourceType": "CapabilityStatement", "rest": [{"mode": "server"}]}"#,
        );
        assert!(none.is_err_and(|e| e.to_string().contains("oauth-uris")));
        Ok(())
    }
}
