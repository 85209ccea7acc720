//! The `entente` command line: `serve` (default), `migrate`, and the same catalog verbs the
//! console offers, for scripts and CI. Every command can print JSON (`--output json`).

use clap::{Args, Parser, Subcommand, ValueEnum};
use entente_domain::ScopeSet;
use entente_domain::client_auth::AuthMethod;
use entente_domain::keys::SigningAlgorithm;
use entente_domain::secret::{generate_secret, new_client_id};
use entente_store::catalog::{NewAudience, NewClient, NewPartner};
use entente_store::{Actor, Store};
use serde_json::json;

use crate::config::{CommonArgs, LogArgs, ServeArgs};
use crate::startup::secret_hasher;
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
    Partner(PartnerCmd),
    /// Audiences: the APIs Entente issues tokens for, with their scopes.
    #[command(subcommand)]
    Audience(AudienceCmd),
    /// Grants: a partner's allowance of scopes on an audience.
    #[command(subcommand)]
    Grant(GrantCmd),
    /// Clients of partners.
    #[command(subcommand)]
    Client(ClientCmd),
    /// An API's own client, used to introspect tokens issued for its audience.
    #[command(name = "resource-server", subcommand)]
    ResourceServer(ResourceServerCmd),
    /// Signing keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Console administrators.
    #[command(subcommand)]
    Admin(AdminCmd),
    /// Trusted issuers: partners' identity providers whose tokens Entente accepts.
    #[command(subcommand)]
    Issuer(crate::cli_federation::IssuerCmd),
    /// Trust rules: what a trusted issuer's tokens may be exchanged for.
    #[command(name = "trust-rule", subcommand)]
    TrustRule(crate::cli_federation::TrustRuleCmd),
    /// Issued tokens: revoke by id, client, partner or partner subject.
    #[command(subcommand)]
    Token(crate::cli_federation::TokenCmd),
    /// Token exchange tools.
    #[command(subcommand)]
    Exchange(crate::cli_federation::ExchangeCmd),
}

