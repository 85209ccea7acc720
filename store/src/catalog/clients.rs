//! Clients and their credentials: creation, enabling, owners and secret rotation.

use entente_domain::lifecycle::Stage;
use entente_domain::names;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::{ClientAuth, Environment, NewClient, invalid};
use crate::changes::{publish, topic};
use crate::entities::{audience, client, client_jwks, client_secret, partner, refresh_token};
use crate::refresh::{MARK_RETENTION, put_mark};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

impl Store {
    pub async fn create_client(
        &self,
        actor: &Actor,
        c: NewClient,
        client_id: String,
        now: i64,
    ) -> Result<client::Model> {
        let txn = self.write().await?;
        if let Some(pid) = &c.partner_id {
            check_client_cap(&txn, actor, pid, self.caps().clients_per_partner).await?;
        }
        let model = create_client_in(&txn, actor, c, client_id, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    pub async fn client(&self, client_id: &str) -> Result<client::Model> {
        client::Entity::find_by_id(client_id.to_owned())
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("client {client_id}")))
    }

    pub async fn list_clients(&self, partner_id: Option<&str>) -> Result<Vec<client::Model>> {
        let mut q = client::Entity::find().order_by_asc(client::Column::CreatedAt);
        if let Some(p) = partner_id {
            q = q.filter(client::Column::PartnerId.eq(p));
        }
        Ok(q.all(self.db()).await?)
    }

