//! Signing keys the tests make: an app's, or a test identity provider's.

#![allow(
    dead_code,
    reason = "each test file that includes this uses part of it"
)]

use base64::Engine;

/// A key pair, ES384 (P-384) or RS256/RS384 (RSA 2048): the signing key and the public
/// JWK Set (kid `<alg>-key`), for an app's client assertions or a test identity
/// provider's `id_token`s.
pub(crate) fn signing_key(
    alg: jsonwebtoken::Algorithm,
) -> Result<(jsonwebtoken::EncodingKey, String), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair};
    let key = match alg {
        jsonwebtoken::Algorithm::RS256 | jsonwebtoken::Algorithm::RS384 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| "keygen".to_owned())?;
            let der = pair.as_der().map_err(|_| "pkcs8".to_owned())?;
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                base64::engine::general_purpose::STANDARD.encode(der.as_ref())
            );
            jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| text(&e))?
        }
        _ => {
            let pair = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
                .map_err(|_| "keygen".to_owned())?;
            let der = pair.to_pkcs8v1().map_err(|_| "pkcs8".to_owned())?;
            jsonwebtoken::EncodingKey::from_ec_der(der.as_ref())
        }
    };
    let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, alg).map_err(|e| text(&e))?;
    jwk.common.key_id = Some(format!("{alg:?}-key"));
    let set = jsonwebtoken::jwk::JwkSet { keys: vec![jwk] };
    Ok((key, serde_json::to_string(&set).map_err(|e| text(&e))?))
}
