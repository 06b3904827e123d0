//! What a connection is doing, for its time limits: receiving a request head, serving a
//! request, or idle between requests.

use std::sync::{
    Arc,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

use tokio::time::Instant;

use crate::config::ConnectionLimits;

/// No request head is being received.
const NO_HEAD: u64 = u64::MAX;

/// A connection's activity, shared by its socket, its requests and its watchdog. Times are
/// milliseconds since `origin`.
pub struct Activity {
    origin: Instant,
    /// When the first byte of a request head arrived on an idle connection.
    head_since: AtomicU64,
    /// When the last request was answered (or the connection opened).
    idle_since: AtomicU64,
    /// Requests handed to the router and not answered yet.
    in_flight: AtomicUsize,
}

/// What the watchdog should do.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing yet; look again then.
    Wait(Instant),
    /// Idle past the limit: close it gracefully.
    Idle,
    /// A request head has taken too long: drop the connection.
    HeadTooSlow,
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

impl Activity {
    /// A connection just accepted: its first request head is awaited from now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            head_since: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX)
    }

    fn instant(&self, millis: u64) -> Instant {
        self.origin + std::time::Duration::from_millis(millis)
    }

    /// Bytes arrived: on an idle connection they start a request head.
    pub fn received(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_since.load(Ordering::Acquire) == NO_HEAD
        {
            let now = self.millis(Instant::now());
            let _ =
                self.head_since
                    .compare_exchange(NO_HEAD, now, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    /// Judges the connection at `now`. Deadlines are re-checked at least every header timeout,
    /// so that a head starting on an idle connection is timed from its first byte.
    pub fn check(&self, now: Instant, limits: &ConnectionLimits) -> Verdict {
        let soon = now + limits.header_timeout;
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Verdict::Wait(soon);
        }
        let head_since = self.head_since.load(Ordering::Acquire);
        if head_since != NO_HEAD {
            let due = self.instant(head_since) + limits.header_timeout;
            return if now >= due {
                Verdict::HeadTooSlow
            } else {
                Verdict::Wait(due)
            };
        }
        let due = self.instant(self.idle_since.load(Ordering::Acquire)) + limits.idle_timeout;
        if now >= due {
            Verdict::Idle
        } else {
            Verdict::Wait(due.min(soon))
        }
    }
}

/// A request being served; dropping it marks the connection idle again once nothing else is.
pub struct InFlight(Arc<Activity>);

impl InFlight {
    /// The head of a request has been read.
    pub fn begin(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.head_since.store(NO_HEAD, Ordering::Release);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .idle_since
            .store(activity.millis(Instant::now()), Ordering::Release);
        activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ..ConnectionLimits::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_connection_must_send_its_head_within_the_header_timeout() {
        let activity = Activity::new();
        let start = Instant::now();
        assert_eq!(
            activity.check(start, &limits()),
            Verdict::Wait(start + Duration::from_secs(10))
        );
        assert_eq!(
            activity.check(start + Duration::from_secs(10), &limits()),
            Verdict::HeadTooSlow
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_closes_after_the_idle_timeout_not_the_header_timeout() {
        let activity = Arc::new(Activity::new());
        drop(InFlight::begin(Arc::clone(&activity)));
        let idle = Instant::now();
        assert!(matches!(
            activity.check(idle + Duration::from_secs(30), &limits()),
            Verdict::Wait(_)
        ));
        assert_eq!(
            activity.check(idle + Duration::from_secs(60), &limits()),
            Verdict::Idle
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_started_on_an_idle_connection_is_timed_from_its_first_byte() {
        let activity = Arc::new(Activity::new());
        drop(InFlight::begin(Arc::clone(&activity)));
        tokio::time::advance(Duration::from_secs(40)).await;
        activity.received();
        let first_byte = Instant::now();
        assert_eq!(
            activity.check(first_byte, &limits()),
            Verdict::Wait(first_byte + Duration::from_secs(10))
        );
        assert_eq!(
            activity.check(first_byte + Duration::from_secs(10), &limits()),
            Verdict::HeadTooSlow
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_being_served_has_no_deadline_here() {
        let activity = Arc::new(Activity::new());
        let serving = InFlight::begin(Arc::clone(&activity));
        let later = Instant::now() + Duration::from_secs(600);
        assert!(matches!(activity.check(later, &limits()), Verdict::Wait(_)));
        drop(serving);
    }
}
