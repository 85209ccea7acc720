//! The `entente` command line: `serve` (default), `migrate`, and the same catalog verbs the
//! console offers, for scripts and CI; one file per noun. Every command can print JSON
//! (`--output json`).

pub mod admin;
pub mod alert;
pub mod audience;
pub mod audit;
pub mod change;
pub mod client;
pub mod configuration;
pub mod demo;
pub mod exchange;
pub mod grant;
pub mod issuer;
pub mod key;
pub mod limit;
pub mod partner;
pub mod quickstart;
pub mod resource_server;
pub mod token;
pub mod trust_rule;
pub mod usage;

use clap::{Parser, Subcommand, ValueEnum};
use entente_store::{Actor, Store};
use serde_json::json;

use crate::config::{CommonArgs, LogArgs, ServeArgs};
use crate::state::now;

#[derive(Debug, Parser)]
#[command(
    name = "entente",
    version,
    about = "Entente: federate identity and permissions with partner organisations.",
    // `entente --listen …` serves; serve settings never leak into other commands' help.
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serve settings when no command is given (`entente` alone serves).
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Output format of catalog commands.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Output {
    #[value(alias = "table")]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the token service and console (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Partners: organisations that get access to your APIs.
    #[command(subcommand)]
    Partner(partner::PartnerCmd),
    /// Audiences: the APIs Entente issues tokens for, with their scopes.
    #[command(subcommand)]
    Audience(audience::AudienceCmd),
    /// Grants: a partner's allowance of scopes on an audience.
    #[command(subcommand)]
    Grant(grant::GrantCmd),
    /// Clients of partners.
    #[command(subcommand)]
    Client(client::ClientCmd),
    /// An API's own client, used to introspect tokens issued for its audience.
    #[command(name = "resource-server", subcommand)]
    ResourceServer(resource_server::ResourceServerCmd),
    /// Signing keys.
    #[command(subcommand)]
    Key(key::KeyCmd),
    /// Rate limits: tiers, and the limit of a partner or client.
    #[command(subcommand)]
    Limit(limit::LimitCmd),
    /// Console administrators.
    #[command(subcommand)]
    Admin(admin::AdminCmd),
    /// Trusted issuers: partners' identity providers whose tokens Entente accepts.
    #[command(subcommand)]
    Issuer(issuer::IssuerCmd),
    /// Trust rules: what a trusted issuer's tokens may be exchanged for.
    #[command(name = "trust-rule", subcommand)]
    TrustRule(trust_rule::TrustRuleCmd),
    /// Issued tokens: revoke by id, client, partner or partner subject.
    #[command(subcommand)]
    Token(token::TokenCmd),
    /// Token exchange tools.
    #[command(subcommand)]
    Exchange(exchange::ExchangeCmd),
    /// Change requests: changes that widen production access, awaiting a second administrator.
    #[command(subcommand)]
    Change(change::ChangeCmd),
    /// The audit log: every change and security event, who, what, from where.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Token usage over a range, per step (every replica summed): requests, tokens, refusals
    /// by reason, latency, top partners and clients.
    Usage(usage::UsageCmd),
    /// Usage anomaly alerts: a client's issuance or refusals far from its baseline.
    #[command(subcommand)]
    Alert(alert::AlertCmd),
    /// Configuration as code: export the catalog as YAML, plan and apply a document.
    #[command(subcommand)]
    Config(configuration::ConfigCmd),
    /// Demonstration data: `demo seed` fills an empty catalog.
    #[command(subcommand)]
    Demo(demo::DemoCmd),
    /// The first token in five minutes: a sandbox partner, API, client and the API's own
    /// client, and the curl commands that use them, printed with the real values.
    Quickstart(quickstart::QuickstartArgs),
}

pub(crate) fn print(out: Output, value: serde_json::Value, text: String) {
    match out {
        Output::Json => println!("{value}"),
        Output::Text => println!("{text}"),
    }
}

/// The commands that change something, each with the operation it performs: every command
/// runs as the host, and the test that walks every operation checks that each host-only
/// operation has its command.
pub const OPERATIONS: &[(&str, entente_operations::Operation)] = {
    use entente_operations::Operation::*;
    &[
        ("partner create", CreatePartner),
        ("partner stage", MovePartnerStage),
        ("partner suspend", SuspendPartner),
        ("partner reactivate", ReactivatePartner),
        ("partner invite", InvitePartnerUser),
        ("audience create", CreateAudience),
        ("audience scope", SetScopeInfo),
        ("audience add-scopes", ChangeAudience),
        ("audience remove-scope", ChangeAudience),
        ("audience delete", ChangeAudience),
        ("grant set", SetGrant),
        ("client create", CreateClient),
        ("client set-keys", SetClientKeys),
        ("client rotate-secret", RotateClientSecret),
        ("client update", UpdateClient),
        ("resource-server create", CreateResourceServer),
        ("key rotate", RotateKey),
        ("key revoke", RevokeKey),
        ("key policy", SetKeyPolicy),
        ("limit tier set", SetTier),
        ("limit tier delete", DeleteTier),
        ("limit set", SetRateLimit),
        ("admin create", CreateConsoleUser),
        ("admin revoke-invite", RevokeConsoleInvitation),
        ("admin api-client", ManageApiClients),
        ("admin api-client-owner", ManageApiClients),
        ("issuer add", AddTrustedIssuer),
        ("issuer disable", SetIssuerEnabled),
        ("issuer enable", SetIssuerEnabled),
        ("issuer update", UpdateTrustedIssuer),
        ("trust-rule set", SetTrustRule),
        ("trust-rule disable", SetTrustRuleEnabled),
        ("trust-rule enable", SetTrustRuleEnabled),
        ("change withdraw", WithdrawChangeRequest),
        ("config apply", ApplyConfiguration),
        ("token revoke", RevokeTokens),
    ]
};

