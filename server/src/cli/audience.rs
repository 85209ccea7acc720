//! `entente audience`: Audiences: the APIs Entente issues tokens for, with their scopes.

use clap::Subcommand;
use entente_domain::environment::Environment;
use serde_json::json;

use super::{Ctx, print};

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
        /// production, or sandbox for an API that takes sandbox tokens (sandbox clients only).
        #[arg(long, default_value = "production")]
        environment: Environment,
    },
    List,
    /// A scope's description and sensitivity (low, medium, high).
    Scope {
        #[arg(long)]
        audience: String,
        #[arg(long)]
        scope: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, default_value = "medium")]
        sensitivity: String,
    },
    /// More scopes on an audience (space-separated).
    AddScopes {
        #[arg(long)]
        audience: String,
        #[arg(long)]
        scopes: String,
    },
    /// Remove a scope no partner's grant or trust rule uses.
    RemoveScope {
        #[arg(long)]
        audience: String,
        #[arg(long)]
        scope: String,
    },
    /// Delete an audience nothing uses (no grant, trust rule or API client).
    Delete {
        #[arg(long)]
        audience: String,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: AudienceCmd) -> anyhow::Result<()> {
    let Ctx {
        store, out, now, ..
    } = *cx;
    match cmd {
        AudienceCmd::Create {
            identifier,
            scopes,
            name,
            token_lifetime,
            environment,
        } => {
            let scopes: Vec<String> = scopes.split_whitespace().map(str::to_owned).collect();
            let a = cx
                .operations()?
                .create_audience(
                    &cx.host(),
                    entente_operations::catalog::AudienceRequest {
                        name,
                        identifier,
                        scopes: scopes.clone(),
                        token_lifetime: Some(token_lifetime),
                        environment,
                    },
                    now,
                )
                .await?;
            print(
                out,
                json!({"id": a.id, "identifier": a.identifier, "scopes": scopes, "token_lifetime": a.token_lifetime, "environment": a.environment}),
                format!("created {} audience {}", a.environment, a.identifier),
            );
        }
        AudienceCmd::Scope {
            audience,
            scope,
            description,
            sensitivity,
        } => {
            cx.operations()?
                .set_scope_info(
                    &cx.host(),
                    &audience,
                    &scope,
                    &description,
                    &sensitivity,
                    now,
                )
                .await?;
            print(
                out,
                json!({"audience": audience, "scope": scope, "description": description, "sensitivity": sensitivity}),
                format!("scope {scope} of {audience}: {sensitivity}"),
            );
        }
        AudienceCmd::AddScopes { audience, scopes } => {
            cx.operations()?
                .add_scopes(&cx.host(), &audience, &scopes, now)
                .await?;
            print(
                out,
                json!({"audience": audience, "added": scopes}),
                format!("added to {audience}: {scopes}"),
            );
        }
        AudienceCmd::RemoveScope { audience, scope } => {
            cx.operations()?
                .remove_scope(&cx.host(), &audience, &scope, now)
                .await?;
            print(
                out,
                json!({"audience": audience, "removed": scope}),
                format!("removed {scope} from {audience}"),
            );
        }
        AudienceCmd::Delete { audience } => {
            cx.operations()?
                .delete_audience(&cx.host(), &audience, now)
                .await?;
            print(
                out,
                json!({"deleted": audience}),
                format!("deleted audience {audience}"),
            );
        }
        AudienceCmd::List => {
            let auds = store.list_audiences().await?;
            let v: Vec<_> = auds.iter().map(|(a, s)| json!({"identifier": a.identifier, "name": a.name, "environment": a.environment, "scopes": s.iter().map(|s| &s.name).collect::<Vec<_>>(), "token_lifetime": a.token_lifetime})).collect();
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
    }
    Ok(())
}
