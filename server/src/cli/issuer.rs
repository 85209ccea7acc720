//! `entente issuer`: trusted issuers, partners' identity providers whose tokens Entente accepts.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use entente_domain::federation::rules::{self, TokenKind};
use entente_store::federation::NewTrustedIssuer;
use serde_json::json;

use super::{Ctx, print};
use crate::config::FetchArgs;

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum IssuerCmd {
    /// Register a partner's identity provider (keys by --jwks-uri or --jwks-file).
    Add(IssuerAdd),
    List {
        #[arg(long)]
        partner: Option<String>,
    },
    /// Stop accepting this issuer's tokens under every rule (within a second on every replica).
    Disable {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        issuer: String,
    },
    /// Turn it on again; for a production partner, a change request (`--request-approval`).
    Enable {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        issuer: String,
        #[command(flatten)]
        approval: super::change::ApprovalArgs,
    },
    /// Change how the issuer's tokens are read.
    Update {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        issuer: String,
        /// Whether its access tokens are typed `JWT` (Keycloak, Entra ID, Auth0) rather than `at+jwt`.
        #[arg(long, action = clap::ArgAction::Set)]
        access_tokens_typed_jwt: bool,
    },
}

#[derive(Debug, Args)]
pub struct IssuerAdd {
    #[arg(long)]
    pub partner: String,
    /// The exact `iss` string of its tokens.
    #[arg(long)]
    pub issuer: String,
    #[arg(long, conflicts_with = "jwks_file")]
    pub jwks_uri: Option<String>,
    #[arg(long)]
    pub jwks_file: Option<PathBuf>,
    /// `aud` value(s) its tokens must carry (default: Entente's issuer). Repeatable.
    #[arg(long)]
    pub audience: Vec<String>,
    /// Accepted algorithms (asymmetric only).
    #[arg(long, default_value = "ES256 RS256 PS256 EdDSA")]
    pub algorithms: String,
    /// Accepted token kinds: access_token, id_token, assertion.
    #[arg(long, default_value = "access_token")]
    pub kinds: String,
    /// Oldest accepted token in seconds; for assertions the longest lifetime.
    #[arg(long, default_value_t = rules::DEFAULT_MAX_AGE)]
    pub max_age: i64,
    /// Accepted clock skew in seconds (10–60).
    #[arg(long, default_value_t = rules::DEFAULT_SKEW)]
    pub skew: i64,
    /// The claim naming the user. A mutable one (email, preferred_username, upn, name…)
    /// needs --subject-claim-guaranteed.
    #[arg(long, default_value = "sub")]
    pub subject_claim: String,
    /// The issuer guarantees that its subject claim never changes and is never reassigned.
    #[arg(long)]
    pub subject_claim_guaranteed: bool,
    /// Accept this issuer's access tokens typed `JWT` (Keycloak, Entra ID and Auth0 do so by
    /// default) as well as `at+jwt`. ID tokens are still told apart by their claims.
    #[arg(long)]
    pub access_tokens_typed_jwt: bool,
    /// Entente's own issuer identifier: the default `aud` its tokens must carry.
    #[arg(
        long = "entente-issuer",
        env = "ENTENTE_ISSUER",
        default_value = "http://127.0.0.1:3000"
    )]
    pub entente_issuer: String,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

pub async fn run(cx: &Ctx<'_>, cmd: IssuerCmd) -> anyhow::Result<()> {
    match cmd {
        IssuerCmd::Add(a) => add(cx, a).await?,
        IssuerCmd::List { partner } => list(cx, partner).await?,
        IssuerCmd::Disable { partner, issuer } => disable(cx, partner, issuer).await?,
        IssuerCmd::Enable {
            partner,
            issuer,
            approval,
        } => enable(cx, partner, issuer, approval).await?,
        IssuerCmd::Update {
            partner,
            issuer,
            access_tokens_typed_jwt,
        } => update(cx, partner, issuer, access_tokens_typed_jwt).await?,
    }
    Ok(())
}

