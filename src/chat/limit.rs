//! Per-user chat budget (GCRA): in memory for one process, or in Redis so that every replica
//! draws from the same budget.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
};
use redis::aio::ConnectionManager;
use secrecy::{ExposeSecret, SecretString};

use crate::error::ApiError;

type Keyed =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Where limit state lives in Redis; one key per user.
const REDIS_KEY_PREFIX: &str = "tudu:chat-limit:";

/// GCRA in one atomic step, on Redis's own clock so replicas with skewed clocks agree.
/// KEYS[1]: the user's key. ARGV[1]: emission interval in µs. ARGV[2]: burst (the budget).
/// Returns {allowed (0/1), remaining, µs}: when allowed, until the whole budget is back; when
/// refused, until a retry can succeed.
const GCRA_SCRIPT: &str = r"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then
  return {0, 0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / interval), new_tat - now}
";

/// What is left of a user's budget after an allowed message, for the `RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// The budget per minute.
    pub limit: u32,
    /// Messages still allowed right now.
    pub remaining: u32,
    /// Seconds until the whole budget is available again (rounded up).
    pub reset_secs: u64,
}

/// The chat limiter chosen at start.
#[derive(Clone)]
pub enum ChatLimiter {
    /// One process's memory.
    Memory {
        /// Keyed by user id.
        limiter: Arc<Keyed>,
        /// Messages per minute.
        per_minute: u32,
    },
    /// Shared through Redis.
    Redis {
        /// Reconnects by itself after Redis restarts.
        connection: ConnectionManager,
        /// The GCRA script (sent by hash, loaded on first use).
        script: Arc<redis::Script>,
        /// Messages per minute.
        per_minute: u32,
    },
}

impl std::fmt::Debug for ChatLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory { per_minute, .. } => write!(f, "ChatLimiter::Memory({per_minute}/min)"),
            Self::Redis { per_minute, .. } => write!(f, "ChatLimiter::Redis({per_minute}/min)"),
        }
    }
}

impl ChatLimiter {
    /// An in-memory limiter of `per_minute` messages per user.
    #[must_use]
    pub fn in_memory(per_minute: u32) -> Self {
        let burst = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self::Memory {
            limiter: Arc::new(
                RateLimiter::keyed(Quota::per_minute(burst))
                    .with_middleware::<StateInformationMiddleware>(),
            ),
            per_minute: burst.get(),
        }
    }

    /// A limiter in the Redis at `url`.
    ///
    /// # Errors
    /// The URL is malformed or Redis does not answer.
    pub async fn redis(url: &SecretString, per_minute: u32) -> anyhow::Result<Self> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| anyhow::anyhow!("REDIS_URL is not usable: {}", e.category()))?;
        let connection = ConnectionManager::new(client)
            .await
            .map_err(|e| anyhow::anyhow!("Redis does not answer: {}", e.category()))?;
        Ok(Self::Redis {
            connection,
            script: Arc::new(redis::Script::new(GCRA_SCRIPT)),
            per_minute: per_minute.max(1),
        })
    }

    /// Counts one message of `user_id`.
    ///
    /// # Errors
    /// 429 with the wait when the budget is spent. When Redis fails, the message is let
    /// through (and the failure logged): chat should not go down with the limiter's store.
    pub async fn check(&self, user_id: &str) -> Result<Allowance, ApiError> {
        match self {
            Self::Memory {
                limiter,
                per_minute,
            } => match limiter.check_key(&user_id.to_owned()) {
                Ok(snapshot) => {
                    let remaining = snapshot.remaining_burst_capacity();
                    // governor does not expose when the bucket is full again; each spent
                    // message comes back after 60 / limit seconds, so this bounds it from
                    // above by less than one such period.
                    let spent = u64::from(per_minute.saturating_sub(remaining));
                    Ok(Allowance {
                        limit: *per_minute,
                        remaining,
                        reset_secs: (spent * 60).div_ceil(u64::from(*per_minute)),
                    })
                }
                Err(not_until) => Err(refused(
                    not_until.wait_time_from(DefaultClock::default().now()),
                    *per_minute,
                )),
            },
            Self::Redis {
                connection,
                script,
                per_minute,
            } => {
                let interval_us = 60_000_000 / u64::from(*per_minute);
                let mut connection = connection.clone();
                let verdict: redis::RedisResult<(u8, u32, u64)> = script
                    .key(format!("{REDIS_KEY_PREFIX}{user_id}"))
                    .arg(interval_us)
                    .arg(*per_minute)
                    .invoke_async(&mut connection)
                    .await;
                match verdict {
                    Ok((1, remaining, full_in_us)) => Ok(Allowance {
                        limit: *per_minute,
                        remaining,
                        reset_secs: full_in_us.div_ceil(1_000_000),
                    }),
                    Ok((_, _, wait_us)) => {
                        Err(refused(Duration::from_micros(wait_us), *per_minute))
                    }
                    Err(err) => {
                        tracing::warn!(
                            error = err.category(),
                            "chat rate limit: Redis failed; letting the message through"
                        );
                        Ok(Allowance {
                            limit: *per_minute,
                            remaining: *per_minute,
                            reset_secs: 0,
                        })
                    }
                }
            }
        }
    }

    /// Whether the limiter's store answers (always, in memory).
    pub async fn is_ready(&self) -> bool {
        match self {
            Self::Memory { .. } => true,
            Self::Redis { connection, .. } => {
                let mut connection = connection.clone();
                redis::cmd("PING")
                    .query_async::<String>(&mut connection)
                    .await
                    .is_ok()
            }
        }
    }

    /// Forgets idle in-memory keys; call periodically.
    pub fn forget_idle(&self) {
        if let Self::Memory { limiter, .. } = self {
            limiter.retain_recent();
        }
    }
}

fn refused(wait: Duration, limit: u32) -> ApiError {
    ApiError::rate_limited(wait, limit, "user", format!("\"user\";q={limit};w=60"))
}