#[derive(Debug, Subcommand)]
pub enum PartnerCmd {
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "production")]
        environment: String,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum AudienceCmd {
    Create {
        /// Absolute URI that tokens carry as `aud`.
        #[arg(long)]
        identifier: String,
        /// Space-separated scopes.
        #[arg(long)]
        scopes: String,
        #[arg(long)]
        name: Option<String>,
        /// Access token lifetime in seconds.
        #[arg(long, default_value_t = 300)]
        token_lifetime: i64,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum GrantCmd {
    Set {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        audience: String,
        #[arg(long)]
        scopes: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCmd {
    Create(ClientCreate),
    List {
        #[arg(long)]
        partner: Option<String>,
    },
    /// Issue a new secret; older secrets stop working after the grace period.
    RotateSecret {
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value_t = 0)]
        grace_seconds: i64,
    },
}

#[derive(Debug, Args)]
pub struct ClientCreate {
    #[arg(long)]
    partner: String,
    #[arg(long)]
    name: String,
    /// Scopes this client may request (space-separated).
    #[arg(long)]
    scopes: String,
    /// client_secret (Basic or POST) or private_key_jwt.
    #[arg(long, default_value = "client_secret")]
    auth_method: String,
    /// Public JWKS file, for private_key_jwt.
    #[arg(long)]
    jwks_file: Option<std::path::PathBuf>,
    #[arg(long, default_value = "client_credentials")]
    grant_types: String,
}

#[derive(Debug, Subcommand)]
pub enum ResourceServerCmd {
    Create {
        #[arg(long)]
        audience: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    List,
    /// Publish a successor key; it signs after the publish lead (or at once with --immediate).
    Rotate {
        #[arg(long)]
        immediate: bool,
        /// Algorithm of the new key: ES256, EdDSA, PS256 or RS256.
        #[arg(long, env = "ENTENTE_SIGNING_ALG", default_value = "ES256")]
        algorithm: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Create an administrator; the password is read from the terminal or, with
    /// --password-stdin, from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

pub(crate) fn print(out: Output, value: serde_json::Value, text: String) {
    match out {
        Output::Json => println!("{value}"),
        Output::Text => println!("{text}"),
    }
}

pub async fn run(cmd: Command, common: &CommonArgs, out: Output) -> anyhow::Result<()> {
    let store = Store::connect(&common.database_url()?).await?;
    store.migrate().await?;
    let actor = Actor::new(format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    ));
    let now = now();
    match cmd {
        Command::Serve { .. } => {
            anyhow::bail!("`serve` is started by main, not as a catalog command")
        }
        Command::Migrate => print(out, json!({"migrated": true}), "migrations applied".into()),
        Command::Issuer(c) => crate::cli_federation::issuer(&store, &actor, out, c, now).await?,
        Command::TrustRule(c) => {
            crate::cli_federation::trust_rule(&store, &actor, out, c, now).await?
        }
        Command::Token(c) => {
            crate::cli_federation::token(&store, &actor, &common.master_key()?, out, c, now).await?
        }
        Command::Exchange(c) => {
            crate::cli_federation::exchange(&store, common, out, c, now).await?
        }
        Command::Partner(PartnerCmd::Create {
            slug,
            name,
            environment,
        }) => {
            let p = store
                .create_partner(
                    &actor,
                    NewPartner {
                        slug,
                        name,
                        environment,
                    },
                    now,
                )
                .await?;
            print(
                out,
                json!({"id": p.id, "slug": p.slug, "name": p.name, "environment": p.environment}),
                format!("created partner {} ({})", p.slug, p.name),
            );
        }
        Command::Partner(PartnerCmd::List) => {
            let ps = store.list_partners().await?;
            let v: Vec<_> = ps.iter().map(|p| json!({"id": p.id, "slug": p.slug, "name": p.name, "environment": p.environment, "enabled": p.enabled})).collect();
            let t = ps
                .iter()
                .map(|p| format!("{:<24} {:<12} {}", p.slug, p.environment, p.name))
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
        Command::Audience(AudienceCmd::Create {
            identifier,
            scopes,
            name,
            token_lifetime,
        }) => {
            let scopes: Vec<String> = scopes.split_whitespace().map(str::to_owned).collect();
            let a = store
                .create_audience(
                    &actor,
                    NewAudience {
                        name: name.unwrap_or_else(|| identifier.clone()),
                        identifier,
                        scopes: scopes.clone(),
                        token_lifetime,
                    },
                    now,
                )
                .await?;
            print(
                out,
                json!({"id": a.id, "identifier": a.identifier, "scopes": scopes, "token_lifetime": a.token_lifetime}),
                format!("created audience {}", a.identifier),
            );
        }
        Command::Audience(AudienceCmd::List) => {
            let auds = store.list_audiences().await?;
            let v: Vec<_> = auds.iter().map(|(a, s)| json!({"identifier": a.identifier, "name": a.name, "scopes": s.iter().map(|s| &s.name).collect::<Vec<_>>(), "token_lifetime": a.token_lifetime})).collect();
            let t = auds
                .iter()
                .map(|(a, s)| {
                    format!(
                        "{:<40} {}",
                        a.identifier,
                        s.iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
        Command::Grant(GrantCmd::Set {
            partner,
            audience,
            scopes,
        }) => {
            let scopes =
                ScopeSet::parse(&scopes).map_err(|e| anyhow::anyhow!("{}", e.description))?;
            let g = store
                .set_grant(&actor, &partner, &audience, &scopes, now)
                .await?;
            print(
                out,
                json!({"partner": partner, "audience": audience, "scopes": g.scopes}),
                format!("grant set: {partner} may use {} on {audience}", g.scopes),
            );
        }
        Command::Client(ClientCmd::Create(c)) => {
            create_client(&store, &actor, common, out, c, now).await?
        }
        Command::Client(ClientCmd::List { partner }) => {
            let pid = match partner {
                Some(slug) => Some(store.partner_by_slug(&slug).await?.id),
                None => None,
            };
            let cs = store.list_clients(pid.as_deref()).await?;
            let v: Vec<_> = cs.iter().map(|c| json!({"client_id": c.client_id, "kind": c.kind, "name": c.name, "auth_method": c.auth_method, "grant_types": c.grant_types, "scopes": c.allowed_scopes, "enabled": c.enabled})).collect();
            let t = cs
                .iter()
                .map(|c| {
                    format!(
                        "{:<26} {:<16} {:<16} {}",
                        c.client_id, c.kind, c.auth_method, c.name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
        Command::Client(ClientCmd::RotateSecret {
            client_id,
            grace_seconds,
        }) => {
            let secret = generate_secret();
            store
                .rotate_client_secret(
                    &actor,
                    &client_id,
                    secret_hasher(&common.master_key()?).hash(&secret),
                    grace_seconds,
                    now,
                )
                .await?;
            print(
                out,
                json!({"client_id": client_id, "client_secret": secret}),
                format!(
                    "client_id:     {client_id}\nclient_secret: {secret}\n(shown once: store it now)"
                ),
            );
        }
        Command::ResourceServer(ResourceServerCmd::Create { audience, name }) => {
            let a = store.audience_by_identifier(&audience).await?;
            let secret = generate_secret();
            let client_id = new_client_id();
            let hash = secret_hasher(&common.master_key()?).hash(&secret);
            let new = NewClient::resource_server(a.id, name, hash);
            store
                .create_client(&actor, new, client_id.clone(), now)
                .await?;
            print(
                out,
                json!({"client_id": client_id, "client_secret": secret, "audience": audience}),
                format!(
                    "client_id:     {client_id}\nclient_secret: {secret}\n(shown once: store it now)"
                ),
            );
        }
        Command::Key(KeyCmd::List) => {
            let ks = store.signing_keys().await?;
            let v: Vec<_> = ks.iter().map(|k| json!({"kid": k.kid, "algorithm": k.algorithm, "state": k.state, "created_at": k.created_at, "state_since": k.state_since})).collect();
            let t = ks
                .iter()
                .map(|k| format!("{:<44} {:<6} {}", k.kid, k.algorithm, k.state))
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
        Command::Key(KeyCmd::Rotate {
            immediate,
            algorithm,
        }) => {
            let alg: SigningAlgorithm =
                algorithm.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let kid = crate::keyring::rotate_now(
                &store,
                &common.master_key()?,
                alg,
                immediate,
                &actor,
                now,
            )
            .await?;
            print(
                out,
                json!({"kid": kid, "immediate": immediate}),
                format!(
                    "new key {kid} published{}",
                    if immediate {
                        " and signing"
                    } else {
                        "; it signs after the publish lead"
                    }
                ),
            );
        }
        Command::Admin(AdminCmd::Create {
            email,
            password_stdin,
        }) => {
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_line(&mut s)?;
                s.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                rpassword::prompt_password("Password: ")?
            };
            let hash = entente_domain::password::hash_password(&password)
                .map_err(|e| anyhow::anyhow!(e))?;
            let a = store
                .create_admin(&actor, &email, hash, "admin", now)
                .await?;
            print(
                out,
                json!({"id": a.id, "email": a.email, "role": a.role}),
                format!("created administrator {}", a.email),
            );
        }
    }
    Ok(())
}

async fn create_client(
    store: &Store,
    actor: &Actor,
    common: &CommonArgs,
    out: Output,
    c: ClientCreate,
    now: i64,
) -> anyhow::Result<()> {
    let partner = store.partner_by_slug(&c.partner).await?;
    let scopes = ScopeSet::parse(&c.scopes).map_err(|e| anyhow::anyhow!("{}", e.description))?;
    let grant_types: Vec<String> = c
        .grant_types
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    const SUPPORTED: [&str; 4] = [
        entente_domain::grant::CLIENT_CREDENTIALS,
        entente_domain::federation::GRANT_TOKEN_EXCHANGE,
        entente_domain::federation::GRANT_JWT_BEARER,
        entente_domain::federation::GRANT_REFRESH_TOKEN,
    ];
    if let Some(bad) = grant_types
        .iter()
        .find(|g| !SUPPORTED.contains(&g.as_str()))
    {
        anyhow::bail!(
            "grant type {bad:?} is not supported; use any of: {}",
            SUPPORTED.join(" ")
        );
    }
    let is_secret = match c.auth_method.as_str() {
        "client_secret" | "client_secret_basic" | "client_secret_post" => true,
        m if AuthMethod::parse(m) == Some(AuthMethod::PrivateKeyJwt) => false,
        m => anyhow::bail!("--auth-method must be client_secret or private_key_jwt, got {m:?}"),
    };
    let (secret, new) = if is_secret {
        let secret = generate_secret();
        let hash = secret_hasher(&common.master_key()?).hash(&secret);
        (
            Some(secret),
            NewClient::partner_secret(partner.id, c.name, scopes, grant_types, hash),
        )
    } else {
        let path = c.jwks_file.ok_or_else(|| {
            anyhow::anyhow!("--jwks-file is required with --auth-method private_key_jwt")
        })?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let (keys, refused) = entente_domain::jwks::parse(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if keys.is_empty() {
            anyhow::bail!(
                "{}: no usable public key ({})",
                path.display(),
                refused.join("; ")
            );
        }
        (
            None,
            NewClient::partner_key(partner.id, c.name, scopes, grant_types, text),
        )
    };
    let client_id = new_client_id();
    let m = store
        .create_client(actor, new, client_id.clone(), now)
        .await?;
    let mut v = json!({"client_id": client_id, "partner": c.partner, "name": m.name, "auth_method": m.auth_method, "scopes": m.allowed_scopes});
    let mut t = format!("client_id:     {client_id}");
    if let Some(s) = secret {
        v["client_secret"] = json!(s);
        t.push_str(&format!("\nclient_secret: {s}\n(shown once: store it now)"));
    }
    print(out, v, t);
    Ok(())
}
