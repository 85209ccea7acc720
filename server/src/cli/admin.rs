//! `entente admin`: Console administrators.

use clap::Subcommand;
use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_domain::lifecycle::Stage;
use entente_store::StoreError;
use entente_store::catalog::{NewAudience, NewClient, NewPartner};
use entente_store::enums::Role;
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Create an administrator; the password is read from the terminal or, with
    /// --password-stdin, from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
        /// admin, operator or auditor.
        #[arg(long, default_value = "admin")]
        role: Role,
    },
    /// A client of the admin REST API, set up from the host in one step: the API's audience
    /// (made if missing), the host-only `operations` partner that holds such clients (made in
    /// production; no console, portal or admin API caller can change it), its grant, and a
    /// client whose scope is the role it acts as. Prints the client ID and secret once.
    ApiClient {
        #[arg(long)]
        name: String,
        /// admin, operator or auditor.
        #[arg(long, default_value = "operator")]
        role: Role,
        /// The console user (e-mail) who answers for this client: four eyes count its token
        /// as this person, who therefore cannot approve a change the client filed.
        #[arg(long)]
        owner: String,
        /// Entente's issuer identifier (as the server is configured).
        #[arg(
            long = "entente-issuer",
            env = "ENTENTE_ISSUER",
            default_value = "http://127.0.0.1:3000"
        )]
        entente_issuer: String,
    },
    /// Records who answers for an existing admin API client (one made before owners existed
    /// has none, and cannot file change requests until it has one).
    ApiClientOwner {
        #[arg(long)]
        client_id: String,
        /// A console user whose role is at least the one the client acts as.
        #[arg(long)]
        owner: String,
    },
}

/// The owner of a client acting as `role`: an enabled console user whose own role reaches as
/// far (an operator does not answer for an administrator's client).
async fn owner_for(
    store: &entente_store::Store,
    owner: &str,
    role: Role,
) -> anyhow::Result<String> {
    let rank = |r: Role| match r {
        Role::Admin => 3,
        Role::Operator => 2,
        Role::Auditor => 1,
        _ => 0,
    };
    match store.admin_by_email(owner).await? {
        Some(u) if u.partner_id.is_none() && u.enabled && rank(u.role) >= rank(role) => Ok(u.email),
        Some(u) if u.partner_id.is_none() && u.enabled => anyhow::bail!(
            "--owner {owner} is {}: the owner of a client acting as {role} must be {role} or more",
            u.role
        ),
        _ => anyhow::bail!(
            "--owner {owner} is not an enabled console user: the owner answers for the client"
        ),
    }
}

/// The role an admin API client acts as: the strongest `entente:` scope it may ask for.
fn role_of_client(scopes: &str) -> Option<Role> {
    [
        ("entente:admin", Role::Admin),
        ("entente:operator", Role::Operator),
        ("entente:auditor", Role::Auditor),
    ]
    .into_iter()
    .find(|(s, _)| scopes.split_whitespace().any(|x| x == *s))
    .map(|(_, r)| r)
}

/// The partner that holds the admin API's clients.
pub const OPERATIONS: &str = "operations";

