//! A partner's trusted issuers and trust rules (what its identity provider's tokens may become).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_domain::ScopeSet;
use entente_domain::federation::rules::{
    ClaimPass, ScopeMapping, TokenKind, format_claim_passes, format_scope_mappings,
    parse_claim_passes, parse_scope_mappings,
};
use entente_store::entities::{trust_rule, trusted_issuer};
use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
use entente_store::governance::Change;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entente_operations::Operation;

use super::auth::Caller;
use super::problem::{ApiError, ApiResult, Json, Outcome, Path, Refusals, ok};
use super::{submit, time_text};
use crate::state::{AppState, now};

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrustedIssuer {
    #[schema(example = "https://idp.acme.example")]
    pub issuer: String,
    pub jwks_uri: Option<String>,
    /// A pasted public JWKS, when the issuer has no JWKS URL.
    pub jwks: Option<String>,
    pub algorithms: Vec<String>,
    /// Audience values the partner's tokens must carry.
    pub audiences: Vec<String>,
    /// access_token, id_token, assertion.
    pub kinds: Vec<String>,
    /// Oldest accepted token, in seconds since its `iat`.
    pub max_age: i64,
    pub skew: i64,
    pub subject_claim: String,
    /// The issuer guarantees that `subject_claim` never changes and is never reassigned.
    pub subject_claim_guaranteed: bool,
    /// Access tokens must be typed `at+jwt` (RFC 9068).
    pub access_tokens_typed_jwt: bool,
    pub enabled: bool,
    pub created_at: String,
}

impl From<trusted_issuer::Model> for TrustedIssuer {
    fn from(i: trusted_issuer::Model) -> Self {
        Self {
            algorithms: words(&i.algorithms),
            audiences: words(&i.audiences),
            kinds: words(&i.kinds),
            issuer: i.issuer,
            jwks_uri: i.jwks_uri,
            jwks: i.jwks,
            max_age: i.max_age,
            skew: i.skew,
            subject_claim: i.subject_claim,
            subject_claim_guaranteed: i.subject_claim_guaranteed,
            access_tokens_typed_jwt: i.access_tokens_typed_jwt,
            enabled: i.enabled,
            created_at: time_text(i.created_at),
        }
    }
}

