//! Randomness and blocking work, as the resource types need them.

use nimbus_provider::ProviderError;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// A cryptographically secure generator (ChaCha12) freshly seeded from the
/// operating system. Failing to seed is an error, not a panic.
pub(crate) fn csprng() -> Result<StdRng, ProviderError> {
    StdRng::try_from_os_rng().map_err(|e| {
        ProviderError::fatal(format!(
            "cannot seed the random number generator from the operating system: {e}"
        ))
    })
}

/// Runs blocking file-system work off the async executor.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, ProviderError>
where
    F: FnOnce() -> Result<T, ProviderError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => Err(ProviderError::fatal(format!(
            "file-system task failed: {e}"
        ))),
    }
}
