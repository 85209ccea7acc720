//! What explain answers: the decision, what would be issued, and the trace. One type for the
//! admin API, the CLI and the console.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Trace;
use super::exchange::Decision;
use crate::OAuthError;
use crate::jws::OneOrMany;

/// A token request as the client would send it, plus the client it is sent as.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExplainRequest {
    pub client_id: String,
    pub grant_type: String,
    pub subject_token: Option<String>,
    pub subject_token_type: Option<String>,
    pub actor_token: Option<String>,
    pub actor_token_type: Option<String>,
    pub requested_token_type: Option<String>,
    pub assertion: Option<String>,
    pub audience: Option<OneOrMany>,
    pub resource: Option<OneOrMany>,
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted: Option<Granted>,
    /// The RFC 6749 / RFC 8693 error code of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// For staff only: why a named audience is refused, in full (the client's own refusal keeps
    /// other partners' APIs unnamed). Never set for partners' and testers' explains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<String>,
    pub trace: Trace,
}

/// What a token request would be issued.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Granted {
    pub issued_token_type: &'static str,
    pub audience: String,
    pub scope: String,
    pub expires_in: i64,
    pub sub: String,
    pub act: Option<Value>,
    pub claims: Map<String, Value>,
    pub refresh_token: bool,
}

impl Explanation {
    pub fn from_decision(d: Decision) -> Self {
        match d.result {
            Ok(g) => Self {
                allowed: true,
                granted: Some(Granted {
                    issued_token_type: g.issued_token_type,
                    audience: g.audience,
                    scope: g.scope.to_string(),
                    expires_in: g.lifetime,
                    sub: g.sub,
                    act: g.act,
                    claims: g.claims,
                    refresh_token: g.refresh.is_some(),
                }),
                error: None,
                error_description: None,
                diagnosis: None,
                trace: d.trace,
            },
            Err(e) => Self::refused_with(&e, d.trace),
        }
    }

    /// Refused before any decision step ran (unknown client, malformed request).
    pub fn refused(e: &OAuthError) -> Self {
        Self::refused_with(e, Trace::default())
    }

    fn refused_with(e: &OAuthError, trace: Trace) -> Self {
        Self {
            allowed: false,
            granted: None,
            error: Some(e.code.as_str()),
            error_description: Some(e.description.to_string()),
            diagnosis: None,
            trace,
        }
    }

    /// One line per step, then the verdict: for terminals and logs.
    pub fn render(&self) -> String {
        let mut lines: Vec<String> = self
            .trace
            .0
            .iter()
            .map(|s| format!("{:<5} {:<14} {}", s.outcome.as_str(), s.step, s.detail))
            .collect();
        match (&self.granted, self.allowed) {
            (Some(g), true) => lines.push(format!(
                "ALLOWED: {} for {} with scope \"{}\", {} s, subject {}",
                g.issued_token_type, g.audience, g.scope, g.expires_in, g.sub
            )),
            _ => lines.push(format!(
                "DENIED: {} — {}",
                self.error.unwrap_or(""),
                self.error_description.as_deref().unwrap_or("")
            )),
        }
        if let Some(d) = &self.diagnosis {
            lines.push(format!("WHY:    {d}"));
        }
        lines.join("\n")
    }
}
