//! Server functions of the signing keys page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub kid: String,
    pub algorithm: String,
    pub state: String,
    pub created: String,
    pub state_since: String,
}

#[server]
pub async fn list_keys() -> Result<Vec<KeyRow>, ConsoleError> {
    authorize("list_keys").await?;
    let keys = console()?.store.signing_keys().await.map_err(user_error)?;
    Ok(keys
        .into_iter()
        .map(|k| KeyRow {
            kid: k.kid,
            algorithm: k.algorithm,
            state: k.state.to_string(),
            created: crate::ssr::format_time(k.created_at),
            state_since: crate::ssr::format_time(k.state_since),
        })
        .collect())
}
