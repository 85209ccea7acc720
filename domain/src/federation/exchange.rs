//! The federation decision for RFC 8693 token exchange and RFC 7523 jwt-bearer grants:
//! `(state, request, now) → Decision` with the granted token or the RFC error, and a trace.

use serde_json::{Map, Value};

use super::subject::{self, act_depth, chain_act, may_act_allows};
use super::validate::{self, Ask, Declared, Origin, Purpose, Verified};
use super::{Env, Federation, Keys, MAX_ACT_DEPTH, MAX_LINEAGE, Trace, TrustRule, TrustedIssuer};
use super::{GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE, TT_ACCESS_TOKEN, TT_JWT, TT_REFRESH_TOKEN};
use crate::grant::{AudienceView, ClientView, TargetRequest, select_audience};
use crate::ids::{IssuerId, RuleId};
use crate::{OAuthError, OAuthErrorCode, ScopeSet, UnixTime};

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
    let bad = |d: &'static str| OAuthError::invalid_request(d);
    check_grant_type(&who.client, GRANT_TOKEN_EXCHANGE, trace)?;
    let subject_token = req
        .subject_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("subject_token is required"))?;
    let declared = req
        .subject_token_type
        .ok_or_else(|| bad("subject_token_type is required"))
        .and_then(|t| {
            Declared::parse(t).ok_or_else(|| bad("subject_token_type is not supported"))
        })?;
    let issued_type = match req.requested_token_type {
        None | Some(TT_ACCESS_TOKEN) => TT_ACCESS_TOKEN,
        Some(TT_JWT) => TT_JWT,
        Some(TT_REFRESH_TOKEN) => TT_REFRESH_TOKEN,
        Some(_) => return Err(bad("requested_token_type is not supported")),
    };
    let wants_refresh = issued_type == TT_REFRESH_TOKEN;
    // RFC 8693 §2.1: actor_token_type is required with actor_token and forbidden without.
    let actor_declared = match (req.actor_token, req.actor_token_type) {
        (None, None) => None,
        (Some(t), Some(tt)) if !t.is_empty() => {
            Some(Declared::parse(tt).ok_or_else(|| bad("actor_token_type is not supported"))?)
        }
        (Some(_), Some(_)) => return Err(bad("actor_token is empty")),
        (Some(_), None) => return Err(bad("actor_token_type is required with actor_token")),
        (None, Some(_)) => {
            return Err(bad("actor_token_type must not be sent without actor_token"));
        }
    };
    let ask = |token, declared, purpose| Ask {
        token,
        declared,
        purpose,
        partner_id: who.client.partner_id,
        partner_slug: who.partner_slug,
    };
    let subject = validate::verify(
        cat,
        keys,
        env,
        &ask(subject_token, declared, Purpose::Subject),
        now,
        trace,
        "subject_token",
    )
    .map_err(OAuthError::invalid_request)?;
    let actor = match (req.actor_token, actor_declared) {
        (Some(t), Some(d)) => Some(
            validate::verify(
                cat,
                keys,
                env,
                &ask(t, d, Purpose::Actor),
                now,
                trace,
                "actor_token",
            )
            .map_err(OAuthError::invalid_request)?,
        ),
        _ => None,
    };
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
            g.issued_token_type = issued_type;
            if wants_refresh && g.refresh.is_none() {
                trace.fail("refresh", "the trust rule does not allow refresh tokens");
                return Err(bad("the trust rule does not allow refresh tokens"));
            }
            Ok(g)
        }
        Origin::Own(own) => {
            if wants_refresh {
                trace.fail(
                    "refresh",
                    "refresh tokens are issued only for partner tokens under a trust rule",
                );
                return Err(bad(
                    "a refresh token cannot be obtained for an Entente-issued token",
                ));
            }
            if actor.is_some() {
                trace.fail(
                    "delegation",
                    "delegation starts from the partner's own token, not from an Entente-issued one",
                );
                return Err(bad(
                    "delegation is not available for Entente-issued subject tokens; exchange the partner's token with the actor token",
                ));
            }
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
            let scope = narrow(audience, &layers, req.target.scope.as_ref(), trace)?;
            let base = user_rule
                .and_then(|r| r.lifetime)
                .unwrap_or(audience.token_lifetime);
            let lifetime = lifetime(base, &subject, None, now, trace)?;
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
    }
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
    own: &crate::token::AccessTokenClaims,
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
fn speaks_for_user(own: &crate::token::AccessTokenClaims) -> bool {
    own.trust_rule.is_some() || own.lineage.iter().any(|k| k.starts_with("s:"))
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

fn check_grant_type(
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

fn target<'c>(
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

fn partner_grant<'c>(
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

fn matching_rule<'c>(
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

/// A request that presents a partner's token, after its subject token (and actor token, if
/// any) passed verification.
struct PartnerTokenRequest<'a> {
    who: &'a Requester<'a>,
    subject: &'a Verified<'a>,
    actor: Option<&'a Verified<'a>>,
    target: &'a TargetRequest,
    /// Token exchange refuses with `invalid_request` (RFC 8693 §2.2.2), jwt-bearer with
    /// `invalid_grant` (RFC 7523 §3.1).
    deny: OAuthErrorCode,
}

/// The trust rule that lets the partner's token reach the audience, with the trusted issuer
/// that signed the token and the partner's grant on that audience.
struct MatchedRule<'a> {
    issuer: &'a TrustedIssuer,
    rule: &'a TrustRule,
    audience: &'a AudienceView,
    grant: &'a ScopeSet,
}

