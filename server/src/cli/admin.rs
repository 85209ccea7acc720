//! `entente admin`: Console administrators.

use clap::Subcommand;
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
    /// Withdraws the pending console invitations for an address: their links stop working.
    RevokeInvite {
        #[arg(long)]
        email: String,
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

/// The partner that holds the admin API's clients.
pub use entente_operations::api_clients::OPERATIONS;

pub async fn run(cx: &Ctx<'_>, cmd: AdminCmd) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
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
            let a = cx
                .operations()?
                .create_console_user(&cx.host(), &email, hash, role, now)
                .await?;
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
            let made = cx
                .operations_at(&entente_issuer)?
                .create_api_client(&cx.host(), name, role, &owner, now)
                .await?;
            let (client_id, secret, audience, scope, owner) = (
                made.client.client_id,
                made.secret,
                made.audience,
                made.scope,
                made.owner,
            );
            print(
                out,
                json!({"client_id": client_id, "client_secret": secret, "audience": audience, "scope": scope, "owner": owner}),
                format!(
                    "client_id:     {client_id}\nclient_secret: {secret}\n(shown once: store it now)\ntoken:         POST {}/oauth2/token grant_type=client_credentials resource={audience} scope={scope}",
                    entente_issuer.trim_end_matches('/')
                ),
            );
        }
        AdminCmd::RevokeInvite { email } => {
            let gone = cx
                .operations()?
                .revoke_console_invitation(&cx.host(), &email, now)
                .await?;
            print(
                out,
                json!({"email": email, "revoked": gone}),
                format!("the invitation for {email} no longer works"),
            );
        }
        AdminCmd::ApiClientOwner { client_id, owner } => {
            let owner = cx
                .operations()?
                .set_api_client_owner(&cx.host(), &client_id, &owner, now)
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
