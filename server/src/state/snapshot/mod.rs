//! The in-memory view of the catalog that the token endpoint reads: no database access per
//! request. Rebuilt from the store whenever the change feed reports a catalog change.

mod build;

use std::collections::HashMap;

use entente_domain::ScopeSet;
use entente_domain::client_auth::RegisteredAuth;
use entente_domain::environment::Environment;
use entente_domain::federation::{Federation, TrustRule, TrustedIssuer};
use entente_domain::grant::{AudienceView, Catalog};
use entente_domain::ids::{AudienceId, IssuerId, PartnerId, RuleId};
use entente_domain::jwks::VerifyingKey;
use entente_domain::lifecycle::Stage;
use entente_domain::rate_limit::Rate;
use entente_store::catalog::CatalogData;
use std::sync::Arc;

use crate::limits::subject::{Registry, SubjectLimiter};
use crate::state::federation_snapshot::{FederationSnapshot, ParsedJwks};

#[derive(Debug, Clone)]
pub enum ClientRole {
    /// A partner's client: gets tokens.
    Partner {
        partner_id: PartnerId,
        partner_slug: String,
    },
    /// An API's own client: introspects tokens issued for its audience.
    ResourceServer { audience: String },
}

#[derive(Debug, Clone)]
pub struct ClientEntry {
    pub client_id: String,
    /// As people named it: usage reports show it beside the id.
    pub name: String,
    pub role: ClientRole,
    pub registered: RegisteredAuth,
    pub grant_types: Vec<String>,
    pub allowed_scopes: ScopeSet,
    /// Keyed hashes of the live secrets, each with when it stops working (a rotated-out secret
    /// during its overlap): checked on every request, not only when the catalog reloads.
    pub secret_hashes: Vec<SecretHash>,
    pub keys: Arc<Vec<VerifyingKey>>,
    /// Where the client publishes its keys, when it does so instead of registering them
    /// (fetched through the same guarded, cached fetcher as trusted issuers' keys): the
    /// fetcher's cache key (client and address, so moved keys start afresh) and the address.
    pub keys_uri: Option<(String, String)>,
    /// This client's own rate limit (its setting, else its partner's rate or the default tier).
    pub limit: Option<Rate>,
    /// In-process limiters of this client and of its partner, and the `RateLimit-Policy`
    /// field they give (rendered once per catalog reload, not per request).
    pub limiters: Limiters,
    /// Where its tokens come from: it is served only at that environment's endpoints.
    pub environment: Environment,
    /// Its partner's rate-limit subject in that environment (`rate_limit::partner_limit_key`).
    pub partner_budget: Option<String>,
}

/// A secret's keyed hash and when it stops working (none: until rotated).
pub type SecretHash = (Vec<u8>, Option<i64>);

#[derive(Clone, Default)]
pub struct Limiters {
    pub client: Option<Arc<SubjectLimiter>>,
    pub partner: Option<Arc<SubjectLimiter>>,
    pub policy_field: Option<axum::http::HeaderValue>,
}

impl std::fmt::Debug for Limiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiters")
            .field("client", &self.client.as_ref().map(|l| l.rate))
            .field("partner", &self.partner.as_ref().map(|l| l.rate))
            .finish()
    }
}

/// The `RateLimit-Policy` field of these limiters, rendered once.
fn policy_field(l: &[&Arc<SubjectLimiter>]) -> Option<axum::http::HeaderValue> {
    let v = entente_domain::rate_limit::Verdict {
        states: l
            .iter()
            .map(|s| entente_domain::rate_limit::PolicyState {
                policy: s.policy,
                rate: s.rate,
                remaining: 0,
                wait_ns: 0,
            })
            .collect(),
        refused_for_ns: None,
    };
    v.policy_field()
        .and_then(|f| axum::http::HeaderValue::from_str(&f).ok())
}

