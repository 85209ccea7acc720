//! The token parameters of an exchange request (RFC 8693 §2.1) and the verification of its
//! subject and actor tokens, refused in the order clients are told about them.

use super::{ExchangeRequest, Requester};
use crate::federation::validate::{self, Ask, Declared, Purpose, Verified};
use crate::federation::{Env, Federation, Keys, TT_ACCESS_TOKEN, TT_JWT, TT_REFRESH_TOKEN, Trace};
use crate::{OAuthError, UnixTime};

/// The subject token and actor token an exchange presents, with the types the client declared,
/// and the token type it asks to be issued.
pub(super) struct Presented<'r> {
    pub(super) subject_token: &'r str,
    pub(super) subject_declared: Declared,
    /// The actor token, non-empty, with its declared type.
    pub(super) actor: Option<(&'r str, Declared)>,
    pub(super) issued_type: &'static str,
}

impl<'r> Presented<'r> {
    /// Every refusal is `invalid_request`: the parameters are missing, malformed or unsupported.
    pub(super) fn parse(req: &ExchangeRequest<'r>) -> Result<Self, OAuthError> {
        let bad = |d: &'static str| OAuthError::invalid_request(d);
        let subject_token = req
            .subject_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("subject_token is required"))?;
        let subject_declared = req
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
        // RFC 8693 §2.1: actor_token_type is required with actor_token and forbidden without.
        let actor = match (req.actor_token, req.actor_token_type) {
            (None, None) => None,
            (Some(t), Some(tt)) if !t.is_empty() => Some((
                t,
                Declared::parse(tt).ok_or_else(|| bad("actor_token_type is not supported"))?,
            )),
            (Some(_), Some(_)) => return Err(bad("actor_token is empty")),
            (Some(_), None) => return Err(bad("actor_token_type is required with actor_token")),
            (None, Some(_)) => {
                return Err(bad("actor_token_type must not be sent without actor_token"));
            }
        };
        Ok(Self {
            subject_token,
            subject_declared,
            actor,
            issued_type,
        })
    }

    pub(super) fn wants_refresh(&self) -> bool {
        self.issued_type == TT_REFRESH_TOKEN
    }
}

/// The subject token, then the actor token if one is presented, verified as the partner's:
/// a refusal of either is `invalid_request` (RFC 8693 §2.2.2).
pub(super) fn verify_tokens<'c>(
    cat: &'c impl Federation,
    keys: &impl Keys,
    env: &Env<'_>,
    who: &Requester<'_>,
    presented: &Presented<'_>,
    now: UnixTime,
    trace: &mut Trace,
) -> Result<(Verified<'c>, Option<Verified<'c>>), OAuthError> {
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
        &ask(
            presented.subject_token,
            presented.subject_declared,
            Purpose::Subject,
        ),
        now,
        trace,
        "subject_token",
    )
    .map_err(OAuthError::invalid_request)?;
    let actor = match presented.actor {
        Some((t, d)) => Some(
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
        None => None,
    };
    Ok((subject, actor))
}
