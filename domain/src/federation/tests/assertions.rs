//! jwt-bearer assertions (RFC 7523): single use, addressed to Entente alone, never an ID token.

use super::*;

#[test]
fn jwt_bearer_needs_jti_and_only_our_audience() {
    let w = world();
    let assertion = |c: Value| token(&w, "JWT", c);
    let ok = run_bearer(&w, &assertion(json!({})));
    let g = ok.result.unwrap();
    assert_eq!(g.replay.unwrap().jti, "j1");
    assert!(g.refresh.is_none());
    for c in [
        json!({"jti": null}),
        json!({"aud": [ME, "https://x"]}),
        json!({"exp": NOW + 7200}),
    ] {
        let d = run_bearer(&w, &assertion(c.clone()));
        assert_eq!(
            d.result.unwrap_err().code,
            OAuthErrorCode::InvalidGrant,
            "{c}"
        );
    }
}

/// Case 73 / finding L-7: an OpenID ID token is not an authorization grant, whatever mark
/// shows it (present even as null), while a plain assertion still is one.
#[test]
fn jwt_bearer_refuses_openid_id_tokens() {
    let mut w = world();
    // The issuer also accepts ID tokens addressed to its RP client, as real registrations do.
    w.issuers[0].audiences.push("acme-rp".into());
    let grant = |typ: &str, c: Value| run_bearer(&w, &token(&w, typ, c));
    assert!(grant("JWT", json!({})).result.is_ok(), "the control");
    assert!(
        grant("JWT", json!({"azp": "acme-app"})).result.is_ok(),
        "azp naming another party than the audience is no mark"
    );
    for (typ, c) in [
        ("JWT", json!({"nonce": "n-0S6"})),
        ("JWT", json!({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"})),
        ("JWT", json!({"c_hash": "LDktKdoQak3Pk0cnXxCltA"})),
        ("JWT", json!({"auth_time": NOW - 60})),
        ("JWT", json!({"nonce": null})),
        ("JWT", json!({"typ": "ID"})),
        ("JWT", json!({"aud": "acme-rp", "azp": "acme-rp"})),
        ("JWT", json!({"aud": [ME, "acme-rp"], "azp": "acme-rp"})),
        // A Keycloak-style ID token, typed JWT with every mark.
        (
            "JWT",
            json!({"aud": "acme-rp", "azp": "acme-rp", "typ": "ID", "nonce": "n", "at_hash": "x",
                   "auth_time": NOW - 5, "sid": "s1"}),
        ),
    ] {
        let d = grant(typ, c.clone());
        assert_eq!(
            d.result.unwrap_err().code,
            OAuthErrorCode::InvalidGrant,
            "{c}"
        );
        let why = d
            .trace
            .failure()
            .map(|f| f.detail.clone())
            .unwrap_or_default();
        assert!(why.contains("ID token"), "{c}: {why}");
    }
}
