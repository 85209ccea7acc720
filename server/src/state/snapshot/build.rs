//! Building a `Snapshot` from one catalog load: index the rows, decide each client's role and
//! limit, hand out the in-process limiters (and drop those no entry holds any more), and reuse
//! the JWKS documents the previous snapshot already parsed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entente_domain::ScopeSet;
use entente_domain::client_auth::RegisteredAuth;
use entente_domain::environment::Environment;
use entente_domain::grant::AudienceView;
use entente_domain::ids::{AudienceId, PartnerId};
use entente_domain::lifecycle::Stage;
use entente_domain::rate_limit::{Effective, Policy, Rate, Setting, Tiers, partner_limit_key};
use entente_store::catalog::{CatalogData, ClientAuth, ClientKind};
use entente_store::catalog_rows::{ClientKeysRow, ClientRow, PartnerRow};

use super::{ClientEntry, ClientRole, Limiters, SecretHash, Snapshot, holds_tokens, policy_field};
use crate::limits::subject::{Registry, SubjectLimiter};
use crate::state::federation_snapshot::{FederationSnapshot, ParsedJwks};

pub(super) fn snapshot(
    data: CatalogData,
    registry: Option<&Registry>,
    previous: Option<&Snapshot>,
) -> Snapshot {
    let previous_jwks = previous.map(|p| &p.parsed_jwks);
    let mut parsed_jwks = ParsedJwks::default();
    let mut rows = Rows::index(&data);
    let mut limiters = LimiterPlan::new(registry, &data, &rows);
    let mut clients = HashMap::new();
    for c in data.clients.iter().filter(|c| c.enabled) {
        let Some(role) = rows.role(c) else { continue };
        let environment = Environment::from(c.environment);
        let limit = rows.client_limit(&c.client_id, &role);
        let registered = rows.jwks.get(c.client_id.as_str());
        let keys = registered
            .filter(|j| j.jwks_uri.is_none())
            .map(|j| parsed_jwks.keys(previous_jwks, &j.jwks, None))
            .unwrap_or_default();
        let keys_uri = registered
            .and_then(|j| j.jwks_uri.as_ref())
            .map(|u| (format!("client:{}:{u}", c.client_id), u.clone()));
        let entry = ClientEntry {
            partner_budget: match &role {
                ClientRole::Partner { partner_slug, .. } => {
                    Some(partner_limit_key(partner_slug, environment))
                }
                ClientRole::ResourceServer { .. } => None,
            },
            limiters: limiters.for_client(&c.client_id, &role, environment, limit),
            client_id: c.client_id.clone(),
            name: c.name.clone(),
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
            secret_hashes: rows
                .secrets
                .remove(c.client_id.as_str())
                .unwrap_or_default(),
            keys,
            limit,
            environment,
        };
        clients.insert(c.client_id.clone(), entry);
    }
    limiters.finish();
    let holding_partners: HashSet<&str> = data
        .partners
        .iter()
        .filter(|p| holds_tokens(p))
        .map(|p| p.id.as_str())
        .collect();
    let federation =
        FederationSnapshot::build(&data, &holding_partners, &mut parsed_jwks, previous_jwks);
    Snapshot {
        partner_limits: data
            .partners
            .iter()
            .filter(|p| holds_tokens(p))
            .filter_map(|p| rows.partner_limit(&p.id).map(|e| (p.slug.clone(), e.rate)))
            .collect(),
        holding: data
            .partners
            .iter()
            .filter(|p| holds_tokens(p))
            .map(|p| (p.slug.clone(), Stage::from(p.stage)))
            .collect(),
        audience_ids: data
            .audiences
            .iter()
            .map(|a| (AudienceId::from(a.id.as_str()), a.identifier.clone()))
            .collect(),
        audiences: audience_views(&data),
        grants: grants(&data, &holding_partners),
        clients,
        federation,
        parsed_jwks,
    }
}

/// The rows of one catalog load, indexed for building client entries.
struct Rows<'d> {
    partners: HashMap<&'d str, &'d PartnerRow>,
    /// Audience id → identifier.
    audience_identifiers: HashMap<&'d str, &'d str>,
    /// Taken out as each client's entry is built.
    secrets: HashMap<&'d str, Vec<SecretHash>>,
    jwks: HashMap<&'d str, &'d ClientKeysRow>,
    tiers: Tiers,
    settings: HashMap<&'d str, Setting>,
}

impl<'d> Rows<'d> {
    fn index(data: &'d CatalogData) -> Self {
        let mut secrets: HashMap<&str, Vec<SecretHash>> = HashMap::new();
        for s in &data.secrets {
            secrets
                .entry(s.client_id.as_str())
                .or_default()
                .push((s.hash.clone(), s.expires_at));
        }
        Self {
            partners: data.partners.iter().map(|p| (p.id.as_str(), p)).collect(),
            audience_identifiers: data
                .audiences
                .iter()
                .map(|a| (a.id.as_str(), a.identifier.as_str()))
                .collect(),
            secrets,
            jwks: data
                .jwks
                .iter()
                .map(|j| (j.client_id.as_str(), j))
                .collect(),
            tiers: entente_store::limits::tiers_of(&data.rate_tiers),
            settings: data
                .rate_limits
                .iter()
                .filter_map(|r| {
                    entente_store::limits::setting_of(r).map(|s| (r.subject.as_str(), s))
                })
                .collect(),
        }
    }

