//! Audiences with their scopes, and partners' grants on them.

use entente_domain::ScopeSet;
use entente_domain::names;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::{NewAudience, invalid, partner_by_slug_in};
use crate::changes::{publish, topic};
use crate::entities::{audience, grant, scope};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

impl Store {
    pub async fn create_audience(
        &self,
        actor: &Actor,
        a: NewAudience,
        now: i64,
    ) -> Result<audience::Model> {
        let txn = self.write().await?;
        let model = create_audience_in(&txn, actor, a, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    pub async fn audience_by_identifier(&self, identifier: &str) -> Result<audience::Model> {
        audience::Entity::find()
            .filter(audience::Column::Identifier.eq(identifier))
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("audience {identifier}")))
    }

    /// One audience with its scopes.
    pub async fn audience_with_scopes(
        &self,
        identifier: &str,
    ) -> Result<(audience::Model, Vec<scope::Model>)> {
        let a = self.audience_by_identifier(identifier).await?;
        let scopes = scope::Entity::find()
            .filter(scope::Column::AudienceId.eq(&a.id))
            .order_by_asc(scope::Column::Name)
            .all(self.db())
            .await?;
        Ok((a, scopes))
    }

    /// Audiences with their scopes (one query each for audiences and scopes).
    pub async fn list_audiences(&self) -> Result<Vec<(audience::Model, Vec<scope::Model>)>> {
        let auds = audience::Entity::find()
            .order_by_asc(audience::Column::Identifier)
            .all(self.db())
            .await?;
        let scopes = scope::Entity::find()
            .order_by_asc(scope::Column::Name)
            .all(self.db())
            .await?;
        Ok(with_scopes(auds, scopes))
    }

    /// One page of audiences by identifier, filtered by part of an identifier or name, with
    /// their scopes; and how many match.
    pub async fn audiences_page(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<(audience::Model, Vec<scope::Model>)>, u64)> {
        use sea_orm::{PaginatorTrait, QuerySelect};
        let mut q = audience::Entity::find().order_by_asc(audience::Column::Identifier);
        if let Some(t) = search.map(str::trim).filter(|t| !t.is_empty()) {
            let t = t.to_lowercase();
            let lower = |c: audience::Column| {
                sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                    sea_orm::sea_query::Expr::col(c),
                ))
                .like(format!("%{t}%"))
            };
            q = q.filter(lower(audience::Column::Identifier).or(lower(audience::Column::Name)));
        }
        let total = q.clone().count(self.db()).await?;
        let auds = q
            .offset(crate::bounded(offset))
            .limit(crate::bounded(limit))
            .all(self.db())
            .await?;
        let ids: Vec<String> = auds.iter().map(|a| a.id.clone()).collect();
        let scopes = scope::Entity::find()
            .filter(scope::Column::AudienceId.is_in(ids))
            .order_by_asc(scope::Column::Name)
            .all(self.db())
            .await?;
        Ok((with_scopes(auds, scopes), total))
    }

    /// The partner's grants: audience identifier → granted scopes.
    pub async fn grants_of(&self, partner_id: &str) -> Result<Vec<(String, String)>> {
        let auds: std::collections::HashMap<String, String> = audience::Entity::find()
            .all(self.db())
            .await?
            .into_iter()
            .map(|a| (a.id, a.identifier))
            .collect();
        Ok(grant::Entity::find()
            .filter(grant::Column::PartnerId.eq(partner_id))
            .all(self.db())
            .await?
            .into_iter()
            .filter_map(|g| auds.get(&g.audience_id).map(|a| (a.clone(), g.scopes)))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect())
    }

    /// Sets (replaces) the partner's grant on an audience. Scopes must exist on the audience.
    pub async fn set_grant(
        &self,
        actor: &Actor,
        partner_slug: &str,
        audience_identifier: &str,
        scopes: &ScopeSet,
        now: i64,
    ) -> Result<grant::Model> {
        let txn = self.write().await?;
        let model =
            set_grant_in(&txn, actor, partner_slug, audience_identifier, scopes, now).await?;
        txn.commit().await?;
        Ok(model)
    }
}