#[derive(Debug, Default)]
pub struct Snapshot {
    clients: HashMap<String, ClientEntry>,
    audiences: HashMap<String, AudienceView>,
    grants: HashMap<(PartnerId, AudienceId), ScopeSet>,
    audience_ids: HashMap<AudienceId, String>,
    /// The partners whose clients may hold tokens (enabled, sandbox or production), by slug,
    /// with their stage (production tokens need production).
    holding: HashMap<String, Stage>,
    /// Each partner's limit over all its clients, by slug.
    partner_limits: HashMap<String, Rate>,
    pub federation: FederationSnapshot,
    /// The JWKS documents parsed for this snapshot, for the next reload to reuse.
    parsed_jwks: ParsedJwks,
}

/// A partner's clients get tokens only while it is enabled and in sandbox or production: a
/// suspended (or applied, or offboarded) partner's clients do not authenticate at all.
fn holds_tokens(p: &entente_store::catalog_rows::PartnerRow) -> bool {
    p.enabled && entente_domain::lifecycle::Stage::from(p.stage).holds_tokens()
}

impl Snapshot {
    /// A snapshot without in-process limiters (the command line's).
    pub fn build(data: CatalogData) -> Self {
        Self::build_after(data, None, None)
    }

    /// A snapshot whose entries hold their subjects' limiters from `registry` (the server's),
    /// reusing what `previous` (the snapshot being replaced) already parsed.
    pub fn build_after(
        data: CatalogData,
        registry: Option<&Registry>,
        previous: Option<&Snapshot>,
    ) -> Self {
        build::snapshot(data, registry, previous)
    }

    /// False for a suspended, offboarded or disabled partner: its tokens are not honoured,
    /// whenever they were issued (a replica may sign one before it hears of a suspension).
    /// Production tokens also need the partner in production (a partner moved back to the
    /// sandbox keeps only its sandbox tokens).
    pub fn partner_holds_tokens(&self, slug: &str, env: Environment) -> bool {
        self.holding.get(slug).is_some_and(|s| env.issues_at(*s))
    }

    /// A partner's limit over all its clients (`None`: unlimited).
    pub fn partner_limit(&self, slug: &str) -> Option<Rate> {
        self.partner_limits.get(slug).copied()
    }

    pub fn client(&self, client_id: &str) -> Option<&ClientEntry> {
        self.clients.get(client_id)
    }
}

impl Catalog for Snapshot {
    fn audience_by_identifier(&self, identifier: &str) -> Option<&AudienceView> {
        self.audiences.get(identifier)
    }

    fn grant(&self, partner_id: &PartnerId, audience_id: &AudienceId) -> Option<&ScopeSet> {
        self.grants.get(&(partner_id.clone(), audience_id.clone()))
    }

    fn granted_audiences(&self, partner_id: &PartnerId) -> Vec<&AudienceView> {
        self.audiences
            .values()
            .filter(|a| {
                a.enabled
                    && self
                        .grants
                        .contains_key(&(partner_id.clone(), a.id.clone()))
            })
            .collect()
    }
}

impl Federation for Snapshot {
    fn trusted_issuer(&self, partner_id: &PartnerId, iss: &str) -> Option<&TrustedIssuer> {
        self.federation.issuer(partner_id, iss)
    }
    fn trust_rule(
        &self,
        partner_id: &PartnerId,
        issuer_id: &IssuerId,
        audience_id: &AudienceId,
    ) -> Option<&TrustRule> {
        self.federation.rule(partner_id, issuer_id, audience_id)
    }
    fn trust_rule_by_id(&self, rule_id: &RuleId) -> Option<&TrustRule> {
        self.federation.rule_by_id(rule_id)
    }
    fn trusted_issuer_by_id(&self, issuer_id: &IssuerId) -> Option<&TrustedIssuer> {
        self.federation.issuer_by_id(issuer_id)
    }
    fn has_rules(&self, partner_id: &PartnerId, issuer_id: &IssuerId) -> bool {
        self.federation.has_rules(partner_id, issuer_id)
    }
    fn audience_by_id(&self, audience_id: &AudienceId) -> Option<&AudienceView> {
        self.audience_ids
            .get(audience_id)
            .and_then(|ident| self.audiences.get(ident))
    }
}
