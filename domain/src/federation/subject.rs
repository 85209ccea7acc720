//! Who the issued token is about: subject identifiers (public or pairwise), the `act` chain and
//! the lineage keys that make revocation follow derivation.

use aws_lc_rs::{digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::TrustedIssuer;

/// Revocation key of a partner subject: identity is (iss, sub) only (case B25).
pub fn subject_key(iss: &str, sub: &str) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(iss.as_bytes());
    ctx.update(&[0]);
    ctx.update(sub.as_bytes());
    format!("s:{}", URL_SAFE_NO_PAD.encode(ctx.finish().as_ref()))
}

/// The subject's revocation key as carried in a token for `audience` under a pairwise rule: an
/// HMAC per audience, so the lineage claim cannot correlate what pairwise subjects keep apart.
pub fn pairwise_subject_key(secret: &[u8], audience: &str, iss: &str, sub: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut ctx = hmac::Context::with_key(&key);
    for part in ["lineage", audience, iss, sub] {
        ctx.update(part.as_bytes());
        ctx.update(&[0]);
    }
    format!("s:pw_{}", URL_SAFE_NO_PAD.encode(ctx.sign().as_ref()))
}

pub fn token_key(jti: &str) -> String {
    format!("t:{jti}")
}
pub fn client_key(client_id: &str) -> String {
    format!("c:{client_id}")
}
pub fn partner_key(partner_slug: &str) -> String {
    format!("p:{partner_slug}")
}
pub fn family_key(family: &str) -> String {
    format!("f:{family}")
}

/// The `sub` of an issued token for a partner's subject.
///
/// Public: `<trusted issuer id>:<partner sub>` — the `:` can never occur in a client id, and the
/// issuer id keeps two issuers' subjects apart (case B25). Pairwise: an HMAC over the audience
/// and (iss, sub), so two audiences see unrelated identifiers.
pub fn issued_subject(
    issuer: &TrustedIssuer,
    sub: &str,
    pairwise_for: Option<&str>,
    secret: &[u8],
) -> String {
    match pairwise_for {
        None => format!("{}:{sub}", issuer.id),
        Some(audience) => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
            let mut ctx = hmac::Context::with_key(&key);
            for part in [audience, &issuer.issuer, sub] {
                ctx.update(part.as_bytes());
                ctx.update(&[0]);
            }
            format!("pw_{}", URL_SAFE_NO_PAD.encode(ctx.sign().as_ref()))
        }
    }
}

/// Depth of an `act` chain (0 when there is none).
pub fn act_depth(act: Option<&Value>) -> u8 {
    let mut depth = 0u8;
    let mut cur = act;
    while let Some(a) = cur.filter(|v| v.is_object()) {
        depth = depth.saturating_add(1);
        cur = a.get("act");
    }
    depth
}

/// RFC 8693 §4.1: the current actor is outermost; earlier actors nest inside it.
pub fn chain_act(actor_sub: &str, previous: Option<&Value>) -> Value {
    match previous {
        Some(prev) => json!({"sub": actor_sub, "act": prev}),
        None => json!({"sub": actor_sub}),
    }
}

/// RFC 8693 §4.4: `may_act` names who may act; only its `sub` (and `iss` if given) are compared.
pub fn may_act_allows(may_act: &Value, actor_iss: &str, actor_sub: &str) -> bool {
    let Some(obj) = may_act.as_object() else {
        return false;
    };
    let sub_ok = obj.get("sub").and_then(Value::as_str) == Some(actor_sub);
    let iss_ok = obj.get("iss").is_none_or(|i| i.as_str() == Some(actor_iss));
    sub_ok && iss_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TrustedIssuer {
        TrustedIssuer {
            id: "ti_x".into(),
            partner_id: "p".into(),
            issuer: "https://idp".into(),
            algorithms: vec![],
            audiences: vec![],
            kinds: vec![],
            max_age: 0,
            skew: 30,
            subject_claim: "sub".into(),
            access_tokens_typed_jwt: false,
            enabled: true,
        }
    }

    #[test]
    fn pairwise_differs_per_audience_and_public_is_namespaced() {
        let i = issuer();
        let a = issued_subject(&i, "alice", Some("https://a"), b"k");
        let b = issued_subject(&i, "alice", Some("https://b"), b"k");
        assert_ne!(a, b);
        assert_eq!(a, issued_subject(&i, "alice", Some("https://a"), b"k"));
        assert_eq!(issued_subject(&i, "alice", None, b"k"), "ti_x:alice");
    }

    #[test]
    fn subject_key_is_iss_and_sub_only_and_unambiguous() {
        assert_ne!(subject_key("a", "bc"), subject_key("ab", "c"));
    }

    #[test]
    fn act_chains_nest_and_count() {
        let one = chain_act("svc1", None);
        let two = chain_act("svc2", Some(&one));
        assert_eq!(two["sub"], "svc2");
        assert_eq!(two["act"]["sub"], "svc1");
        assert_eq!(act_depth(Some(&two)), 2);
        assert_eq!(act_depth(None), 0);
    }

    #[test]
    fn may_act_compares_sub_and_optional_iss() {
        let m = json!({"sub": "agent"});
        assert!(may_act_allows(&m, "https://x", "agent"));
        assert!(!may_act_allows(&m, "https://x", "other"));
        let m = json!({"sub": "agent", "iss": "https://y"});
        assert!(!may_act_allows(&m, "https://x", "agent"));
    }
}
