//! The cryptography of the authorization server, all from audited libraries: random
//! secrets and SHA-256 (aws-lc), argon2id password hashes (RustCrypto `argon2`), JWT
//! signing and verification (`jsonwebtoken` on its aws-lc backend), PKCE S256 (RFC 7636).

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::store::{AuthStore, SigningKey};
use crate::error::{Error, Result};

/// Uses the aws-lc backend of `jsonwebtoken` for the whole process, unless the embedding
/// application chose one already (with two backends enabled by feature unification, and
/// none installed, `jsonwebtoken` would panic at the first signature).
pub(crate) fn install_jwt_backend() {
    // An error means a provider is installed already: that one is used.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

/// A new secret: 256 random bits, base64url (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // aws-lc's generator reads the operating system's entropy and does not fail once
    // initialised; an all-zero token would be caught by nothing, so fail loudly instead.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        panic!("the system random number generator failed");
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The key a secret is stored under: its SHA-256, hex.
pub(crate) fn token_key(token: &str) -> String {
    digest(&SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `verifier` is a valid PKCE code verifier (RFC 7636 section 4.1: 43 to 128
/// unreserved characters) whose S256 challenge is `challenge`.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && constant_time_eq(pkce_challenge(verifier).as_bytes(), challenge.as_bytes())
}

/// The S256 challenge of `verifier`: BASE64URL(SHA256(verifier)), no padding.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()).as_ref())
}

/// Compares secrets without an early exit.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An argon2id hash (PHC string) of `password`, with the crate's default parameters
/// (19 MiB, 2 passes: OWASP's recommended minimum).
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::Store("no randomness".to_owned()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Store(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Store(format!("password hashing failed: {e}")))
}

/// An argon2id hash (the default parameters) of a password nobody knows, checked for
/// unknown user names so that the time a sign-in takes does not tell which exist.
pub(crate) const UNKNOWN_MEMBER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$HkqkZ+HqnKb5EMT+SfDYJqBJhwi9tqG0NW8ATqUJKzM";

/// Whether `password` matches the argon2 `hash`.
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The server's `id_token` keys: one RSA (RS256, the OpenID Connect default that every
/// relying party supports) and one P-384 (ES384). Both are published in the JWKS.
#[derive(Clone)]
pub(crate) struct Keys {
    keys: Vec<(SigningKey, EncodingKey, Jwk)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

fn key_error(e: impl std::fmt::Display) -> Error {
    Error::Store(format!("signing key: {e}"))
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn generate(alg: &str) -> Result<SigningKey> {
    use aws_lc_rs::encoding::AsDer;
    let der = match alg {
        "RS256" => aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(key_error)?
            .as_der()
            .map_err(key_error)?
            .as_ref()
            .to_vec(),
        _ => aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        )
        .map_err(key_error)?
        .to_pkcs8v1()
        .map_err(key_error)?
        .as_ref()
        .to_vec(),
    };
    let kid = token_key(&URL_SAFE_NO_PAD.encode(&der))[..16].to_owned();
    Ok(SigningKey {
        kid,
        alg: alg.to_owned(),
        pem: pem("PRIVATE KEY", &der),
    })
}

fn algorithm(alg: &str) -> Result<Algorithm> {
    match alg {
        "RS256" => Ok(Algorithm::RS256),
        "ES384" => Ok(Algorithm::ES384),
        other => Err(key_error(format!(
            "{other} is not an id_token algorithm of this server"
        ))),
    }
}

impl Keys {
    /// The keys in `store`, creating (and storing) any that is missing. Replicas that
    /// start together on an empty store may each create one of an algorithm; each reads
    /// the keys again after storing its own, so all of them know the first one stored,
    /// which is the one they sign with ([`Keys::sign`]).
    pub(crate) async fn load_or_create(store: &impl AuthStore) -> Result<Keys> {
        install_jwt_backend();
        let mut stored = store.signing_keys().await?;
        let mut created = false;
        for alg in ["RS256", "ES384"] {
            if !stored.iter().any(|k| k.alg == alg) {
                store.put_signing_key(generate(alg)?).await?;
                created = true;
            }
        }
        if created {
            stored = store.signing_keys().await?;
        }
        let keys = stored
            .into_iter()
            .map(|key| {
                let alg = algorithm(&key.alg)?;
                let encoding = match alg {
                    Algorithm::RS256 => EncodingKey::from_rsa_pem(key.pem.as_bytes()),
                    _ => EncodingKey::from_ec_pem(key.pem.as_bytes()),
                }
                .map_err(key_error)?;
                let mut jwk = Jwk::from_encoding_key(&encoding, alg).map_err(key_error)?;
                jwk.common.key_id = Some(key.kid.clone());
                jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
                Ok((key, encoding, jwk))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Keys { keys })
    }

    /// The public keys, as a JWK Set.
    pub(crate) fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().map(|(_, _, jwk)| jwk.clone()).collect(),
        }
    }

    /// `claims` signed with the oldest key of `alg`: the one every replica knows.
    pub(crate) fn sign(&self, alg: &str, claims: &impl Serialize) -> Result<String> {
        let (key, encoding, _) = self
            .keys
            .iter()
            .find(|(k, _, _)| k.alg == alg)
            .ok_or_else(|| key_error(format!("no {alg} key")))?;
        let mut header = Header::new(algorithm(alg)?);
        header.kid = Some(key.kid.clone());
        header.typ = Some("JWT".to_owned());
        jsonwebtoken::encode(&header, claims, encoding).map_err(key_error)
    }
}

/// The claims of a client assertion (SMART App Launch 2.2, "Client Authentication:
/// Asymmetric"; RFC 7523).
#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    exp: i64,
    jti: String,
}

/// What a valid client assertion says.
#[derive(Debug)]
pub(crate) struct Assertion {
    pub(crate) jti: String,
    pub(crate) exp_ms: i64,
}

/// Longest assertion lifetime accepted (SMART Backend Services: "no more than five minutes
/// in the future").
const MAX_ASSERTION_LIFETIME_S: i64 = 300;

/// Checks a client assertion of `client_id` against its JWK Set `jwks`: RS384 or ES384,
/// signed by one of its keys, `iss` = `sub` = `client_id`, `aud` = `token_url`, `exp` in
/// the future but at most five minutes away, a `jti`. The replay check is the caller's.
pub(crate) fn verify_assertion(
    assertion: &str,
    client_id: &str,
    jwks: &str,
    token_url: &str,
    now_ms: i64,
) -> std::result::Result<Assertion, String> {
    install_jwt_backend();
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|e| format!("the client assertion is not a JWT: {e}"))?;
    if !matches!(header.alg, Algorithm::RS384 | Algorithm::ES384) {
        return Err(format!(
            "the client assertion is signed with {:?}; RS384 or ES384 is required",
            header.alg
        ));
    }
    let set: JwkSet = serde_json::from_str(jwks)
        .map_err(|e| format!("the registered JWK Set does not parse: {e}"))?;
    let candidates: Vec<&Jwk> = match &header.kid {
        Some(kid) => set.find(kid).into_iter().collect(),
        None => set.keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(format!(
            "no registered key has the assertion's kid {:?}",
            header.kid.unwrap_or_default()
        ));
    }
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[token_url]);
    validation.set_issuer(&[client_id]);
    validation.set_required_spec_claims(&["iss", "sub", "aud", "exp", "jti"]);
    // Expiry is checked below against the server's clock.
    validation.validate_exp = false;
    let mut last_error = String::new();
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        match jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) {
            Ok(data) => {
                let claims = data.claims;
                if claims.sub != claims.iss {
                    return Err("the client assertion's sub differs from its iss".to_owned());
                }
                let now = now_ms / 1000;
                if claims.exp <= now {
                    return Err("the client assertion has expired".to_owned());
                }
                if claims.exp > now + MAX_ASSERTION_LIFETIME_S + 60 {
                    return Err(
                        "the client assertion's exp is more than five minutes away".to_owned()
                    );
                }
                if claims.jti.is_empty() {
                    return Err("the client assertion has no jti".to_owned());
                }
                return Ok(Assertion {
                    jti: claims.jti,
                    exp_ms: claims.exp * 1000,
                });
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(format!(
        "the client assertion does not verify: {last_error}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            pkce_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        // `plain`: the challenge itself as the verifier.
        assert!(!pkce_matches(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches("short", &pkce_challenge("short")));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        // The stand-in for unknown members parses with the same parameters, so checking
        // it costs as much as checking a member's.
        let params = |h: &str| {
            argon2::password_hash::PasswordHash::new(h)
                .map(|p| p.params.to_string())
                .unwrap_or_default()
        };
        assert_eq!(params(UNKNOWN_MEMBER_HASH), params(&hash));
        assert!(!params(&hash).is_empty());
    }

    #[test]
    fn tokens_are_random_and_stored_by_digest() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_key(&a).len(), 64);
        assert_ne!(token_key(&a), a);
    }
}
