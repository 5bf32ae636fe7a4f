//! Time-based one-time passwords (RFC 6238, over RFC 4226's HOTP), the second factor of the
//! local member directory: sans-IO (the caller passes the time and remembers the last
//! time step used), so the tests run on RFC 6238's own vectors with fixed clocks.
//!
//! What an authenticator app needs is [`Totp::provisioning_uri`] (the `otpauth://` URI
//! a QR code carries, the secret in base32). Verification accepts the current time step
//! and one on either side (RFC 6238 section 5.2 recommends at most one step of drift),
//! and never a step at or before the last one accepted, so a code cannot be used twice
//! (section 5.2: "the verifier MUST NOT accept the second attempt of the same OTP").

use aws_lc_rs::hmac;

/// The HMAC hash of a TOTP (RFC 6238 section 1.2: SHA-1, SHA-256 or SHA-512).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1: what every authenticator app supports, and the default.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl TotpAlgorithm {
    fn hmac(self) -> hmac::Algorithm {
        match self {
            TotpAlgorithm::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            TotpAlgorithm::Sha256 => hmac::HMAC_SHA256,
            TotpAlgorithm::Sha512 => hmac::HMAC_SHA512,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA1",
            TotpAlgorithm::Sha256 => "SHA256",
            TotpAlgorithm::Sha512 => "SHA512",
        }
    }
}

/// A member's TOTP generator: the shared secret and its parameters.
#[derive(Clone, PartialEq, Eq)]
pub struct Totp {
    secret: Vec<u8>,
    algorithm: TotpAlgorithm,
    digits: u32,
    period_s: u64,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Totp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period_s", &self.period_s)
            .finish_non_exhaustive()
    }
}

impl Totp {
    /// A generator with authenticator apps' defaults: HMAC-SHA-1, 6 digits, 30 seconds.
    pub fn new(secret: Vec<u8>) -> Totp {
        Totp {
            secret,
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period_s: 30,
        }
    }

    /// A new random secret (160 bits, RFC 4226 section 4's recommended length) with the
    /// defaults of [`Totp::new`], for enrolling a member.
    pub fn generate() -> Totp {
        let mut secret = vec![0u8; 20];
        if aws_lc_rs::rand::fill(&mut secret).is_err() {
            panic!("the system random number generator failed");
        }
        Totp::new(secret)
    }

    /// With `algorithm` in place of HMAC-SHA-1.
    pub fn with_algorithm(mut self, algorithm: TotpAlgorithm) -> Totp {
        self.algorithm = algorithm;
        self
    }

    /// With `digits` digits (6 to 8; clamped) in place of 6.
    pub fn with_digits(mut self, digits: u32) -> Totp {
        self.digits = digits.clamp(6, 8);
        self
    }

    /// The secret, to store (encrypted or as the store keeps secrets it must use again).
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The secret in base32, as a member types it into an authenticator app.
    pub fn secret_base32(&self) -> String {
        base32(&self.secret)
    }

    /// A generator with the defaults of [`Totp::new`] over a base32 secret (any case;
    /// spaces, dashes and `=` padding ignored); `None` when it is not base32 or empty.
    pub fn from_base32(secret: &str) -> Option<Totp> {
        let mut bytes = Vec::with_capacity(secret.len() * 5 / 8);
        let (mut buffer, mut bits) = (0u32, 0u32);
        for c in secret.bytes().filter(|c| !matches!(c, b' ' | b'-' | b'=')) {
            let value = match c.to_ascii_uppercase() {
                c @ b'A'..=b'Z' => c - b'A',
                c @ b'2'..=b'7' => c - b'2' + 26,
                _ => return None,
            };
            buffer = (buffer << 5) | u32::from(value);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push((buffer >> bits) as u8);
            }
        }
        (!bytes.is_empty()).then(|| Totp::new(bytes))
    }

    /// The time step of `unix_s` (seconds since the epoch): RFC 6238's `T`, with `T0` = 0.
    pub fn step(&self, unix_s: u64) -> u64 {
        unix_s / self.period_s
    }

    /// The code of time step `step` (RFC 4226 section 5.3, dynamic truncation).
    fn code_of_step(&self, step: u64) -> String {
        let key = hmac::Key::new(self.algorithm.hmac(), &self.secret);
        let mac = hmac::sign(&key, &step.to_be_bytes());
        let mac = mac.as_ref();
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        let code = binary % 10u32.pow(self.digits);
        format!("{code:0width$}", width = self.digits as usize)
    }

    /// The code at `unix_s`.
    pub fn code_at(&self, unix_s: u64) -> String {
        self.code_of_step(self.step(unix_s))
    }

    /// Checks `code` at `unix_s`, against the current step and one on either side, never
    /// at or before `last_used_step` (the step of the last code accepted, which the
    /// caller keeps): the step matched, to remember as the new last one, or `None`.
    pub fn verify(&self, code: &str, unix_s: u64, last_used_step: Option<u64>) -> Option<u64> {
        let code = code.trim();
        if code.len() != self.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = self.step(unix_s);
        (now.saturating_sub(1)..=now.saturating_add(1))
            .filter(|step| last_used_step.is_none_or(|last| *step > last))
            .find(|step| {
                aws_lc_rs::constant_time::verify_slices_are_equal(
                    self.code_of_step(*step).as_bytes(),
                    code.as_bytes(),
                )
                .is_ok()
            })
    }

    /// The `otpauth://totp/` URI an authenticator app reads (from a QR code): the label
    /// `issuer:account`, the secret in base32 without padding, and the parameters.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let encode = crate::http::encode_component;
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
            encode(issuer),
            encode(account),
            base32(&self.secret),
            encode(issuer),
            self.algorithm.name(),
            self.digits,
            self.period_s
        )
    }
}

