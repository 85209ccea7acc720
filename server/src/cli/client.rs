//! `entente client`: Clients of partners: create (secret shown once), list, rotate a secret.

use clap::{Args, Subcommand};
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum ClientCmd {
    Create(ClientCreate),
    List {
        #[arg(long)]
        partner: Option<String>,
    },
    /// Register a private_key_jwt client's public keys: a JWKS file or the address it is
    /// published at. A secret client switches to private_key_jwt and its secrets stop working.
    SetKeys {
        #[arg(long)]
        client_id: String,
        #[arg(
            long,
            conflicts_with = "jwks_uri",
            required_unless_present = "jwks_uri"
        )]
        jwks_file: Option<std::path::PathBuf>,
        #[arg(long)]
        jwks_uri: Option<String>,
        #[command(flatten)]
        fetch: crate::config::FetchArgs,
    },
    /// Replace what a client may ask for: its scopes and grant types (tokens stay within the
    /// partner's grants whatever it lists).
    Update {
        #[arg(long)]
        client_id: String,
        /// Scopes this client may request (space-separated).
        #[arg(long)]
        scopes: String,
        /// Space-separated `grant_type` values; unsaid: the ones it has.
        #[arg(long)]
        grant_types: Option<String>,
    },
    /// Issue a new secret; older secrets stop working after the grace period.
    RotateSecret {
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value_t = 0)]
        grace_seconds: i64,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: ClientCmd) -> anyhow::Result<()> {
    let Ctx {
        store, out, now, ..
    } = *cx;
    match cmd {
        ClientCmd::Create(c) => create_client(cx, c).await?,
        ClientCmd::List { partner } => {
            let pid = match partner {
                Some(slug) => Some(store.partner_by_slug(&slug).await?.id),
                None => None,
            };
            let cs = store.list_clients(pid.as_deref()).await?;
            let v: Vec<_> = cs.iter().map(|c| json!({"client_id": c.client_id, "kind": c.kind, "environment": c.environment, "name": c.name, "auth_method": c.auth_method, "grant_types": c.grant_types, "scopes": c.allowed_scopes, "enabled": c.enabled})).collect();
            let t = cs
                .iter()
                .map(|c| {
                    format!(
                        "{:<26} {:<16} {:<10} {:<16} {}",
                        c.client_id, c.kind, c.environment, c.auth_method, c.name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
        ClientCmd::SetKeys {
            client_id,
            jwks_file,
            jwks_uri,
            fetch,
        } => {
            use entente_operations::clients::AuthInput;
            let jwks = jwks_file.as_deref().map(read_jwks).transpose()?;
            let keys = AuthInput::keys(jwks, jwks_uri);
            let (before, _) = cx
                .ops(fetch.fetch_policy()?)?
                .set_client_keys(&cx.host(), &client_id, keys, now)
                .await
                .map_err(super::issuer::flag_words)?;
            let m = entente_store::entities::client::Model {
                auth_method: entente_store::enums::ClientAuth::PrivateKeyJwt,
                ..before
            };
            print(
                out,
                json!({"client_id": m.client_id, "auth_method": m.auth_method}),
                format!(
                    "client_id:     {}
auth_method:   {}",
                    m.client_id, m.auth_method
                ),
            );
        }
        ClientCmd::Update {
            client_id,
            scopes,
            grant_types,
        } => {
            use entente_operations::client_changes::ClientChange;
            let grant_types = match grant_types {
                Some(g) => g,
                None => store.client(&client_id).await?.grant_types,
            };
            let change = ClientChange {
                scopes,
                grant_types: vec![grant_types],
            };
            let m = cx
                .operations()?
                .update_client(&cx.host(), &client_id, change, now)
                .await?;
            print(
                out,
                json!({"client_id": m.client_id, "scopes": m.allowed_scopes, "grant_types": m.grant_types}),
                format!(
                    "client_id:     {}\nscopes:        {}\ngrant_types:   {}",
                    m.client_id, m.allowed_scopes, m.grant_types
                ),
            );
        }
        ClientCmd::RotateSecret {
            client_id,
            grace_seconds,
        } => {
            let (_, secret) = cx
                .operations()?
                .rotate_client_secret(&cx.host(), &client_id, grace_seconds, now)
                .await?;
            print(
                out,
                json!({"client_id": client_id, "client_secret": secret}),
                format!(
                    "client_id:     {client_id}\nclient_secret: {secret}\n(shown once: store it now)"
                ),
            );
        }
    }
    Ok(())
}
#[derive(Debug, Args)]
pub struct ClientCreate {
    #[arg(long)]
    pub partner: String,
    #[arg(long)]
    pub name: String,
    /// Scopes this client may request (space-separated).
    #[arg(long)]
    pub scopes: String,
    /// client_secret (Basic or POST) or private_key_jwt.
    #[arg(long, default_value = "client_secret")]
    pub auth_method: String,
    /// Public JWKS file, for private_key_jwt.
    #[arg(long, conflicts_with = "jwks_uri")]
    pub jwks_file: Option<std::path::PathBuf>,
    /// Where the client publishes its public JWKS, for private_key_jwt.
    #[arg(long)]
    pub jwks_uri: Option<String>,
    #[command(flatten)]
    pub fetch: crate::config::FetchArgs,
    #[arg(long, default_value = "client_credentials")]
    pub grant_types: String,
    /// production or sandbox. Default: production for a partner in production, else the
    /// sandbox (a partner in the sandbox stage can have sandbox clients only).
    #[arg(long)]
    pub environment: Option<String>,
}

async fn create_client(cx: &Ctx<'_>, c: ClientCreate) -> anyhow::Result<()> {
    use entente_operations::clients::{AuthInput, NewClientRequest};
    let jwks = c.jwks_file.as_deref().map(read_jwks).transpose()?;
    let credentials = AuthInput {
        method: Some(c.auth_method.clone()),
        jwks,
        jwks_uri: c.jwks_uri.clone(),
    };
    let created = cx
        .ops(c.fetch.fetch_policy()?)?
        .create_client(
            &cx.host(),
            NewClientRequest {
                partner: Some(c.partner.clone()),
                name: c.name,
                scopes: c.scopes,
                credentials,
                grant_types: vec![c.grant_types],
                environment: c.environment,
            },
            cx.now,
        )
        .await
        .map_err(super::issuer::flag_words)?;
    let m = created.client;
    let client_id = m.client_id.clone();
    let mut v = json!({"client_id": client_id, "partner": c.partner, "name": m.name, "environment": m.environment, "auth_method": m.auth_method, "scopes": m.allowed_scopes});
    let mut t = format!(
        "client_id:     {client_id}\nenvironment:   {}",
        m.environment
    );
    if let Some(s) = created.secret {
        v["client_secret"] = json!(s);
        t.push_str(&format!("\nclient_secret: {s}\n(shown once: store it now)"));
    }
    print(cx.out, v, t);
    Ok(())
}

fn read_jwks(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}
