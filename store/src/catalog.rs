//! Partners, audiences and scopes, grants, clients and their credentials.

use entente_domain::ScopeSet;
pub use entente_domain::environment::Environment;
use entente_domain::lifecycle::{self, Stage};
use entente_domain::names;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::catalog_rows::{
    ClientKeysRow, ClientRow, GrantRow, IssuerRow, PartnerRow, RuleRow, SecretRow,
};
use crate::changes::{publish, topic};
use crate::entities::refresh_token;
use crate::entities::{audience, client, client_jwks, client_secret, grant, partner, scope};
use crate::refresh::{MARK_RETENTION, put_mark};
use crate::{Actor, Result, Store, StoreError, audit, new_id};
use sea_orm::sea_query::Expr;

pub use crate::enums::{ClientAuth, ClientKind, PartnerStage};

#[derive(Debug, Clone)]
pub struct NewPartner {
    pub slug: String,
    pub name: String,
    /// Where it starts: applied, in_review, sandbox or production. The console and the CLI
    /// never start one in production (`governance::check_initial_stage`); seeds and tests may.
    pub stage: Stage,
}

#[derive(Debug, Clone)]
pub struct NewAudience {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub token_lifetime: i64,
    /// Sandbox audiences get tokens from sandbox clients only (and production ones from
    /// production clients only).
    pub environment: Environment,
}

#[derive(Debug, Clone)]
pub struct NewClient {
    pub kind: ClientKind,
    pub partner_id: Option<String>,
    pub audience_id: Option<String>,
    pub name: String,
    pub auth_method: ClientAuth,
    pub grant_types: Vec<String>,
    pub allowed_scopes: ScopeSet,
    /// Keyed hash of the initial secret (secret clients).
    pub secret_hash: Option<Vec<u8>>,
    /// Public JWKS as JSON text (private_key_jwt clients), or
    pub jwks: Option<String>,
    /// where the client publishes it.
    pub jwks_uri: Option<String>,
    /// `None`: production for a partner in production, else the sandbox; a resource server is
    /// always in its audience's environment.
    pub environment: Option<Environment>,
    /// An API client's owner (a console user's e-mail): four eyes treat its token as them.
    pub owner: Option<String>,
}

impl NewClient {
    /// A partner's client that authenticates with a secret (client_secret_basic or _post).
    pub fn partner_secret(
        partner_id: String,
        name: String,
        scopes: ScopeSet,
        grant_types: Vec<String>,
        secret_hash: Vec<u8>,
    ) -> Self {
        Self {
            kind: ClientKind::Partner,
            partner_id: Some(partner_id),
            audience_id: None,
            name,
            auth_method: ClientAuth::ClientSecret,
            grant_types,
            allowed_scopes: scopes,
            secret_hash: Some(secret_hash),
            jwks: None,
            jwks_uri: None,
            environment: None,
            owner: None,
        }
    }

    /// The same client in a named environment.
    pub fn in_environment(self, environment: Option<Environment>) -> Self {
        Self {
            environment,
            ..self
        }
    }

    /// The same client, owned by a console user (an admin API client).
    pub fn owned_by(self, owner: String) -> Self {
        Self {
            owner: Some(owner),
            ..self
        }
    }

    /// A partner's client that authenticates with private_key_jwt against its registered JWKS
    /// (a document, or the address it is published at).
    pub fn partner_key(
        partner_id: String,
        name: String,
        scopes: ScopeSet,
        grant_types: Vec<String>,
        keys: crate::client_keys::ClientKeys,
    ) -> Self {
        let (jwks, jwks_uri) = keys.columns();
        Self {
            auth_method: ClientAuth::PrivateKeyJwt,
            secret_hash: None,
            jwks: Some(jwks),
            jwks_uri,
            ..Self::partner_secret(partner_id, name, scopes, grant_types, vec![])
        }
    }

