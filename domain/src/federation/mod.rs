//! Federation: which partner-issued tokens Entente accepts (trusted issuers), what they may be
//! exchanged for (trust rules), and the one pure decision that applies both to a token request.
//!
//! Everything here is data plus functions of `(state, request, now)`; key fetching, storage and
//! HTTP live in `server`.

pub mod exchange;
pub mod explain;
pub mod refresh;
pub mod rules;
pub mod subject;
pub mod trace;
pub mod validate;

#[cfg(test)]
mod tests;

pub use rules::{ClaimPass, ScopeMapping, TokenKind, TrustRule, TrustedIssuer};
pub use trace::Trace;

use crate::grant::Catalog;
use crate::ids::{AudienceId, IssuerId, PartnerId, RuleId};
use crate::jwks::VerifyingKey;
use crate::token::AccessTokenClaims;

pub use entente_types::grant_type::{
    GRANT_JWT_BEARER, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, GRANT_TYPES, TT_ACCESS_TOKEN,
    TT_ID_TOKEN, TT_JWT, TT_REFRESH_TOKEN,
};

/// No delegation chain is ever deeper than this, whatever a rule says.
pub const MAX_ACT_DEPTH: u8 = 5;
/// Tokens derived through more steps than this are refused (bounds the lineage claim).
pub const MAX_LINEAGE: usize = 32;

/// Trusted issuers and trust rules, as the policy sees them; the server's snapshot implements it.
pub trait Federation: Catalog {
    /// The partner's trusted issuer with exactly this `iss` string (case A11: no normalisation).
    fn trusted_issuer(&self, partner_id: &PartnerId, iss: &str) -> Option<&TrustedIssuer>;
    fn trust_rule(
        &self,
        partner_id: &PartnerId,
        issuer_id: &IssuerId,
        audience_id: &AudienceId,
    ) -> Option<&TrustRule>;
    fn trust_rule_by_id(&self, rule_id: &RuleId) -> Option<&TrustRule>;
    fn trusted_issuer_by_id(&self, issuer_id: &IssuerId) -> Option<&TrustedIssuer>;
    fn has_rules(&self, partner_id: &PartnerId, issuer_id: &IssuerId) -> bool;
    fn audience_by_id(&self, audience_id: &AudienceId) -> Option<&crate::grant::AudienceView>;
}

/// Verification material: partner issuers' keys (fetched by the server beforehand) and
/// Entente's own published keys and revocations.
pub trait Keys {
    fn issuer_keys(&self, issuer_id: &IssuerId) -> &[VerifyingKey];
    fn own_key(&self, kid: &str) -> Option<crate::verified::KeyRef<'_>>;
    fn own_token_revoked(&self, claims: &AccessTokenClaims) -> bool;
    /// Signatures verified before (`None`: every signature is checked).
    fn verified(&self) -> Option<&dyn crate::verified::VerifiedTokens> {
        None
    }
}

/// Deployment facts the decision needs.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The issuer identifier of the environment deciding (production's or the sandbox's).
    pub issuer: &'a str,
    /// The configured (production) issuer identifier: with it, both environments' identifiers
    /// are known, and the other one is never taken for a trusted issuer.
    pub entente: &'a str,
    /// Secret for pairwise subject identifiers.
    pub pairwise_secret: &'a [u8],
}
