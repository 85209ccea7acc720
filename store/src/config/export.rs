//! The catalog as a `Config` document, read in bulk: one query per table, joined in memory,
//! so ten thousand partners export in a handful of queries.

use std::collections::HashMap;

use entente_domain::config::{
    AudienceConfig, ClientConfig, Config, GrantConfig, IssuerConfig, PartnerConfig, RuleConfig,
    ScopeConfig, VERSION,
};
use entente_domain::federation::rules::{format_claim_passes, format_scope_mappings};
use entente_domain::onboarding::PartnerRecord;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{
    audience, client, client_jwks, grant, partner, partner_record, scope, trust_rule,
    trusted_issuer,
};
use crate::enums::ClientKind;
use crate::{Result, Store};

/// A document's parts by the id of the partner they belong to.
type ByPartner<T> = HashMap<String, Vec<T>>;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl Store {
    /// The catalog as a document: partner clients (never secrets), not resource servers.
    pub async fn export_config(&self) -> Result<Config> {
        let db = self.db();
        let audiences = audience::Entity::find()
            .order_by_asc(audience::Column::Identifier)
            .all(db)
            .await?;
        let mut scopes = scopes_by_audience(db).await?;
        let aud_name: HashMap<String, String> = audiences
            .iter()
            .map(|a| (a.id.clone(), a.identifier.clone()))
            .collect();
        let records = records_by_partner(db).await?;
        let mut clients = clients_by_partner(db).await?;
        let mut grants = grants_by_partner(db, &aud_name).await?;
        let (issuer_name, mut issuers) = issuers_by_partner(db).await?;
        let mut rules = rules_by_partner(db, &issuer_name, &aud_name).await?;
        let partners = partner::Entity::find()
            .order_by_asc(partner::Column::Slug)
            .all(db)
            .await?
            .into_iter()
            .map(|p| {
                let mut g = grants.remove(&p.id).unwrap_or_default();
                g.sort_by(|a, b| a.audience.cmp(&b.audience));
                let mut r = rules.remove(&p.id).unwrap_or_default();
                r.sort_by(|a, b| (&a.issuer, &a.audience).cmp(&(&b.issuer, &b.audience)));
                PartnerConfig {
                    record: records
                        .get(&p.id)
                        .filter(|r| **r != PartnerRecord::default())
                        .cloned(),
                    clients: clients.remove(&p.id).unwrap_or_default(),
                    issuers: issuers.remove(&p.id).unwrap_or_default(),
                    grants: g,
                    trust_rules: r,
                    stage: p.stage.to_string(),
                    suspended_reason: p.suspended_reason,
                    slug: p.slug,
                    name: p.name,
                }
            })
            .collect();
        Ok(Config {
            version: VERSION,
            audiences: audiences
                .into_iter()
                .map(|a| AudienceConfig {
                    scopes: scopes
                        .remove(&a.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| ScopeConfig {
                            name: s.name,
                            description: s.description,
                            sensitivity: s.sensitivity,
                        })
                        .collect(),
                    identifier: a.identifier,
                    name: a.name,
                    token_lifetime: a.token_lifetime,
                    environment: a.environment.into(),
                })
                .collect(),
            partners,
        })
    }
}

/// Every scope by its audience's id, by name within each.
async fn scopes_by_audience(db: &DatabaseConnection) -> Result<HashMap<String, Vec<scope::Model>>> {
    let mut scopes: HashMap<String, Vec<scope::Model>> = HashMap::new();
    for s in scope::Entity::find()
        .order_by_asc(scope::Column::Name)
        .all(db)
        .await?
    {
        scopes.entry(s.audience_id.clone()).or_default().push(s);
    }
    Ok(scopes)
}

async fn records_by_partner(db: &DatabaseConnection) -> Result<HashMap<String, PartnerRecord>> {
    Ok(partner_record::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.partner_id,
                serde_json::from_str(&r.record).unwrap_or_default(),
            )
        })
        .collect())
}

