//! The parts of the provider call policy: how often and how long to retry
//! (backoff with jitter, a timeout per attempt), and a circuit breaker per
//! provider endpoint. [`crate::providers::ProviderHandle::call`] applies
//! them, with the per-provider concurrency limit, to every provider call.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Limit for one attempt of a provider call.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// The engine is the only layer that retries (providers send each API
    /// call once), and it retries whole operations, which may make several
    /// calls: a budget of 15 attempts, waits growing from 0.1 s to 5 s (at
    /// most 46 s in all), lets an operation of a few calls get through an
    /// endpoint that throttles one call in five.
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 15,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            timeout: Duration::from_secs(20 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (0 for the first).
    /// "Full jitter": a random delay up to the exponential bound, so that
    /// many operations failing together do not retry in lockstep.
    pub fn delay(&self, attempt: u32) -> Duration {
        use rand::Rng;
        let bound = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let millis = bound.as_millis().max(1) as u64;
        Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
    }
}

/// Opens after `threshold` consecutive retryable failures of one endpoint;
/// while open, calls fail at once instead of adding load to an endpoint
/// that is already failing. After `cooldown` one call is let through.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    consecutive_failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
}

impl CircuitBreaker {
    pub fn new(threshold: u32, cooldown: Duration) -> CircuitBreaker {
        CircuitBreaker {
            threshold,
            cooldown,
            consecutive_failures: AtomicU32::new(0),
            open_until: Mutex::new(None),
        }
    }

    /// `Err(remaining)` while the breaker is open. Once the cooldown is
    /// over it is half-open: this call may try.
    pub(crate) fn check(&self) -> Result<(), Duration> {
        let mut open = self.open_until.lock().unwrap_or_else(|e| e.into_inner());
        match *open {
            Some(until) => {
                let now = Instant::now();
                if now < until {
                    Err(until - now)
                } else {
                    *open = None;
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Counts an attempt's outcome: only retryable failures in a row open
    /// the breaker; a success or a fatal error (the endpoint answered)
    /// starts the count again.
    pub(crate) fn record(&self, retryable_failure: bool) {
        if !retryable_failure {
            self.consecutive_failures.store(0, Ordering::Relaxed);
            return;
        }
        let n = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.threshold {
            *self.open_until.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Instant::now() + self.cooldown);
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }
}

impl Default for CircuitBreaker {
    fn default() -> CircuitBreaker {
        CircuitBreaker::new(20, Duration::from_secs(30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_with_jitter_up_to_the_bound() {
        let policy = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            timeout: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let first = policy.delay(0);
            assert!((50..=100).contains(&first.as_millis()), "{first:?}");
            let third = policy.delay(2);
            assert!((200..=400).contains(&third.as_millis()), "{third:?}");
            let late = policy.delay(30);
            assert!((500..=1000).contains(&late.as_millis()), "{late:?}");
        }
    }

    #[test]
    fn breaker_opens_after_consecutive_retryable_failures_only() {
        let breaker = CircuitBreaker::new(3, Duration::from_secs(60));
        breaker.record(true);
        breaker.record(true);
        breaker.record(false); // a fatal answer: the endpoint is up
        breaker.record(true);
        breaker.record(true);
        assert_eq!(breaker.check(), Ok(()));
        breaker.record(true);
        let remaining = breaker.check().unwrap_err();
        assert!(remaining > Duration::from_secs(50), "{remaining:?}");
    }

    #[test]
    fn breaker_lets_one_call_through_after_the_cooldown() {
        let breaker = CircuitBreaker::new(1, Duration::from_millis(1));
        breaker.record(true);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(breaker.check(), Ok(()));
        assert_eq!(
            breaker.check(),
            Ok(()),
            "closed again until the next failures"
        );
    }
}
