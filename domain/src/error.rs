//! The one error type of the token service. Each code maps one-to-one to a registered OAuth error
//! (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 8707 §2, RFC 7009 §2.2.1); the HTTP mapping lives in `server`.

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidTarget,
    UnsupportedTokenType,
    /// Not an OAuth code: the service cannot answer now (database or key unavailable).
    TemporarilyUnavailable,
    /// Too many requests (429): `slow_down` is the one code the IANA OAuth Extensions Error
    /// registry lists for token endpoint responses that means "call less often" (RFC 8628 §3.5).
    SlowDown,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::SlowDown => "slow_down",
        }
    }
}

/// An OAuth error with a description safe to show to the caller: it never carries secrets,
/// upstream error text or internal identifiers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: Cow<'static, str>,
    /// Seconds the caller should wait (`Retry-After`) before trying again.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
        }
    }
    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, d)
    }
    /// Every client authentication failure looks the same to the caller (case C32).
    pub fn invalid_client() -> Self {
        Self::new(
            OAuthErrorCode::InvalidClient,
            "client authentication failed",
        )
    }
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, d)
    }
    pub fn unauthorized_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::UnauthorizedClient, d)
    }
    pub fn unsupported_grant_type() -> Self {
        Self::new(
            OAuthErrorCode::UnsupportedGrantType,
            "grant type is not supported",
        )
    }
    pub fn invalid_scope(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::InvalidScope, d)
    }
    pub fn invalid_target(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::InvalidTarget, d)
    }
    /// Over a rate limit: try again in `retry_after` seconds.
    pub fn slow_down(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                OAuthErrorCode::SlowDown,
                "too many requests: wait for the time in Retry-After, then try again",
            )
        }
    }
    pub fn unavailable() -> Self {
        Self::new(
            OAuthErrorCode::TemporarilyUnavailable,
            "service temporarily unavailable",
        )
    }
}