#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/issuers", tag = "trust",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = Vec<TrustedIssuer>), Refusals))]
pub async fn list_issuers(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let p = state.store.partner_by_slug(&slug).await?;
    let all = state.store.list_trusted_issuers(Some(&p.id)).await?;
    Ok(ok(
        StatusCode::OK,
        all.into_iter().map(TrustedIssuer::from).collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIssuer {
    #[schema(example = "https://idp.acme.example")]
    pub issuer: String,
    /// Where its public keys are (https); or give `jwks`.
    pub jwks_uri: Option<String>,
    /// Its public JWKS, pasted; or give `jwks_uri`.
    pub jwks: Option<String>,
    /// Default: ES256 RS256 PS256 EdDSA.
    pub algorithms: Option<Vec<String>>,
    /// Default: this server's issuer identifier.
    pub audiences: Option<Vec<String>>,
    /// access_token (default), id_token, assertion.
    pub kinds: Option<Vec<String>>,
    pub max_age: Option<i64>,
    /// Accepted clock skew in seconds, 10–60 (default 30).
    pub skew: Option<i64>,
    /// The claim naming the user (default `sub`). A mutable claim (`email`,
    /// `preferred_username`, `upn`, `name`…) needs `subject_claim_guaranteed`.
    pub subject_claim: Option<String>,
    /// The issuer guarantees that its subject claim never changes and is never reassigned.
    #[serde(default)]
    pub subject_claim_guaranteed: bool,
    #[serde(default)]
    pub access_tokens_typed_jwt: bool,
}

/// The store's new issuer from an API or config body (the JWKS URL checked against SSRF).
pub fn new_issuer(state: &AppState, b: NewIssuer) -> Result<NewTrustedIssuer, String> {
    let mut n = NewTrustedIssuer::new(b.issuer.trim().to_owned(), state.issuer.clone());
    n.jwks_uri = b.jwks_uri;
    n.jwks = b.jwks;
    if let Some(a) = b.algorithms {
        n.algorithms = a.join(" ");
    }
    if let Some(a) = b.audiences {
        n.audiences = a;
    }
    if let Some(k) = b.kinds {
        n.kinds = k
            .iter()
            .map(|k| {
                TokenKind::parse(k).ok_or_else(|| {
                    format!("token kind {k:?} is access_token, id_token or assertion")
                })
            })
            .collect::<Result<_, _>>()?;
    }
    n.max_age = b.max_age.unwrap_or(n.max_age);
    n.skew = b.skew.unwrap_or(n.skew);
    if let Some(s) = b.subject_claim {
        n.subject_claim = s;
    }
    n.subject_claim_guaranteed = b.subject_claim_guaranteed;
    n.access_tokens_typed_jwt = b.access_tokens_typed_jwt;
    Ok(n)
}

#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/issuers", tag = "trust",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = NewIssuer,
    responses((status = 201, body = TrustedIssuer), Refusals))]
pub async fn create_issuer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<NewIssuer>,
) -> ApiResult<Response> {
    let ops = state.ops();
    // The issuer is judged only for a caller who may add one (403/404 first).
    ops.may(&caller.acting(), Operation::AddTrustedIssuer, Some(&slug))
        .await?;
    let n = new_issuer(&state, body).map_err(ApiError::bad_request)?;
    let m = ops
        .add_trusted_issuer(&caller.acting(), Some(&slug), n, now())
        .await?;
    Ok(ok(StatusCode::CREATED, TrustedIssuer::from(m)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enabled {
    pub enabled: bool,
    /// Why (recorded on a change request; up to 1000 characters).
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuerSwitch {
    /// The issuer identifier.
    pub issuer: String,
    pub enabled: bool,
    #[serde(default)]
    pub reason: String,
}

/// Disabling applies at once; enabling again is a change request.
#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/issuers/enabled", tag = "trust",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = IssuerSwitch,
    responses((status = 200, description = "Applied", body = Outcome),
        (status = 202, description = "Filed as a change request", body = Outcome), Refusals))]
pub async fn switch_issuer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<IssuerSwitch>,
) -> ApiResult<Response> {
    let out = state
        .ops()
        .set_issuer_enabled(
            &caller.acting(),
            &slug,
            &body.issuer,
            body.enabled,
            &body.reason,
            now(),
        )
        .await?;
    Ok(match out {
        entente_operations::governance::Outcome::Applied { .. } if !body.enabled => Outcome {
            outcome: "applied".into(),
            change_request: None,
            summary: format!("issuer {} disabled", body.issuer),
        },
        out => Outcome::from(out),
    }
    .response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrustRule {
    #[schema(example = "tr_x1y2")]
    pub id: String,
    pub issuer: String,
    /// The audience's identifier.
    pub audience: String,
    /// The ceiling, space-separated.
    pub scopes: String,
    /// Claims copied into issued tokens: `email groups=partner_groups`.
    pub claims: String,
    /// Scopes a claim value unlocks: `groups:admins=orders:write`.
    pub mappings: String,
    pub pairwise: bool,
    pub delegation: bool,
    pub delegation_only: bool,
    pub max_depth: i32,
    pub refresh: bool,
    /// Access token lifetime in seconds; the audience's when null.
    pub lifetime: Option<i64>,
    pub refresh_lifetime: i64,
    pub enabled: bool,
}

/// A stored rule in the API's words (issuer and audience by name, claims as text).
pub fn rule_of(
    r: trust_rule::Model,
    issuer: impl Fn(&str) -> String,
    audience: impl Fn(&str) -> String,
) -> TrustRule {
    let claims: Vec<ClaimPass> = serde_json::from_str(&r.claims).unwrap_or_default();
    let mappings: Vec<ScopeMapping> = serde_json::from_str(&r.mappings).unwrap_or_default();
    TrustRule {
        issuer: issuer(&r.issuer_id),
        audience: audience(&r.audience_id),
        claims: format_claim_passes(&claims),
        mappings: format_scope_mappings(&mappings),
        id: r.id,
        scopes: r.scopes,
        pairwise: r.pairwise,
        delegation: r.delegation,
        delegation_only: r.delegation_only,
        max_depth: r.max_depth,
        refresh: r.refresh,
        lifetime: r.lifetime,
        refresh_lifetime: r.refresh_lifetime,
        enabled: r.enabled,
    }
}

/// The partner's rules with issuer and audience names.
pub async fn rules_of(state: &AppState, partner_id: &str) -> ApiResult<Vec<TrustRule>> {
    let issuers = state.store.list_trusted_issuers(Some(partner_id)).await?;
    let audiences = state.store.list_audiences().await?;
    let rules = state.store.list_trust_rules(Some(partner_id)).await?;
    Ok(rules
        .into_iter()
        .map(|r| {
            rule_of(
                r,
                |id| {
                    issuers
                        .iter()
                        .find(|i| i.id == id)
                        .map_or_else(|| id.to_owned(), |i| i.issuer.clone())
                },
                |id| {
                    audiences
                        .iter()
                        .find(|(a, _)| a.id == id)
                        .map_or_else(|| id.to_owned(), |(a, _)| a.identifier.clone())
                },
            )
        })
        .collect())
}

#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/trust-rules", tag = "trust",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = Vec<TrustRule>), Refusals))]
pub async fn list_rules(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let p = state.store.partner_by_slug(&slug).await?;
    Ok(ok(StatusCode::OK, rules_of(&state, &p.id).await?))
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// The trusted issuer's identifier.
    pub issuer: String,
    /// The audience's identifier.
    pub audience: String,
    /// The ceiling, space-separated.
    pub scopes: String,
    #[serde(default)]
    pub claims: String,
    #[serde(default)]
    pub mappings: String,
    #[serde(default)]
    pub pairwise: bool,
    #[serde(default)]
    pub delegation: bool,
    #[serde(default)]
    pub delegation_only: bool,
    /// 1–5 (default 1).
    pub max_depth: Option<u8>,
    #[serde(default)]
    pub refresh: bool,
    pub lifetime: Option<i64>,
    /// Seconds (default 8 hours).
    pub refresh_lifetime: Option<i64>,
    /// Why (recorded on a change request; up to 1000 characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl RuleBody {
    pub fn rule(&self) -> Result<NewTrustRule, String> {
        let scopes = ScopeSet::parse(&self.scopes).map_err(|e| e.description.to_string())?;
        let mut r = NewTrustRule::new(scopes);
        r.claims = parse_claim_passes(&self.claims)?;
        r.mappings = parse_scope_mappings(&self.mappings)?;
        r.pairwise = self.pairwise;
        r.delegation = self.delegation;
        r.delegation_only = self.delegation_only;
        r.max_depth = self.max_depth.unwrap_or(1);
        r.refresh = self.refresh;
        r.lifetime = self.lifetime;
        if let Some(l) = self.refresh_lifetime {
            r.refresh_lifetime = l;
        }
        Ok(r)
    }
}

/// Creates or replaces the rule for (issuer, audience); one that reaches further for a
/// production partner is filed as a change request.
#[utoipa::path(put, path = "/admin/api/v1/partners/{partner}/trust-rules", tag = "trust",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = RuleBody,
    responses((status = 200, description = "Applied", body = Outcome),
        (status = 202, description = "Filed as a change request", body = Outcome), Refusals))]
pub async fn put_rule(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<RuleBody>,
) -> ApiResult<Response> {
    // The rule is judged only for a caller who may set one (403/404 first).
    state
        .ops()
        .may(&caller.acting(), Operation::SetTrustRule, Some(&slug))
        .await?;
    let rule = body.rule().map_err(ApiError::bad_request)?;
    let change = Change::TrustRule {
        partner: slug,
        issuer: body.issuer,
        audience: body.audience,
        rule,
    };
    submit(&state, &caller, change, &body.reason).await
}

/// Disabling applies at once; enabling again may be a change request.
#[utoipa::path(post, path = "/admin/api/v1/trust-rules/{rule}/enabled", tag = "trust",
    params(("rule" = String, Path, description = "The rule's ID")),
    request_body = Enabled,
    responses((status = 200, description = "Applied", body = Outcome),
        (status = 202, description = "Filed as a change request", body = Outcome), Refusals))]
pub async fn switch_rule(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(rule_id): Path<String>,
    Json(body): Json<Enabled>,
) -> ApiResult<Response> {
    let out = state
        .ops()
        .set_trust_rule_enabled(
            &caller.acting(),
            &rule_id,
            body.enabled,
            &body.reason,
            now(),
        )
        .await?;
    Ok(match out {
        entente_operations::governance::Outcome::Applied { .. } if !body.enabled => Outcome {
            outcome: "applied".into(),
            change_request: None,
            summary: format!("trust rule {rule_id} disabled"),
        },
        out => Outcome::from(out),
    }
    .response())
}
