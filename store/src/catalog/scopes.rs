//! Changing an audience's scopes after it is made: adding some, removing one nobody uses, and
//! deleting an audience nobody uses. "Used" is what would change a token: a partner's grant,
//! a trust rule's scopes or mappings, an API's own client.

use entente_domain::ScopeSet;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::audiences::audience_for_removal_in;
use super::{audience_by_identifier_in, insert_scopes_in, invalid};
use crate::changes::{publish, topic};
use crate::entities::{audience, client, grant, partner, scope, trust_rule};
use crate::{Actor, Result, Store, StoreError, audit};

impl Store {
    /// New scopes on an existing audience (sensitivity medium, no description until set).
    pub async fn add_scopes(
        &self,
        actor: &Actor,
        audience: &str,
        scopes: &ScopeSet,
        now: i64,
    ) -> Result<audience::Model> {
        let txn = self.write().await?;
        let a = add_scopes_in(&txn, actor, audience, scopes, now).await?;
        txn.commit().await?;
        Ok(a)
    }

    /// Removes a scope nothing uses: partners' grants and trust rules are named otherwise.
    pub async fn remove_scope(
        &self,
        actor: &Actor,
        audience: &str,
        name: &str,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let a = audience_for_removal_in(&txn, audience).await?;
        scope::Entity::find_by_id((a.id.clone(), name.to_owned()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("scope {name} of {audience}")))?;
        let users = users_of(&txn, &a, Some(name)).await?;
        if !users.is_empty() {
            return Err(invalid(format!(
                "{name} is in use ({}): take it out of those first",
                users.join("; ")
            )));
        }
        let left = scope::Entity::find()
            .filter(scope::Column::AudienceId.eq(&a.id))
            .all(&txn)
            .await?
            .len();
        if left <= 1 {
            return Err(invalid(format!(
                "{name} is {audience}'s last scope: an audience keeps at least one (delete the audience instead)"
            )));
        }
        scope::Entity::delete_by_id((a.id.clone(), name.to_owned()))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::AudienceScopes,
            &format!("audience:{audience}"),
            json!({"removed": name}),
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes an audience nothing uses, with its scopes — and with what only looks like use:
    /// grant rows left with no scopes and disabled trust rules, which nothing else removes.
    pub async fn delete_audience(&self, actor: &Actor, audience: &str, now: i64) -> Result<()> {
        let txn = self.write().await?;
        let a = audience_for_removal_in(&txn, audience).await?;
        let users = users_of(&txn, &a, None).await?;
        if !users.is_empty() {
            return Err(invalid(format!(
                "{audience} is in use ({}): take it out of those first",
                users.join("; ")
            )));
        }
        let emptied = grant::Entity::delete_many()
            .filter(grant::Column::AudienceId.eq(&a.id))
            .exec(&txn)
            .await?
            .rows_affected;
        let disabled = trust_rule::Entity::delete_many()
            .filter(trust_rule::Column::AudienceId.eq(&a.id))
            .exec(&txn)
            .await?
            .rows_affected;
        scope::Entity::delete_many()
            .filter(scope::Column::AudienceId.eq(&a.id))
            .exec(&txn)
            .await?;
        audience::Entity::delete_by_id(a.id.clone())
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::AudienceDelete,
            &format!("audience:{audience}"),
            json!({"name": a.name, "environment": a.environment,
                   "empty_grants_removed": emptied, "disabled_rules_removed": disabled}),
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(())
    }
}

pub(crate) async fn add_scopes_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    audience: &str,
    scopes: &ScopeSet,
    now: i64,
) -> Result<audience::Model> {
    let a = audience_by_identifier_in(txn, audience).await?;
    insert_scopes_in(txn, &a, scopes).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::AudienceScopes,
        &format!("audience:{audience}"),
        json!({"added": scopes.to_string()}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(a)
}

/// What uses the audience (or one scope of it), in words: "granted to acme, globex", "trust
/// rules of acme", "the API's own client backend-rs".
async fn users_of(
    txn: &sea_orm::DatabaseTransaction,
    a: &audience::Model,
    scope: Option<&str>,
) -> Result<Vec<String>> {
    // For one scope: any row naming it. For the whole audience: a grant of some scope, an
    // enabled rule (a disabled one is removed with the audience).
    let holds = |scopes: &str| match scope {
        Some(s) => scopes.split_whitespace().any(|x| x == s),
        None => !scopes.trim().is_empty(),
    };
    let slugs = |ids: Vec<String>| async move {
        let mut names: Vec<String> = partner::Entity::find()
            .filter(partner::Column::Id.is_in(ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|p| p.slug)
            .collect();
        names.sort();
        names.dedup();
        Ok::<_, StoreError>(names.join(", "))
    };
    let mut users = Vec::new();
    let granted: Vec<String> = grant::Entity::find()
        .filter(grant::Column::AudienceId.eq(&a.id))
        .all(txn)
        .await?
        .into_iter()
        .filter(|g| holds(&g.scopes))
        .map(|g| g.partner_id)
        .collect();
    if !granted.is_empty() {
        users.push(format!("granted to {}", slugs(granted).await?));
    }
    let ruled: Vec<String> = trust_rule::Entity::find()
        .filter(trust_rule::Column::AudienceId.eq(&a.id))
        .all(txn)
        .await?
        .into_iter()
        .filter(|r| match scope {
            Some(s) => holds(&r.scopes) || maps_to(&r.mappings, s),
            None => r.enabled,
        })
        .map(|r| r.partner_id)
        .collect();
    if !ruled.is_empty() {
        users.push(format!("trust rules of {}", slugs(ruled).await?));
    }
    if scope.is_none() {
        let own: Vec<String> = client::Entity::find()
            .filter(client::Column::AudienceId.eq(&a.id))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect();
        if !own.is_empty() {
            users.push(format!("the API's own client {}", own.join(", ")));
        }
    }
    Ok(users)
}

/// Whether a rule's claim-to-scope mappings (a JSON array of `{claim, value, scope}`) grant
/// `scope`.
fn maps_to(mappings: &str, scope: &str) -> bool {
    serde_json::from_str::<Vec<serde_json::Value>>(mappings)
        .unwrap_or_default()
        .iter()
        .any(|m| m.get("scope").and_then(|s| s.as_str()) == Some(scope))
}

#[cfg(test)]
mod tests {
    use super::maps_to;

    #[test]
    fn a_mapping_uses_the_scope_it_grants() {
        let m = r#"[{"claim":"groups","value":"ops","scope":"orders:write"}]"#;
        assert!(maps_to(m, "orders:write"));
        assert!(!maps_to(m, "orders:read"));
        assert!(!maps_to("[]", "orders:write"));
        assert!(!maps_to("not json", "orders:write"));
    }
}