    /// An API's own client: introspects tokens for its audience, obtains none.
    pub fn resource_server(audience_id: String, name: String, secret_hash: Vec<u8>) -> Self {
        Self {
            kind: ClientKind::ResourceServer,
            partner_id: None,
            audience_id: Some(audience_id),
            name,
            auth_method: ClientAuth::ClientSecret,
            grant_types: vec![],
            allowed_scopes: ScopeSet::default(),
            secret_hash: Some(secret_hash),
            jwks: None,
            jwks_uri: None,
            environment: None,
            owner: None,
        }
    }
}

/// Everything the token service serves from memory.
#[derive(Debug, Clone, Default)]
pub struct CatalogData {
    pub partners: Vec<PartnerRow>,
    pub audiences: Vec<audience::Model>,
    pub scopes: Vec<scope::Model>,
    pub grants: Vec<GrantRow>,
    pub clients: Vec<ClientRow>,
    pub secrets: Vec<SecretRow>,
    pub jwks: Vec<ClientKeysRow>,
    pub trusted_issuers: Vec<IssuerRow>,
    pub trust_rules: Vec<RuleRow>,
    pub rate_tiers: Vec<crate::entities::rate_tier::Model>,
    pub rate_limits: Vec<crate::entities::rate_limit::Model>,
}

/// Moves a partner from `from` to `to` only if it is still in `from` (a concurrent change makes
/// this a conflict instead of silently undoing it, e.g. a stage change over a suspension).
#[allow(clippy::too_many_arguments)]
async fn move_stage(
    txn: &sea_orm::DatabaseTransaction,
    id: &str,
    from: PartnerStage,
    to: PartnerStage,
    resume: Option<PartnerStage>,
    reason: Option<String>,
    enabled: bool,
    now: i64,
) -> Result<partner::Model> {
    let res = partner::Entity::update_many()
        .col_expr(partner::Column::Stage, Expr::value(to.as_str()))
        .col_expr(
            partner::Column::ResumeStage,
            Expr::value(resume.map(|r| r.as_str())),
        )
        .col_expr(partner::Column::SuspendedReason, Expr::value(reason))
        // Replicas of an older version gate on `enabled` only: keep it in step.
        .col_expr(partner::Column::Enabled, Expr::value(enabled))
        .col_expr(partner::Column::UpdatedAt, Expr::value(now))
        .filter(partner::Column::Id.eq(id))
        .filter(partner::Column::Stage.eq(from))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Stale(
            "the partner's stage changed meanwhile; look again and retry".into(),
        ));
    }
    partner::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound("partner".into()))
}

/// The lineage revocation key of a partner (`entente_domain::federation::subject::partner_key`).
fn partner_mark(slug: &str) -> String {
    entente_domain::federation::subject::partner_key(slug)
}

fn invalid(e: String) -> StoreError {
    StoreError::Invalid(e)
}

