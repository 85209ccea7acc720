//! The trusted issuers and trust rules part of the in-memory snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entente_domain::ScopeSet;
use entente_domain::federation::rules::{self, TokenKind};
use entente_domain::federation::{TrustRule, TrustedIssuer};
use entente_domain::ids::{AudienceId, IssuerId, PartnerId, RuleId};
use entente_domain::jwks::VerifyingKey;
use entente_store::catalog::CatalogData;
use jsonwebtoken::Algorithm;

/// Parsed JWKS documents by their text. Parsing checks every key (an EC key's point is
/// validated): in a catalog of thousands of issuers that is the bulk of building a snapshot, so
/// a reload takes the previous snapshot's parse of every document that did not change. Holds
/// the documents the snapshot uses, no more.
#[derive(Debug, Default, Clone)]
pub struct ParsedJwks(HashMap<(String, Option<Algorithm>), Arc<Vec<VerifyingKey>>>);

impl ParsedJwks {
    /// The usable keys of `doc` (what `jwks::parse_with` gives), from this build, the
    /// previous one, or parsed now.
    pub fn keys(
        &mut self,
        previous: Option<&ParsedJwks>,
        doc: &str,
        rsa_default: Option<Algorithm>,
    ) -> Arc<Vec<VerifyingKey>> {
        let key = (doc.to_owned(), rsa_default);
        if let Some(k) = self.0.get(&key) {
            return k.clone();
        }
        let keys = previous
            .and_then(|p| p.0.get(&key).cloned())
            .unwrap_or_else(|| {
                Arc::new(
                    entente_domain::jwks::parse_with(doc, rsa_default)
                        .map(|(k, _)| k)
                        .unwrap_or_default(),
                )
            });
        self.0.insert(key, keys.clone());
        keys
    }
}

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
    pub fn build(
        data: &CatalogData,
        enabled_partners: &HashSet<&str>,
        parsed: &mut ParsedJwks,
        previous: Option<&ParsedJwks>,
    ) -> Self {
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
                (None, Some(doc)) => KeySource::Static(parsed.keys(
                    previous,
                    doc,
                    entente_domain::jwks::sole_rsa(&view.algorithms),
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

#[cfg(test)]
mod tests {
    use super::*;
    use entente_domain::keys::{SigningAlgorithm, generate};

    fn doc() -> (String, entente_domain::verified::KeyPrint) {
        let k = generate(SigningAlgorithm::Es256).expect("key");
        (
            serde_json::json!({"keys": [k.public_jwk]}).to_string(),
            entente_domain::verified::key_print(&k.public_jwk, Algorithm::ES256),
        )
    }

    #[test]
    fn a_reload_reuses_the_parse_of_an_unchanged_jwks_and_parses_a_changed_one() {
        let ((one, _), (two, two_print)) = (doc(), doc());
        let mut first = ParsedJwks::default();
        let a = first.keys(None, &one, None);
        assert_eq!(a.len(), 1);
        let mut second = ParsedJwks::default();
        assert!(Arc::ptr_eq(&a, &second.keys(Some(&first), &one, None)));
        let b = second.keys(Some(&first), &two, None);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].print, two_print, "a changed document is parsed anew");
        // Only what a build used is kept for the next.
        let mut third = ParsedJwks::default();
        third.keys(Some(&second), &two, None);
        assert_eq!(third.0.len(), 1);
        // The RSA default is part of what a document means.
        assert!(!Arc::ptr_eq(
            &a,
            &third.keys(Some(&first), &one, Some(Algorithm::RS256))
        ));
    }
}
