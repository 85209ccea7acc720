//! A partner's lifecycle stages: `applied → in_review → sandbox → production`, with `suspended`
//! (the kill switch) and `offboarded` (the end). Which moves are allowed is the domain's
//! (`entente_domain::lifecycle`).

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Applied,
    InReview,
    Sandbox,
    Production,
    Suspended,
    Offboarded,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Applied,
        Stage::InReview,
        Stage::Sandbox,
        Stage::Production,
        Stage::Suspended,
        Stage::Offboarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::InReview => "in_review",
            Self::Sandbox => "sandbox",
            Self::Production => "production",
            Self::Suspended => "suspended",
            Self::Offboarded => "offboarded",
        }
    }

    /// How people read the stage, the same on every page: "In review", not `in_review`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Applied => "Applied",
            Self::InReview => "In review",
            Self::Sandbox => "Sandbox",
            Self::Production => "Production",
            Self::Suspended => "Suspended",
            Self::Offboarded => "Offboarded",
        }
    }

    /// The label of a stage named by its wire form; an unknown name is shown as it came.
    pub fn label_of(name: &str) -> String {
        name.parse::<Self>()
            .map(|s| s.label().to_owned())
            .unwrap_or_else(|_| name.to_owned())
    }

    /// Only a partner in sandbox or production has clients that get tokens.
    pub fn holds_tokens(self) -> bool {
        matches!(self, Self::Sandbox | Self::Production)
    }
}

impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a stage: applied, in_review, sandbox, production, suspended or offboarded"
                )
            })
    }
}