/// What every catalog command works with.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub actor: &'a Actor,
    pub common: &'a CommonArgs,
    pub out: Output,
    pub now: i64,
}

impl Ctx<'_> {
    /// The operations, acting as the host; `fetch` says which JWKS URLs are acceptable.
    pub fn ops(
        &self,
        fetch: crate::state::issuer_keys::FetchPolicy,
    ) -> anyhow::Result<entente_operations::Operations> {
        self.ops_with(
            &std::env::var("ENTENTE_ISSUER").unwrap_or_else(|_| DEFAULT_ISSUER.into()),
            fetch,
            signing_algorithm()?,
        )
    }

    /// The operations, acting as the host, with the production rules for JWKS URLs.
    pub fn operations(&self) -> anyhow::Result<entente_operations::Operations> {
        self.ops(STRICT)
    }

    /// The operations, acting as the host for an Entente whose issuer is `issuer` (the links
    /// they make point there).
    pub fn operations_at(&self, issuer: &str) -> anyhow::Result<entente_operations::Operations> {
        self.ops_with(issuer, STRICT, signing_algorithm()?)
    }

    /// The operations for `issuer`, checking JWKS URLs by `fetch`, new keys in `algorithm`.
    pub fn ops_with(
        &self,
        issuer: &str,
        fetch: crate::state::issuer_keys::FetchPolicy,
        algorithm: entente_domain::keys::SigningAlgorithm,
    ) -> anyhow::Result<entente_operations::Operations> {
        Ok(crate::operations::host_ops(
            self.store.clone(),
            self.common.master_key()?,
            issuer.trim_end_matches('/').to_owned(),
            fetch,
            algorithm,
        ))
    }

    /// The host as the operations see it.
    pub fn host(&self) -> entente_operations::Actor {
        entente_operations::Actor::host(self.actor.clone())
    }
}

/// JWKS URLs as production checks them: https, public addresses only.
const STRICT: crate::state::issuer_keys::FetchPolicy = crate::state::issuer_keys::FetchPolicy {
    allow_insecure: false,
    max_stale: 0,
};

/// The issuer a server started here without `ENTENTE_ISSUER` has (as the flags' defaults).
pub const DEFAULT_ISSUER: &str = "http://127.0.0.1:3000";

/// The algorithm a server started here would sign with (`ENTENTE_SIGNING_ALG`, ES256).
pub fn signing_algorithm() -> anyhow::Result<entente_domain::keys::SigningAlgorithm> {
    std::env::var("ENTENTE_SIGNING_ALG")
        .unwrap_or_else(|_| "ES256".into())
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))
}

pub async fn run(cmd: Command, common: &CommonArgs, out: Output) -> anyhow::Result<()> {
    let store = Store::connect(&common.database_url()?).await?;
    store.migrate().await?;
    // Whoever runs the CLI has the database and the master key: the host itself.
    let actor = Actor::host(format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    ));
    let now = now();
    let cx = Ctx {
        store: &store,
        actor: &actor,
        common,
        out,
        now,
    };
    match cmd {
        Command::Serve(_) => {
            anyhow::bail!("`serve` is started by main, not as a catalog command")
        }
        Command::Migrate => print(out, json!({"migrated": true}), "migrations applied".into()),
        Command::Partner(c) => partner::run(&cx, c).await?,
        Command::Audience(c) => audience::run(&cx, c).await?,
        Command::Grant(c) => grant::run(&cx, c).await?,
        Command::Client(c) => client::run(&cx, c).await?,
        Command::ResourceServer(c) => resource_server::run(&cx, c).await?,
        Command::Key(c) => key::run(&cx, c).await?,
        Command::Limit(c) => limit::run(&cx, c).await?,
        Command::Admin(c) => admin::run(&cx, c).await?,
        Command::Issuer(c) => issuer::run(&cx, c).await?,
        Command::TrustRule(c) => trust_rule::run(&cx, c).await?,
        Command::Token(c) => token::run(&cx, c).await?,
        Command::Exchange(c) => exchange::run(&cx, c).await?,
        Command::Change(c) => change::run(&cx, c).await?,
        Command::Audit(c) => audit::run(&cx, c).await?,
        Command::Usage(c) => usage::run(&cx, c).await?,
        Command::Alert(c) => alert::run(&cx, c).await?,
        Command::Config(c) => configuration::run(&cx, c).await?,
        Command::Demo(c) => demo::run(&cx, c).await?,
        Command::Quickstart(c) => quickstart::run(&cx, c).await?,
    }
    Ok(())
}
