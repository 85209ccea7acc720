//! The grant for a partner's token under the trust rule that matched it: delegation, scope,
//! lifetime, subject, pass-through claims, lineage and refresh terms, in that order.

use super::actor::delegation;
use super::claims::{bounded_lineage, issued_sub, partner_lineage, passed_claims};
use super::narrowing::{lifetime, narrow};
use super::{Grant, RefreshTerms, Requester};
use crate::federation::validate::Verified;
use crate::federation::{Env, TT_ACCESS_TOKEN, Trace, TrustRule, TrustedIssuer, subject};
use crate::grant::{AudienceView, TargetRequest};
use crate::{OAuthError, OAuthErrorCode, ScopeSet, UnixTime};

/// A request that presents a partner's token, after its subject token (and actor token, if
/// any) passed verification.
pub(super) struct PartnerTokenRequest<'a> {
    pub(super) who: &'a Requester<'a>,
    pub(super) subject: &'a Verified<'a>,
    pub(super) actor: Option<&'a Verified<'a>>,
    pub(super) target: &'a TargetRequest,
    /// Token exchange refuses with `invalid_request` (RFC 8693 §2.2.2), jwt-bearer with
    /// `invalid_grant` (RFC 7523 §3.1).
    pub(super) deny: OAuthErrorCode,
}

/// The trust rule that lets the partner's token reach the audience, with the trusted issuer
/// that signed the token and the partner's grant on that audience.
pub(super) struct MatchedRule<'a> {
    pub(super) issuer: &'a TrustedIssuer,
    pub(super) rule: &'a TrustRule,
    pub(super) audience: &'a AudienceView,
    pub(super) grant: &'a ScopeSet,
}

pub(super) fn from_partner_token(
    env: &Env<'_>,
    request: PartnerTokenRequest<'_>,
    matched: MatchedRule<'_>,
    now: UnixTime,
    trace: &mut Trace,
) -> Result<Grant, OAuthError> {
    let PartnerTokenRequest {
        who,
        subject,
        actor,
        target: target_req,
        deny,
    } = request;
    let MatchedRule {
        issuer,
        rule,
        audience,
        grant,
    } = matched;
    let act = delegation(env, rule, subject, actor, deny, trace)?;
    let ceiling = rule.scopes_for(&subject.claims);
    trace.info(
        "trust_rule",
        format!("rule ceiling for this subject: \"{ceiling}\""),
    );
    let scope = narrow(
        audience,
        &[
            ("trust rule", &ceiling),
            ("partner grant", grant),
            ("client allowance", who.client.allowed_scopes),
        ],
        target_req.scope.as_ref(),
        trace,
    )?;
    let base = rule.lifetime.unwrap_or(audience.token_lifetime);
    let lifetime = lifetime(base, subject, actor, now, trace)?;
    let sub = issued_sub(env, issuer, rule, audience, subject, trace);
    let claims = passed_claims(rule, subject, trace);
    let subject_key = subject::subject_key(&subject.iss, &subject.sub);
    let lineage = partner_lineage(env, rule, audience, subject, actor, &subject_key);
    let refresh = rule.refresh.then(|| RefreshTerms {
        rule_id: rule.id.clone(),
        absolute_exp: (now + rule.refresh_lifetime).min(subject.exp),
        subject_key: subject_key.clone(),
    });
    Ok(Grant {
        audience: audience.identifier.clone(),
        scope,
        lifetime,
        sub,
        act,
        claims,
        lineage: bounded_lineage(lineage, trace)?,
        issued_token_type: TT_ACCESS_TOKEN,
        refresh,
        replay: None,
        trust_rule: Some(rule.id.clone()),
    })
}
