//! `entente trust-rule`: what a trusted issuer's tokens may be exchanged for.

use clap::{Args, Subcommand};
use entente_domain::ScopeSet;
use entente_domain::federation::rules;
use entente_store::federation::NewTrustRule;
use serde_json::json;

use entente_store::governance::Change;

use super::change::{ApprovalArgs, submit};
use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum TrustRuleCmd {
    /// Create or replace the rule for one issuer and audience.
    Set(TrustRuleSet),
    List {
        #[arg(long)]
        partner: Option<String>,
    },
    Disable {
        #[arg(long)]
        id: String,
    },
    Enable {
        #[arg(long)]
        id: String,
        #[command(flatten)]
        approval: ApprovalArgs,
    },
}

#[derive(Debug, Args)]
pub struct TrustRuleSet {
    #[arg(long)]
    pub partner: String,
    #[arg(long)]
    pub issuer: String,
    #[arg(long)]
    pub audience: String,
    /// The most this rule grants (space-separated).
    #[arg(long)]
    pub scopes: String,
    /// Partner claims passed through (space-separated; `from=to` renames).
    #[arg(long, default_value = "")]
    pub claims: String,
    /// Scopes unlocked by a partner claim value: `claim:value=scope` (space-separated).
    #[arg(long = "map", default_value = "")]
    pub mappings: String,
    #[arg(long)]
    pub delegation: bool,
    #[arg(long, default_value_t = 1)]
    pub max_depth: u8,
    #[arg(long)]
    pub delegation_only: bool,
    #[arg(long)]
    pub pairwise_subject: bool,
    #[arg(long)]
    pub refresh: bool,
    /// Access token lifetime in seconds (default: the audience's).
    #[arg(long)]
    pub lifetime: Option<i64>,
    /// Absolute lifetime of a refresh token family in seconds.
    #[arg(long, default_value_t = 8 * 3600)]
    pub refresh_lifetime: i64,
    #[command(flatten)]
    pub approval: ApprovalArgs,
}

pub async fn run(cx: &Ctx<'_>, cmd: TrustRuleCmd) -> anyhow::Result<()> {
    match cmd {
        TrustRuleCmd::Set(s) => set(cx, s).await?,
        TrustRuleCmd::List { partner } => list(cx, partner).await?,
        TrustRuleCmd::Disable { id } => disable(cx, id).await?,
        TrustRuleCmd::Enable { id, approval } => enable(cx, id, approval).await?,
    }
    Ok(())
}

async fn set(cx: &Ctx<'_>, s: TrustRuleSet) -> anyhow::Result<()> {
    let TrustRuleSet {
        partner,
        issuer,
        audience,
        scopes,
        claims,
        mappings,
        delegation,
        max_depth,
        delegation_only,
        pairwise_subject,
        refresh,
        lifetime,
        refresh_lifetime,
        approval,
    } = s;
    let mut r = NewTrustRule::new(
        ScopeSet::parse(&scopes).map_err(|e| anyhow::anyhow!("--scopes: {}", e.description))?,
    );
    r.claims = rules::parse_claim_passes(&claims).map_err(|e| anyhow::anyhow!("--claims: {e}"))?;
    r.mappings =
        rules::parse_scope_mappings(&mappings).map_err(|e| anyhow::anyhow!("--map: {e}"))?;
    r.delegation = delegation;
    r.max_depth = max_depth;
    r.delegation_only = delegation_only;
    r.pairwise = pairwise_subject;
    r.refresh = refresh;
    r.lifetime = lifetime;
    r.refresh_lifetime = refresh_lifetime;
    let (scopes, delegation, max_depth) =
        (r.scopes.to_string(), r.allows_delegation(), r.max_depth);
    let (delegation_only, pairwise, refresh) = (r.delegation_only, r.pairwise, r.refresh);
    let change = Change::TrustRule {
        partner: partner.clone(),
        issuer: issuer.clone(),
        audience: audience.clone(),
        rule: r,
    };
    submit(cx, change, &approval, |id| {
        let id = id.unwrap_or_default();
        (
            json!({"id": id, "partner": partner, "issuer": issuer, "audience": audience, "scopes": scopes,
                   "delegation": delegation, "max_depth": max_depth, "delegation_only": delegation_only,
                   "pairwise_subject": pairwise, "refresh": refresh}),
            format!(
                "trust rule {id}: tokens from {issuer} may become {audience} tokens with at most \"{scopes}\""
            ),
        )
    })
    .await?;
    Ok(())
}

async fn list(cx: &Ctx<'_>, partner: Option<String>) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let pid = match partner {
        Some(slug) => Some(store.partner_by_slug(&slug).await?.id),
        None => None,
    };
    let rs = store.list_trust_rules(pid.as_deref()).await?;
    let v: Vec<_> = rs.iter().map(|r| json!({"id": r.id, "issuer_id": r.issuer_id, "audience_id": r.audience_id, "scopes": r.scopes, "delegation": r.delegation, "pairwise_subject": r.pairwise, "refresh": r.refresh, "enabled": r.enabled})).collect();
    let t = rs
        .iter()
        .map(|r| {
            format!(
                "{:<14} {:<14} {} {}",
                r.id,
                r.issuer_id,
                if r.enabled { "enabled " } else { "disabled" },
                r.scopes
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    print(out, json!(v), t);
    Ok(())
}

async fn disable(cx: &Ctx<'_>, id: String) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    cx.operations()?
        .set_trust_rule_enabled(&cx.host(), &id, false, "", now)
        .await?;
    print(
        out,
        json!({"id": id, "enabled": false}),
        format!("trust rule {id} disabled"),
    );
    Ok(())
}

async fn enable(cx: &Ctx<'_>, id: String, approval: ApprovalArgs) -> anyhow::Result<()> {
    let change = Change::EnableTrustRule {
        rule_id: id.clone(),
    };
    submit(cx, change, &approval, |_| {
        (
            json!({"id": id, "enabled": true}),
            format!("trust rule {id} enabled"),
        )
    })
    .await?;
    Ok(())
}
