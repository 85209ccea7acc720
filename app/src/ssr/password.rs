//! Argon2 work (in `entente_domain::password`) on blocking threads, a few at a time.

pub use entente_domain::password::{MIN_PASSWORD_LEN, hash_password};

use crate::error::ConsoleError;

/// At most this many Argon2 computations run at once; more sign-ins wait their turn instead of
/// taking every blocking thread (a flood of sign-ins must not starve the runtime).
const PASSWORD_WORKERS: usize = 2;

fn password_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(PASSWORD_WORKERS))
}

/// Runs Argon2 work on a blocking thread, bounded by `PASSWORD_WORKERS`.
pub async fn password_work<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ConsoleError> {
    let _permit = password_permits()
        .acquire()
        .await
        .map_err(|_| super::fail(ConsoleError::new(503, "the server is shutting down")))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| super::fail(ConsoleError::new(500, "the password check failed")))
}
