//! What a partner holds, as the lines a change request's diff compares: its
//! stage, its grants scope by scope, its trust rules property by property, its production
//! clients. Read before and after a change (applied in a rolled-back trial when filed, for real
//! when approved), so one reader serves every kind of change.

use std::collections::HashMap;

use entente_domain::federation::rules::{ClaimPass, ScopeMapping};
use entente_domain::lifecycle::Stage;
use entente_types::diff::{Held, diff};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Change, invalid};
use crate::Result;
use crate::entities::{audience, client, grant, partner, trust_rule, trusted_issuer};
use crate::enums::EnvironmentColumn;

const SANDBOX: &str = " (sandbox)";

/// The partner's access, as lines in groups (read through `db`, which may be a
/// trial transaction that is rolled back afterwards).
pub(super) async fn held_by(db: &impl ConnectionTrait, partner_id: &str) -> Result<Vec<Held>> {
    let Some(p) = partner::Entity::find_by_id(partner_id).one(db).await? else {
        return Ok(vec![]);
    };
    let mut held = vec![Held::new("stage", Stage::from(p.stage).label())];
    // Sandbox access is listed too (a partner may ask for sandbox scopes in the portal), under
    // its own name, so a promotion can show the production access alone.
    let audiences: HashMap<String, String> = audience::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            let shown = match a.environment {
                EnvironmentColumn::Production => a.identifier,
                EnvironmentColumn::Sandbox => format!("{}{SANDBOX}", a.identifier),
            };
            (a.id, shown)
        })
        .collect();
    let mut grants = grant::Entity::find()
        .filter(grant::Column::PartnerId.eq(&p.id))
        .all(db)
        .await?;
    grants.sort_by(|a, b| a.audience_id.cmp(&b.audience_id));
    for g in grants {
        let Some(aud) = audiences.get(&g.audience_id) else {
            continue;
        };
        let group = format!("grant on {aud}");
        held.extend(g.scopes.split_whitespace().map(|s| Held::new(&group, s)));
    }
    let issuers: HashMap<String, trusted_issuer::Model> = trusted_issuer::Entity::find()
        .filter(trusted_issuer::Column::PartnerId.eq(&p.id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect();
    let mut rules = trust_rule::Entity::find()
        .filter(trust_rule::Column::PartnerId.eq(&p.id))
        .all(db)
        .await?;
    rules.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    for r in rules {
        let Some(aud) = audiences.get(&r.audience_id) else {
            continue;
        };
        let issuer = issuers.get(&r.issuer_id);
        let group = format!(
            "trust rule {} → {aud}",
            issuer.map_or(r.issuer_id.as_str(), |i| i.issuer.as_str())
        );
        held.extend(
            rule_lines(&r, issuer.is_some_and(|i| i.enabled))
                .into_iter()
                .map(|t| Held::new(&group, t)),
        );
    }
    let mut clients = client::Entity::find()
        .filter(client::Column::PartnerId.eq(&p.id))
        .filter(client::Column::Environment.eq(EnvironmentColumn::Production))
        .all(db)
        .await?;
    clients.sort_by(|a, b| a.name.cmp(&b.name).then(a.client_id.cmp(&b.client_id)));
    for c in clients {
        let group = format!("production client {}", c.name);
        held.extend(
            c.allowed_scopes
                .split_whitespace()
                .map(|s| Held::new(&group, format!("scope {s}"))),
        );
        held.extend(c.grant_types.split_whitespace().map(|g| {
            Held::new(
                &group,
                format!("grant type {}", g.rsplit(':').next().unwrap_or(g)),
            )
        }));
        held.push(Held::new(&group, enabled(c.enabled)));
    }
    Ok(held)
}

/// The change as before → after lines (JSON, as stored): what changed, with the rest of each
/// changed group as context; a promotion shows all the production access it turns on.
pub(super) fn diff_of(change: &Change, before: &[Held], after: &[Held]) -> Result<String> {
    let promotion = matches!(change, Change::Promote { .. });
    let shown = |group: &str| promotion && !group.ends_with(SANDBOX);
    serde_json::to_string(&diff(before, after, shown))
        .map_err(|e| invalid(format!("the change cannot be recorded: {e}")))
}

/// A rule property by property, so a diff names exactly what an edit widens.
fn rule_lines(r: &trust_rule::Model, issuer_enabled: bool) -> Vec<String> {
    let mut lines: Vec<String> = r
        .scopes
        .split_whitespace()
        .map(|s| format!("scope {s}"))
        .collect();
    let claims: Vec<ClaimPass> = serde_json::from_str(&r.claims).unwrap_or_default();
    lines.extend(claims.iter().map(|c| {
        if c.from == c.to {
            format!("copies claim {}", c.from)
        } else {
            format!("copies claim {} as {}", c.from, c.to)
        }
    }));
    let mappings: Vec<ScopeMapping> = serde_json::from_str(&r.mappings).unwrap_or_default();
    lines.extend(
        mappings
            .iter()
            .map(|m| format!("{} = {} grants {}", m.claim, m.value, m.scope)),
    );
    lines.push(
        if r.pairwise {
            "pairwise subject"
        } else {
            "public subject"
        }
        .to_owned(),
    );
    if r.delegation {
        lines.push(format!(
            "delegation up to {} {}",
            r.max_depth,
            if r.max_depth == 1 { "hop" } else { "hops" }
        ));
        if r.delegation_only {
            lines.push("delegation only".into());
        }
    }
    if r.refresh {
        lines.push(format!("refresh tokens for {} s", r.refresh_lifetime));
    }
    if let Some(l) = r.lifetime {
        lines.push(format!("token lifetime {l} s"));
    }
    lines.push(match (r.enabled, issuer_enabled) {
        (true, true) => enabled(true),
        (true, false) => "disabled with its issuer".to_owned(),
        (false, _) => enabled(false),
    });
    lines
}

fn enabled(on: bool) -> String {
    if on { "enabled" } else { "disabled" }.to_owned()
}
