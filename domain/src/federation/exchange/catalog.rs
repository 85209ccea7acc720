//! The catalog steps both grants take, each traced: the client's grant type, the audience, the
//! partner's grant on it and the trust rule that lets the partner's issuer reach it.

use super::Requester;
use crate::federation::{Federation, Trace, TrustRule, TrustedIssuer};
use crate::grant::{AudienceView, ClientView, TargetRequest, select_audience};
use crate::{OAuthError, OAuthErrorCode, ScopeSet};

pub(super) fn check_grant_type(
    client: &ClientView<'_>,
    grant: &str,
    trace: &mut Trace,
) -> Result<(), OAuthError> {
    let checked = crate::grant::require_grant_type(client, grant);
    match &checked {
        Ok(()) => trace.pass(
            "client",
            format!("client {} may use {grant}", client.client_id),
        ),
        Err(_) => trace.fail(
            "client",
            format!("client {} is not assigned {grant}", client.client_id),
        ),
    }
    checked
}

pub(super) fn target<'c>(
    cat: &'c impl Federation,
    who: &Requester<'_>,
    req: &TargetRequest,
    trace: &mut Trace,
) -> Result<&'c AudienceView, OAuthError> {
    match select_audience(cat, &who.client, req) {
        Ok(a) => {
            trace.pass("audience", format!("audience {}", a.identifier));
            Ok(a)
        }
        Err(e) => {
            trace.fail("audience", e.description.to_string());
            Err(e)
        }
    }
}

pub(super) fn partner_grant<'c>(
    cat: &'c impl Federation,
    who: &Requester<'_>,
    audience: &AudienceView,
    trace: &mut Trace,
) -> Result<&'c ScopeSet, OAuthError> {
    let grant = crate::grant::partner_grant(cat, &who.client, audience);
    match &grant {
        Ok(g) => trace.pass(
            "grant",
            format!(
                "partner {} holds \"{g}\" on {}",
                who.partner_slug, audience.identifier
            ),
        ),
        Err(_) => trace.fail(
            "grant",
            format!(
                "partner {} holds no grant on {}",
                who.partner_slug, audience.identifier
            ),
        ),
    }
    grant
}

pub(super) fn matching_rule<'c>(
    cat: &'c impl Federation,
    who: &Requester<'_>,
    issuer: &TrustedIssuer,
    audience: &AudienceView,
    trace: &mut Trace,
    deny: OAuthErrorCode,
) -> Result<&'c TrustRule, OAuthError> {
    match cat.trust_rule(who.client.partner_id, &issuer.id, &audience.id) {
        Some(r) if r.enabled => {
            trace.pass(
                "trust_rule",
                format!(
                    "rule {} allows {} → {}",
                    r.id, issuer.issuer, audience.identifier
                ),
            );
            Ok(r)
        }
        Some(r) => {
            trace.fail(
                "trust_rule",
                format!(
                    "rule {} for {} → {} is disabled",
                    r.id, issuer.issuer, audience.identifier
                ),
            );
            Err(OAuthError::new(
                deny,
                "the trust rule for this issuer and audience is disabled",
            ))
        }
        None if cat.has_rules(who.client.partner_id, &issuer.id) => {
            trace.fail(
                "trust_rule",
                format!(
                    "no trust rule lets tokens from {} reach {}",
                    issuer.issuer, audience.identifier
                ),
            );
            Err(OAuthError::invalid_target(
                "no trust rule allows this audience for tokens from this issuer",
            ))
        }
        None => {
            trace.fail(
                "trust_rule",
                format!(
                    "partner {} has no trust rule for issuer {}",
                    who.partner_slug, issuer.issuer
                ),
            );
            Err(OAuthError::new(
                deny,
                "no trust rule accepts tokens from this issuer for this client",
            ))
        }
    }
}
