//! Retries with exponential backoff and jitter, per-operation timeouts, and
//! a circuit breaker per provider endpoint.

use nimbus_provider::ProviderError;
use rand::Rng;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Limit for one provider call.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(20 * 60),
        }
    }
}

impl RetryPolicy {
    /// "Full jitter": a random delay up to the exponential bound, so that
    /// many operations failing together do not retry in lockstep.
    pub fn delay(&self, attempt: u32) -> Duration {
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

    fn check(&self, endpoint: &str) -> Result<(), ProviderError> {
        let mut open = self.open_until.lock().unwrap_or_else(|e| e.into_inner());
        match *open {
            Some(until) if Instant::now() < until => Err(ProviderError::fatal(format!(
                "endpoint {endpoint} is failing repeatedly; not calling it for {:?} (circuit open)",
                until - Instant::now()
            ))),
            Some(_) => {
                *open = None; // half-open: let this call try
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn record(&self, result: &Result<(), bool>) {
        match result {
            Ok(()) | Err(false) => self.consecutive_failures.store(0, Ordering::Relaxed),
            Err(true) => {
                let n = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= self.threshold {
                    *self.open_until.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Instant::now() + self.cooldown);
                    self.consecutive_failures.store(0, Ordering::Relaxed);
                }
            }
        }
    }
}

impl Default for CircuitBreaker {
    fn default() -> CircuitBreaker {
        CircuitBreaker::new(20, Duration::from_secs(30))
    }
}

/// Runs `op` until it succeeds, fails fatally, or runs out of attempts.
/// `on_retry(attempt, delay, error)` is told before each wait.
pub async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    breaker: &CircuitBreaker,
    endpoint: &str,
    mut on_retry: impl FnMut(u32, Duration, &ProviderError),
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 0;
    loop {
        breaker.check(endpoint)?;
        let result = match tokio::time::timeout(policy.timeout, op()).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::retryable(format!(
                "timed out after {:?}",
                policy.timeout
            ))),
        };
        match result {
            Ok(v) => {
                breaker.record(&Ok(()));
                return Ok(v);
            }
            Err(e) => {
                breaker.record(&Err(e.is_retryable()));
                attempt += 1;
                if !e.is_retryable() || attempt >= policy.attempts {
                    return Err(e);
                }
                let delay = policy.delay(attempt - 1);
                on_retry(attempt, delay, &e);
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn retries_retryable_errors_then_succeeds() {
        let calls = AtomicUsize::new(0);
        let breaker = CircuitBreaker::default();
        let result = with_retry(
            &fast(),
            &breaker,
            "e",
            |_, _, _| {},
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(ProviderError::retryable("503"))
                } else {
                    Ok(7)
                }
            },
        )
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn fatal_errors_are_not_retried_and_attempts_are_bounded() {
        let calls = AtomicUsize::new(0);
        let breaker = CircuitBreaker::default();
        let r: Result<(), _> = with_retry(
            &fast(),
            &breaker,
            "e",
            |_, _, _| {},
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(ProviderError::fatal("bad"))
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let r: Result<(), _> = with_retry(
            &fast(),
            &breaker,
            "e",
            |_, _, _| {},
            || async { Err(ProviderError::retryable("503")) },
        )
        .await;
        assert!(r.unwrap_err().is_retryable());
    }

    #[tokio::test]
    async fn breaker_opens_after_repeated_failures() {
        let breaker = CircuitBreaker::new(3, Duration::from_secs(60));
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            let policy = RetryPolicy {
                attempts: 1,
                ..fast()
            };
            let _: Result<(), _> = with_retry(
                &policy,
                &breaker,
                "e",
                |_, _, _| {},
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(ProviderError::retryable("503"))
                },
            )
            .await;
        }
        let r: Result<(), _> = with_retry(
            &fast(),
            &breaker,
            "e",
            |_, _, _| {},
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        )
        .await;
        assert!(r.unwrap_err().message.contains("circuit open"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