    /// Turns a client off (it gets no new tokens, and every token it holds becomes inactive at
    /// once: its lineage mark) or on again (its earlier tokens stay revoked); audited.
    pub async fn set_client_enabled(
        &self,
        actor: &Actor,
        client_id: &str,
        enabled: bool,
        now: i64,
    ) -> Result<client::Model> {
        let before = self.client(client_id).await?;
        let txn = self.write().await?;
        let model = set_client_enabled_in(&txn, actor, before, enabled, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Replaces what a client may ask for: its scopes and grant types (space-separated, as
    /// stored); audited with both, before and after. Tokens it already holds keep their
    /// scopes until they expire: narrowing is for what it asks next.
    pub async fn update_client(
        &self,
        actor: &Actor,
        client_id: &str,
        scopes: &entente_domain::ScopeSet,
        grant_types: &[String],
        now: i64,
    ) -> Result<client::Model> {
        let txn = self.write().await?;
        let before = client::Entity::find_by_id(client_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("client {client_id}")))?;
        crate::reserved::check_client(&txn, actor, &before).await?;
        let (scopes, grants) = (scopes.to_string(), grant_types.join(" "));
        if before.allowed_scopes == scopes && before.grant_types == grants {
            return Ok(before);
        }
        let details = json!({
            "before": {"scopes": before.allowed_scopes, "grant_types": before.grant_types},
            "after": {"scopes": scopes, "grant_types": grants},
        });
        let mut m: client::ActiveModel = before.into();
        m.allowed_scopes = Set(scopes);
        m.grant_types = Set(grants);
        let model = m.update(&txn).await?;
        audit::record_client(
            &txn,
            actor,
            entente_domain::audit::AuditAction::ClientUpdate,
            &model,
            details,
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Records the console user who answers for an admin API client (four eyes count its token
    /// as them). The host's alone: it decides who administers Entente.
    pub async fn set_client_owner(
        &self,
        actor: &Actor,
        client_id: &str,
        owner: &str,
        now: i64,
    ) -> Result<client::Model> {
        if !actor.is_host() {
            return Err(StoreError::Forbidden(
                "an API client's owner is set from the host".into(),
            ));
        }
        let owner = crate::people::normalise_email(owner)?;
        let txn = self.write().await?;
        let before = client::Entity::find_by_id(client_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("client {client_id}")))?;
        let was = before.owner.clone();
        let mut m: client::ActiveModel = before.into();
        m.owner = Set(Some(owner.clone()));
        let model = m.update(&txn).await?;
        audit::record_client(
            &txn,
            actor,
            entente_domain::audit::AuditAction::ClientOwner,
            &model,
            json!({"before": was, "after": owner}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Replaces a secret client's secret. Older secrets stay valid until `now + grace` (0 = at once).
    pub async fn rotate_client_secret(
        &self,
        actor: &Actor,
        client_id: &str,
        new_hash: Vec<u8>,
        grace: i64,
        now: i64,
    ) -> Result<()> {
        let c = self.client(client_id).await?;
        if c.auth_method != ClientAuth::ClientSecret {
            return Err(invalid(
                "this client authenticates with private_key_jwt, not a secret".into(),
            ));
        }
        let txn = self.write().await?;
        rotate_client_secret_in(&txn, actor, &c, new_hash, grace, now).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// `Store::rotate_client_secret` inside a caller's transaction (`c` a secret client).
pub(crate) async fn rotate_client_secret_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    c: &client::Model,
    new_hash: Vec<u8>,
    grace: i64,
    now: i64,
) -> Result<()> {
    crate::reserved::check_client(txn, actor, c).await?;
    let until = now + Ord::max(grace, 0);
    client_secret::Entity::update_many()
        .col_expr(
            client_secret::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(until),
        )
        .filter(client_secret::Column::ClientId.eq(&c.client_id))
        .filter(
            client_secret::Column::ExpiresAt
                .is_null()
                .or(client_secret::Column::ExpiresAt.gt(until)),
        )
        .exec(txn)
        .await?;
    insert_secret(txn, &c.client_id, new_hash, now).await?;
    audit::record_client(
        txn,
        actor,
        entente_domain::audit::AuditAction::ClientRotateSecret,
        c,
        json!({"grace_seconds": grace}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(())
}

async fn insert_secret(
    db: &impl sea_orm::ConnectionTrait,
    client_id: &str,
    hash: Vec<u8>,
    now: i64,
) -> Result<()> {
    client_secret::ActiveModel {
        id: Set(new_id()),
        client_id: Set(client_id.to_owned()),
        hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Refuses one more client for a partner that has `cap` already (the host is not capped).
pub(crate) async fn check_client_cap(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    partner_id: &str,
    cap: u64,
) -> Result<()> {
    use sea_orm::PaginatorTrait;
    if actor.is_host() {
        return Ok(());
    }
    let has = client::Entity::find()
        .filter(client::Column::PartnerId.eq(partner_id))
        .count(txn)
        .await?;
    if has >= cap {
        return Err(StoreError::TooMany(format!(
            "this partner has {has} clients (disabled ones count too), the most allowed (ENTENTE_MAX_CLIENTS_PER_PARTNER): reuse one, or ask for the cap to be raised"
        )));
    }
    Ok(())
}

/// `Store::create_client` inside a caller's transaction.
pub(crate) async fn create_client_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    c: NewClient,
    client_id: String,
    now: i64,
) -> Result<client::Model> {
    names::check_display_name(&c.name).map_err(invalid)?;
    if let Some(pid) = &c.partner_id {
        crate::reserved::check_partner_id(txn, actor, pid).await?;
    }
    let environment = client_environment_in(txn, &c).await?;
    let model = client::ActiveModel {
        client_id: Set(client_id.clone()),
        kind: Set(c.kind),
        partner_id: Set(c.partner_id.clone()),
        audience_id: Set(c.audience_id.clone()),
        name: Set(c.name.trim().to_owned()),
        auth_method: Set(c.auth_method),
        grant_types: Set(c.grant_types.join(" ")),
        allowed_scopes: Set(c.allowed_scopes.to_string()),
        enabled: Set(true),
        created_at: Set(now),
        environment: Set(environment.into()),
        owner: Set(c.owner.clone()),
    }
    .insert(txn)
    .await
    .map_err(|e| StoreError::from_insert(e, "client"))?;
    if let Some(hash) = c.secret_hash {
        insert_secret(txn, &client_id, hash, now).await?;
    }
    if c.jwks.is_some() || c.jwks_uri.is_some() {
        let keys = match (c.jwks_uri, c.jwks) {
            (Some(u), _) => crate::client_keys::ClientKeys::Uri(u),
            (None, d) => crate::client_keys::ClientKeys::Document(d.unwrap_or_default()),
        };
        keys.check()?;
        let (jwks, jwks_uri) = keys.columns();
        client_jwks::ActiveModel {
            client_id: Set(client_id.clone()),
            jwks: Set(jwks),
            jwks_uri: Set(jwks_uri),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    audit::record_client(
        txn,
        actor,
        entente_domain::audit::AuditAction::ClientCreate,
        &model,
        json!({"kind": model.kind, "name": model.name, "auth_method": model.auth_method, "grant_types": model.grant_types, "scopes": model.allowed_scopes, "environment": model.environment}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

/// The environment a new client goes to: a resource server's audience's; a partner client's
/// as asked, if its partner's stage allows it (`environment::check_client_environment`), else
/// the stage's default. Read in the creating transaction, so a concurrent stage change cannot
/// slip a production client past a partner still in the sandbox.
async fn client_environment_in(
    txn: &sea_orm::DatabaseTransaction,
    c: &NewClient,
) -> Result<Environment> {
    if let Some(audience_id) = &c.audience_id {
        // FOR SHARE: the audience cannot be deleted until this client is committed.
        let a = audience::Entity::find_by_id(audience_id.clone())
            .lock_shared()
            .one(txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("audience {audience_id}")))?;
        return Ok(a.environment.into());
    }
    let Some(partner_id) = &c.partner_id else {
        return Ok(c.environment.unwrap_or_default());
    };
    let p = partner::Entity::find_by_id(partner_id.clone())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("partner {partner_id}")))?;
    let stage = Stage::from(p.stage);
    let env = c.environment.unwrap_or(Environment::default_for(stage));
    entente_domain::environment::check_client_environment(stage, env).map_err(invalid)?;
    Ok(env)
}

/// `Store::set_client_enabled` inside a caller's transaction.
pub(crate) async fn set_client_enabled_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    before: client::Model,
    enabled: bool,
    now: i64,
) -> Result<client::Model> {
    crate::reserved::check_client(txn, actor, &before).await?;
    if before.enabled == enabled {
        return Ok(before);
    }
    let client_id = before.client_id.clone();
    let mut m: client::ActiveModel = before.into();
    m.enabled = Set(enabled);
    let model = m.update(txn).await?;
    audit::record_client(
        txn,
        actor,
        if enabled {
            entente_domain::audit::AuditAction::ClientEnable
        } else {
            entente_domain::audit::AuditAction::ClientDisable
        },
        &model,
        json!({"enabled": enabled}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    if !enabled {
        // In the same transaction: a disabled client never keeps working tokens.
        put_mark(txn, &format!("c:{client_id}"), now + MARK_RETENTION, now).await?;
        refresh_token::Entity::update_many()
            .col_expr(
                refresh_token::Column::Revoked,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(refresh_token::Column::ClientId.eq(&client_id))
            .exec(txn)
            .await?;
        publish(txn, topic::REVOCATIONS, now).await?;
    }
    Ok(model)
}
