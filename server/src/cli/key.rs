//! `entente key`: signing keys: list, show a timeline, rotate, revoke, and the rotation policy.

use clap::Subcommand;
use entente_domain::environment::Environment;
use entente_domain::keys::SigningAlgorithm;
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Every signing key, of both environments.
    List,
    /// Publish a successor key; it signs after the publish lead (or at once with --immediate).
    Rotate {
        #[arg(long)]
        immediate: bool,
        /// Algorithm of the new key: ES256, EdDSA, PS256 or RS256.
        #[arg(long, env = "ENTENTE_SIGNING_ALG", default_value = "ES256")]
        algorithm: String,
        /// Whose keys: production (the default) or sandbox.
        #[arg(long, default_value = "production")]
        environment: Environment,
    },
    /// A key's timeline: created, published, active, retiring, retired, revoked.
    Show {
        #[arg(long)]
        kid: String,
    },
    /// Emergency revocation: the key leaves the JWKS at once and what it signed stops
    /// verifying; if it was signing, a new key signs at once. `--confirm` repeats the kid.
    Revoke {
        #[arg(long)]
        kid: String,
        #[arg(long)]
        confirm: String,
    },
    /// Show the rotation policy, or set it (all three values).
    Policy {
        #[arg(long, requires_all = ["publish_minutes", "grace_minutes"])]
        rotation_days: Option<i64>,
        #[arg(long, requires_all = ["rotation_days", "grace_minutes"])]
        publish_minutes: Option<i64>,
        #[arg(long, requires_all = ["rotation_days", "publish_minutes"])]
        grace_minutes: Option<i64>,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: KeyCmd) -> anyhow::Result<()> {
    match cmd {
        KeyCmd::List => list(cx).await?,
        KeyCmd::Rotate {
            immediate,
            algorithm,
            environment,
        } => rotate(cx, immediate, algorithm, environment).await?,
        KeyCmd::Show { kid } => show(cx, kid).await?,
        KeyCmd::Revoke { kid, confirm } => revoke(cx, kid, confirm).await?,
        KeyCmd::Policy {
            rotation_days,
            publish_minutes,
            grace_minutes,
        } => policy(cx, rotation_days, publish_minutes, grace_minutes).await?,
    }
    Ok(())
}

async fn list(cx: &Ctx<'_>) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let ks = store.signing_keys().await?;
    let v: Vec<_> = ks.iter().map(|k| json!({"kid": k.kid, "environment": k.environment, "algorithm": k.algorithm, "state": k.state, "created_at": k.created_at, "state_since": k.state_since})).collect();
    let t = ks
        .iter()
        .map(|k| {
            format!(
                "{:<44} {:<10} {:<6} {}",
                k.kid, k.environment, k.algorithm, k.state
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    print(out, json!(v), t);
    Ok(())
}

async fn rotate(
    cx: &Ctx<'_>,
    immediate: bool,
    algorithm: String,
    environment: Environment,
) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let alg: SigningAlgorithm = algorithm.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let issuer = std::env::var("ENTENTE_ISSUER").unwrap_or_else(|_| super::DEFAULT_ISSUER.into());
    let kid = cx
        .ops_with(&issuer, super::STRICT, alg)?
        .rotate_key(&cx.host(), environment, immediate, now)
        .await?;
    print(
        out,
        json!({"kid": kid, "environment": environment, "immediate": immediate}),
        format!(
            "new {environment} key {kid} published{}",
            if immediate {
                " and signing"
            } else {
                "; it signs after the publish lead"
            }
        ),
    );
    Ok(())
}

async fn show(cx: &Ctx<'_>, kid: String) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let events = store.key_timeline(&kid).await?;
    if events.is_empty() {
        anyhow::bail!("no signing key {kid}");
    }
    let v: Vec<_> = events
        .iter()
        .map(|(at, action, state)| json!({"at": at, "action": action, "state": state}))
        .collect();
    let t = events
        .iter()
        .map(|(at, action, state)| format!("{at}  {action:<12} {state}"))
        .collect::<Vec<_>>()
        .join("\n");
    print(out, json!(v), t);
    Ok(())
}

async fn revoke(cx: &Ctx<'_>, kid: String, confirm: String) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let successor = cx
        .operations()?
        .revoke_key(&cx.host(), &kid, &confirm, now)
        .await?;
    print(
        out,
        json!({"kid": kid, "revoked": true, "successor": successor}),
        match &successor {
            Some(s) => format!("key {kid} revoked; key {s} signs from now on"),
            None => format!("key {kid} revoked"),
        },
    );
    Ok(())
}

/// Sets the rotation policy when all three values are given, then shows the one in force.
async fn policy(
    cx: &Ctx<'_>,
    rotation_days: Option<i64>,
    publish_minutes: Option<i64>,
    grace_minutes: Option<i64>,
) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    if let (Some(d), Some(p), Some(g)) = (rotation_days, publish_minutes, grace_minutes) {
        let scale = |n: i64, by: i64| {
            n.checked_mul(by)
                .ok_or_else(|| anyhow::anyhow!("a number is too large"))
        };
        cx.operations()?
            .set_key_policy(
                &cx.host(),
                scale(d, 86_400)?,
                scale(p, 60)?,
                scale(g, 60)?,
                now,
            )
            .await?;
    }
    let p = policy_in_force(cx).await?;
    print(
        out,
        json!({"algorithm": p.algorithm.as_str(), "rotation_interval": p.rotation_interval,
               "publish_lead": p.publish_lead, "retirement_grace": p.max_token_lifetime}),
        format!(
            "{}: a new key every {} days, published {} minutes ahead, retired {} minutes after",
            p.algorithm.as_str(),
            p.rotation_interval / 86_400,
            p.publish_lead / 60,
            p.max_token_lifetime / 60
        ),
    );
    Ok(())
}

/// The policy a server would apply: the stored one, else the defaults with the configured
/// algorithm.
async fn policy_in_force(cx: &Ctx<'_>) -> anyhow::Result<entente_domain::keyring::RotationPolicy> {
    let alg: SigningAlgorithm = super::signing_algorithm()?;
    let defaults = entente_domain::keyring::RotationPolicy {
        algorithm: alg,
        ..Default::default()
    };
    let stored = cx.store.key_policy().await?;
    Ok(defaults
        .with_periods(stored.map(|p| (p.rotation_interval, p.publish_lead, p.retirement_grace))))
}
