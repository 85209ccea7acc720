//! Trusted issuers and trust rules of partners.

use entente_domain::ScopeSet;
use entente_domain::federation::rules::{
    self, ClaimPass, DEFAULT_MAX_AGE, DEFAULT_SKEW, ScopeMapping, TokenKind,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::catalog::{audience_by_identifier_in, audience_scopes_in, partner_by_slug_in};
use crate::changes::{publish, topic};
use crate::entities::{trust_rule, trusted_issuer};
use crate::{Actor, Result, Store, StoreError, audit};

/// Registration of a partner's identity provider. URLs are checked (SSRF guard) by the caller.
#[derive(Debug, Clone)]
pub struct NewTrustedIssuer {
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub jwks: Option<String>,
    pub algorithms: String,
    pub audiences: Vec<String>,
    pub kinds: Vec<TokenKind>,
    pub max_age: i64,
    pub skew: i64,
    pub subject_claim: String,
    /// The issuer guarantees that `subject_claim` never changes and is never reassigned: only
    /// then may it be a mutable claim such as `email` (`rules::check_subject_claim`).
    pub subject_claim_guaranteed: bool,
    /// Its access tokens are typed `JWT` rather than `at+jwt`.
    pub access_tokens_typed_jwt: bool,
}

impl NewTrustedIssuer {
    /// Defaults: ES256/RS256/PS256/EdDSA, access tokens, 1 h maximum age, 30 s skew, `sub`.
    pub fn new(issuer: String, audience: String) -> Self {
        Self {
            issuer,
            jwks_uri: None,
            jwks: None,
            algorithms: "ES256 RS256 PS256 EdDSA".into(),
            audiences: vec![audience],
            kinds: vec![TokenKind::AccessToken],
            max_age: DEFAULT_MAX_AGE,
            skew: DEFAULT_SKEW,
            subject_claim: "sub".into(),
            subject_claim_guaranteed: false,
            access_tokens_typed_jwt: false,
        }
    }
}

/// A trust rule as set by an administrator (serialisable: a change request carries one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewTrustRule {
    pub scopes: ScopeSet,
    pub claims: Vec<ClaimPass>,
    pub mappings: Vec<ScopeMapping>,
    pub pairwise: bool,
    pub delegation: bool,
    pub max_depth: u8,
    pub delegation_only: bool,
    pub refresh: bool,
    pub lifetime: Option<i64>,
    pub refresh_lifetime: i64,
}

impl NewTrustRule {
    /// Whether the rule allows delegation: asked for, or implied by accepting only delegated
    /// requests (one reading for every door).
    pub fn allows_delegation(&self) -> bool {
        self.delegation || self.delegation_only
    }

    pub fn new(scopes: ScopeSet) -> Self {
        Self {
            scopes,
            claims: vec![],
            mappings: vec![],
            pairwise: false,
            delegation: false,
            max_depth: 1,
            delegation_only: false,
            refresh: false,
            lifetime: None,
            refresh_lifetime: 8 * 3600,
        }
    }
}

fn invalid(e: impl Into<String>) -> StoreError {
    StoreError::Invalid(e.into())
}

fn check_issuer(i: &NewTrustedIssuer) -> Result<()> {
    if i.issuer.is_empty() || i.issuer.len() > 512 || i.issuer.chars().any(char::is_whitespace) {
        return Err(invalid(
            "the issuer must be 1–512 characters without spaces",
        ));
    }
    let algorithms = rules::parse_algorithms(&i.algorithms).map_err(invalid)?;
    match (&i.jwks_uri, &i.jwks) {
        (Some(_), None) => {}
        (None, Some(doc)) => {
            // RSA keys without `alg` take the issuer's sole RSA algorithm, as when fetched.
            let (ok, refused) =
                entente_domain::jwks::parse_with(doc, entente_domain::jwks::sole_rsa(&algorithms))
                    .map_err(invalid)?;
            if ok.is_empty() {
                return Err(invalid(format!(
                    "the JWKS holds no usable key: {}",
                    refused.join("; ")
                )));
            }
        }
        _ => return Err(invalid("give exactly one of a jwks_uri or a static JWKS")),
    }
    // Entente's own issuers (production's, the sandbox's) are never a partner's: exchanges
    // would refuse their tokens anyway, and the registration would only mislead.
    if i.audiences.iter().any(|a| {
        entente_domain::environment::Environment::of_issuer(a.trim_end_matches('/'), &i.issuer)
            .is_some()
    }) {
        return Err(invalid(
            "that is Entente's own issuer, not a partner's identity provider",
        ));
    }
    if i.audiences.is_empty() || i.audiences.iter().any(|a| a.is_empty() || a.len() > 512) {
        return Err(invalid("at least one accepted audience is required"));
    }
    if i.kinds.is_empty() {
        return Err(invalid("at least one token kind is required"));
    }
    rules::check_skew(i.skew).map_err(invalid)?;
    if !(1..=7 * 86_400).contains(&i.max_age) {
        return Err(invalid(
            "maximum token age must be between 1 second and 7 days",
        ));
    }
    rules::check_subject_claim(&i.subject_claim, i.subject_claim_guaranteed).map_err(invalid)?;
    Ok(())
}

