//! When to try a request again, and how long to wait first: `Retry-After` (seconds or an
//! HTTP date) on 429 and 503, exponential backoff otherwise.

use std::time::Duration;

use crate::http::HttpResponse;

/// How often and how patiently requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Tries in all, the first included (1 = never retry).
    pub attempts: u32,
    /// The wait before the first retry when the server says nothing; doubled each time.
    pub base_delay: Duration,
    /// The longest wait: a `Retry-After` asking for longer is not waited for, and the
    /// answer goes to the caller.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four tries, from half a second, waiting at most a minute (Blue Button's SDKs try
    /// three times; Flexpa answers 429 while it is still syncing, for a while).
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn never() -> RetryPolicy {
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// `attempts` tries in all, waiting from `base_delay`, at most `max_delay`.
    pub fn new(attempts: u32, base_delay: Duration, max_delay: Duration) -> RetryPolicy {
        RetryPolicy {
            attempts: attempts.max(1),
            base_delay,
            max_delay,
        }
    }

    /// How long to wait before try number `attempt + 1` (`attempt` counts from 1) after
    /// `response` at `now` (Unix seconds), or `None` when it is not to be retried.
    /// `idempotent` requests are retried on 429, 502, 503 and 504; the others only on
    /// 429 and 503, which say the server did not act on the request.
    pub(crate) fn delay_after(
        &self,
        attempt: u32,
        response: &HttpResponse,
        idempotent: bool,
        now: u64,
    ) -> Option<Duration> {
        let retryable = match response.status {
            429 | 503 => true,
            502 | 504 => idempotent,
            _ => false,
        };
        if !retryable || attempt >= self.attempts {
            return None;
        }
        let delay = match response.header_value("Retry-After") {
            Some(value) => retry_after(value, now)?,
            None => self.backoff(attempt),
        };
        (delay <= self.max_delay).then_some(delay)
    }

    /// The wait before retrying after a transport failure (no answer at all).
    pub(crate) fn delay_after_failure(&self, attempt: u32) -> Option<Duration> {
        (attempt < self.attempts).then(|| self.backoff(attempt).min(self.max_delay))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
    }
}

/// A `Retry-After` value (RFC 9110 section 10.2.3): delay-seconds or an HTTP date.
fn retry_after(value: &str, now: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = u64::try_from(date.timestamp()).ok()?;
    Some(Duration::from_secs(at.saturating_sub(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> HttpResponse {
        let mut response = HttpResponse::new(status, "");
        if let Some(value) = retry_after {
            response
                .headers
                .push(("retry-after".to_owned(), value.to_owned()));
        }
        response
    }

    #[test]
    fn retry_after_is_honoured_in_seconds_and_as_a_date() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay_after(1, &response(429, Some("3")), true, 0),
            Some(Duration::from_secs(3))
        );
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
        assert_eq!(
            policy.delay_after(
                1,
                &response(503, Some("Sun, 06 Nov 1994 08:49:37 GMT")),
                false,
                784_111_770
            ),
            Some(Duration::from_secs(7))
        );
        // Longer than the policy waits: the answer goes to the caller.
        assert_eq!(
            policy.delay_after(1, &response(429, Some("3600")), true, 0),
            None
        );
    }

    #[test]
    fn backoff_doubles_and_stops_after_the_last_attempt() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..=4)
            .map(|n| policy.delay_after(n, &response(502, None), true, 0))
            .collect();
        assert_eq!(
            delays,
            [
                Some(Duration::from_millis(500)),
                Some(Duration::from_secs(1)),
                Some(Duration::from_secs(2)),
                None
            ]
        );
        // A 502 to a POST may have been acted on: not retried.
        assert_eq!(policy.delay_after(1, &response(502, None), false, 0), None);
        assert_eq!(policy.delay_after(1, &response(404, None), true, 0), None);
        assert_eq!(
            RetryPolicy::never().delay_after(1, &response(503, None), true, 0),
            None
        );
    }
}
