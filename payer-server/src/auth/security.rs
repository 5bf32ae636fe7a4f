//! The local directory's second factor and lockout, sans-IO: a member's
//! [`MemberSecurity`] (kept on their [`super::MemberRecord`]) and the pure steps that
//! change it, each given the time. The endpoints read the record, compute the next one
//! here and store it with [`super::AuthStore::swap_member_security`], so two sign-ins
//! racing cannot both spend one code.
//!
//! - Two-step sign-in is TOTP (RFC 6238, [`super::totp`]) with ten single-use recovery
//!   codes, kept as their SHA-256 (80 random bits each, so a digest is not reversible by
//!   search).
//! - Failed passwords and codes count against the member; at [`Lockout::threshold`] in a
//!   row, sign-in is refused for [`Lockout::duration`] whatever is typed (six digits
//!   cannot be guessed at five tries per quarter hour: at most 480 a day of a million).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::crypto;
use super::totp::Totp;

/// How many recovery codes an enrollment gives.
const RECOVERY_CODES: usize = 10;

/// When members give a second factor (local directory only: an upstream identity
/// provider runs its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MfaPolicy {
    /// Never: the password alone.
    Off,
    /// Members who set up two-step sign-in (on the connected apps page) give a code
    /// before they consent to an app they have not connected yet (a step-up), and when
    /// they sign in to the connected apps page. The default.
    #[default]
    WhenEnrolled,
    /// Every member gives a code before consenting to an app they have not connected
    /// yet; a member who has not set up two-step sign-in sets it up then.
    Required,
}

impl MfaPolicy {
    /// `off`, `when-enrolled` or `required`.
    pub fn from_code(code: &str) -> Option<MfaPolicy> {
        match code.trim() {
            "off" => Some(MfaPolicy::Off),
            "when-enrolled" => Some(MfaPolicy::WhenEnrolled),
            "required" => Some(MfaPolicy::Required),
            _ => None,
        }
    }
}

/// How many failures in a row lock a member out, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lockout {
    /// Failed passwords or codes in a row that lock the account: 5 by default.
    pub threshold: u32,
    /// How long it stays locked: 15 minutes by default.
    pub duration: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout {
            threshold: 5,
            duration: Duration::from_secs(15 * 60),
        }
    }
}

impl Lockout {
    /// `threshold` failures in a row lock the account for `duration` (a threshold of 0
    /// is taken as 1).
    pub fn new(threshold: u32, duration: Duration) -> Lockout {
        Lockout {
            threshold: threshold.max(1),
            duration,
        }
    }
}

/// A member's second factor and failed attempts.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MemberSecurity {
    /// The TOTP secret, base32, once the member set up two-step sign-in. It is a secret
    /// the server must use again, so it is kept as is: protect the database (encryption
    /// at rest, access) as the tokens' digests alone would not need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
    /// The time step of the last code accepted: no code of it or before is accepted again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_totp_step: Option<u64>,
    /// The SHA-256 (hex) of each unused recovery code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes_sha256: Vec<String>,
    /// Failed passwords or codes since the last success or lock.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Locked until then (milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until_ms: Option<i64>,
}

impl std::fmt::Debug for MemberSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("MemberSecurity")
            .field("enrolled", &self.totp_secret.is_some())
            .field("recovery_codes", &self.recovery_codes_sha256.len())
            .field("failed_attempts", &self.failed_attempts)
            .field("locked_until_ms", &self.locked_until_ms)
            .finish_non_exhaustive()
    }
}

/// Which second factor a code was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FactorUsed {
    /// A one-time code from the authenticator app.
    Totp,
    /// A recovery code, now spent.
    RecoveryCode,
}

impl MemberSecurity {
    /// Whether the member set up two-step sign-in.
    pub fn enrolled(&self) -> bool {
        self.totp_secret.is_some()
    }

    /// Until when sign-in is refused, if it is at `now_ms`.
    pub fn locked_until(&self, now_ms: i64) -> Option<i64> {
        self.locked_until_ms.filter(|until| *until > now_ms)
    }

    /// After a wrong password or code at `now_ms`: one more failure, and a lock once
    /// `lockout.threshold` are in a row (the count starts again after it).
    pub fn after_failure(&self, now_ms: i64, lockout: Lockout) -> MemberSecurity {
        let mut next = self.clone();
        next.failed_attempts += 1;
        if next.failed_attempts >= lockout.threshold {
            next.failed_attempts = 0;
            next.locked_until_ms =
                Some(now_ms.saturating_add(
                    i64::try_from(lockout.duration.as_millis()).unwrap_or(i64::MAX),
                ));
        }
        next
    }

    /// After a success: no failures counted.
    pub fn after_success(&self) -> MemberSecurity {
        MemberSecurity {
            failed_attempts: 0,
            locked_until_ms: None,
            ..self.clone()
        }
    }

    /// Without the second factor: no secret, no recovery codes (support staff reset it for
    /// a member who lost their phone and their codes); failures and a lock stay.
    pub fn without_second_factor(&self) -> MemberSecurity {
        MemberSecurity {
            totp_secret: None,
            last_totp_step: None,
            recovery_codes_sha256: Vec::new(),
            ..self.clone()
        }
    }

