//! The in-memory view of the catalog that the token endpoint reads: no database access per
//! request. Rebuilt from the store whenever the change feed reports a catalog change.

use std::collections::HashMap;

use entente_domain::ScopeSet;
use entente_domain::client_auth::RegisteredAuth;
use entente_domain::environment::Environment;
use entente_domain::federation::{Federation, TrustRule, TrustedIssuer};
use entente_domain::grant::{AudienceView, Catalog};
use entente_domain::ids::{AudienceId, IssuerId, PartnerId, RuleId};
use entente_domain::jwks::VerifyingKey;
use entente_domain::lifecycle::Stage;
use std::sync::Arc;

use entente_domain::rate_limit::{Policy, Rate, Setting, partner_limit_key};

use crate::limits::subject::{Registry, SubjectLimiter};
use entente_store::catalog::{CatalogData, ClientAuth, ClientKind};

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
        let previous_jwks = previous.map(|p| &p.parsed_jwks);
        let mut parsed_jwks = ParsedJwks::default();
        let partners: HashMap<&str, &entente_store::catalog_rows::PartnerRow> =
            data.partners.iter().map(|p| (p.id.as_str(), p)).collect();
        let mut audience_scopes: HashMap<&str, Vec<&str>> = HashMap::new();
        for s in &data.scopes {
            audience_scopes
                .entry(s.audience_id.as_str())
                .or_default()
                .push(s.name.as_str());
        }
        let audiences: HashMap<String, AudienceView> = data
            .audiences
            .iter()
            .map(|a| {
                let view = AudienceView {
                    id: AudienceId::from(a.id.as_str()),
                    identifier: a.identifier.clone(),
                    scopes: ScopeSet::from_tokens(
                        audience_scopes
                            .get(a.id.as_str())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    token_lifetime: a.token_lifetime,
                    enabled: a.enabled,
                    environment: a.environment.into(),
                };
                (a.identifier.clone(), view)
            })
            .collect();
        let audience_ident: HashMap<&str, &str> = data
            .audiences
            .iter()
            .map(|a| (a.id.as_str(), a.identifier.as_str()))
            .collect();
        let mut secrets: HashMap<&str, Vec<SecretHash>> = HashMap::new();
        for s in &data.secrets {
            secrets
                .entry(s.client_id.as_str())
                .or_default()
                .push((s.hash.clone(), s.expires_at));
        }
        let jwks: HashMap<&str, &entente_store::catalog_rows::ClientKeysRow> = data
            .jwks
            .iter()
            .map(|j| (j.client_id.as_str(), j))
            .collect();
        let tiers = entente_store::limits::tiers_of(&data.rate_tiers);
        let settings: HashMap<&str, Setting> = data
            .rate_limits
            .iter()
            .filter_map(|r| entente_store::limits::setting_of(r).map(|s| (r.subject.as_str(), s)))
            .collect();
        let partner_limit =
            |id: &str| tiers.partner(settings.get(format!("partner:{id}").as_str()));
        let mut live = std::collections::HashSet::new();
        // A partner's limit is two budgets of the same rate, one per environment, so trials in
        // the sandbox never spend production's.
        let mut partner_limiters: HashMap<(&str, Environment), Arc<SubjectLimiter>> =
            HashMap::new();
        if let Some(reg) = registry {
            for p in data.partners.iter().filter(|p| holds_tokens(p)) {
                if let Some(e) = partner_limit(&p.id) {
                    for env in [Environment::Production, Environment::Sandbox] {
                        let key = partner_limit_key(&p.slug, env);
                        partner_limiters.insert(
                            (p.id.as_str(), env),
                            reg.subject(Policy::Partner, &key, e.rate),
                        );
                        live.insert((Policy::Partner, key));
                    }
                }
            }
        }
        let mut clients = HashMap::new();
        for c in data.clients.iter().filter(|c| c.enabled) {
            let environment = Environment::from(c.environment);
            let role = if c.kind == ClientKind::ResourceServer {
                match c
                    .audience_id
                    .as_deref()
                    .and_then(|id| audience_ident.get(id))
                {
                    Some(a) => ClientRole::ResourceServer {
                        audience: (*a).to_owned(),
                    },
                    None => continue,
                }
            } else {
                // A client of a disabled partner cannot authenticate at all.
                match c
                    .partner_id
                    .as_deref()
                    .and_then(|id| partners.get(id))
                    .filter(|p| holds_tokens(p) && environment.issues_at(p.stage.into()))
                {
                    Some(p) => ClientRole::Partner {
                        partner_id: PartnerId::from(p.id.as_str()),
                        partner_slug: p.slug.clone(),
                    },
                    None => continue,
                }
            };
            let own = settings.get(format!("client:{}", c.client_id).as_str());
            let limit = match &role {
                ClientRole::Partner { partner_id, .. } => {
                    tiers.partner_client(own, partner_limit(partner_id.as_str()).as_ref())
                }
                ClientRole::ResourceServer { .. } => tiers.resource_server(own),
            }
            .map(|e| e.rate);
            let limiters = match registry {
                None => Limiters::default(),
                Some(reg) => {
                    let client = limit.map(|r| reg.subject(Policy::Client, &c.client_id, r));
                    if client.is_some() {
                        live.insert((Policy::Client, c.client_id.clone()));
                    }
                    let partner = match &role {
                        ClientRole::Partner { partner_id, .. } => partner_limiters
                            .get(&(partner_id.as_str(), environment))
                            .cloned(),
                        ClientRole::ResourceServer { .. } => None,
                    };
                    let shown: Vec<&Arc<SubjectLimiter>> =
                        client.iter().chain(partner.iter()).collect();
                    Limiters {
                        policy_field: policy_field(&shown),
                        client,
                        partner,
                    }
                }
            };
            let registered = jwks.get(c.client_id.as_str());
            let keys = registered
                .filter(|j| j.jwks_uri.is_none())
                .map(|j| parsed_jwks.keys(previous_jwks, &j.jwks, None))
                .unwrap_or_default();
            let keys_uri = registered
                .and_then(|j| j.jwks_uri.as_ref())
                .map(|u| (format!("client:{}:{u}", c.client_id), u.clone()));
            clients.insert(
                c.client_id.clone(),
                ClientEntry {
                    partner_budget: match &role {
                        ClientRole::Partner { partner_slug, .. } => {
                            Some(partner_limit_key(partner_slug, environment))
                        }
                        ClientRole::ResourceServer { .. } => None,
                    },
                    client_id: c.client_id.clone(),
                    keys_uri,
                    role,
                    registered: if c.auth_method == ClientAuth::PrivateKeyJwt {
                        RegisteredAuth::PrivateKeyJwt
                    } else {
                        RegisteredAuth::Secret
                    },
                    grant_types: c
                        .grant_types
                        .split(' ')
                        .filter(|g| !g.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    allowed_scopes: ScopeSet::parse(&c.allowed_scopes).unwrap_or_default(),
                    secret_hashes: secrets.remove(c.client_id.as_str()).unwrap_or_default(),
                    keys,
                    limit,
                    limiters,
                    environment,
                },
            );
        }
        let grants = data
            .grants
            .iter()
            .filter(|g| {
                partners
                    .get(g.partner_id.as_str())
                    .is_some_and(|p| holds_tokens(p))
            })
            .map(|g| {
                (
                    (
                        PartnerId::from(g.partner_id.as_str()),
                        AudienceId::from(g.audience_id.as_str()),
                    ),
                    ScopeSet::parse(&g.scopes).unwrap_or_default(),
                )
            })
            .collect();
        let enabled: std::collections::HashSet<&str> = data
            .partners
            .iter()
            .filter(|p| holds_tokens(p))
            .map(|p| p.id.as_str())
            .collect();
        let federation =
            FederationSnapshot::build(&data, &enabled, &mut parsed_jwks, previous_jwks);
        let holding = data
            .partners
            .iter()
            .filter(|p| holds_tokens(p))
            .map(|p| (p.slug.clone(), Stage::from(p.stage)))
            .collect();
        if let Some(reg) = registry {
            reg.retain(&live);
        }
        let partner_limits = data
            .partners
            .iter()
            .filter(|p| holds_tokens(p))
            .filter_map(|p| partner_limit(&p.id).map(|e| (p.slug.clone(), e.rate)))
            .collect();
        Self {
            partner_limits,
            holding,
            audience_ids: data
                .audiences
                .iter()
                .map(|a| (AudienceId::from(a.id.as_str()), a.identifier.clone()))
                .collect(),
            clients,
            audiences,
            grants,
            federation,
            parsed_jwks,
        }
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