pub(crate) async fn set_grant_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    partner_slug: &str,
    audience_identifier: &str,
    scopes: &ScopeSet,
    now: i64,
) -> Result<grant::Model> {
    let p = partner_by_slug_in(txn, partner_slug).await?;
    crate::reserved::check_partner(actor, &p)?;
    let a = audience_by_identifier_in(txn, audience_identifier).await?;
    let known = audience_scopes_in(txn, &a.id).await?;
    if !scopes.is_subset(&known) {
        return Err(invalid(format!(
            "scopes must be among the audience's scopes: {known}"
        )));
    }
    let before = grant::Entity::find_by_id((p.id.clone(), a.id.clone()))
        .one(txn)
        .await?;
    let am = grant::ActiveModel {
        partner_id: Set(p.id.clone()),
        audience_id: Set(a.id.clone()),
        scopes: Set(scopes.to_string()),
        updated_at: Set(now),
    };
    let model = if before.is_some() {
        am.update(txn).await?
    } else {
        am.insert(txn).await?
    };
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::GrantSet,
        &format!("grant:{}:{}", p.slug, a.identifier),
        json!({"before": before.map(|b| b.scopes), "after": model.scopes}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

/// The audience a change names, read FOR SHARE (PostgreSQL; SQLite's IMMEDIATE transaction
/// already serialises): a grant, rule or scope written against it commits before removing the
/// audience or one of its scopes may look for uses, or waits until that removal is done.
pub(crate) async fn audience_by_identifier_in(
    db: &impl ConnectionTrait,
    identifier: &str,
) -> Result<audience::Model> {
    audience::Entity::find()
        .filter(audience::Column::Identifier.eq(identifier))
        .lock_shared()
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("audience {identifier}")))
}

/// The audience about to lose a scope or be deleted, read FOR UPDATE: no change naming it can
/// commit between the check for uses and the removal.
pub(crate) async fn audience_for_removal_in(
    txn: &sea_orm::DatabaseTransaction,
    identifier: &str,
) -> Result<audience::Model> {
    audience::Entity::find()
        .filter(audience::Column::Identifier.eq(identifier))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("audience {identifier}")))
}

pub(crate) async fn audience_scopes_in(
    db: &impl ConnectionTrait,
    audience_id: &str,
) -> Result<ScopeSet> {
    Ok(ScopeSet::from_tokens(
        scope::Entity::find()
            .filter(scope::Column::AudienceId.eq(audience_id))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.name),
    ))
}

/// `Store::create_audience` inside a caller's transaction.
pub(crate) async fn create_audience_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    a: NewAudience,
    now: i64,
) -> Result<audience::Model> {
    names::check_audience_identifier(&a.identifier).map_err(invalid)?;
    names::check_display_name(&a.name).map_err(invalid)?;
    if !(30..=86_400).contains(&a.token_lifetime) {
        return Err(invalid(
            "token lifetime must be between 30 seconds and 24 hours".into(),
        ));
    }
    let scopes =
        ScopeSet::parse(&a.scopes.join(" ")).map_err(|e| invalid(e.description.into_owned()))?;
    let model = audience::ActiveModel {
        id: Set(new_id()),
        identifier: Set(a.identifier.clone()),
        name: Set(a.name.trim().to_owned()),
        token_lifetime: Set(a.token_lifetime),
        enabled: Set(true),
        created_at: Set(now),
        environment: Set(a.environment.into()),
    }
    .insert(txn)
    .await
    .map_err(|e| StoreError::from_insert(e, &format!("audience {}", a.identifier)))?;
    insert_scopes_in(txn, &model, &scopes).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::AudienceCreate,
        &format!("audience:{}", model.identifier),
        json!({"scopes": scopes.to_string(), "token_lifetime": a.token_lifetime, "environment": a.environment}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

/// Each audience with its scopes (`scopes` ordered as they should be listed).
fn with_scopes(
    auds: Vec<audience::Model>,
    scopes: Vec<scope::Model>,
) -> Vec<(audience::Model, Vec<scope::Model>)> {
    let mut by_audience: std::collections::HashMap<String, Vec<scope::Model>> =
        std::collections::HashMap::new();
    for s in scopes {
        by_audience
            .entry(s.audience_id.clone())
            .or_default()
            .push(s);
    }
    auds.into_iter()
        .map(|a| {
            let mine = by_audience.remove(&a.id).unwrap_or_default();
            (a, mine)
        })
        .collect()
}

/// New scopes of an audience: no description yet, medium sensitivity.
pub(crate) async fn insert_scopes_in(
    txn: &sea_orm::DatabaseTransaction,
    a: &audience::Model,
    scopes: &ScopeSet,
) -> Result<()> {
    for s in scopes.iter() {
        scope::ActiveModel {
            audience_id: Set(a.id.clone()),
            name: Set(s.to_owned()),
            description: Set(String::new()),
            sensitivity: Set("medium".into()),
        }
        .insert(txn)
        .await
        .map_err(|e| StoreError::from_insert(e, &format!("scope {s} of {}", a.identifier)))?;
    }
    Ok(())
}