    /// Checks a code typed at `now_ms`: a TOTP code of a time step after the last one
    /// used, or an unused recovery code. The record to store (the step or the recovery
    /// code spent, failures cleared) and which it was; `None` when it is neither.
    pub fn check_code(&self, code: &str, now_ms: i64) -> Option<(MemberSecurity, FactorUsed)> {
        let totp = self.totp_secret.as_deref().and_then(Totp::from_base32)?;
        let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
        if let Some(step) = totp.verify(code, now_s, self.last_totp_step) {
            let mut next = self.after_success();
            next.last_totp_step = Some(step);
            return Some((next, FactorUsed::Totp));
        }
        let digest = crypto::token_key(&normalize_recovery_code(code));
        let index = self
            .recovery_codes_sha256
            .iter()
            .position(|kept| crypto::constant_time_eq(kept.as_bytes(), digest.as_bytes()))?;
        let mut next = self.after_success();
        next.recovery_codes_sha256.remove(index);
        Some((next, FactorUsed::RecoveryCode))
    }

    /// Sets up two-step sign-in with the base32 `secret` the member confirmed by typing
    /// `code` at `now_ms`: the record to store and the new recovery codes (shown to the
    /// member once; only their digests are kept). `None` when the code is wrong.
    pub fn enroll(
        &self,
        secret: &str,
        code: &str,
        now_ms: i64,
    ) -> Option<(MemberSecurity, Vec<String>)> {
        let totp = Totp::from_base32(secret)?;
        let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
        let step = totp.verify(code, now_s, None)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let next = MemberSecurity {
            totp_secret: Some(totp.secret_base32()),
            last_totp_step: Some(step),
            recovery_codes_sha256: codes
                .iter()
                .map(|c| crypto::token_key(&normalize_recovery_code(c)))
                .collect(),
            failed_attempts: 0,
            locked_until_ms: None,
        };
        Some((next, codes))
    }
}

/// A recovery code: 80 random bits, base32 in four groups (`ABCD-EFGH-JKLM-NPQR`).
fn recovery_code() -> String {
    let text = Totp::generate().secret_base32();
    let chars: Vec<char> = text.chars().take(16).collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A recovery code as typed, in the form its digest was taken of: upper case, no
/// spaces or dashes.
fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// RFC 6238 Appendix B's SHA-1 seed, as a member's secret.
    const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn code_at(now_ms: i64) -> String {
        Totp::from_base32(SECRET)
            .unwrap()
            .code_at(u64::try_from(now_ms / 1000).unwrap())
    }

    #[test]
    fn enrolment_needs_the_right_code_and_gives_single_use_recovery_codes() {
        let now = 1_111_111_109_000;
        // RFC 6238 Appendix B: 07081804 at 1111111109 s; six digits are its last six.
        assert_eq!(code_at(now), "081804");
        assert!(
            MemberSecurity::default()
                .enroll(SECRET, "000000", now)
                .is_none()
        );
        let (security, codes) = MemberSecurity::default()
            .enroll(SECRET, "081804", now)
            .unwrap();
        assert!(security.enrolled());
        assert_eq!(codes.len(), 10);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 19 && c.matches('-').count() == 3)
        );
        assert!(
            !serde_json::to_string(&security)
                .unwrap()
                .contains(&codes[0]),
            "only digests are kept"
        );
        assert!(
            security.check_code("081804", now).is_none(),
            "the enrolment's code is spent"
        );

        // A recovery code works once, typed in any case and spacing.
        let typed = codes[3].to_lowercase().replace('-', " ");
        let (after, used) = security.check_code(&typed, now).unwrap();
        assert_eq!(used, FactorUsed::RecoveryCode);
        assert_eq!(after.recovery_codes_sha256.len(), 9);
        assert!(after.check_code(&codes[3], now).is_none(), "single use");
        assert!(after.check_code(&codes[4], now).is_some());
    }

    #[test]
    fn codes_are_accepted_once_within_one_step_of_drift() {
        let enrolled_at = 1_234_567_890_000;
        let (security, _) = MemberSecurity::default()
            .enroll(SECRET, &code_at(enrolled_at), enrolled_at)
            .unwrap();
        let later = enrolled_at + 5 * 60_000;
        // The code of the step before `later` is still accepted (the member's clock is
        // behind), and then neither it nor an earlier one is.
        let behind = code_at(later - 30_000);
        let (after, used) = security.check_code(&behind, later).unwrap();
        assert_eq!(used, FactorUsed::Totp);
        assert!(after.check_code(&behind, later).is_none(), "no second use");
        assert!(after.check_code(&code_at(later), later).is_some());
        assert!(
            security
                .check_code(&code_at(later - 90_000), later)
                .is_none(),
            "three steps behind is too far"
        );
        assert!(
            MemberSecurity::default()
                .check_code(&code_at(later), later)
                .is_none(),
            "no code works before enrolment"
        );
    }

    #[test]
    fn failures_in_a_row_lock_for_the_duration_and_a_success_clears_them() {
        let lockout = Lockout::new(3, Duration::from_secs(600));
        let now = 1_000_000;
        let mut security = MemberSecurity::default();
        for _ in 0..2 {
            security = security.after_failure(now, lockout);
        }
        assert_eq!(security.locked_until(now), None);
        assert_eq!(security.after_success().failed_attempts, 0);
        security = security.after_failure(now, lockout);
        assert_eq!(security.locked_until(now), Some(now + 600_000));
        assert_eq!(security.locked_until(now + 599_999), Some(now + 600_000));
        assert_eq!(security.locked_until(now + 600_000), None, "over after");
        assert_eq!(security.failed_attempts, 0, "the count starts again");
        assert!(!format!("{security:?}").contains("totp_secret"));
    }
}