async fn add(cx: &Ctx<'_>, a: IssuerAdd) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let IssuerAdd {
        partner,
        issuer,
        jwks_uri,
        jwks_file,
        audience,
        algorithms,
        kinds,
        max_age,
        skew,
        subject_claim,
        subject_claim_guaranteed,
        access_tokens_typed_jwt,
        entente_issuer,
        fetch,
    } = a;
    let jwks = match jwks_file {
        Some(f) => Some(
            std::fs::read_to_string(&f)
                .map_err(|e| anyhow::anyhow!("--jwks-file {}: {e}", f.display()))?,
        ),
        None => None,
    };
    let kinds = kinds
        .split_whitespace()
        .map(|k| {
            TokenKind::parse(k).ok_or_else(|| {
                anyhow::anyhow!("--kinds: {k:?} is not one of access_token, id_token, assertion")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut new = NewTrustedIssuer::new(issuer, entente_issuer.to_owned());
    if !audience.is_empty() {
        new.audiences = audience
            .iter()
            .flat_map(|a| a.split_whitespace().map(str::to_owned))
            .collect();
    }
    new.jwks_uri = jwks_uri;
    new.jwks = jwks;
    new.algorithms = algorithms;
    new.kinds = kinds;
    new.max_age = max_age;
    new.skew = skew;
    new.subject_claim = subject_claim;
    new.subject_claim_guaranteed = subject_claim_guaranteed;
    new.access_tokens_typed_jwt = access_tokens_typed_jwt;
    let m = cx
        .ops(fetch.fetch_policy()?)?
        .add_trusted_issuer(&cx.host(), Some(&partner), new, now)
        .await
        .map_err(flag_words)?;
    print(
        out,
        json!({"id": m.id, "partner": partner, "issuer": m.issuer, "jwks_uri": m.jwks_uri, "audiences": m.audiences, "kinds": m.kinds,
               "skew": m.skew, "subject_claim": m.subject_claim, "subject_claim_guaranteed": m.subject_claim_guaranteed,
               "access_tokens_typed_jwt": m.access_tokens_typed_jwt}),
        format!(
            "trusted issuer {} added for {partner} (id {})",
            m.issuer, m.id
        ),
    );
    Ok(())
}

async fn list(cx: &Ctx<'_>, partner: Option<String>) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let pid = match partner {
        Some(slug) => Some(store.partner_by_slug(&slug).await?.id),
        None => None,
    };
    let is = store.list_trusted_issuers(pid.as_deref()).await?;
    let v: Vec<_> = is.iter().map(|i| json!({"id": i.id, "issuer": i.issuer, "jwks_uri": i.jwks_uri, "static_jwks": i.jwks.is_some(), "audiences": i.audiences, "kinds": i.kinds, "algorithms": i.algorithms, "enabled": i.enabled})).collect();
    let t = is
        .iter()
        .map(|i| format!("{:<14} {:<40} {}", i.id, i.issuer, i.kinds))
        .collect::<Vec<_>>()
        .join("\n");
    print(out, json!(v), t);
    Ok(())
}

async fn disable(cx: &Ctx<'_>, partner: String, issuer: String) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    cx.operations()?
        .set_issuer_enabled(&cx.host(), &partner, &issuer, false, "", now)
        .await?;
    print(
        out,
        json!({"issuer": issuer, "enabled": false}),
        format!("trusted issuer {issuer} disabled"),
    );
    Ok(())
}

async fn enable(
    cx: &Ctx<'_>,
    partner: String,
    issuer: String,
    approval: super::change::ApprovalArgs,
) -> anyhow::Result<()> {
    let change = entente_store::governance::Change::EnableIssuer {
        partner,
        issuer: issuer.clone(),
    };
    super::change::submit(cx, change, &approval, |_| {
        (
            json!({"issuer": issuer, "enabled": true}),
            format!("trusted issuer {issuer} enabled"),
        )
    })
    .await?;
    Ok(())
}

async fn update(
    cx: &Ctx<'_>,
    partner: String,
    issuer: String,
    access_tokens_typed_jwt: bool,
) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let m = cx
        .operations()?
        .set_issuer_typed_jwt(&cx.host(), &partner, &issuer, access_tokens_typed_jwt, now)
        .await?;
    print(
        out,
        json!({"issuer": m.issuer, "access_tokens_typed_jwt": m.access_tokens_typed_jwt}),
        format!(
            "trusted issuer {issuer}: access tokens typed JWT {}",
            if m.access_tokens_typed_jwt {
                "accepted"
            } else {
                "refused"
            }
        ),
    );
    Ok(())
}

/// An operation's refusal in this command's words: the field `jwks_uri` is the `--jwks-uri`
/// flag here.
pub(crate) fn flag_words(e: entente_operations::OpError) -> anyhow::Error {
    anyhow::anyhow!(e.to_string().replace("jwks_uri", "--jwks-uri"))
}