pub async fn run(cx: &Ctx<'_>, cmd: AdminCmd) -> anyhow::Result<()> {
    let Ctx {
        store,
        actor,
        out,
        now,
        common,
    } = *cx;
    match cmd {
        AdminCmd::Create {
            email,
            password_stdin,
            role,
        } => {
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_line(&mut s)?;
                s.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                rpassword::prompt_password("Password: ")?
            };
            let hash = entente_domain::password::hash_password(&password)
                .map_err(|e| anyhow::anyhow!(e))?;
            let a = store.create_admin(actor, &email, hash, role, now).await?;
            print(
                out,
                json!({"id": a.id, "email": a.email, "role": a.role}),
                format!("created {} {}", a.role, a.email),
            );
        }
        AdminCmd::ApiClient {
            name,
            role,
            owner,
            entente_issuer,
        } => {
            let owner = owner_for(store, &owner, role).await?;
            let audience = format!("{}/admin/api/v1", entente_issuer.trim_end_matches('/'));
            let roles = ["entente:admin", "entente:operator", "entente:auditor"];
            match store.audience_by_identifier(&audience).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    store
                        .create_audience(
                            actor,
                            NewAudience {
                                identifier: audience.clone(),
                                name: "Admin API".into(),
                                scopes: roles.iter().map(|r| (*r).to_owned()).collect(),
                                token_lifetime: 300,
                                environment: Environment::Production,
                            },
                            now,
                        )
                        .await?;
                }
                Err(e) => return Err(e.into()),
            }
            let partner = match store.partner_by_slug(OPERATIONS).await {
                Ok(p) if p.host_only => p,
                Ok(_) => anyhow::bail!(
                    "a partner named {OPERATIONS} exists and was not made by the host: the admin API's clients cannot join it (rename it first)"
                ),
                Err(StoreError::NotFound(_)) => {
                    store
                        .create_host_partner(
                            actor,
                            NewPartner {
                                slug: OPERATIONS.into(),
                                name: "Entente operations".into(),
                                stage: Stage::Production,
                            },
                            now,
                        )
                        .await?
                }
                Err(e) => return Err(e.into()),
            };
            if Stage::from(partner.stage) != Stage::Production {
                anyhow::bail!(
                    "the {OPERATIONS} partner is {}, not in production: its clients cannot get admin API tokens",
                    partner.stage
                );
            }
            // A limit of its own, so that no tier an operator edits (the default one above all)
            // can throttle the automation: only the host changes it (`entente limit set`).
            if store
                .partner_limits(OPERATIONS)
                .await?
                .limit
                .setting
                .is_none()
            {
                use entente_domain::rate_limit::{Rate, Setting};
                use entente_store::limits::Subject;
                store
                    .set_rate_limit(
                        actor,
                        &Subject::Partner {
                            slug: OPERATIONS.into(),
                        },
                        Some(&Setting::Custom(Rate {
                            per_second: 50,
                            burst: 100,
                        })),
                        now,
                    )
                    .await?;
            }
            let all =
                ScopeSet::parse(&roles.join(" ")).map_err(|e| anyhow::anyhow!(e.description))?;
            store
                .set_grant(actor, OPERATIONS, &audience, &all, now)
                .await?;
            let scope = format!("entente:{role}");
            let secret = entente_domain::secret::generate_secret();
            let client_id = entente_domain::secret::new_client_id();
            let new = NewClient::partner_secret(
                partner.id,
                name,
                ScopeSet::parse(&scope).map_err(|e| anyhow::anyhow!(e.description))?,
                vec!["client_credentials".into()],
                crate::startup::secret_hasher(&common.master_key()?).hash(&secret),
            )
            .in_environment(Some(Environment::Production))
            .owned_by(owner.clone());
            store
                .create_client(actor, new, client_id.clone(), now)
                .await?;
            print(
                out,
                json!({"client_id": client_id, "client_secret": secret, "audience": audience, "scope": scope, "owner": owner}),
                format!(
                    "client_id:     {client_id}\nclient_secret: {secret}\n(shown once: store it now)\ntoken:         POST {}/oauth2/token grant_type=client_credentials resource={audience} scope={scope}",
                    entente_issuer.trim_end_matches('/')
                ),
            );
        }
        AdminCmd::ApiClientOwner { client_id, owner } => {
            let c = store.client(&client_id).await?;
            let Some(role) = role_of_client(&c.allowed_scopes) else {
                anyhow::bail!(
                    "{client_id} is not an admin API client (it holds no entente: scope)"
                );
            };
            let owner = owner_for(store, &owner, role).await?;
            store
                .set_client_owner(actor, &client_id, &owner, now)
                .await?;
            print(
                out,
                json!({"client_id": client_id, "owner": owner}),
                format!("{client_id} is answered for by {owner}"),
            );
        }
    }
    Ok(())
}
