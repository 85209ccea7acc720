//! The federation decision for RFC 8693 token exchange and RFC 7523 jwt-bearer grants:
//! `(state, request, now) → Decision` with the granted token or the RFC error, and a trace.

mod actor;
mod catalog;
mod claims;
mod narrowing;
mod own;
mod partner;
mod request;

use serde_json::{Map, Value};

use self::catalog::{check_grant_type, matching_rule, partner_grant, target};
use self::own::{OwnTokenRequest, from_own_token, refuse_refresh_or_actor};
use self::partner::{MatchedRule, PartnerTokenRequest, from_partner_token};
use self::request::{Presented, verify_tokens};
use super::validate::{self, Ask, Declared, Origin, Purpose};
use super::{Env, Federation, GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE, Keys, Trace};
use crate::grant::{ClientView, TargetRequest};
use crate::ids::{IssuerId, RuleId};
use crate::{OAuthError, OAuthErrorCode, ScopeSet, UnixTime};

pub(crate) use self::narrowing::narrow;

/// The authenticated client asking.
#[derive(Debug, Clone)]
pub struct Requester<'a> {
    pub client: ClientView<'a>,
    pub partner_slug: &'a str,
}

#[derive(Debug, Clone, Default)]
pub struct ExchangeRequest<'a> {
    pub subject_token: Option<&'a str>,
    pub subject_token_type: Option<&'a str>,
    pub actor_token: Option<&'a str>,
    pub actor_token_type: Option<&'a str>,
    pub requested_token_type: Option<&'a str>,
    pub target: TargetRequest,
}

/// What to issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub audience: String,
    pub scope: ScopeSet,
    pub lifetime: i64,
    pub sub: String,
    pub act: Option<Value>,
    pub claims: Map<String, Value>,
    pub lineage: Vec<String>,
    /// `issued_token_type` of the response.
    pub issued_token_type: &'static str,
    /// Set when a refresh token family is to be started alongside (or instead of) the token.
    pub refresh: Option<RefreshTerms>,
    /// For jwt-bearer: the assertion's `jti` to record in the replay cache.
    pub replay: Option<Replay>,
    /// The trust rule a token for a partner's user is issued under (the `trust_rule` claim).
    pub trust_rule: Option<RuleId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTerms {
    pub rule_id: RuleId,
    pub absolute_exp: UnixTime,
    pub subject_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub issuer_id: IssuerId,
    pub jti: String,
    pub exp: UnixTime,
}

#[derive(Debug, Clone)]
pub struct Decision {
    pub result: Result<Grant, OAuthError>,
    pub trace: Trace,
}

fn finish(result: Result<Grant, OAuthError>, mut trace: Trace) -> Decision {
    match &result {
        Ok(g) => trace.pass(
            "decision",
            format!(
                "issue {} for {} with scope \"{}\", lifetime {} s",
                g.issued_token_type, g.audience, g.scope, g.lifetime
            ),
        ),
        Err(e) => {
            if trace.failure().is_none() {
                trace.fail("decision", e.description.to_string());
            }
        }
    }
    Decision { result, trace }
}

/// RFC 8693 token exchange. Every refusal of the subject or actor token, on its own merits or
/// by policy, is `invalid_request` (RFC 8693 §2.2.2); targets are `invalid_target`.
pub fn exchange(
    cat: &impl Federation,
    keys: &impl Keys,
    env: &Env<'_>,
    who: &Requester<'_>,
    req: &ExchangeRequest<'_>,
    now: UnixTime,
) -> Decision {
    let mut trace = Trace::default();
    let result = exchange_inner(cat, keys, env, who, req, now, &mut trace);
    finish(result, trace)
}

