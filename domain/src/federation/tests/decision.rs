//! The token-exchange decision for a partner's token: scopes narrowed, delegation bounded by
//! the trust rule, and subjects public or pairwise.

use super::*;

#[test]
fn scopes_are_narrowed_and_mappings_unlock_only_with_their_claim() {
    let w = world();
    let d = run(&w, &token(&w, "at+jwt", json!({})), None, None);
    let g = d.result.unwrap();
    // rule (read write admin, write needs roles:writer) ∩ grant (read write) ∩ client → read
    assert_eq!(g.scope.to_string(), "read");
    assert_eq!(g.sub, "ti_1:alice");
    assert_eq!(
        g.lifetime, 100,
        "bounded by the subject token's remaining life"
    );
    assert!(g.refresh.is_some());
    assert!(d.trace.0.iter().any(|s| s.step == "trust_rule"));
    let d = run(
        &w,
        &token(&w, "at+jwt", json!({"roles": ["writer"]})),
        None,
        Some("write admin"),
    );
    assert_eq!(d.result.unwrap().scope.to_string(), "write");
}

#[test]
fn delegation_depth_and_rule_switches() {
    let mut w = world();
    let subject = token(&w, "at+jwt", json!({}));
    let actor = token(&w, "at+jwt", json!({"sub": "agent"}));
    let g = run(&w, &subject, Some(&actor), None).result.unwrap();
    assert_eq!(g.act, Some(json!({"sub": "ti_1:agent"})));
    let chained = token(&w, "at+jwt", json!({"act": {"sub": "earlier"}}));
    let e = run(&w, &chained, Some(&actor), None).result.unwrap_err();
    assert_eq!(e.code, OAuthErrorCode::InvalidRequest, "depth 2 > max 1");
    w.rules[0].delegation_only = true;
    assert!(run(&w, &subject, None, None).result.is_err());
    w.rules[0].enabled = false;
    let e = run(&w, &subject, Some(&actor), None).result.unwrap_err();
    assert_eq!(e.code, OAuthErrorCode::InvalidRequest);
}

#[test]
fn pairwise_subject_and_lineage() {
    let mut w = world();
    w.rules[0].pairwise = true;
    let g = run(&w, &token(&w, "at+jwt", json!({})), None, None)
        .result
        .unwrap();
    assert!(g.sub.starts_with("pw_"));
    // The lineage must not undo pairwise subjects: its subject key is per audience too.
    assert_eq!(
        g.lineage,
        vec![subject::pairwise_subject_key(
            b"pairwise",
            API,
            IDP,
            "alice"
        )]
    );
    assert_ne!(g.lineage[0], subject::subject_key(IDP, "alice"));
    assert_eq!(
        g.refresh.unwrap().subject_key,
        subject::subject_key(IDP, "alice")
    );
    w.rules[0].pairwise = false;
    let g = run(&w, &token(&w, "at+jwt", json!({})), None, None)
        .result
        .unwrap();
    assert_eq!(g.lineage, vec![subject::subject_key(IDP, "alice")]);
}
