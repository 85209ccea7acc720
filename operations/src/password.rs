//! Argon2 work (in `entente_domain::password`) on blocking threads, a few at a time: every
//! password checked or set — by a sign-in, an invitation accepted, a federated join — waits
//! here, so a flood of them cannot take every blocking thread from the runtime.

use crate::error::OpError;

/// At most this many Argon2 computations run at once.
const PASSWORD_WORKERS: usize = 2;

/// How long one waits for a free worker before it is told to try again.
const PASSWORD_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn password_permits() -> &'static std::sync::Arc<tokio::sync::Semaphore> {
    static PERMITS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    PERMITS.get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(PASSWORD_WORKERS)))
}

/// Runs Argon2 work on a blocking thread, bounded by `PASSWORD_WORKERS`. The permit travels
/// with the work, so a caller that goes away cannot free it while the hash still runs; a caller
/// that waits too long is told the server is busy (503).
pub async fn password_work<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, OpError> {
    let permit = tokio::time::timeout(PASSWORD_WAIT, password_permits().clone().acquire_owned())
        .await
        .map_err(|_| OpError::Busy)?
        .map_err(|_| OpError::Busy)?;
    tokio::task::spawn_blocking(move || {
        let out = f();
        drop(permit);
        out
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password work failed");
        OpError::Unavailable
    })
}

/// A password nobody knows, for accounts that sign in through their organisation's provider.
pub async fn unusable_password() -> Result<String, OpError> {
    password_work(|| {
        entente_domain::password::hash_password(&entente_domain::secret::random_token(32))
    })
    .await?
    .map_err(OpError::Invalid)
}
