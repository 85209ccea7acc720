//! Configuration as code, in the store: the catalog as a `Config` document (read in bulk, so
//! ten thousand partners export in a handful of queries), and a plan applied in one
//! transaction: every step audited as itself, changes that need approval refused or filed.

mod apply;
mod export;

use entente_domain::ScopeSet;
use entente_domain::config::{IssuerConfig, RuleConfig};
use entente_domain::federation::rules::{TokenKind, parse_claim_passes, parse_scope_mappings};

use crate::federation::{NewTrustRule, NewTrustedIssuer};

/// What one step became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Applied,
    /// Filed as this change request.
    Requested(i64),
}

/// A rule as the document states it, as the store sets it.
pub fn rule_of_config(r: &RuleConfig) -> std::result::Result<NewTrustRule, String> {
    let scopes = ScopeSet::parse(&r.scopes).map_err(|e| e.description.to_string())?;
    let mut n = NewTrustRule::new(scopes);
    n.claims = parse_claim_passes(&r.claims)?;
    n.mappings = parse_scope_mappings(&r.mappings)?;
    n.pairwise = r.pairwise;
    n.delegation = r.delegation;
    n.delegation_only = r.delegation_only;
    n.max_depth = r.max_depth;
    n.refresh = r.refresh;
    n.lifetime = r.lifetime;
    n.refresh_lifetime = r.refresh_lifetime;
    Ok(n)
}

fn issuer_of_config(i: &IssuerConfig) -> std::result::Result<NewTrustedIssuer, String> {
    Ok(NewTrustedIssuer {
        issuer: i.issuer.clone(),
        jwks_uri: i.jwks_uri.clone(),
        jwks: i.jwks.clone(),
        algorithms: i.algorithms.join(" "),
        audiences: i.audiences.clone(),
        kinds: i
            .kinds
            .iter()
            .map(|k| {
                TokenKind::parse(k).ok_or_else(|| {
                    format!("token kind {k:?} is access_token, id_token or assertion")
                })
            })
            .collect::<std::result::Result<_, _>>()?,
        max_age: i.max_age,
        skew: i.skew,
        subject_claim: i.subject_claim.clone(),
        subject_claim_guaranteed: i.subject_claim_guaranteed,
        access_tokens_typed_jwt: i.access_tokens_typed_jwt,
    })
}