fn exchange_inner(
    cat: &impl Federation,
    keys: &impl Keys,
    env: &Env<'_>,
    who: &Requester<'_>,
    req: &ExchangeRequest<'_>,
    now: UnixTime,
    trace: &mut Trace,
) -> Result<Grant, OAuthError> {
    check_grant_type(&who.client, GRANT_TOKEN_EXCHANGE, trace)?;
    let presented = Presented::parse(req)?;
    let (subject, actor) = verify_tokens(cat, keys, env, who, &presented, now, trace)?;
    let audience = target(cat, who, &req.target, trace)?;
    let grant = partner_grant(cat, who, audience, trace)?;
    match &subject.origin {
        Origin::Partner(issuer) => {
            let rule = matching_rule(
                cat,
                who,
                issuer,
                audience,
                trace,
                OAuthErrorCode::InvalidRequest,
            )?;
            let mut g = from_partner_token(
                env,
                PartnerTokenRequest {
                    who,
                    subject: &subject,
                    actor: actor.as_ref(),
                    target: &req.target,
                    deny: OAuthErrorCode::InvalidRequest,
                },
                MatchedRule {
                    issuer,
                    rule,
                    audience,
                    grant,
                },
                now,
                trace,
            )?;
            g.issued_token_type = presented.issued_type;
            if presented.wants_refresh() && g.refresh.is_none() {
                trace.fail("refresh", "the trust rule does not allow refresh tokens");
                return Err(OAuthError::invalid_request(
                    "the trust rule does not allow refresh tokens",
                ));
            }
            Ok(g)
        }
        Origin::Own(own) => {
            refuse_refresh_or_actor(presented.wants_refresh(), actor.is_some(), trace)?;
            from_own_token(
                cat,
                OwnTokenRequest {
                    who,
                    subject: &subject,
                    own,
                    target: &req.target,
                    issued_type: presented.issued_type,
                },
                audience,
                grant,
                now,
                trace,
            )
        }
    }
}

/// RFC 7523 §2.1 jwt-bearer: a trusted issuer's assertion under the same trust rules.
/// Refusals are `invalid_grant` (RFC 7523 §3.1).
pub fn jwt_bearer(
    cat: &impl Federation,
    keys: &impl Keys,
    env: &Env<'_>,
    who: &Requester<'_>,
    assertion: Option<&str>,
    target_req: &TargetRequest,
    now: UnixTime,
) -> Decision {
    let mut trace = Trace::default();
    let result = (|| {
        check_grant_type(&who.client, GRANT_JWT_BEARER, &mut trace)?;
        let assertion = assertion
            .filter(|a| !a.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("assertion is required"))?;
        let ask = Ask {
            token: assertion,
            declared: Declared::Jwt,
            purpose: Purpose::Assertion,
            partner_id: who.client.partner_id,
            partner_slug: who.partner_slug,
        };
        let subject = validate::verify(cat, keys, env, &ask, now, &mut trace, "assertion")
            .map_err(OAuthError::invalid_grant)?;
        let Origin::Partner(issuer) = &subject.origin else {
            return Err(OAuthError::invalid_grant(
                "assertions must come from a trusted issuer",
            ));
        };
        let audience = target(cat, who, target_req, &mut trace)?;
        let grant = partner_grant(cat, who, audience, &mut trace)?;
        let rule = matching_rule(
            cat,
            who,
            issuer,
            audience,
            &mut trace,
            OAuthErrorCode::InvalidGrant,
        )?;
        let mut g = from_partner_token(
            env,
            PartnerTokenRequest {
                who,
                subject: &subject,
                actor: None,
                target: target_req,
                deny: OAuthErrorCode::InvalidGrant,
            },
            MatchedRule {
                issuer,
                rule,
                audience,
                grant,
            },
            now,
            &mut trace,
        )?;
        // Assertions are minted per request; a refresh token would outlive their purpose.
        g.refresh = None;
        g.replay = Some(Replay {
            issuer_id: issuer.id.clone(),
            jti: subject.jti.clone().unwrap_or_default(),
            exp: subject.exp,
        });
        Ok(g)
    })();
    finish(result, trace)
}
