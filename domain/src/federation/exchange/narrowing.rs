//! Narrowing: the granted scope and lifetime never exceed any layer that bounds them.

use crate::federation::Trace;
use crate::federation::validate::Verified;
use crate::grant::AudienceView;
use crate::{OAuthError, ScopeSet, UnixTime};

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
pub(super) fn lifetime(
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
