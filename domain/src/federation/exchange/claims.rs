//! The claims a token issued for a partner's subject carries beyond scope and lifetime: its
//! subject identifier, the claims the trust rule passes through, and the lineage that makes
//! revocation follow derivation.

use serde_json::{Map, Value};

use crate::OAuthError;
use crate::federation::validate::{Origin, Verified};
use crate::federation::{Env, MAX_LINEAGE, Trace, TrustRule, TrustedIssuer, subject};
use crate::grant::AudienceView;

/// The `sub` of the issued token: public, or pairwise per audience when the rule says so.
pub(super) fn issued_sub(
    env: &Env<'_>,
    issuer: &TrustedIssuer,
    rule: &TrustRule,
    audience: &AudienceView,
    subject: &Verified<'_>,
    trace: &mut Trace,
) -> String {
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
    sub
}

/// The subject token's claims the rule passes through, under their new names; an oversized
/// value is left out rather than carried into every token.
pub(super) fn passed_claims(
    rule: &TrustRule,
    subject: &Verified<'_>,
    trace: &mut Trace,
) -> Map<String, Value> {
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
    claims
}

/// The lineage of a token for a partner's subject: the subject's revocation key, and the
/// actor's token when an Entente token acts.
pub(super) fn partner_lineage(
    env: &Env<'_>,
    rule: &TrustRule,
    audience: &AudienceView,
    subject: &Verified<'_>,
    actor: Option<&Verified<'_>>,
    subject_key: &str,
) -> Vec<String> {
    // Under a pairwise rule the token's copy of the key differs per audience as well.
    let lineage_subject = if rule.pairwise {
        subject::pairwise_subject_key(
            env.pairwise_secret,
            &audience.identifier,
            &subject.iss,
            &subject.sub,
        )
    } else {
        subject_key.to_owned()
    };
    let mut lineage = vec![lineage_subject];
    if let Some(Origin::Own(c)) = actor.map(|a| &a.origin) {
        lineage.push(subject::token_key(&c.jti));
    }
    lineage
}

/// Duplicates dropped, and refused beyond `MAX_LINEAGE` steps so the claim stays bounded.
pub(super) fn bounded_lineage(
    mut l: Vec<String>,
    trace: &mut Trace,
) -> Result<Vec<String>, OAuthError> {
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
