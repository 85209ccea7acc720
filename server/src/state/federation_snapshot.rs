//! The trusted issuers and trust rules part of the in-memory snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entente_domain::ScopeSet;
use entente_domain::federation::rules::{self, TokenKind};
use entente_domain::federation::{TrustRule, TrustedIssuer};
use entente_domain::jwks::VerifyingKey;
use entente_store::catalog::CatalogData;

/// Where an issuer's keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    Static(Arc<Vec<VerifyingKey>>),
    Uri(String),
}

#[derive(Debug, Default)]
pub struct FederationSnapshot {
    issuers: HashMap<(String, String), TrustedIssuer>,
    issuer_ids: HashMap<String, (String, String)>,
    sources: HashMap<String, KeySource>,
    rules: HashMap<(String, String, String), TrustRule>,
    rule_ids: HashMap<String, (String, String, String)>,
    with_rules: HashSet<(String, String)>,
}

impl FederationSnapshot {
    /// Issuers and rules of enabled partners only: a disabled partner's tokens stop at once.
    pub fn build(data: &CatalogData, enabled_partners: &HashSet<&str>) -> Self {
        let mut s = Self::default();
        for i in data
            .trusted_issuers
            .iter()
            .filter(|i| enabled_partners.contains(i.partner_id.as_str()))
        {
            let Ok(algorithms) = rules::parse_algorithms(&i.algorithms) else {
                tracing::warn!(issuer = %i.issuer, "trusted issuer has no valid algorithm; ignored");
                continue;
            };
            let view = TrustedIssuer {
                id: i.id.clone(),
                partner_id: i.partner_id.clone(),
                issuer: i.issuer.clone(),
                algorithms,
                audiences: i.audiences.split_whitespace().map(str::to_owned).collect(),
                kinds: i
                    .kinds
                    .split_whitespace()
                    .filter_map(TokenKind::parse)
                    .collect(),
                max_age: i.max_age,
                skew: i.skew,
                subject_claim: i.subject_claim.clone(),
                access_tokens_typed_jwt: i.access_tokens_typed_jwt,
                enabled: i.enabled,
            };
            let source = match (&i.jwks_uri, &i.jwks) {
                (Some(u), _) => KeySource::Uri(u.clone()),
                (None, Some(doc)) => KeySource::Static(Arc::new(
                    entente_domain::jwks::parse(doc)
                        .map(|(k, _)| k)
                        .unwrap_or_default(),
                )),
                (None, None) => continue,
            };
            s.sources.insert(i.id.clone(), source);
            s.issuer_ids
                .insert(i.id.clone(), (i.partner_id.clone(), i.issuer.clone()));
            s.issuers
                .insert((i.partner_id.clone(), i.issuer.clone()), view);
        }
        let known: HashSet<&str> = s.sources.keys().map(String::as_str).collect();
        for r in data
            .trust_rules
            .iter()
            .filter(|r| known.contains(r.issuer_id.as_str()))
        {
            let rule = TrustRule {
                id: r.id.clone(),
                partner_id: r.partner_id.clone(),
                issuer_id: r.issuer_id.clone(),
                audience_id: r.audience_id.clone(),
                scopes: ScopeSet::parse(&r.scopes).unwrap_or_default(),
                claims: serde_json::from_str(&r.claims).unwrap_or_default(),
                mappings: serde_json::from_str(&r.mappings).unwrap_or_default(),
                pairwise: r.pairwise,
                delegation: r.delegation,
                max_depth: u8::try_from(r.max_depth).unwrap_or(1),
                delegation_only: r.delegation_only,
                refresh: r.refresh,
                lifetime: r.lifetime,
                refresh_lifetime: r.refresh_lifetime,
                enabled: r.enabled,
            };
            let key = (
                r.partner_id.clone(),
                r.issuer_id.clone(),
                r.audience_id.clone(),
            );
            s.with_rules
                .insert((r.partner_id.clone(), r.issuer_id.clone()));
            s.rule_ids.insert(r.id.clone(), key.clone());
            s.rules.insert(key, rule);
        }
        s
    }

    pub fn issuer(&self, partner_id: &str, iss: &str) -> Option<&TrustedIssuer> {
        self.issuers.get(&(partner_id.to_owned(), iss.to_owned()))
    }

    pub fn issuer_by_id(&self, id: &str) -> Option<&TrustedIssuer> {
        self.issuer_ids.get(id).and_then(|k| self.issuers.get(k))
    }

    pub fn source(&self, issuer_id: &str) -> Option<&KeySource> {
        self.sources.get(issuer_id)
    }

    pub fn rule(&self, partner_id: &str, issuer_id: &str, audience_id: &str) -> Option<&TrustRule> {
        self.rules.get(&(
            partner_id.to_owned(),
            issuer_id.to_owned(),
            audience_id.to_owned(),
        ))
    }

    pub fn rule_by_id(&self, id: &str) -> Option<&TrustRule> {
        self.rule_ids.get(id).and_then(|k| self.rules.get(k))
    }

    pub fn has_rules(&self, partner_id: &str, issuer_id: &str) -> bool {
        self.with_rules
            .contains(&(partner_id.to_owned(), issuer_id.to_owned()))
    }
}
