//! Signing in, and creating the first administrator from the one-time set-up link.

pub mod api;
mod login;
mod setup;

pub use login::Login;
pub use setup::Setup;
