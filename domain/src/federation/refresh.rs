//! The refresh_token grant (RFC 6749 §6) for families started by a token exchange: the family's
//! terms are re-checked against today's rule, grant and audience on every use.

use super::{Federation, GRANT_REFRESH_TOKEN, Trace};
use crate::grant::ClientView;
use crate::ids::RuleId;
use crate::{OAuthError, ScopeSet, UnixTime};

/// A stored refresh token family, as the policy sees it.
#[derive(Debug, Clone)]
pub struct Family<'a> {
    pub client_id: &'a str,
    pub rule_id: &'a RuleId,
    pub audience: &'a str,
    pub scope: &'a ScopeSet,
    pub absolute_exp: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub audience: String,
    pub scope: ScopeSet,
    pub lifetime: i64,
}

pub fn refresh(
    cat: &impl Federation,
    client: &ClientView<'_>,
    family: &Family<'_>,
    requested: Option<&ScopeSet>,
    now: UnixTime,
) -> Result<Renewal, OAuthError> {
    if !client.grant_types.iter().any(|g| g == GRANT_REFRESH_TOKEN) {
        return Err(OAuthError::unauthorized_client(
            "client may not use this grant type",
        ));
    }
    // Another client's refresh token is simply not valid for this one (case D36).
    if family.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("refresh token is invalid"));
    }
    if now >= family.absolute_exp {
        return Err(OAuthError::invalid_grant("refresh token has expired"));
    }
    let rule = cat
        .trust_rule_by_id(family.rule_id)
        .filter(|r| r.enabled && r.refresh && &r.partner_id == client.partner_id)
        .filter(|r| {
            cat.trusted_issuer_by_id(&r.issuer_id)
                .is_some_and(|i| i.enabled)
        })
        .ok_or_else(|| OAuthError::invalid_grant("the trust rule no longer allows refreshing"))?;
    let audience = cat
        .audience_by_id(&rule.audience_id)
        .filter(|a| a.enabled && a.identifier == family.audience)
        .ok_or_else(|| OAuthError::invalid_grant("the audience is no longer available"))?;
    let grant = cat
        .grant(client.partner_id, &audience.id)
        .ok_or_else(|| OAuthError::invalid_grant("the audience is no longer available"))?;
    // RFC 6749 §6: a refresh may narrow the original scope, never widen it.
    if let Some(r) = requested
        && !r.is_subset(family.scope)
    {
        return Err(OAuthError::invalid_scope(
            "the requested scope exceeds the originally granted scope",
        ));
    }
    let mut trace = Trace::default();
    let scope = super::exchange::narrow(
        audience,
        &[
            ("original grant", family.scope),
            ("trust rule", &rule.scopes),
            ("partner grant", grant),
            ("client allowance", client.allowed_scopes),
        ],
        requested,
        &mut trace,
    )?;
    let lifetime = rule
        .lifetime
        .unwrap_or(audience.token_lifetime)
        .min(family.absolute_exp - now);
    Ok(Renewal {
        audience: audience.identifier.clone(),
        scope,
        lifetime,
    })
}
