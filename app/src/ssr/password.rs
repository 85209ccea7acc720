//! Argon2 work (in `entente_domain::password`) on blocking threads, a few at a time.

pub use entente_domain::password::{MIN_PASSWORD_LEN, hash_password};

use crate::error::ConsoleError;

/// At most this many Argon2 computations run at once; more sign-ins wait their turn instead of
/// taking every blocking thread (a flood of sign-ins must not starve the runtime).
const PASSWORD_WORKERS: usize = 2;

/// How long a sign-in waits for a free worker before it is told to try again.
const PASSWORD_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn password_permits() -> &'static std::sync::Arc<tokio::sync::Semaphore> {
    static PERMITS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    PERMITS.get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(PASSWORD_WORKERS)))
}

/// Runs Argon2 work on a blocking thread, bounded by `PASSWORD_WORKERS`. The permit travels
/// with the work, so a caller that goes away cannot free it while the hash still runs; a caller
/// that waits too long gets a 503.
pub async fn password_work<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ConsoleError> {
    let busy = || {
        super::fail(ConsoleError::new(
            503,
            "the server is busy; try again shortly",
        ))
    };
    let permit = tokio::time::timeout(PASSWORD_WAIT, password_permits().clone().acquire_owned())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    tokio::task::spawn_blocking(move || {
        let out = f();
        drop(permit);
        out
    })
    .await
    .map_err(|_| super::fail(ConsoleError::new(500, "the password check failed")))
}
