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
}

pub async fn run(cx: &Ctx<'_>, cmd: AdminCmd) -> anyhow::Result<()> {
    let Ctx {
        store,
        actor,
        out,
        now,
        ..
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
    }
    Ok(())
}