/// RFC 4648 base32 (upper case, no padding), as authenticator apps read secrets.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the seeds, and for each time the 8-digit codes of SHA-1,
    /// SHA-256 and SHA-512.
    #[test]
    fn the_rfc_6238_test_vectors() {
        let sha1 = Totp::new(b"12345678901234567890".to_vec()).with_digits(8);
        let sha256 = Totp::new(b"12345678901234567890123456789012".to_vec())
            .with_algorithm(TotpAlgorithm::Sha256)
            .with_digits(8);
        let sha512 =
            Totp::new(b"1234567890123456789012345678901234567890123456789012345678901234".to_vec())
                .with_algorithm(TotpAlgorithm::Sha512)
                .with_digits(8);
        let vectors: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (time, a, b, c) in vectors {
            assert_eq!(sha1.code_at(time), a, "SHA-1 at {time}");
            assert_eq!(sha256.code_at(time), b, "SHA-256 at {time}");
            assert_eq!(sha512.code_at(time), c, "SHA-512 at {time}");
        }
        // Six digits are the last six of the same number (RFC 4226 Appendix D: 755224
        // is HOTP counter 0 of the SHA-1 seed).
        let six = Totp::new(b"12345678901234567890".to_vec());
        assert_eq!(six.code_of_step(0), "755224");
        assert_eq!(six.code_at(59), "287082");
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_only_once() {
        let totp = Totp::new(b"12345678901234567890".to_vec());
        let now = 1_111_111_111;
        let code = totp.code_at(now);
        let step = totp.step(now);
        // Clocks a step apart either way still agree.
        assert_eq!(totp.verify(&code, now + 30, None), Some(step));
        assert_eq!(totp.verify(&code, now - 30, None), Some(step));
        assert_eq!(totp.verify(&code, now + 60, None), None, "two steps late");
        // Used once: not again, nor an older one.
        assert_eq!(totp.verify(&code, now, Some(step)), None);
        let previous = totp.code_at(now - 30);
        assert_eq!(totp.verify(&previous, now, Some(step)), None);
        // The next step's code still works after this one.
        assert_eq!(
            totp.verify(&totp.code_at(now + 30), now + 30, Some(step)),
            Some(step + 1)
        );
        // Malformed input is refused without comparing.
        for bad in ["", "12345", "1234567", "abcdef", "12 456"] {
            assert_eq!(totp.verify(bad, now, None), None, "{bad:?}");
        }
        assert_eq!(
            totp.verify(&format!(" {code} "), now, None),
            Some(step),
            "spaces trimmed"
        );
    }

    #[test]
    fn the_provisioning_uri_carries_the_secret_in_base32() {
        // RFC 4648 section 10's base32 vectors, without padding.
        for (input, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), encoded, "{input:?}");
            if !input.is_empty() {
                assert_eq!(
                    Totp::from_base32(&encoded.to_lowercase()).map(|t| t.secret().to_vec()),
                    Some(input.as_bytes().to_vec()),
                    "{encoded} decodes back"
                );
            }
        }
        assert_eq!(
            Totp::from_base32("MZXW 6YTB-OI======").map(|t| t.secret().to_vec()),
            Some(b"foobar".to_vec()),
            "spaces, dashes and padding are ignored"
        );
        assert_eq!(Totp::from_base32("MZ1W"), None, "1 is not base32");
        assert_eq!(Totp::from_base32(""), None);
        let totp = Totp::new(b"12345678901234567890".to_vec());
        assert_eq!(
            totp.provisioning_uri("Cascade Health", "member001@example.org"),
            "otpauth://totp/Cascade%20Health:member001%40example.org\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Cascade%20Health\
             &algorithm=SHA1&digits=6&period=30"
        );
        assert!(
            !format!("{totp:?}").contains("49, 50, 51"),
            "Debug shows no secret"
        );
        assert_eq!(Totp::generate().secret().len(), 20);
        assert_ne!(Totp::generate(), Totp::generate());
    }
}
