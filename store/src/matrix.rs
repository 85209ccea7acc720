//! The scope matrix: partners (paged on the server) × scopes (grouped by audience), each cell
//! granted / requested / not granted and whether a trust rule covers it.

use std::collections::{HashMap, HashSet};

use entente_domain::ScopeSet;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::entities::{audience, change_request, client, grant, partner, scope, trust_rule};
use crate::enums::{PartnerStage, RequestStatusColumn};
use crate::governance::Change;
use crate::{Actor, Result, Store, StoreError, audit};

/// Scope sensitivities, least to most.
pub const SENSITIVITIES: [&str; 3] = ["low", "medium", "high"];

#[derive(Debug, Clone, Default)]
pub struct MatrixQuery {
    pub audience: Option<String>,
    pub sensitivity: Option<String>,
    pub stage: Option<PartnerStage>,
    /// Part of a slug or name.
    pub search: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub audience: String,
    pub scope: String,
    pub description: String,
    pub sensitivity: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    pub granted: bool,
    /// In a pending change request's grant.
    pub requested: bool,
    /// An enabled trust rule of the partner covers it (for token exchange).
    pub rule: bool,
}

#[derive(Debug, Clone)]
pub struct MatrixClient {
    pub client_id: String,
    pub name: String,
    /// Per column: the client may ask for the scope.
    pub allowed: Vec<bool>,
}

#[derive(Debug, Clone)]
pub struct MatrixRow {
    pub partner: partner::Model,
    pub cells: Vec<Cell>,
    pub clients: Vec<MatrixClient>,
}

#[derive(Debug, Clone)]
pub struct Matrix {
    pub columns: Vec<Column>,
    pub rows: Vec<MatrixRow>,
    /// Partners matching the filters (all pages).
    pub total: u64,
}

impl Store {
    pub async fn scope_matrix(&self, q: &MatrixQuery) -> Result<Matrix> {
        let db = self.db();
        let mut auds = audience::Entity::find().order_by_asc(audience::Column::Identifier);
        if let Some(a) = q.audience.as_deref().filter(|a| !a.is_empty()) {
            auds = auds.filter(audience::Column::Identifier.eq(a));
        }
        let auds = auds.all(db).await?;
        let aud_ids: Vec<String> = auds.iter().map(|a| a.id.clone()).collect();
        let ident: HashMap<&str, &str> = auds
            .iter()
            .map(|a| (a.id.as_str(), a.identifier.as_str()))
            .collect();
        let columns = columns_of(db, q, &aud_ids, &ident).await?;
        let (partners, total) = partners_page(db, q).await?;
        let pids: Vec<String> = partners.iter().map(|p| p.id.clone()).collect();

        // What each partner holds, per (audience identifier, scope).
        let grants = grant::Entity::find()
            .filter(grant::Column::PartnerId.is_in(pids.clone()))
            .filter(grant::Column::AudienceId.is_in(aud_ids.clone()))
            .all(db)
            .await?;
        let granted = by_partner(
            grants
                .iter()
                .map(|g| (&g.partner_id, &g.audience_id, &g.scopes)),
            &ident,
        );
        let rules = trust_rule::Entity::find()
            .filter(trust_rule::Column::PartnerId.is_in(pids.clone()))
            .filter(trust_rule::Column::Enabled.eq(true))
            .all(db)
            .await?;
        let ruled = by_partner(
            rules
                .iter()
                .map(|r| (&r.partner_id, &r.audience_id, &r.scopes)),
            &ident,
        );
        let pending = change_request::Entity::find()
            .filter(change_request::Column::PartnerId.is_in(pids.clone()))
            .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
            .filter(change_request::Column::Kind.is_in(["grant", "grants"]))
            .all(db)
            .await?;
        let requested = requested_by_partner(&pending);
        let clients = client::Entity::find()
            .filter(client::Column::PartnerId.is_in(pids))
            .order_by_asc(client::Column::Name)
            .all(db)
            .await?;
        let empty = HashSet::new();
        let rows = partners
            .into_iter()
            .map(|p| {
                let g = granted.get(p.id.as_str()).unwrap_or(&empty);
                let r = ruled.get(p.id.as_str()).unwrap_or(&empty);
                let req = requested.get(&p.id).unwrap_or(&empty);
                MatrixRow {
                    cells: cells_of(&columns, g, r, req),
                    clients: clients_of(&p, &columns, &clients),
                    partner: p,
                }
            })
            .collect();
        Ok(Matrix {
            columns,
            rows,
            total,
        })
    }

