//! The console's view of the operations' bounded Argon2 work (`entente_operations::password`).

pub use entente_domain::password::{MIN_PASSWORD_LEN, hash_password};

use crate::error::ConsoleError;

/// Runs Argon2 work on the operations' bounded blocking workers; a caller that waits too long
/// gets a 503.
pub async fn password_work<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ConsoleError> {
    entente_operations::password::password_work(f)
        .await
        .map_err(|_| {
            super::fail(ConsoleError::new(
                503,
                "the server is busy; try again shortly",
            ))
        })
}
