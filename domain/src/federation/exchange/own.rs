//! An exchange whose subject token is one of Entente's own access tokens: held to the trust
//! rule it was issued under, never widened, and never a start for delegation or refresh.

use super::claims::bounded_lineage;
use super::narrowing::{lifetime, narrow};
use super::{Grant, Requester};
use crate::federation::validate::Verified;
use crate::federation::{Federation, Trace, TrustRule, subject};
use crate::grant::{AudienceView, TargetRequest};
use crate::token::AccessTokenClaims;
use crate::{OAuthError, ScopeSet, UnixTime};

/// An exchange presenting one of Entente's own access tokens, after it passed verification.
pub(super) struct OwnTokenRequest<'a> {
    pub(super) who: &'a Requester<'a>,
    pub(super) subject: &'a Verified<'a>,
    /// The subject token's claims.
    pub(super) own: &'a AccessTokenClaims,
    pub(super) target: &'a TargetRequest,
    pub(super) issued_type: &'static str,
}

/// Refresh tokens and delegation start only from the partner's own token: an Entente-issued
/// subject token asks for neither.
pub(super) fn refuse_refresh_or_actor(
    wants_refresh: bool,
    has_actor: bool,
    trace: &mut Trace,
) -> Result<(), OAuthError> {
    if wants_refresh {
        trace.fail(
            "refresh",
            "refresh tokens are issued only for partner tokens under a trust rule",
        );
        return Err(OAuthError::invalid_request(
            "a refresh token cannot be obtained for an Entente-issued token",
        ));
    }
    if has_actor {
        trace.fail(
            "delegation",
            "delegation starts from the partner's own token, not from an Entente-issued one",
        );
        return Err(OAuthError::invalid_request(
            "delegation is not available for Entente-issued subject tokens; exchange the partner's token with the actor token",
        ));
    }
    Ok(())
}

pub(super) fn from_own_token(
    cat: &impl Federation,
    request: OwnTokenRequest<'_>,
    audience: &AudienceView,
    grant: &ScopeSet,
    now: UnixTime,
    trace: &mut Trace,
) -> Result<Grant, OAuthError> {
    let OwnTokenRequest {
        who,
        subject,
        own,
        target,
        issued_type,
    } = request;
    let user_rule = own_token_rule(cat, who, own, audience, trace)?;
    let subject_scope = own
        .scope
        .as_deref()
        .map(ScopeSet::parse)
        .transpose()?
        .unwrap_or_default();
    let mut layers = vec![
        ("partner grant", grant),
        ("client allowance", who.client.allowed_scopes),
        ("subject token's scope", &subject_scope),
    ];
    if let Some(rule) = user_rule {
        layers.insert(0, ("trust rule", &rule.scopes));
    }
    let scope = narrow(audience, &layers, target.scope.as_ref(), trace)?;
    let base = user_rule
        .and_then(|r| r.lifetime)
        .unwrap_or(audience.token_lifetime);
    let lifetime = lifetime(base, subject, None, now, trace)?;
    let mut lineage = own.lineage.clone();
    lineage.extend([
        subject::token_key(&own.jti),
        subject::client_key(&own.client_id),
    ]);
    if let Some(p) = &own.partner {
        lineage.push(subject::partner_key(p));
    }
    // Pass-through claims follow the rule as it stands now: one it no longer passes is dropped.
    let mut claims = own.extra.clone();
    if let Some(rule) = user_rule {
        claims.retain(|name, _| rule.claims.iter().any(|p| &p.to == name));
    }
    Ok(Grant {
        audience: audience.identifier.clone(),
        scope,
        lifetime,
        sub: own.sub.clone(),
        act: own.act.clone(),
        claims,
        lineage: bounded_lineage(lineage, trace)?,
        issued_token_type: issued_type,
        trust_rule: user_rule.map(|r| r.id.clone()),
        refresh: None,
        replay: None,
    })
}

/// An Entente token that speaks for a partner's user (its lineage holds a partner subject) is
/// held to the trust rule it was issued under, exactly as a direct exchange of the partner's
/// token would be: the rule and its issuer must still be enabled, and the target must be the
/// rule's audience. Re-targeting such a token to another audience is refused: its subject is
/// the first audience's (pairwise subjects differ per audience) and the partner's original
/// claims are not in it, so the other audience's rule could not be applied faithfully.
/// Tokens of a client itself (client_credentials) carry no user and no rule.
fn own_token_rule<'c>(
    cat: &'c impl Federation,
    who: &Requester<'_>,
    own: &AccessTokenClaims,
    audience: &AudienceView,
    trace: &mut Trace,
) -> Result<Option<&'c TrustRule>, OAuthError> {
    if !speaks_for_user(own) {
        trace.info(
            "trust_rule",
            "the subject token is a client's own token: no trust rule applies",
        );
        return Ok(None);
    }
    let refuse = |trace: &mut Trace, why: String, e: OAuthError| {
        trace.fail("trust_rule", why);
        Err(e)
    };
    let Some(rule) = own
        .trust_rule
        .as_ref()
        .and_then(|id| cat.trust_rule_by_id(id))
        .filter(|r| &r.partner_id == who.client.partner_id)
    else {
        return refuse(
            trace,
            "the trust rule the subject token was issued under no longer exists".into(),
            OAuthError::invalid_request(
                "the trust rule the subject token was issued under no longer exists",
            ),
        );
    };
    if rule.audience_id != audience.id {
        return refuse(
            trace,
            format!(
                "the subject token speaks for a partner's user under rule {} for another audience; \
                 it is not re-targeted to {} (exchange the partner's own token for it)",
                rule.id, audience.identifier
            ),
            OAuthError::invalid_target(
                "a token issued for a partner's user is not re-targeted to another audience; exchange the partner's token for this audience",
            ),
        );
    }
    if !rule.enabled {
        return refuse(
            trace,
            format!("rule {} is disabled", rule.id),
            OAuthError::invalid_request("the trust rule for this issuer and audience is disabled"),
        );
    }
    // What a direct exchange would refuse today, a re-exchange refuses too.
    if rule.delegation_only && own.act.is_none() {
        return refuse(
            trace,
            format!("rule {} now allows delegation only", rule.id),
            OAuthError::invalid_request(
                "the trust rule allows delegation only: exchange the partner's token with an actor token",
            ),
        );
    }
    if own.sub.starts_with("pw_") != rule.pairwise {
        return refuse(
            trace,
            format!(
                "rule {} changed its subject type since the token was issued",
                rule.id
            ),
            OAuthError::invalid_request(
                "the trust rule's subject type changed since this token was issued; exchange the partner's token again",
            ),
        );
    }
    match cat.trusted_issuer_by_id(&rule.issuer_id) {
        Some(i) if i.enabled => {
            trace.pass(
                "trust_rule",
                format!(
                    "rule {} still allows {} → {}",
                    rule.id, i.issuer, audience.identifier
                ),
            );
            Ok(Some(rule))
        }
        _ => refuse(
            trace,
            format!("the issuer of rule {} is disabled or removed", rule.id),
            OAuthError::invalid_request("the issuer of the subject token is disabled"),
        ),
    }
}

/// True for an Entente token issued for a partner's user (it names the rule it was issued
/// under, or its lineage holds a partner subject); false for a client's own token.
pub(super) fn speaks_for_user(own: &AccessTokenClaims) -> bool {
    own.trust_rule.is_some() || own.lineage.iter().any(|k| k.starts_with("s:"))
}
