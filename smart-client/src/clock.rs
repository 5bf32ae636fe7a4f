//! Wall-clock time for token expiry, behind a trait: `std::time::SystemTime::now()`
//! panics on wasm32-unknown-unknown, and tests need a clock they can move.

use crate::http::MaybeSend;

/// Unix time in seconds.
pub trait Clock: MaybeSend + std::fmt::Debug {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> u64;
}

/// The system's clock (the browser's `Date.now()` on wasm32).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(not(target_arch = "wasm32"))]
    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    #[cfg(target_arch = "wasm32")]
    fn now(&self) -> u64 {
        (js_sys::Date::now() / 1000.0) as u64
    }
}
