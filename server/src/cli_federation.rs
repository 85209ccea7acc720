//! CLI verbs for federation: trusted issuers, trust rules, token revocation, explain.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use entente_domain::ScopeSet;
use entente_domain::federation::rules::{self, TokenKind};
use entente_domain::federation::{Env, subject};
use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
use entente_store::refresh::MARK_RETENTION;
use entente_store::{Actor, Store};
use serde_json::json;

use crate::cli::{Output, print};
use crate::config::{CommonArgs, FetchArgs};
use crate::issuer_keys::{IssuerKeys, check_url_resolves};

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum IssuerCmd {
    /// Register a partner's identity provider (keys by --jwks-uri or --jwks-file).
    Add {
        #[arg(long)]
        partner: String,
        /// The exact `iss` string of its tokens.
        #[arg(long)]
        issuer: String,
        #[arg(long, conflicts_with = "jwks_file")]
        jwks_uri: Option<String>,
        #[arg(long)]
        jwks_file: Option<PathBuf>,
        /// `aud` value(s) its tokens must carry (default: Entente's issuer). Repeatable.
        #[arg(long)]
        audience: Vec<String>,
        /// Accepted algorithms (asymmetric only).
        #[arg(long, default_value = "ES256 RS256 PS256 EdDSA")]
        algorithms: String,
        /// Accepted token kinds: access_token, id_token, assertion.
        #[arg(long, default_value = "access_token")]
        kinds: String,
        /// Oldest accepted token in seconds; for assertions the longest lifetime.
        #[arg(long, default_value_t = rules::DEFAULT_MAX_AGE)]
        max_age: i64,
        /// Accepted clock skew in seconds (0–60).
        #[arg(long, default_value_t = rules::DEFAULT_SKEW)]
        skew: i64,
        #[arg(long, default_value = "sub")]
        subject_claim: String,
        /// Accept this issuer's access tokens typed `JWT` (Keycloak, Entra ID and Auth0 do so by
        /// default) as well as `at+jwt`. ID tokens are still told apart by their claims.
        #[arg(long)]
        access_tokens_typed_jwt: bool,
        /// Entente's own issuer identifier: the default `aud` its tokens must carry.
        #[arg(
            long = "entente-issuer",
            env = "ENTENTE_ISSUER",
            default_value = "http://127.0.0.1:3000"
        )]
        entente_issuer: String,
        #[command(flatten)]
        fetch: FetchArgs,
    },
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
    Enable {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        issuer: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrustRuleCmd {
    /// Create or replace the rule for one issuer and audience.
    Set {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        audience: String,
        /// The most this rule grants (space-separated).
        #[arg(long)]
        scopes: String,
        /// Partner claims passed through (space-separated; `from=to` renames).
        #[arg(long, default_value = "")]
        claims: String,
        /// Scopes unlocked by a partner claim value: `claim:value=scope` (space-separated).
        #[arg(long = "map", default_value = "")]
        mappings: String,
        #[arg(long)]
        delegation: bool,
        #[arg(long, default_value_t = 1)]
        max_depth: u8,
        #[arg(long)]
        delegation_only: bool,
        #[arg(long)]
        pairwise_subject: bool,
        #[arg(long)]
        refresh: bool,
        /// Access token lifetime in seconds (default: the audience's).
        #[arg(long)]
        lifetime: Option<i64>,
        /// Absolute lifetime of a refresh token family in seconds.
        #[arg(long, default_value_t = 8 * 3600)]
        refresh_lifetime: i64,
    },
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
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Revoke a token and everything derived from it, or everything of a client, partner or
    /// partner subject. Takes effect on every replica within a second.
    Revoke {
        #[arg(long, group = "what")]
        jti: Option<String>,
        #[arg(long, group = "what")]
        client: Option<String>,
        /// Partner slug.
        #[arg(long, group = "what")]
        partner: Option<String>,
        /// A partner user: the trusted issuer (with --subject).
        #[arg(long, group = "what", requires = "subject")]
        subject_issuer: Option<String>,
        #[arg(long)]
        subject: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExchangeCmd {
    /// Evaluate a token request (JSON) without issuing anything; prints the decision trace.
    Explain {
        #[arg(long)]
        file: PathBuf,
        /// Entente's own issuer identifier (as the server is configured).
        #[arg(
            long = "entente-issuer",
            env = "ENTENTE_ISSUER",
            default_value = "http://127.0.0.1:3000"
        )]
        entente_issuer: String,
        #[command(flatten)]
        fetch: FetchArgs,
    },
}

pub async fn issuer(
    store: &Store,
    actor: &Actor,
    out: Output,
    cmd: IssuerCmd,
    now: i64,
) -> anyhow::Result<()> {
    match cmd {
        IssuerCmd::Add {
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
            access_tokens_typed_jwt,
            entente_issuer,
            fetch,
        } => {
            let policy = fetch.fetch_policy()?;
            let jwks_uri = match jwks_uri {
                Some(u) => Some(
                    check_url_resolves(&u, &policy)
                        .await
                        .map_err(|e| anyhow::anyhow!("--jwks-uri: {e}"))?
                        .to_string(),
                ),
                None => None,
            };
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
                        anyhow::anyhow!(
                            "--kinds: {k:?} is not one of access_token, id_token, assertion"
                        )
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
            new.access_tokens_typed_jwt = access_tokens_typed_jwt;
            let m = store
                .create_trusted_issuer(actor, &partner, new, now)
                .await?;
            print(
                out,
                json!({"id": m.id, "partner": partner, "issuer": m.issuer, "jwks_uri": m.jwks_uri, "audiences": m.audiences, "kinds": m.kinds, "access_tokens_typed_jwt": m.access_tokens_typed_jwt}),
                format!(
                    "trusted issuer {} added for {partner} (id {})",
                    m.issuer, m.id
                ),
            );
        }
        IssuerCmd::List { partner } => {
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
        }
        IssuerCmd::Disable { partner, issuer } => {
            store
                .set_trusted_issuer_enabled(actor, &partner, &issuer, false, now)
                .await?;
            print(
                out,
                json!({"issuer": issuer, "enabled": false}),
                format!("trusted issuer {issuer} disabled"),
            );
        }
        IssuerCmd::Enable { partner, issuer } => {
            store
                .set_trusted_issuer_enabled(actor, &partner, &issuer, true, now)
                .await?;
            print(
                out,
                json!({"issuer": issuer, "enabled": true}),
                format!("trusted issuer {issuer} enabled"),
            );
        }
    }
    Ok(())
}

pub async fn trust_rule(
    store: &Store,
    actor: &Actor,
    out: Output,
    cmd: TrustRuleCmd,
    now: i64,
) -> anyhow::Result<()> {
    match cmd {
        TrustRuleCmd::Set {
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
        } => {
            let mut r = NewTrustRule::new(
                ScopeSet::parse(&scopes)
                    .map_err(|e| anyhow::anyhow!("--scopes: {}", e.description))?,
            );
            r.claims =
                rules::parse_claim_passes(&claims).map_err(|e| anyhow::anyhow!("--claims: {e}"))?;
            r.mappings = rules::parse_scope_mappings(&mappings)
                .map_err(|e| anyhow::anyhow!("--map: {e}"))?;
            r.delegation = delegation || delegation_only;
            r.max_depth = max_depth;
            r.delegation_only = delegation_only;
            r.pairwise = pairwise_subject;
            r.refresh = refresh;
            r.lifetime = lifetime;
            r.refresh_lifetime = refresh_lifetime;
            let m = store
                .set_trust_rule(actor, &partner, &issuer, &audience, r, now)
                .await?;
            print(
                out,
                json!({"id": m.id, "partner": partner, "issuer": issuer, "audience": audience, "scopes": m.scopes,
                       "delegation": m.delegation, "max_depth": m.max_depth, "delegation_only": m.delegation_only,
                       "pairwise_subject": m.pairwise, "refresh": m.refresh}),
                format!(
                    "trust rule {}: tokens from {issuer} may become {audience} tokens with at most \"{}\"",
                    m.id, m.scopes
                ),
            );
        }
        TrustRuleCmd::List { partner } => {
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
        }
        TrustRuleCmd::Disable { id } => {
            store.set_trust_rule_enabled(actor, &id, false, now).await?;
            print(
                out,
                json!({"id": id, "enabled": false}),
                format!("trust rule {id} disabled"),
            );
        }
        TrustRuleCmd::Enable { id } => {
            store.set_trust_rule_enabled(actor, &id, true, now).await?;
            print(
                out,
                json!({"id": id, "enabled": true}),
                format!("trust rule {id} enabled"),
            );
        }
    }
    Ok(())
}

pub async fn token(
    store: &Store,
    actor: &Actor,
    master: &entente_domain::sealing::MasterKey,
    out: Output,
    cmd: TokenCmd,
    now: i64,
) -> anyhow::Result<()> {
    let TokenCmd::Revoke {
        jti,
        client,
        partner,
        subject_issuer,
        subject,
    } = cmd;
    let target = match (jti, client, partner, subject_issuer, subject) {
        (Some(j), ..) => subject::token_key(&j),
        (_, Some(c), ..) => {
            store.client(&c).await?;
            subject::client_key(&c)
        }
        (_, _, Some(p), ..) => {
            let partner = store.partner_by_slug(&p).await?;
            store.revoke_partner_families(&partner.id).await?;
            subject::partner_key(&p)
        }
        (_, _, _, Some(i), Some(s)) => {
            // Tokens under pairwise rules carry a per-audience copy of the subject key.
            let secret = master.derive(crate::startup::PAIRWISE_PURPOSE);
            for (a, _) in store.list_audiences().await? {
                let key = subject::pairwise_subject_key(&secret, &a.identifier, &i, &s);
                store
                    .revoke_mark(actor, &key, now + MARK_RETENTION, now)
                    .await?;
            }
            subject::subject_key(&i, &s)
        }
        _ => anyhow::bail!(
            "name what to revoke: --jti, --client, --partner or --subject-issuer with --subject"
        ),
    };
    store
        .revoke_mark(actor, &target, now + MARK_RETENTION, now)
        .await?;
    print(
        out,
        json!({"revoked": target}),
        format!("revoked {target} and every token derived from it"),
    );
    Ok(())
}

pub async fn exchange(
    store: &Store,
    common: &CommonArgs,
    out: Output,
    cmd: ExchangeCmd,
    now: i64,
) -> anyhow::Result<()> {
    let ExchangeCmd::Explain {
        file,
        entente_issuer,
        fetch,
    } = cmd;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| anyhow::anyhow!("--file {}: {e}", file.display()))?;
    let req: crate::explain::ExplainRequest = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "--file {}: not a valid explain request: {e}",
            file.display()
        )
    })?;
    let master = common.master_key()?;
    let snapshot = crate::snapshot::Snapshot::build(store.load_catalog(now).await?);
    let keys = Arc::new(crate::keyring::build(&store.signing_keys().await?, &master));
    let revocations = crate::state::load_revocations(store, now).await?;
    let revoked =
        |c: &entente_domain::token::AccessTokenClaims| crate::state::revoked_in(&revocations, c);
    let fetcher = IssuerKeys::new(fetch.fetch_policy()?)?;
    let pairwise = master.derive(crate::startup::PAIRWISE_PURPOSE);
    let env = Env {
        issuer: &entente_issuer,
        pairwise_secret: &pairwise,
    };
    let answer =
        crate::explain::explain(&snapshot, &fetcher, keys, &revoked, &env, &req, now).await;
    let text = render(&answer);
    print(out, answer, text);
    Ok(())
}

fn render(answer: &serde_json::Value) -> String {
    let mut lines = Vec::new();
    if let Some(steps) = answer["trace"].as_array() {
        for s in steps {
            lines.push(format!(
                "{:<5} {:<14} {}",
                s["outcome"].as_str().unwrap_or(""),
                s["step"].as_str().unwrap_or(""),
                s["detail"].as_str().unwrap_or("")
            ));
        }
    }
    if answer["allowed"] == true {
        lines.push(format!("ALLOWED: {}", answer["granted"]));
    } else {
        lines.push(format!(
            "DENIED: {} — {}",
            answer["error"].as_str().unwrap_or(""),
            answer["error_description"].as_str().unwrap_or("")
        ));
    }
    lines.join("\n")
}
