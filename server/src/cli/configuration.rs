//! `entente config export|plan|apply`: the catalog as a YAML document, the diff between it and
//! the database, and applying that diff in one transaction.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Subcommand;
use entente_domain::config::{Config, Step, plan};
use entente_store::config::Done;
use serde_json::json;

use super::change::{ApprovalArgs, filer};
use super::{Ctx, Output, print};
use crate::config::FetchArgs;
use crate::state::issuer_keys::ssrf::check_url_resolves;
use entente_operations::clients::Credentials;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Write the catalog as YAML: audiences and scopes; partners with their record, clients (no
    /// secrets), grants, trusted issuers and trust rules.
    Export {
        /// Write here instead of standard output.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Print what applying FILE would change. Exit status 0: nothing; 2: something; 1: error.
    Plan { file: PathBuf },
    /// Apply FILE in one transaction. Changes that widen production access are refused unless
    /// --request-approval (they are then filed as change requests).
    Apply {
        file: PathBuf,
        #[command(flatten)]
        approval: ApprovalArgs,
        #[command(flatten)]
        fetch: FetchArgs,
    },
}

/// `plan` found changes: exit status 2, not an error.
#[derive(Debug)]
pub struct PendingChanges;

impl std::fmt::Display for PendingChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the document differs from the catalog")
    }
}

impl std::error::Error for PendingChanges {}

fn read(file: &PathBuf) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    serde_yaml_ng::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

pub fn to_yaml(c: &Config) -> anyhow::Result<String> {
    Ok(serde_yaml_ng::to_string(c)?)
}

async fn steps_for(cx: &Ctx<'_>, file: &PathBuf) -> anyhow::Result<Vec<Step>> {
    let desired = read(file)?;
    let current = cx.store.export_config().await?;
    plan(&current, &desired).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

pub async fn run(cx: &Ctx<'_>, cmd: ConfigCmd) -> anyhow::Result<()> {
    match cmd {
        ConfigCmd::Export { file } => {
            let yaml = to_yaml(&cx.store.export_config().await?)?;
            match file {
                Some(f) => std::fs::write(&f, yaml)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", f.display()))?,
                None => print!("{yaml}"),
            }
        }
        ConfigCmd::Plan { file } => {
            let steps = steps_for(cx, &file).await?;
            let lines: Vec<String> = steps.iter().map(ToString::to_string).collect();
            let text = if lines.is_empty() {
                "no changes".to_owned()
            } else {
                lines.join("\n")
            };
            print(cx.out, json!({"changes": lines}), text);
            if !steps.is_empty() {
                return Err(PendingChanges.into());
            }
        }
        ConfigCmd::Apply {
            file,
            approval,
            fetch,
        } => {
            let steps = steps_for(cx, &file).await?;
            // Requests are filed by the named console user; everything else is the command's.
            let by = if approval.request_approval {
                Some(filer(cx, approval.as_user.as_deref()).await?)
            } else {
                None
            };
            let (clients, secrets) = prepare(cx, &steps, &fetch).await?;
            let done = cx
                .ops(fetch.fetch_policy()?)?
                .apply_configuration(
                    &cx.host(),
                    by.as_ref(),
                    &steps,
                    clients,
                    &approval.reason,
                    cx.now,
                )
                .await?;
            report(cx.out, &steps, &done, &secrets);
        }
    }
    Ok(())
}

/// New clients built and checked as `client create` builds them (a secret generated, a JWKS
/// parsed), and every new issuer's JWKS URL checked against SSRF, before the transaction.
async fn prepare(
    cx: &Ctx<'_>,
    steps: &[Step],
    fetch: &FetchArgs,
) -> anyhow::Result<(
    HashMap<String, entente_store::catalog::NewClient>,
    Vec<(String, String)>,
)> {
    let policy = fetch.fetch_policy()?;
    let ops = cx.ops(policy)?;
    let mut clients = HashMap::new();
    let mut secrets = vec![];
    for step in steps {
        match step {
            Step::CreateClient { client, .. } => {
                let credentials = Credentials::parse(
                    &client.auth_method,
                    client.jwks.clone(),
                    client.jwks_uri.clone(),
                );
                let draft = match credentials {
                    Ok(credentials) => {
                        ops.draft_client(
                            &cx.host(),
                            // The store sets the partner when it applies the step.
                            String::new(),
                            client.name.clone(),
                            &client.scopes.join(" "),
                            credentials,
                            &client.grant_types,
                            Some(client.environment.as_str()),
                        )
                        .await
                    }
                    Err(e) => Err(e),
                }
                .map_err(|e| anyhow::anyhow!("client {}: {e}", client.client_id))?;
                let (secret, new) = (draft.secret, draft.new);
                if let Some(s) = secret {
                    secrets.push((client.client_id.clone(), s));
                }
                clients.insert(client.client_id.clone(), new);
            }
            Step::CreateIssuer { issuer, .. } => {
                if let Some(u) = &issuer.jwks_uri {
                    check_url_resolves(u, &policy)
                        .await
                        .map_err(|e| anyhow::anyhow!("issuer {}: jwks_uri: {e}", issuer.issuer))?;
                }
            }
            _ => {}
        }
    }
    Ok((clients, secrets))
}

fn report(out: Output, steps: &[Step], done: &[Done], secrets: &[(String, String)]) {
    let mut lines = vec![];
    let mut items = vec![];
    for (s, d) in steps.iter().zip(done) {
        match d {
            Done::Applied => {
                lines.push(format!("{s}"));
                items.push(json!({"change": s.to_string(), "outcome": "applied"}));
            }
            Done::Requested(id) => {
                lines.push(format!("{s}   (change request #{id} filed)"));
                items.push(
                    json!({"change": s.to_string(), "outcome": "requested", "change_request": id}),
                );
            }
        }
    }
    if lines.is_empty() {
        lines.push("no changes".into());
    }
    for (id, secret) in secrets {
        lines.push(format!(
            "client_secret of {id}: {secret}   (shown once: store it now)"
        ));
    }
    let secrets: serde_json::Map<String, serde_json::Value> = secrets
        .iter()
        .map(|(id, s)| (id.clone(), json!(s)))
        .collect();
    print(
        out,
        json!({"changes": items, "client_secrets": secrets}),
        lines.join("\n"),
    );
}