fn from_partner_token(
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
    let refuse = |trace: &mut Trace, step, why: &'static str| {
        trace.fail(step, why);
        OAuthError::new(deny, why)
    };
    // Delegation or impersonation.
    let act = match actor {
        None if rule.delegation_only => {
            return Err(refuse(
                trace,
                "delegation",
                "the trust rule allows delegation only: an actor_token is required",
            ));
        }
        None => {
            trace.pass(
                "delegation",
                "no actor: impersonation (the issued token names the partner's user)",
            );
            None
        }
        Some(_) if !rule.delegation => {
            return Err(refuse(
                trace,
                "delegation",
                "the trust rule does not allow delegation",
            ));
        }
        Some(a) => {
            if let Some(may) = subject.claims.get("may_act") {
                if !may_act_allows(may, &a.iss, &a.sub) {
                    return Err(refuse(
                        trace,
                        "delegation",
                        "the subject token's may_act does not name this actor",
                    ));
                }
                trace.pass(
                    "delegation",
                    "the actor is named by the subject token's may_act",
                );
            }
            // Only the outermost actor is the acting party; earlier ones are history.
            let previous = subject.act();
            let depth = act_depth(previous) + 1;
            let cap = rule.max_depth.min(MAX_ACT_DEPTH);
            if depth > cap {
                trace.fail(
                    "delegation",
                    format!("chain depth {depth} exceeds the limit of {cap}"),
                );
                return Err(OAuthError::new(deny, "the delegation chain is too deep"));
            }
            let actor_sub = match &a.origin {
                Origin::Partner(ai) => {
                    subject::issued_subject(ai, &a.sub, None, env.pairwise_secret)
                }
                // A user's token would carry its audience's (possibly pairwise) subject into
                // this one, outside any rule: only a client's own token may act.
                Origin::Own(c) if speaks_for_user(c) => {
                    return Err(refuse(
                        trace,
                        "delegation",
                        "an Entente token issued for a partner's user cannot be the actor; present the actor's own token",
                    ));
                }
                Origin::Own(c) => c.sub.clone(),
            };
            trace.pass(
                "delegation",
                format!("actor {actor_sub} acts for the subject (depth {depth})"),
            );
            Some(chain_act(&actor_sub, previous))
        }
    };
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
    let sub = subject::issued_subject(
        issuer,
        &subject.sub,
        rule.pairwise.then_some(audience.identifier.as_str()),
        env.pairwise_secret,
    );
    trace.pass(
        "subject",
        format!(
            "{} subject {sub}",
            if rule.pairwise { "pairwise" } else { "public" }
        ),
    );
    let mut claims = Map::new();
    for pass in &rule.claims {
        if let Some(v) = subject.claims.get(&pass.from)
            && v.to_string().len() <= 1024
        {
            claims.insert(pass.to.clone(), v.clone());
        }
    }
    if !claims.is_empty() {
        trace.info(
            "claims",
            format!(
                "passed through: {}",
                claims.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let subject_key = subject::subject_key(&subject.iss, &subject.sub);
    // Under a pairwise rule the token's copy of the key differs per audience as well.
    let lineage_subject = if rule.pairwise {
        subject::pairwise_subject_key(
            env.pairwise_secret,
            &audience.identifier,
            &subject.iss,
            &subject.sub,
        )
    } else {
        subject_key.clone()
    };
    let mut lineage = vec![lineage_subject];
    if let Some(Origin::Own(c)) = actor.map(|a| &a.origin) {
        lineage.push(subject::token_key(&c.jti));
    }
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

/// Requested ∩ every layer ∩ the audience's scopes — never a union (case B21).
pub(crate) fn narrow(
    audience: &AudienceView,
    layers: &[(&str, &ScopeSet)],
    requested: Option<&ScopeSet>,
    trace: &mut Trace,
) -> Result<ScopeSet, OAuthError> {
    let mut cur = audience.scopes.clone();
    for (what, layer) in layers {
        cur = cur.intersect(layer);
        trace.info("scope", format!("∩ {what} \"{layer}\" → \"{cur}\""));
    }
    if let Some(r) = requested {
        cur = r.intersect(&cur);
        trace.info("scope", format!("∩ requested \"{r}\" → \"{cur}\""));
    }
    if cur.is_empty() {
        trace.fail("scope", "no scope is left");
        return Err(OAuthError::invalid_scope(
            "none of the requested scopes may be granted",
        ));
    }
    trace.pass("scope", format!("granted \"{cur}\""));
    Ok(cur)
}

/// Never longer than what the subject (and actor) tokens have left (case B26).
fn lifetime(
    base: i64,
    subject: &Verified<'_>,
    actor: Option<&Verified<'_>>,
    now: UnixTime,
    trace: &mut Trace,
) -> Result<i64, OAuthError> {
    let mut l = base.min(subject.exp - now);
    if let Some(a) = actor {
        l = l.min(a.exp - now);
    }
    if l <= 0 {
        trace.fail("lifetime", "the presented token has no lifetime left");
        return Err(OAuthError::invalid_request(
            "the presented token has expired",
        ));
    }
    trace.info(
        "lifetime",
        format!("{l} s (configured {base} s, bounded by the presented tokens)"),
    );
    Ok(l)
}

fn bounded_lineage(mut l: Vec<String>, trace: &mut Trace) -> Result<Vec<String>, OAuthError> {
    let mut seen = std::collections::HashSet::new();
    l.retain(|k| seen.insert(k.clone()));
    if l.len() > MAX_LINEAGE {
        trace.fail("lineage", "the token was derived through too many steps");
        return Err(OAuthError::invalid_request(
            "the token was derived through too many steps",
        ));
    }
    Ok(l)
}
