//! Impersonation or delegation: whether the trust rule lets an actor token act for the subject
//! token, and the `act` chain of the issued token (RFC 8693 §4.1, §4.4).

use serde_json::Value;

use super::own::speaks_for_user;
use crate::federation::subject::{self, act_depth, chain_act, may_act_allows};
use crate::federation::validate::{Origin, Verified};
use crate::federation::{Env, MAX_ACT_DEPTH, Trace, TrustRule};
use crate::{OAuthError, OAuthErrorCode};

/// The `act` claim of the issued token: `None` for impersonation (no actor token), the actor
/// chained before the subject token's earlier actors for delegation.
pub(super) fn delegation(
    env: &Env<'_>,
    rule: &TrustRule,
    subject: &Verified<'_>,
    actor: Option<&Verified<'_>>,
    deny: OAuthErrorCode,
    trace: &mut Trace,
) -> Result<Option<Value>, OAuthError> {
    match actor {
        None if rule.delegation_only => Err(refuse(
            trace,
            deny,
            "the trust rule allows delegation only: an actor_token is required",
        )),
        None => {
            trace.pass(
                "delegation",
                "no actor: impersonation (the issued token names the partner's user)",
            );
            Ok(None)
        }
        Some(_) if !rule.delegation => Err(refuse(
            trace,
            deny,
            "the trust rule does not allow delegation",
        )),
        Some(a) => actor_act(env, rule, subject, a, deny, trace).map(Some),
    }
}

/// The actor, if the subject token's `may_act` names it and the chain stays within the rule's
/// depth, as the outermost `act`.
fn actor_act(
    env: &Env<'_>,
    rule: &TrustRule,
    subject: &Verified<'_>,
    actor: &Verified<'_>,
    deny: OAuthErrorCode,
    trace: &mut Trace,
) -> Result<Value, OAuthError> {
    if let Some(may) = subject.claims.get("may_act") {
        if !may_act_allows(may, &actor.iss, &actor.sub) {
            return Err(refuse(
                trace,
                deny,
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
    let actor_sub = match &actor.origin {
        Origin::Partner(ai) => subject::issued_subject(ai, &actor.sub, None, env.pairwise_secret),
        // A user's token would carry its audience's (possibly pairwise) subject into
        // this one, outside any rule: only a client's own token may act.
        Origin::Own(c) if speaks_for_user(c) => {
            return Err(refuse(
                trace,
                deny,
                "an Entente token issued for a partner's user cannot be the actor; present the actor's own token",
            ));
        }
        Origin::Own(c) => c.sub.clone(),
    };
    trace.pass(
        "delegation",
        format!("actor {actor_sub} acts for the subject (depth {depth})"),
    );
    Ok(chain_act(&actor_sub, previous))
}

/// The refusal both traced and returned, with the grant's error code.
fn refuse(trace: &mut Trace, deny: OAuthErrorCode, why: &'static str) -> OAuthError {
    trace.fail("delegation", why);
    OAuthError::new(deny, why)
}