/// Partner clients with their registered keys; resource servers' clients stay out.
async fn clients_by_partner(db: &DatabaseConnection) -> Result<ByPartner<ClientConfig>> {
    let jwks: HashMap<String, client_jwks::Model> = client_jwks::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|j| (j.client_id.clone(), j))
        .collect();
    let mut clients: HashMap<String, Vec<ClientConfig>> = HashMap::new();
    for c in client::Entity::find()
        .filter(client::Column::Kind.eq(ClientKind::Partner))
        .order_by_asc(client::Column::ClientId)
        .all(db)
        .await?
    {
        let Some(pid) = c.partner_id.clone() else {
            continue;
        };
        clients.entry(pid).or_default().push(ClientConfig {
            jwks: jwks
                .get(&c.client_id)
                .filter(|j| j.jwks_uri.is_none())
                .map(|j| j.jwks.clone()),
            jwks_uri: jwks.get(&c.client_id).and_then(|j| j.jwks_uri.clone()),
            client_id: c.client_id,
            name: c.name,
            auth_method: c.auth_method.to_string(),
            grant_types: words(&c.grant_types),
            scopes: words(&c.allowed_scopes),
            enabled: c.enabled,
            environment: c.environment.into(),
        });
    }
    Ok(clients)
}

/// Non-empty grants, each naming its audience by identifier (`aud_name`: id → identifier).
async fn grants_by_partner(
    db: &DatabaseConnection,
    aud_name: &HashMap<String, String>,
) -> Result<ByPartner<GrantConfig>> {
    let mut grants: HashMap<String, Vec<GrantConfig>> = HashMap::new();
    for g in grant::Entity::find().all(db).await? {
        if g.scopes.trim().is_empty() {
            continue;
        }
        if let Some(a) = aud_name.get(&g.audience_id) {
            grants.entry(g.partner_id).or_default().push(GrantConfig {
                audience: a.clone(),
                scopes: words(&g.scopes),
            });
        }
    }
    Ok(grants)
}

/// Trusted issuers by partner, and each issuer's name by its id (rules name their issuer).
async fn issuers_by_partner(
    db: &DatabaseConnection,
) -> Result<(HashMap<String, String>, ByPartner<IssuerConfig>)> {
    let mut issuer_name = HashMap::new();
    let mut issuers: HashMap<String, Vec<IssuerConfig>> = HashMap::new();
    for i in trusted_issuer::Entity::find()
        .order_by_asc(trusted_issuer::Column::Issuer)
        .all(db)
        .await?
    {
        issuer_name.insert(i.id.clone(), i.issuer.clone());
        issuers
            .entry(i.partner_id.clone())
            .or_default()
            .push(IssuerConfig {
                issuer: i.issuer,
                jwks_uri: i.jwks_uri,
                jwks: i.jwks,
                algorithms: words(&i.algorithms),
                audiences: words(&i.audiences),
                kinds: words(&i.kinds),
                max_age: i.max_age,
                skew: i.skew,
                subject_claim: i.subject_claim,
                subject_claim_guaranteed: i.subject_claim_guaranteed,
                access_tokens_typed_jwt: i.access_tokens_typed_jwt,
                enabled: i.enabled,
            });
    }
    Ok((issuer_name, issuers))
}

/// Trust rules naming their issuer and audience; a rule whose either is gone is left out.
async fn rules_by_partner(
    db: &DatabaseConnection,
    issuer_name: &HashMap<String, String>,
    aud_name: &HashMap<String, String>,
) -> Result<ByPartner<RuleConfig>> {
    let mut rules: HashMap<String, Vec<RuleConfig>> = HashMap::new();
    for r in trust_rule::Entity::find().all(db).await? {
        let (Some(issuer), Some(audience)) =
            (issuer_name.get(&r.issuer_id), aud_name.get(&r.audience_id))
        else {
            continue;
        };
        let claims = serde_json::from_str::<Vec<_>>(&r.claims).unwrap_or_default();
        let mappings = serde_json::from_str::<Vec<_>>(&r.mappings).unwrap_or_default();
        rules
            .entry(r.partner_id.clone())
            .or_default()
            .push(RuleConfig {
                issuer: issuer.clone(),
                audience: audience.clone(),
                scopes: r.scopes,
                claims: format_claim_passes(&claims),
                mappings: format_scope_mappings(&mappings),
                pairwise: r.pairwise,
                delegation: r.delegation,
                delegation_only: r.delegation_only,
                max_depth: u8::try_from(r.max_depth).unwrap_or(u8::MAX),
                refresh: r.refresh,
                lifetime: r.lifetime,
                refresh_lifetime: r.refresh_lifetime,
                enabled: r.enabled,
            });
    }
    Ok(rules)
}