impl Store {
    pub async fn create_partner(
        &self,
        actor: &Actor,
        p: NewPartner,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = create_partner_in(&txn, actor, p, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// A host-only partner (`reserved`): the one that holds the admin API's clients. Only the
    /// host makes one.
    pub async fn create_host_partner(
        &self,
        actor: &Actor,
        p: NewPartner,
        now: i64,
    ) -> Result<partner::Model> {
        if !actor.is_host() {
            return Err(StoreError::Forbidden(
                "only the host makes the partner that holds the admin API's clients".into(),
            ));
        }
        let txn = self.write().await?;
        let model = create_partner_of_kind(&txn, actor, p, true, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// An ordinary stage change (`lifecycle::check_transition`), audited with before and after.
    pub async fn set_partner_stage(
        &self,
        actor: &Actor,
        slug: &str,
        to: Stage,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = set_partner_stage_in(&txn, actor, slug, to, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// The kill switch: in one transaction the partner stops getting tokens (its clients no
    /// longer authenticate), every outstanding token derived from it is revoked through its
    /// lineage key, its refresh families end, and the reason is recorded, with a notice to its
    /// contacts (delivery arrives with webhooks).
    pub async fn suspend_partner(
        &self,
        actor: &Actor,
        slug: &str,
        reason: &str,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = suspend_partner_in(&txn, actor, slug, reason, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Back to the stage the partner was suspended from. Tokens revoked by the suspension stay
    /// revoked; new ones can be obtained again.
    pub async fn reactivate_partner(
        &self,
        actor: &Actor,
        slug: &str,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = reactivate_partner_in(&txn, actor, slug, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// One page of partners by slug, filtered by part of a slug or name; and how many match.
    pub async fn partners_page(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<partner::Model>, u64)> {
        use sea_orm::sea_query::ExprTrait;
        use sea_orm::{PaginatorTrait, QuerySelect};
        let mut q = partner::Entity::find().order_by_asc(partner::Column::Slug);
        if let Some(t) = search.map(str::trim).filter(|t| !t.is_empty()) {
            let t = t.to_lowercase();
            q = q.filter(
                partner::Column::Slug
                    .contains(&t)
                    .or(
                        sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                            sea_orm::sea_query::Expr::col(partner::Column::Name),
                        ))
                        .like(format!("%{t}%")),
                    ),
            );
        }
        let total = q.clone().count(self.db()).await?;
        let rows = q
            .offset(crate::bounded(offset))
            .limit(crate::bounded(limit))
            .all(self.db())
            .await?;
        Ok((rows, total))
    }

    /// The first partners (by slug) in a stage.
    pub async fn partners_in_stage(
        &self,
        stage: PartnerStage,
        limit: u64,
    ) -> Result<Vec<partner::Model>> {
        use sea_orm::QuerySelect;
        Ok(partner::Entity::find()
            .filter(partner::Column::Stage.eq(stage))
            .order_by_asc(partner::Column::Slug)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    pub async fn list_partners(&self) -> Result<Vec<partner::Model>> {
        Ok(partner::Entity::find()
            .order_by_asc(partner::Column::Slug)
            .all(self.db())
            .await?)
    }

    pub async fn partner_by_id(&self, id: &str) -> Result<partner::Model> {
        partner::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("partner {id}")))
    }

    pub async fn partner_by_slug(&self, slug: &str) -> Result<partner::Model> {
        partner_by_slug_in(self.db(), slug).await
    }

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
        audience_by_identifier_in(self.db(), identifier).await
    }

    /// One audience with its scopes.
    pub async fn audience_with_scopes(
        &self,
        identifier: &str,
    ) -> Result<(audience::Model, Vec<scope::Model>)> {
        let a = audience_by_identifier_in(self.db(), identifier).await?;
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

    /// How many partners are in each stage (stages with none are absent).
    pub async fn partners_by_stage(&self) -> Result<Vec<(String, i64)>> {
        use sea_orm::QuerySelect;
        Ok(partner::Entity::find()
            .select_only()
            .column(partner::Column::Stage)
            .column_as(partner::Column::Id.count(), "n")
            .group_by(partner::Column::Stage)
            .into_tuple::<(String, i64)>()
            .all(self.db())
            .await?)
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
        crate::reserved::check_client(&txn, actor, &before).await?;
        if before.enabled == enabled {
            return Ok(before);
        }
        let mut m: client::ActiveModel = before.into();
        m.enabled = Set(enabled);
        let model = m.update(&txn).await?;
        audit::record_client(
            &txn,
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
        publish(&txn, topic::CATALOG, now).await?;
        if !enabled {
            // In the same transaction: a disabled client never keeps working tokens.
            put_mark(&txn, &format!("c:{client_id}"), now + MARK_RETENTION, now).await?;
            refresh_token::Entity::update_many()
                .col_expr(
                    refresh_token::Column::Revoked,
                    sea_orm::sea_query::Expr::value(true),
                )
                .filter(refresh_token::Column::ClientId.eq(client_id))
                .exec(&txn)
                .await?;
            publish(&txn, topic::REVOCATIONS, now).await?;
        }
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
        let owner = crate::admins::normalise_email(owner)?;
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
        crate::reserved::check_client(&txn, actor, &c).await?;
        let until = now + Ord::max(grace, 0);
        client_secret::Entity::update_many()
            .col_expr(
                client_secret::Column::ExpiresAt,
                sea_orm::sea_query::Expr::value(until),
            )
            .filter(client_secret::Column::ClientId.eq(client_id))
            .filter(
                client_secret::Column::ExpiresAt
                    .is_null()
                    .or(client_secret::Column::ExpiresAt.gt(until)),
            )
            .exec(&txn)
            .await?;
        insert_secret(&txn, client_id, new_hash, now).await?;
        audit::record_client(
            &txn,
            actor,
            entente_domain::audit::AuditAction::ClientRotateSecret,
            &c,
            json!({"grace_seconds": grace}),
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The whole catalog, for the in-memory snapshot. Expired secrets are left out.
    ///
    /// One read transaction, so the snapshot never pairs, say, a new client with the secrets of
    /// before it (SQLite reads one WAL snapshot; PostgreSQL needs repeatable read for that).
    pub async fn load_catalog(&self, now: i64) -> Result<CatalogData> {
        use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
        let db = self.db();
        let txn = if self.backend() == sea_orm::DbBackend::Postgres {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        } else {
            db.begin().await?
        };
        let data = CatalogData {
            partners: PartnerRow::select().into_model().all(&txn).await?,
            audiences: audience::Entity::find().all(&txn).await?,
            scopes: scope::Entity::find().all(&txn).await?,
            grants: GrantRow::select().into_model().all(&txn).await?,
            clients: ClientRow::select().into_model().all(&txn).await?,
            secrets: SecretRow::select()
                .filter(
                    client_secret::Column::ExpiresAt
                        .is_null()
                        .or(client_secret::Column::ExpiresAt.gt(now)),
                )
                .into_model()
                .all(&txn)
                .await?,
            jwks: ClientKeysRow::select().into_model().all(&txn).await?,
            trusted_issuers: IssuerRow::select().into_model().all(&txn).await?,
            trust_rules: RuleRow::select().into_model().all(&txn).await?,
            rate_tiers: crate::entities::rate_tier::Entity::find().all(&txn).await?,
            rate_limits: crate::entities::rate_limit::Entity::find()
                .all(&txn)
                .await?,
        };
        txn.commit().await?;
        Ok(data)
    }
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

pub(crate) async fn set_partner_stage_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    slug: &str,
    to: Stage,
    now: i64,
) -> Result<partner::Model> {
    let before = partner_by_slug_in(txn, slug).await?;
    crate::reserved::check_partner(actor, &before)?;
    lifecycle::check_transition(before.stage.into(), to).map_err(invalid)?;
    let from = before.stage;
    let enabled = !matches!(to, Stage::Offboarded);
    let model = move_stage(txn, &before.id, from, to.into(), None, None, enabled, now).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerStage,
        &format!("partner:{slug}"),
        json!({"before": from, "after": model.stage}),
        now,
    )
    .await?;
    if to == Stage::Offboarded {
        // An offboarded partner's outstanding tokens die with it.
        put_mark(txn, &partner_mark(slug), now + MARK_RETENTION, now).await?;
    }
    publish(txn, topic::CATALOG, now).await?;
    publish(txn, topic::REVOCATIONS, now).await?;
    Ok(model)
}

pub(crate) async fn reactivate_partner_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    slug: &str,
    now: i64,
) -> Result<partner::Model> {
    let before = partner_by_slug_in(txn, slug).await?;
    crate::reserved::check_partner(actor, &before)?;
    if before.stage != PartnerStage::Suspended {
        return Err(invalid("the partner is not suspended".into()));
    }
    let to = before.resume_stage.unwrap_or(PartnerStage::Sandbox);
    let cleared = before.suspended_reason.clone();
    let model = move_stage(
        txn,
        &before.id,
        PartnerStage::Suspended,
        to,
        None,
        None,
        true,
        now,
    )
    .await?;
    // Tokens signed by a replica that had not yet heard of the suspension carry a later
    // `iat` than its mark: marking again now keeps every token from before reactivation dead.
    put_mark(txn, &partner_mark(slug), now + MARK_RETENTION, now).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerReactivate,
        &format!("partner:{slug}"),
        json!({"before": PartnerStage::Suspended, "after": to, "suspended_reason": cleared}),
        now,
    )
    .await?;
    publish(txn, topic::REVOCATIONS, now).await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
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

pub(crate) async fn partner_by_slug_in(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<partner::Model> {
    partner::Entity::find()
        .filter(partner::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("partner {slug}")))
}

pub(crate) async fn audience_by_identifier_in(
    db: &impl ConnectionTrait,
    identifier: &str,
) -> Result<audience::Model> {
    audience::Entity::find()
        .filter(audience::Column::Identifier.eq(identifier))
        .one(db)
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

/// `Store::create_partner` inside a caller's transaction.
pub(crate) async fn create_partner_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    p: NewPartner,
    now: i64,
) -> Result<partner::Model> {
    create_partner_of_kind(txn, actor, p, false, now).await
}

async fn create_partner_of_kind(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    p: NewPartner,
    host_only: bool,
    now: i64,
) -> Result<partner::Model> {
    names::check_slug(&p.slug).map_err(invalid)?;
    names::check_display_name(&p.name).map_err(invalid)?;
    if matches!(p.stage, Stage::Suspended | Stage::Offboarded) {
        return Err(invalid(format!(
            "a partner cannot start {}",
            p.stage.as_str()
        )));
    }
    let model = partner::ActiveModel {
        id: Set(new_id()),
        slug: Set(p.slug.clone()),
        name: Set(p.name.trim().to_owned()),
        stage: Set(p.stage.into()),
        // Kept for replicas of an older version, which read it.
        environment: Set(if p.stage == Stage::Production {
            "production".into()
        } else {
            "sandbox".into()
        }),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        resume_stage: Set(None),
        suspended_reason: Set(None),
        first_exchange_at: Set(None),
        host_only: Set(host_only),
    }
    .insert(txn)
    .await
    .map_err(|e| StoreError::from_insert(e, &format!("partner {}", p.slug)))?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerCreate,
        &format!("partner:{}", model.slug),
        json!({"name": model.name, "stage": model.stage, "host_only": host_only}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

/// `Store::suspend_partner` inside a caller's transaction.
pub(crate) async fn suspend_partner_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    slug: &str,
    reason: &str,
    now: i64,
) -> Result<partner::Model> {
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 1000 {
        return Err(invalid("give a reason of at most 1000 characters".into()));
    }
    let before = partner_by_slug_in(txn, slug).await?;
    crate::reserved::check_partner(actor, &before)?;
    lifecycle::check_suspend(before.stage.into()).map_err(invalid)?;
    let from = before.stage;
    let id = before.id.clone();
    let model = move_stage(
        txn,
        &id,
        from,
        PartnerStage::Suspended,
        Some(from),
        Some(reason.to_owned()),
        false,
        now,
    )
    .await?;
    put_mark(txn, &partner_mark(slug), now + MARK_RETENTION, now).await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::Revoked, Expr::value(true))
        .filter(refresh_token::Column::PartnerId.eq(id))
        .exec(txn)
        .await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerSuspend,
        &format!("partner:{slug}"),
        json!({"before": from, "after": PartnerStage::Suspended, "reason": reason}),
        now,
    )
    .await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerNotice,
        &format!("partner:{slug}"),
        json!({"notice": "suspended", "reason": reason, "to": "the partner's contacts", "delivery": "pending webhooks"}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    publish(txn, topic::REVOCATIONS, now).await?;
    Ok(model)
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
        let a = audience::Entity::find_by_id(audience_id.clone())
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