impl Store {
    pub async fn create_trusted_issuer(
        &self,
        actor: &Actor,
        partner_slug: &str,
        i: NewTrustedIssuer,
        now: i64,
    ) -> Result<trusted_issuer::Model> {
        let txn = self.write().await?;
        let model = create_trusted_issuer_in(&txn, actor, partner_slug, i, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    pub async fn list_trusted_issuers(
        &self,
        partner_id: Option<&str>,
    ) -> Result<Vec<trusted_issuer::Model>> {
        let mut q = trusted_issuer::Entity::find().order_by_asc(trusted_issuer::Column::CreatedAt);
        if let Some(p) = partner_id {
            q = q.filter(trusted_issuer::Column::PartnerId.eq(p));
        }
        Ok(q.all(self.db()).await?)
    }

    /// The rule for `issuer`'s tokens exchanged for `audience`, if there is one.
    pub async fn trust_rule_for(
        &self,
        partner_slug: &str,
        issuer: &str,
        audience_identifier: &str,
    ) -> Result<Option<trust_rule::Model>> {
        let p = self.partner_by_slug(partner_slug).await?;
        let i = self.trusted_issuer(&p.id, issuer).await?;
        let a = self.audience_by_identifier(audience_identifier).await?;
        Ok(trust_rule::Entity::find()
            .filter(trust_rule::Column::IssuerId.eq(&i.id))
            .filter(trust_rule::Column::AudienceId.eq(&a.id))
            .one(self.db())
            .await?)
    }

    pub async fn trusted_issuer(
        &self,
        partner_id: &str,
        issuer: &str,
    ) -> Result<trusted_issuer::Model> {
        trusted_issuer_in(self.db(), partner_id, issuer).await
    }

    /// Stops (or resumes) accepting a partner issuer's tokens, under every rule, at once.
    pub async fn set_trusted_issuer_enabled(
        &self,
        actor: &Actor,
        partner_slug: &str,
        issuer: &str,
        enabled: bool,
        now: i64,
    ) -> Result<trusted_issuer::Model> {
        let txn = self.write().await?;
        let model =
            set_trusted_issuer_enabled_in(&txn, actor, partner_slug, issuer, enabled, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Whether the issuer's access tokens are typed `JWT` rather than `at+jwt` (audited).
    pub async fn set_issuer_access_tokens_typed_jwt(
        &self,
        actor: &Actor,
        partner_slug: &str,
        issuer: &str,
        typed_jwt: bool,
        now: i64,
    ) -> Result<trusted_issuer::Model> {
        let p = self.partner_by_slug(partner_slug).await?;
        crate::reserved::check_partner(actor, &p)?;
        let before = self.trusted_issuer(&p.id, issuer).await?;
        let txn = self.write().await?;
        let was = before.access_tokens_typed_jwt;
        let mut am: trusted_issuer::ActiveModel = before.into();
        am.access_tokens_typed_jwt = Set(typed_jwt);
        am.updated_at = Set(now);
        let model = am.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::IssuerUpdate,
            &format!("issuer:{}:{}", p.slug, issuer),
            json!({"access_tokens_typed_jwt": {"before": was, "after": typed_jwt}}),
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Sets (creates or replaces) the rule for tokens from `issuer` exchanged for `audience`.
    pub async fn set_trust_rule(
        &self,
        actor: &Actor,
        partner_slug: &str,
        issuer: &str,
        audience_identifier: &str,
        r: NewTrustRule,
        now: i64,
    ) -> Result<trust_rule::Model> {
        let txn = self.write().await?;
        let model = set_trust_rule_in(
            &txn,
            actor,
            partner_slug,
            issuer,
            audience_identifier,
            r,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    pub async fn set_trust_rule_enabled(
        &self,
        actor: &Actor,
        rule_id: &str,
        enabled: bool,
        now: i64,
    ) -> Result<trust_rule::Model> {
        let txn = self.write().await?;
        let model = set_trust_rule_enabled_in(&txn, actor, rule_id, enabled, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    pub async fn list_trust_rules(
        &self,
        partner_id: Option<&str>,
    ) -> Result<Vec<trust_rule::Model>> {
        let mut q = trust_rule::Entity::find().order_by_asc(trust_rule::Column::CreatedAt);
        if let Some(p) = partner_id {
            q = q.filter(trust_rule::Column::PartnerId.eq(p));
        }
        Ok(q.all(self.db()).await?)
    }
}

fn rule_json(m: trust_rule::Model) -> serde_json::Value {
    json!({"scopes": m.scopes, "claims": m.claims, "mappings": m.mappings, "pairwise": m.pairwise,
           "delegation": m.delegation, "max_depth": m.max_depth, "delegation_only": m.delegation_only,
           "refresh": m.refresh, "lifetime": m.lifetime, "refresh_lifetime": m.refresh_lifetime, "enabled": m.enabled})
}

pub(crate) async fn set_trust_rule_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    partner_slug: &str,
    issuer: &str,
    audience_identifier: &str,
    mut r: NewTrustRule,
    now: i64,
) -> Result<trust_rule::Model> {
    r.delegation = r.allows_delegation();
    let p = partner_by_slug_in(txn, partner_slug).await?;
    crate::reserved::check_partner(actor, &p)?;
    let i = trusted_issuer_in(txn, &p.id, issuer).await?;
    let a = audience_by_identifier_in(txn, audience_identifier).await?;
    let known = audience_scopes_in(txn, &a.id).await?;
    if r.scopes.is_empty() || !r.scopes.is_subset(&known) {
        return Err(invalid(format!(
            "scopes must be among the audience's scopes: {known}"
        )));
    }
    if let Some(m) = r.mappings.iter().find(|m| !r.scopes.contains(&m.scope)) {
        return Err(invalid(format!(
            "mapped scope {} is not among the rule's scopes",
            m.scope
        )));
    }
    if r.delegation && !(1..=entente_domain::federation::MAX_ACT_DEPTH).contains(&r.max_depth) {
        return Err(invalid(format!(
            "delegation depth must be between 1 and {}",
            entente_domain::federation::MAX_ACT_DEPTH
        )));
    }
    if r.lifetime
        .is_some_and(|l| !entente_types::names::RULE_LIFETIME.contains(&l))
    {
        return Err(invalid(entente_types::names::RULE_LIFETIME_WRONG));
    }
    if !(60..=30 * 86_400).contains(&r.refresh_lifetime) {
        return Err(invalid(
            "refresh lifetime must be between 1 minute and 30 days",
        ));
    }
    let before = trust_rule::Entity::find()
        .filter(trust_rule::Column::IssuerId.eq(&i.id))
        .filter(trust_rule::Column::AudienceId.eq(&a.id))
        .one(txn)
        .await?;
    let am = trust_rule::ActiveModel {
        id: Set(before.as_ref().map_or_else(
            || format!("tr_{}", entente_domain::secret::random_token(8)),
            |b| b.id.clone(),
        )),
        partner_id: Set(p.id.clone()),
        issuer_id: Set(i.id.clone()),
        audience_id: Set(a.id.clone()),
        scopes: Set(r.scopes.to_string()),
        claims: Set(serde_json::to_string(&r.claims).unwrap_or_else(|_| "[]".into())),
        mappings: Set(serde_json::to_string(&r.mappings).unwrap_or_else(|_| "[]".into())),
        pairwise: Set(r.pairwise),
        delegation: Set(r.delegation),
        max_depth: Set(i32::from(r.max_depth)),
        delegation_only: Set(r.delegation_only),
        refresh: Set(r.refresh),
        lifetime: Set(r.lifetime),
        refresh_lifetime: Set(r.refresh_lifetime),
        enabled: Set(true),
        created_at: Set(before.as_ref().map_or(now, |b| b.created_at)),
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
        entente_domain::audit::AuditAction::TrustRuleSet,
        &format!("trust_rule:{}", model.id),
        json!({"partner": p.slug, "issuer": i.issuer, "audience": a.identifier,
               "before": before.map(rule_json), "after": rule_json(model.clone())}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

pub(crate) async fn set_trust_rule_enabled_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    rule_id: &str,
    enabled: bool,
    now: i64,
) -> Result<trust_rule::Model> {
    let before = trust_rule::Entity::find_by_id(rule_id.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("trust rule {rule_id}")))?;
    crate::reserved::check_partner_id(txn, actor, &before.partner_id).await?;
    let mut am: trust_rule::ActiveModel = before.into();
    am.enabled = Set(enabled);
    am.updated_at = Set(now);
    let model = am.update(txn).await?;
    audit::record(
        txn,
        actor,
        if enabled {
            entente_domain::audit::AuditAction::TrustRuleEnable
        } else {
            entente_domain::audit::AuditAction::TrustRuleDisable
        },
        &format!("trust_rule:{rule_id}"),
        json!({"enabled": enabled}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

pub(crate) async fn trusted_issuer_in(
    db: &impl ConnectionTrait,
    partner_id: &str,
    issuer: &str,
) -> Result<trusted_issuer::Model> {
    trusted_issuer::Entity::find()
        .filter(trusted_issuer::Column::PartnerId.eq(partner_id))
        .filter(trusted_issuer::Column::Issuer.eq(issuer))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("trusted issuer {issuer}")))
}

pub(crate) async fn set_trusted_issuer_enabled_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    partner_slug: &str,
    issuer: &str,
    enabled: bool,
    now: i64,
) -> Result<trusted_issuer::Model> {
    let p = partner_by_slug_in(txn, partner_slug).await?;
    crate::reserved::check_partner(actor, &p)?;
    let before = trusted_issuer_in(txn, &p.id, issuer).await?;
    let mut am: trusted_issuer::ActiveModel = before.into();
    am.enabled = Set(enabled);
    am.updated_at = Set(now);
    let model = am.update(txn).await?;
    audit::record(
        txn,
        actor,
        if enabled {
            entente_domain::audit::AuditAction::IssuerEnable
        } else {
            entente_domain::audit::AuditAction::IssuerDisable
        },
        &format!("issuer:{}:{}", p.slug, issuer),
        json!({"enabled": enabled}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

/// `Store::create_trusted_issuer` inside a caller's transaction.
pub(crate) async fn create_trusted_issuer_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    partner_slug: &str,
    i: NewTrustedIssuer,
    now: i64,
) -> Result<trusted_issuer::Model> {
    check_issuer(&i)?;
    let p = partner_by_slug_in(txn, partner_slug).await?;
    crate::reserved::check_partner(actor, &p)?;
    let model = trusted_issuer::ActiveModel {
        id: Set(format!("ti_{}", entente_domain::secret::random_token(8))),
        partner_id: Set(p.id.clone()),
        issuer: Set(i.issuer.clone()),
        jwks_uri: Set(i.jwks_uri.clone()),
        jwks: Set(i.jwks.clone()),
        algorithms: Set(i.algorithms.clone()),
        audiences: Set(i.audiences.join(" ")),
        kinds: Set(i
            .kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(" ")),
        max_age: Set(i.max_age),
        skew: Set(i.skew),
        subject_claim: Set(i.subject_claim.clone()),
        subject_claim_guaranteed: Set(i.subject_claim_guaranteed),
        access_tokens_typed_jwt: Set(i.access_tokens_typed_jwt),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|e| StoreError::from_insert(e, &format!("trusted issuer {}", i.issuer)))?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::IssuerCreate,
        &format!("issuer:{}:{}", p.slug, model.issuer),
        json!({"jwks_uri": model.jwks_uri, "static_jwks": model.jwks.is_some(), "algorithms": model.algorithms,
               "audiences": model.audiences, "kinds": model.kinds, "max_age": model.max_age, "skew": model.skew,
               "subject_claim": model.subject_claim, "subject_claim_guaranteed": model.subject_claim_guaranteed,
               "access_tokens_typed_jwt": model.access_tokens_typed_jwt}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}
