//! `entente token revoke`: revoke a token and everything derived from it, or by client, partner
//! or partner subject (lineage revocation).

use clap::Subcommand;
use entente_domain::federation::subject;
use entente_store::refresh::MARK_RETENTION;
use serde_json::json;

use super::{Ctx, print};

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

pub async fn run(cx: &Ctx<'_>, cmd: TokenCmd) -> anyhow::Result<()> {
    let Ctx {
        store,
        actor,
        common,
        out,
        now,
    } = *cx;
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
            let secret = common
                .master_key()?
                .derive(crate::startup::PAIRWISE_PURPOSE);
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
