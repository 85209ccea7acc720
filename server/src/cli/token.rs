//! `entente token revoke`: revoke a token and everything derived from it, or by client, partner
//! or partner subject (lineage revocation).

use clap::Subcommand;
use entente_operations::tokens::Lineage;
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
    let TokenCmd::Revoke {
        jti,
        client,
        partner,
        subject_issuer,
        subject,
    } = cmd;
    let what = match (jti, client, partner, subject_issuer, subject) {
        (Some(j), ..) => Lineage::Token(j),
        (_, Some(c), ..) => Lineage::Client(c),
        (_, _, Some(p), ..) => Lineage::Partner(p),
        (_, _, _, Some(issuer), Some(subject)) => Lineage::Subject {
            issuer,
            subject,
            pairwise_secret: cx
                .common
                .master_key()?
                .derive(crate::startup::PAIRWISE_PURPOSE),
        },
        _ => anyhow::bail!(
            "name what to revoke: --jti, --client, --partner or --subject-issuer with --subject"
        ),
    };
    let target = cx
        .operations()?
        .revoke_lineage(&cx.host(), what, cx.now)
        .await?;
    print(
        cx.out,
        json!({"revoked": target}),
        format!("revoked {target} and every token derived from it"),
    );
    Ok(())
}