    /// A scope's description and sensitivity (audited).
    pub async fn set_scope_info(
        &self,
        actor: &Actor,
        audience_identifier: &str,
        name: &str,
        description: &str,
        sensitivity: &str,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        set_scope_info_in(
            &txn,
            actor,
            audience_identifier,
            name,
            description,
            sensitivity,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// The matrix's columns: the scopes of the selected audiences, by audience identifier then
/// name (`ident`: audience id → identifier).
async fn columns_of(
    db: &DatabaseConnection,
    q: &MatrixQuery,
    aud_ids: &[String],
    ident: &HashMap<&str, &str>,
) -> Result<Vec<Column>> {
    let mut sq = scope::Entity::find()
        .filter(scope::Column::AudienceId.is_in(aud_ids.to_vec()))
        .order_by_asc(scope::Column::Name);
    if let Some(s) = q.sensitivity.as_deref().filter(|s| !s.is_empty()) {
        sq = sq.filter(scope::Column::Sensitivity.eq(s));
    }
    let mut scopes = sq.all(db).await?;
    scopes.sort_by(|a, b| {
        (ident.get(a.audience_id.as_str()), &a.name)
            .cmp(&(ident.get(b.audience_id.as_str()), &b.name))
    });
    Ok(scopes
        .iter()
        .map(|s| Column {
            audience: ident
                .get(s.audience_id.as_str())
                .map(|a| (*a).to_owned())
                .unwrap_or_default(),
            scope: s.name.clone(),
            description: s.description.clone(),
            sensitivity: s.sensitivity.clone(),
        })
        .collect())
}

/// The page of partners the query selects, and how many it selects on all pages.
async fn partners_page(
    db: &DatabaseConnection,
    q: &MatrixQuery,
) -> Result<(Vec<partner::Model>, u64)> {
    let mut pq = partner::Entity::find().order_by_asc(partner::Column::Slug);
    if let Some(st) = q.stage {
        pq = pq.filter(partner::Column::Stage.eq(st));
    }
    if let Some(t) = q.search.as_deref().filter(|t| !t.is_empty()) {
        pq = pq.filter(
            partner::Column::Slug
                .contains(t)
                .or(partner::Column::Name.contains(t)),
        );
    }
    let total = pq.clone().count(db).await?;
    let partners = pq
        .offset(crate::bounded(q.offset))
        .limit(q.limit.clamp(1, 200))
        .all(db)
        .await?;
    Ok((partners, total))
}

/// A cell's key: scope names repeat across audiences.
fn key(aud: &str, s: &str) -> String {
    format!("{aud} {s}")
}

/// The keys each partner holds through grants or trust rules, given as (partner id, audience
/// id, space-separated scopes).
fn by_partner<'a>(
    held: impl Iterator<Item = (&'a String, &'a String, &'a String)>,
    ident: &HashMap<&str, &str>,
) -> HashMap<&'a str, HashSet<String>> {
    let mut by: HashMap<&str, HashSet<String>> = HashMap::new();
    for (partner_id, audience_id, scopes) in held {
        let aud = ident.get(audience_id.as_str()).copied().unwrap_or("");
        let set = by.entry(partner_id.as_str()).or_default();
        set.extend(scopes.split_whitespace().map(|s| key(aud, s)));
    }
    by
}

/// The keys each partner asks for in its pending grant requests.
fn requested_by_partner(pending: &[change_request::Model]) -> HashMap<String, HashSet<String>> {
    let mut requested: HashMap<String, HashSet<String>> = HashMap::new();
    for r in pending {
        let set = requested.entry(r.partner_id.clone()).or_default();
        match serde_json::from_str::<Change>(&r.payload) {
            Ok(Change::Grant {
                audience, scopes, ..
            }) => set.extend(scopes.iter().map(|s| key(&audience, s))),
            Ok(Change::Grants { grants, .. }) => {
                for g in grants {
                    set.extend(g.scopes.iter().map(|s| key(&g.audience, s)));
                }
            }
            _ => {}
        }
    }
    requested
}

/// One partner's cells from the keys it holds through grants (`g`) and trust rules (`r`) and
/// asks for (`req`); a scope already granted is never shown as requested.
fn cells_of(
    columns: &[Column],
    g: &HashSet<String>,
    r: &HashSet<String>,
    req: &HashSet<String>,
) -> Vec<Cell> {
    columns
        .iter()
        .map(|c| {
            let k = key(&c.audience, &c.scope);
            let granted = g.contains(&k);
            Cell {
                granted,
                requested: !granted && req.contains(&k),
                rule: r.contains(&k),
            }
        })
        .collect()
}

/// The partner's clients, each with the columns it may ask for.
fn clients_of(
    p: &partner::Model,
    columns: &[Column],
    clients: &[client::Model],
) -> Vec<MatrixClient> {
    clients
        .iter()
        .filter(|c| c.partner_id.as_deref() == Some(p.id.as_str()))
        .map(|c| {
            let allowed = ScopeSet::from_tokens(c.allowed_scopes.split_whitespace());
            MatrixClient {
                client_id: c.client_id.clone(),
                name: c.name.clone(),
                allowed: columns
                    .iter()
                    .map(|col| allowed.contains(&col.scope))
                    .collect(),
            }
        })
        .collect()
}

/// `Store::set_scope_info` inside a caller's transaction.
pub(crate) async fn set_scope_info_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    audience_identifier: &str,
    name: &str,
    description: &str,
    sensitivity: &str,
    now: i64,
) -> Result<()> {
    use sea_orm::ActiveModelTrait;
    if !SENSITIVITIES.contains(&sensitivity) {
        return Err(StoreError::Invalid(
            "sensitivity is low, medium or high".into(),
        ));
    }
    let description = description.trim();
    if description.chars().count() > 500 || description.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "a description is at most 500 characters without control characters".into(),
        ));
    }
    let a = crate::catalog::audience_by_identifier_in(txn, audience_identifier).await?;
    let before = scope::Entity::find_by_id((a.id.clone(), name.to_owned()))
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("scope {name} of {audience_identifier}")))?;
    let mut am: scope::ActiveModel = before.clone().into();
    am.description = sea_orm::Set(description.to_owned());
    am.sensitivity = sea_orm::Set(sensitivity.to_owned());
    am.update(txn).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::ScopeInfo,
        &format!("scope:{audience_identifier}:{name}"),
        json!({"before": {"description": before.description, "sensitivity": before.sensitivity},
               "after": {"description": description, "sensitivity": sensitivity}}),
        now,
    )
    .await?;
    crate::changes::publish(txn, crate::changes::topic::CATALOG, now).await?;
    Ok(())
}
