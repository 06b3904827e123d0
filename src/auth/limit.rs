//! Login attempt limits per client address and per email (SPEC §6), kept in memory.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
};

use crate::error::ApiError;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Attempts allowed per minute from one address (a burst, refilled evenly).
const PER_ADDRESS_PER_MINUTE: u32 = 60;
/// Attempts allowed per minute against one email.
const PER_EMAIL_PER_MINUTE: u32 = 10;

/// Two GCRA limiters: one keyed by client address, one by email.
#[derive(Debug)]
pub struct LoginLimiter {
    by_address: Keyed<IpAddr>,
    by_email: Keyed<String>,
    clock: DefaultClock,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            by_address: RateLimiter::keyed(per_minute(PER_ADDRESS_PER_MINUTE)),
            by_email: RateLimiter::keyed(per_minute(PER_EMAIL_PER_MINUTE)),
            clock: DefaultClock::default(),
        }
    }
}

impl LoginLimiter {
    /// Counts one attempt.
    ///
    /// # Errors
    /// 429 with the wait when either budget is spent.
    pub fn check(&self, address: IpAddr, email: &str) -> Result<(), ApiError> {
        let email = email.trim().to_lowercase();
        let refused = match self.by_address.check_key(&address) {
            Err(not_until) => Some((not_until, PER_ADDRESS_PER_MINUTE)),
            Ok(()) => self
                .by_email
                .check_key(&email)
                .err()
                .map(|n| (n, PER_EMAIL_PER_MINUTE)),
        };
        match refused {
            None => Ok(()),
            Some((not_until, limit)) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(ApiError::TooManyRequests {
                    retry_after_secs: wait.as_secs().max(1),
                    limit,
                })
            }
        }
    }

    /// Forgets idle keys so that memory stays bounded; call periodically.
    pub fn forget_idle(&self) {
        self.by_address.retain_recent();
        self.by_email.retain_recent();
    }
}

/// How often idle limiter keys are dropped.
pub const CLEANUP_EVERY: Duration = Duration::from_secs(60);
