//! Building blocks shared by the console pages.

mod chart;
mod confirm;
mod copy_button;
mod error_box;
mod form;
mod keys;
mod layout;
mod pager;
mod secret;
mod stage;

pub use chart::{Line, TimeChart, clock, short};
pub use confirm::ConfirmSubmit;
pub use copy_button::CopyButton;
pub use error_box::{ActionDone, ActionError, ErrorBox};
pub use form::{Check, EmailField, Field, Submit, email_problem};
pub use keys::{KeyFields, ReplaceKeys};
pub use layout::{Layout, NavRefresh, Viewer, may_change, provide_nav_refresh, refresh_nav_on};
pub use pager::{PagedTable, Pager};
pub use secret::{SecretDialog, SecretShown};
pub use stage::StageBadge;
