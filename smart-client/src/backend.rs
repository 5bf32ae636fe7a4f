//! Asymmetric client authentication (SMART App Launch 2.2 section 2.1.2,
//! `client-confidential-asymmetric`) and SMART Backend Services (section 5): a
//! [`SigningKey`] (ES384 or RS384, which SMART requires clients to support both of), the
//! public JWK Set an app registers, and the signed client assertions the token endpoint
//! takes in place of a secret. Native only: a private key has no place in a browser, and
//! Backend Services run on servers.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::error::{Error, Result};

/// How long an assertion is valid: SMART allows at most five minutes; four leave room for
/// clocks that differ a little.
const ASSERTION_LIFETIME: u64 = 240;

/// The `client_assertion_type` of a JWT assertion (RFC 7523).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The signature algorithms of client assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// ECDSA on P-384 with SHA-384 (the default: small keys, fast).
    Es384,
    /// RSASSA-PKCS1-v1_5 with SHA-384, for servers that take no ES384.
    Rs384,
}

impl SigningAlgorithm {
    fn jwt(self) -> Algorithm {
        match self {
            SigningAlgorithm::Es384 => Algorithm::ES384,
            SigningAlgorithm::Rs384 => Algorithm::RS384,
        }
    }
}

/// A private key that signs client assertions, with its key id and public JWK. `Debug`
/// shows neither the key nor anything derived from it but the key id.
#[derive(Clone)]
pub struct SigningKey {
    algorithm: SigningAlgorithm,
    kid: String,
    encoding: EncodingKey,
    public: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key (P-384, or RSA 2048 for RS384), with its PKCS#8 PEM to keep it.
    pub fn generate(algorithm: SigningAlgorithm) -> Result<(SigningKey, String)> {
        use aws_lc_rs::encoding::AsDer;
        let failed = |what: &str| Error::Key(format!("{what} failed"));
        let der = match algorithm {
            SigningAlgorithm::Es384 => {
                let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(
                    &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                )
                .map_err(|_| failed("P-384 key generation"))?;
                pair.to_pkcs8v1()
                    .map_err(|_| failed("PKCS#8 encoding"))?
                    .as_ref()
                    .to_vec()
            }
            SigningAlgorithm::Rs384 => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| failed("RSA key generation"))?;
                pair.as_der()
                    .map_err(|_| failed("PKCS#8 encoding"))?
                    .as_ref()
                    .to_vec()
            }
        };
        let body = STANDARD.encode(&der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .filter_map(|line| std::str::from_utf8(line).ok())
            .collect();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        );
        Ok((SigningKey::from_pkcs8_pem(algorithm, &pem)?, pem))
    }

    /// The key in `pem` (PKCS#8 `PRIVATE KEY`; PKCS#1 `RSA PRIVATE KEY` for RS384 too).
    /// Its key id is its RFC 7638 thumbprint until [`SigningKey::with_kid`] says
    /// otherwise.
    pub fn from_pkcs8_pem(algorithm: SigningAlgorithm, pem: &str) -> Result<SigningKey> {
        install_jwt_backend();
        let encoding = match algorithm {
            SigningAlgorithm::Es384 => EncodingKey::from_ec_pem(pem.as_bytes()),
            SigningAlgorithm::Rs384 => EncodingKey::from_rsa_pem(pem.as_bytes()),
        }
        .map_err(|e| Error::Key(format!("not a {algorithm:?} private key in PEM: {e}")))?;
        let mut public = Jwk::from_encoding_key(&encoding, algorithm.jwt())
            .map_err(|e| Error::Key(format!("no public key: {e}")))?;
        let kid = public
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| Error::Key(format!("no thumbprint: {e}")))?;
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(SigningKey {
            algorithm,
            kid,
            encoding,
            public,
        })
    }

    /// The same key under the key id `kid` (the one registered with the server).
    pub fn with_kid(mut self, kid: impl Into<String>) -> SigningKey {
        self.kid = kid.into();
        self.public.common.key_id = Some(self.kid.clone());
        self
    }

    /// The key id (`kid`) assertions carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK Set to register with the server (or to publish at the JWKS URL the
    /// app registered).
    pub fn public_jwks(&self) -> serde_json::Value {
        let set = JwkSet {
            keys: vec![self.public.clone()],
        };
        serde_json::to_value(set).unwrap_or_default()
    }

    /// A client assertion of `client_id` for `audience` (the token endpoint's URL), with
    /// a fresh `jti`, issued at `now` (Unix seconds) (SMART Backend Services section
    /// 5.1.2; RFC 7523 section 3).
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        jku: Option<&str>,
        now: u64,
    ) -> Result<String> {
        let mut jti = [0u8; 32];
        getrandom::fill(&mut jti).map_err(|e| Error::Randomness(e.to_string()))?;
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": URL_SAFE_NO_PAD.encode(jti),
        });
        let mut header = Header::new(self.algorithm.jwt());
        header.kid = Some(self.kid.clone());
        header.jku = jku.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| Error::Key(format!("signing the client assertion failed: {e}")))
    }
}

/// Uses the aws-lc backend of `jsonwebtoken` for the whole process unless the application
/// installed one already (with two backends enabled by feature unification and none
/// installed, `jsonwebtoken` panics at the first signature).
fn install_jwt_backend() {
    // An error means a provider is installed already: that one is used.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> u64 {
        crate::clock::Clock::now(&crate::clock::SystemClock)
    }

    #[test]
    fn assertions_carry_what_smart_requires_and_verify_with_the_published_key() -> Result<()> {
        for algorithm in [SigningAlgorithm::Es384, SigningAlgorithm::Rs384] {
            let (key, pem) = SigningKey::generate(algorithm)?;
            let again = SigningKey::from_pkcs8_pem(algorithm, &pem)?;
            assert_eq!(again.kid(), key.kid(), "the thumbprint is the key's");
            let jwks = key.public_jwks();
            assert_eq!(jwks["keys"][0]["kid"], key.kid());
            assert!(jwks["keys"][0].get("d").is_none(), "public only");
            let token = key.assertion("app-1", "https://payer.example/token", None, now())?;
            let set: JwkSet =
                serde_json::from_value(jwks).map_err(|e| Error::Key(e.to_string()))?;
            let decoding = jsonwebtoken::DecodingKey::from_jwk(&set.keys[0])
                .map_err(|e| Error::Key(e.to_string()))?;
            let mut validation = jsonwebtoken::Validation::new(algorithm.jwt());
            validation.set_audience(&["https://payer.example/token"]);
            validation.set_issuer(&["app-1"]);
            let data = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation)
                .map_err(|e| Error::Key(e.to_string()))?;
            let claims = data.claims;
            assert_eq!(claims["sub"], "app-1");
            let lifetime =
                claims["exp"].as_u64().unwrap_or(0) - claims["iat"].as_u64().unwrap_or(0);
            assert!(lifetime <= 300, "at most five minutes");
            assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
            let other = key.assertion("app-1", "https://payer.example/token", None, now())?;
            assert_ne!(token, other, "a fresh jti each time");
        }
        assert!(format!("{:?}", SigningKey::generate(SigningAlgorithm::Es384)?.0).contains("kid"));
        Ok(())
    }

    #[test]
    fn a_pem_that_is_not_a_key_says_so() {
        let error = SigningKey::from_pkcs8_pem(
            SigningAlgorithm::Es384,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        assert!(matches!(error, Err(Error::Key(why)) if why.contains("not a Es384 private key")));
    }
}
