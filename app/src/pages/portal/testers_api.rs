//! Server function of the Team page's switch: whether the partner's sandbox testers may each
//! get a sandbox client of their own.

use leptos::prelude::*;

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, portal_user};

/// `allowed`: the checkbox, present when ticked. Turning it off stops every tester's client.
#[server]
pub async fn portal_set_tester_clients(allowed: Option<String>) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_set_tester_clients").await?;
    let on = allowed.is_some();
    console()?
        .ops
        .set_tester_clients(&me.acting(), None, on, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(if on {
        "Sandbox testers may now get their own sandbox client in the playground.".into()
    } else {
        "Sandbox testers' own clients are off, and those they had no longer work.".into()
    })
}
