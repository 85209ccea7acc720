//! The trusted issuers and trust rules part of the in-memory snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entente_domain::ScopeSet;
use entente_domain::federation::rules::{self, TokenKind};
use entente_domain::federation::{TrustRule, TrustedIssuer};
use entente_domain::ids::{AudienceId, IssuerId, PartnerId, RuleId};
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
    issuers: HashMap<(PartnerId, String), TrustedIssuer>,
    issuer_ids: HashMap<IssuerId, (PartnerId, String)>,
    sources: HashMap<IssuerId, KeySource>,
    rules: HashMap<(PartnerId, IssuerId, AudienceId), TrustRule>,
    rule_ids: HashMap<RuleId, (PartnerId, IssuerId, AudienceId)>,
    with_rules: HashSet<(PartnerId, IssuerId)>,
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
                id: IssuerId::from(i.id.as_str()),
                partner_id: PartnerId::from(i.partner_id.as_str()),
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
                    entente_domain::jwks::parse_with(
                        doc,
                        entente_domain::jwks::sole_rsa(&view.algorithms),
                    )
                    .map(|(k, _)| k)
                    .unwrap_or_default(),
                )),
                (None, None) => continue,
            };
            let key = (view.partner_id.clone(), i.issuer.clone());
            s.sources.insert(view.id.clone(), source);
            s.issuer_ids.insert(view.id.clone(), key.clone());
            s.issuers.insert(key, view);
        }
        let known: HashSet<&str> = s.sources.keys().map(IssuerId::as_str).collect();
        for r in data
            .trust_rules
            .iter()
            .filter(|r| known.contains(r.issuer_id.as_str()))
        {
            let rule = TrustRule {
                id: RuleId::from(r.id.as_str()),
                partner_id: PartnerId::from(r.partner_id.as_str()),
                issuer_id: IssuerId::from(r.issuer_id.as_str()),
                audience_id: AudienceId::from(r.audience_id.as_str()),
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
                rule.partner_id.clone(),
                rule.issuer_id.clone(),
                rule.audience_id.clone(),
            );
            s.with_rules
                .insert((rule.partner_id.clone(), rule.issuer_id.clone()));
            s.rule_ids.insert(rule.id.clone(), key.clone());
            s.rules.insert(key, rule);
        }
        s
    }

    pub fn issuer(&self, partner_id: &PartnerId, iss: &str) -> Option<&TrustedIssuer> {
        self.issuers.get(&(partner_id.clone(), iss.to_owned()))
    }

    pub fn issuer_by_id(&self, id: &IssuerId) -> Option<&TrustedIssuer> {
        self.issuer_ids.get(id).and_then(|k| self.issuers.get(k))
    }

    pub fn source(&self, issuer_id: &IssuerId) -> Option<&KeySource> {
        self.sources.get(issuer_id)
    }

    pub fn rule(
        &self,
        partner_id: &PartnerId,
        issuer_id: &IssuerId,
        audience_id: &AudienceId,
    ) -> Option<&TrustRule> {
        self.rules
            .get(&(partner_id.clone(), issuer_id.clone(), audience_id.clone()))
    }

    pub fn rule_by_id(&self, id: &RuleId) -> Option<&TrustRule> {
        self.rule_ids.get(id).and_then(|k| self.rules.get(k))
    }

    pub fn has_rules(&self, partner_id: &PartnerId, issuer_id: &IssuerId) -> bool {
        self.with_rules
            .contains(&(partner_id.clone(), issuer_id.clone()))
    }
}
