//! The portal overview's activity: the partner's requests of the last 24 hours in each
//! environment (trial tokens of the playground count as sandbox), its rate limits with the rate
//! they see right now, and the latest events about it from the audit log.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, portal_user, user_error};

/// One environment's last 24 hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentUsage {
    pub environment: String,
    pub requests: u64,
    pub tokens: u64,
    pub refused: u64,
    pub rate_limited: u64,
    /// Requests per hour, oldest first (24 values), and when each hour starts.
    pub hours: Vec<(i64, u64)>,
}

/// A rate limit and the traffic it sees now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitLine {
    /// "All your sandbox clients together" (one budget per environment) or a client's name.
    pub who: String,
    pub client_id: Option<String>,
    /// "20 requests/s, bursts of 40", or "no limit".
    pub limit: String,
    /// Requests allowed and refused in the last second (this replica's view, or the cluster's).
    pub allowed_now: u64,
    pub refused_now: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalEvent {
    pub at: String,
    pub action: String,
    /// A partner user's e-mail, or "Entente administrators".
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub environments: Vec<EnvironmentUsage>,
    pub limits: Vec<LimitLine>,
    pub events: Vec<PortalEvent>,
}

/// Who did it, as a partner may see it: their own people by address; Entente's staff, tools
/// and automation as one name (their identities are not the partner's business).
pub fn shown_actor(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("portal" | "invite" | "applicant", who)) => who.to_owned(),
        // The partner's own client (a refresh-token rotation, a revocation).
        Some(("client", id)) => format!("your client {id}"),
        _ if actor == "sso" => "Single sign-on".to_owned(),
        _ => "Entente administrators".to_owned(),
    }
}

#[cfg(feature = "ssr")]
fn limit_text(l: &entente_domain::rate_limit::SubjectLimit) -> String {
    match &l.effective {
        Some(e) => format!(
            "{} requests/s, bursts of {}",
            e.rate.per_second, e.rate.burst
        ),
        None => "no limit".into(),
    }
}

#[server]
pub async fn portal_activity() -> Result<Activity, ConsoleError> {
    use entente_domain::environment::Environment;
    let (_, p) = portal_user("portal_activity").await?;
    let c = console()?;
    let now = crate::ssr::now();
    let to = (now / 3600 + 1) * 3600;
    let from = to - 86_400;
    let mut environments = vec![];
    for env in [Environment::Sandbox, Environment::Production] {
        let filter = entente_store::usage::Filter {
            partner_id: Some(p.id.clone()),
            ..Default::default()
        }
        .in_environment(Some(env));
        let r = c
            .store
            .usage_report(&filter, from, to, 3600)
            .await
            .map_err(user_error)?;
        environments.push(EnvironmentUsage {
            environment: env.as_str().to_owned(),
            requests: r.total.requests,
            tokens: r.total.tokens_issued(),
            refused: r.total.refused(),
            rate_limited: r.total.errors.get("rate_limited").copied().unwrap_or(0),
            hours: r.points.iter().map(|pt| (pt.t, pt.requests)).collect(),
        });
    }
    let limits = c.store.partner_limits(&p.slug).await.map_err(user_error)?;
    // The partner's limit is one budget per environment (sandbox trials never spend
    // production's): `partner:<slug>` and `partner:<slug>/sandbox`.
    let budgets = [
        (
            "All your production clients together",
            format!("partner:{}", p.slug),
        ),
        (
            "All your sandbox clients together",
            format!("partner:{}/sandbox", p.slug),
        ),
    ];
    let mut keys: Vec<String> = budgets.iter().map(|(_, k)| k.clone()).collect();
    keys.extend(
        limits
            .clients
            .iter()
            .map(|l| format!("client:{}", l.client_id)),
    );
    let seen: std::collections::HashMap<String, (u64, u64)> = c
        .telemetry
        .0
        .observed(keys)
        .await
        .into_iter()
        .map(|(k, a, r)| (k, (a, r)))
        .collect();
    let now_of = |k: &str| seen.get(k).copied().unwrap_or_default();
    let mut lines: Vec<LimitLine> = budgets
        .iter()
        .map(|(who, key)| {
            let (a, r) = now_of(key);
            LimitLine {
                who: (*who).into(),
                client_id: None,
                limit: limit_text(&limits.limit),
                allowed_now: a,
                refused_now: r,
            }
        })
        .collect();
    for l in &limits.clients {
        let (a, r) = now_of(&format!("client:{}", l.client_id));
        lines.push(LimitLine {
            who: l.name.clone(),
            client_id: Some(l.client_id.clone()),
            limit: limit_text(&l.limit),
            allowed_now: a,
            refused_now: r,
        });
    }
    let events = c
        .store
        .audit_events(&entente_store::audit::AuditFilter {
            partner: Some(p.slug.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|e| PortalEvent {
            at: crate::ssr::format_time(e.at),
            action: e.action,
            by: shown_actor(&e.actor),
        })
        .collect();
    Ok(Activity {
        environments,
        limits: lines,
        events,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn staff_are_not_named_to_partners() {
        use super::shown_actor;
        assert_eq!(shown_actor("portal:pat@acme.test"), "pat@acme.test");
        assert_eq!(
            shown_actor("admin:alice@entente.test"),
            "Entente administrators"
        );
        assert_eq!(shown_actor("api:cl_123"), "Entente administrators");
        assert_eq!(shown_actor("cli:root"), "Entente administrators");
        assert_eq!(shown_actor("sso"), "Single sign-on");
        assert_eq!(shown_actor("client:cl_1"), "your client cl_1");
    }
}
