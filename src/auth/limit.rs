//! Login attempt limits per client address and per email (SPEC §6), and signups per client
//! address (SPEC §10), kept in memory.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    time::Duration,
};

use axum::http::HeaderMap;

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

/// The address a login attempt is counted against.
///
/// Each of the `trusted_hops` proxies in front of tudu appends the address it received the
/// request from to `X-Forwarded-For`, so the client is the entry the outermost of them wrote:
/// the `trusted_hops`-th from the right. Entries further left come from the client and are
/// ignored (anyone can send them). With fewer entries than hops, the leftmost is used; without a
/// readable one, or with `trusted_hops` 0, the TCP peer.
#[must_use]
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_hops: usize) -> IpAddr {
    if trusted_hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    entries
        .get(entries.len().saturating_sub(trusted_hops))
        .and_then(|entry| {
            entry
                .parse::<IpAddr>()
                .or_else(|_| entry.parse::<SocketAddr>().map(|with_port| with_port.ip()))
                .ok()
        })
        .unwrap_or(peer)
}

/// GCRA limiters: logins by client address and by email, signups by client address.
#[derive(Debug)]
pub struct AuthLimiter {
    by_address: Keyed<IpAddr>,
    by_email: Keyed<String>,
    /// `None` when `SIGNUP_RATE_LIMIT_PER_HOUR` is 0.
    signups: Option<(Keyed<IpAddr>, u32)>,
    clock: DefaultClock,
}

impl AuthLimiter {
    /// The login limits, and `signups_per_hour` per client address (0: unlimited).
    #[must_use]
    pub fn new(signups_per_hour: u32) -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            by_address: RateLimiter::keyed(per_minute(PER_ADDRESS_PER_MINUTE)),
            by_email: RateLimiter::keyed(per_minute(PER_EMAIL_PER_MINUTE)),
            signups: NonZeroU32::new(signups_per_hour)
                .map(|n| (RateLimiter::keyed(Quota::per_hour(n)), n.get())),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one login attempt.
    ///
    /// # Errors
    /// 429 with the wait when either budget is spent.
    pub fn check(&self, address: IpAddr, email: &str) -> Result<(), ApiError> {
        let email = email.trim().to_lowercase();
        let refused = match self.by_address.check_key(&address) {
            Err(not_until) => Some((not_until, PER_ADDRESS_PER_MINUTE, "address")),
            Ok(()) => self
                .by_email
                .check_key(&email)
                .err()
                .map(|n| (n, PER_EMAIL_PER_MINUTE, "email")),
        };
        match refused {
            None => Ok(()),
            Some((not_until, limit, name)) => Err(ApiError::rate_limited(
                not_until.wait_time_from(self.clock.now()),
                limit,
                name,
                format!(
                    "\"address\";q={PER_ADDRESS_PER_MINUTE};w=60, \
                     \"email\";q={PER_EMAIL_PER_MINUTE};w=60"
                ),
            )),
        }
    }

    /// Counts one signup from `address`.
    ///
    /// # Errors
    /// 429 with the wait when the address has used its hourly budget.
    pub fn check_signup(&self, address: IpAddr) -> Result<(), ApiError> {
        let Some((limiter, per_hour)) = &self.signups else {
            return Ok(());
        };
        limiter.check_key(&address).map_err(|not_until| {
            ApiError::rate_limited(
                not_until.wait_time_from(self.clock.now()),
                *per_hour,
                "address",
                format!("\"address\";q={per_hour};w=3600"),
            )
        })
    }

    /// Forgets idle keys so that memory stays bounded; call periodically.
    pub fn forget_idle(&self) {
        self.by_address.retain_recent();
        self.by_email.retain_recent();
        if let Some((signups, _)) = &self.signups {
            signups.retain_recent();
        }
    }
}

/// How often idle limiter keys are dropped.
pub const CLEANUP_EVERY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                "x-forwarded-for",
                value.parse().expect("a valid header value"),
            );
        }
        headers
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 9));

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let headers = forwarded(&["203.0.113.7"]);
        assert_eq!(client_address(PEER, &headers, 0), PEER);
    }

    #[test]
    fn the_entry_written_by_the_outermost_trusted_proxy_is_the_client() {
        // The client forged the first entry; one proxy appended the real address.
        let one = forwarded(&["198.51.100.1, 203.0.113.7"]);
        assert_eq!(client_address(PEER, &one, 1), ip("203.0.113.7"));
        // Two proxies: the outer one wrote the client, the inner one the outer proxy.
        let two = forwarded(&["198.51.100.1, 203.0.113.7", "10.0.0.2"]);
        assert_eq!(client_address(PEER, &two, 2), ip("203.0.113.7"));
    }

    #[test]
    fn short_or_unreadable_headers_fall_back_safely() {
        assert_eq!(
            client_address(PEER, &forwarded(&["203.0.113.7"]), 3),
            ip("203.0.113.7")
        );
        assert_eq!(client_address(PEER, &HeaderMap::new(), 1), PEER);
        assert_eq!(client_address(PEER, &forwarded(&["not an ip"]), 1), PEER);
        assert_eq!(
            client_address(PEER, &forwarded(&["[2001:db8::1]:443"]), 1),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(PEER, &forwarded(&["203.0.113.7:51000"]), 1),
            ip("203.0.113.7")
        );
    }
}
