//! Environments: production, and the sandbox where partners try the token service with trial
//! tokens. Each has its own issuer identifier, signing keys, JWKS and metadata, and its own
//! audiences and clients; a token of one is never accepted by the other.

use std::fmt;
use std::str::FromStr;

use crate::stage::Stage;

/// Where the sandbox lives, below the configured issuer: its issuer identifier is
/// `{issuer}/sandbox` and its endpoints are that identifier's `/oauth2/…` paths.
pub const SANDBOX_PATH: &str = "/sandbox";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Environment {
    #[default]
    Production,
    Sandbox,
}

impl Environment {
    pub const ALL: [Environment; 2] = [Environment::Production, Environment::Sandbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Sandbox => "sandbox",
        }
    }

    /// This environment's issuer identifier, given the configured (production) one.
    pub fn issuer(self, base: &str) -> String {
        match self {
            Self::Production => base.to_owned(),
            Self::Sandbox => format!("{base}{SANDBOX_PATH}"),
        }
    }

    /// The environment whose issuer identifier `iss` is, if any.
    pub fn of_issuer(base: &str, iss: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| match e {
            Self::Production => iss == base,
            Self::Sandbox => iss.strip_prefix(base) == Some(SANDBOX_PATH),
        })
    }

    /// Whether a partner's clients in this environment get tokens at `stage`: sandbox tokens
    /// from the sandbox stage on, production tokens only in production.
    pub fn issues_at(self, stage: Stage) -> bool {
        match self {
            Self::Sandbox => stage.holds_tokens(),
            Self::Production => stage == Stage::Production,
        }
    }

    /// Where a new client of a partner at `stage` goes when nobody says: production for a
    /// partner in production, else the sandbox.
    pub fn default_for(stage: Stage) -> Self {
        if stage == Stage::Production {
            Self::Production
        } else {
            Self::Sandbox
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not an environment: production or sandbox"))
    }
}