    fn partner_limit(&self, partner_id: &str) -> Option<Effective> {
        self.tiers
            .partner(self.settings.get(format!("partner:{partner_id}").as_str()))
    }

    /// What the client is, or none when it cannot authenticate at all: a resource server whose
    /// audience is gone, or a client of a partner that holds no tokens (disabled, suspended,
    /// not yet or no longer in a stage that issues in the client's environment).
    fn role(&self, c: &ClientRow) -> Option<ClientRole> {
        if c.kind == ClientKind::ResourceServer {
            let audience = c
                .audience_id
                .as_deref()
                .and_then(|id| self.audience_identifiers.get(id))?;
            return Some(ClientRole::ResourceServer {
                audience: (*audience).to_owned(),
            });
        }
        let environment = Environment::from(c.environment);
        let p = c
            .partner_id
            .as_deref()
            .and_then(|id| self.partners.get(id))
            .filter(|p| holds_tokens(p) && environment.issues_at(p.stage.into()))?;
        Some(ClientRole::Partner {
            partner_id: PartnerId::from(p.id.as_str()),
            partner_slug: p.slug.clone(),
        })
    }

    /// The client's own limit: its setting, else its partner's rate (or, for a resource
    /// server, the default tier).
    fn client_limit(&self, client_id: &str, role: &ClientRole) -> Option<Rate> {
        let own = self.settings.get(format!("client:{client_id}").as_str());
        match role {
            ClientRole::Partner { partner_id, .. } => self
                .tiers
                .partner_client(own, self.partner_limit(partner_id.as_str()).as_ref()),
            ClientRole::ResourceServer { .. } => self.tiers.resource_server(own),
        }
        .map(|e| e.rate)
    }
}

/// The in-process limiters the new snapshot's entries hold (none without a registry: the
/// command line's snapshots), and which subjects are still live: the registry forgets the rest.
struct LimiterPlan<'r, 'd> {
    registry: Option<&'r Registry>,
    /// A partner's limit is two budgets of the same rate, one per environment, so trials in the
    /// sandbox never spend production's.
    partners: HashMap<(&'d str, Environment), Arc<SubjectLimiter>>,
    live: HashSet<(Policy, String)>,
}

impl<'r, 'd> LimiterPlan<'r, 'd> {
    fn new(registry: Option<&'r Registry>, data: &'d CatalogData, rows: &Rows<'_>) -> Self {
        let mut plan = Self {
            registry,
            partners: HashMap::new(),
            live: HashSet::new(),
        };
        let Some(reg) = registry else { return plan };
        for p in data.partners.iter().filter(|p| holds_tokens(p)) {
            let Some(limit) = rows.partner_limit(&p.id) else {
                continue;
            };
            for env in [Environment::Production, Environment::Sandbox] {
                let key = partner_limit_key(&p.slug, env);
                plan.partners.insert(
                    (p.id.as_str(), env),
                    reg.subject(Policy::Partner, &key, limit.rate),
                );
                plan.live.insert((Policy::Partner, key));
            }
        }
        plan
    }

    fn for_client(
        &mut self,
        client_id: &str,
        role: &ClientRole,
        environment: Environment,
        limit: Option<Rate>,
    ) -> Limiters {
        let Some(reg) = self.registry else {
            return Limiters::default();
        };
        let client = limit.map(|r| reg.subject(Policy::Client, client_id, r));
        if client.is_some() {
            self.live.insert((Policy::Client, client_id.to_owned()));
        }
        let partner = match role {
            ClientRole::Partner { partner_id, .. } => self
                .partners
                .get(&(partner_id.as_str(), environment))
                .cloned(),
            ClientRole::ResourceServer { .. } => None,
        };
        let shown: Vec<&Arc<SubjectLimiter>> = client.iter().chain(partner.iter()).collect();
        Limiters {
            policy_field: policy_field(&shown),
            client,
            partner,
        }
    }

    fn finish(self) {
        if let Some(reg) = self.registry {
            reg.retain(&self.live);
        }
    }
}

/// Each audience with its scopes, by identifier.
fn audience_views(data: &CatalogData) -> HashMap<String, AudienceView> {
    let mut scopes: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in &data.scopes {
        scopes
            .entry(s.audience_id.as_str())
            .or_default()
            .push(s.name.as_str());
    }
    data.audiences
        .iter()
        .map(|a| {
            let view = AudienceView {
                id: AudienceId::from(a.id.as_str()),
                identifier: a.identifier.clone(),
                scopes: ScopeSet::from_tokens(
                    scopes.get(a.id.as_str()).cloned().unwrap_or_default(),
                ),
                token_lifetime: a.token_lifetime,
                enabled: a.enabled,
                environment: a.environment.into(),
            };
            (a.identifier.clone(), view)
        })
        .collect()
}

/// The grants of partners that hold tokens.
fn grants(
    data: &CatalogData,
    holding_partners: &HashSet<&str>,
) -> HashMap<(PartnerId, AudienceId), ScopeSet> {
    data.grants
        .iter()
        .filter(|g| holding_partners.contains(g.partner_id.as_str()))
        .map(|g| {
            (
                (
                    PartnerId::from(g.partner_id.as_str()),
                    AudienceId::from(g.audience_id.as_str()),
                ),
                ScopeSet::parse(&g.scopes).unwrap_or_default(),
            )
        })
        .collect()
}
