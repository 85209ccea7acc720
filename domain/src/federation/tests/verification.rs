//! What a presented token must be before any rule applies: its times and type exact, each claim
//! named once, and a remembered signature still bound to the issuer's keys.

use super::*;

#[test]
fn time_and_type_rules_are_exact() {
    let w = world();
    for (claims, typ) in [
        (json!({"exp": NOW - 31}), "at+jwt"),
        (json!({"exp": (NOW + 60).to_string()}), "at+jwt"),
        (json!({"nbf": NOW + 31}), "at+jwt"),
        (json!({"iat": NOW - 3700}), "at+jwt"),
        (json!({"iss": format!("{IDP}/")}), "at+jwt"),
        (json!({"aud": "https://elsewhere"}), "at+jwt"),
        (json!({}), "JWT"),
    ] {
        let d = run(&w, &token(&w, typ, claims.clone()), None, None);
        let e = d.result.unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::InvalidRequest, "{claims} {typ}");
        assert!(d.trace.failure().is_some());
    }
    // Clocks ahead of ours within the skew are fine.
    assert!(
        run(
            &w,
            &token(&w, "at+jwt", json!({"nbf": NOW + 20, "iat": NOW + 20})),
            None,
            None
        )
        .result
        .is_ok()
    );
    // Expired within the skew passes validation but leaves no lifetime to grant.
    let d = run(
        &w,
        &token(&w, "at+jwt", json!({"exp": NOW - 20})),
        None,
        None,
    );
    assert_eq!(d.trace.failure().unwrap().step, "lifetime");
}

/// Case 72 / finding L-8: a partner token repeating a claim name, at any depth, is refused
/// whole (never last-wins) in a token exchange (invalid_request) and as a jwt-bearer
/// assertion (invalid_grant); with one value each the same claims are accepted.
#[test]
fn repeated_claim_names_refuse_the_token() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let w = world();
    let raw = |typ: &str, payload: &str| {
        let h =
            URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "typ": typ, "kid": w.kid}).to_string());
        let p = URL_SAFE_NO_PAD.encode(payload);
        let sig =
            jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &w.signer, Algorithm::ES256)
                .unwrap();
        format!("{h}.{p}.{sig}")
    };
    let base = format!(
        r#""iss":"{IDP}","sub":"alice","aud":"{ME}","iat":{},"exp":{},"jti":"j1""#,
        NOW - 10,
        NOW + 100
    );
    // One `roles` unlocks `write` (the rule's mapping): the control.
    let single = raw("at+jwt", &format!(r#"{{{base},"roles":["writer"]}}"#));
    let d = run(&w, &single, None, Some("write"));
    assert_eq!(d.result.unwrap().scope.to_string(), "write");
    for extra in [
        r#""roles":["reader"],"roles":["writer"]"#,
        r#""email":"pat@x","email":"ceo@x""#,
        r#""may_act":{"sub":"a","sub":"b"}"#,
        r#""act":{"sub":"svc","act":{"sub":"x","sub":"y"}}"#,
        r#""roles":["reader"],"roles":["writer"]"#,
    ] {
        let t = raw("at+jwt", &format!(r#"{{{base},{extra}}}"#));
        let d = run(&w, &t, None, None);
        assert_eq!(
            d.result.unwrap_err().code,
            OAuthErrorCode::InvalidRequest,
            "{extra}"
        );
        let why = d
            .trace
            .failure()
            .map(|f| f.detail.clone())
            .unwrap_or_default();
        assert!(why.contains("appears more than once"), "{extra}: {why}");
    }
    // A repeated header member, too.
    let h = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"ES256","typ":"at+jwt","kid":"{}","kid":"other"}}"#,
        w.kid
    ));
    let p = URL_SAFE_NO_PAD.encode(format!("{{{base}}}"));
    let sig =
        jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &w.signer, Algorithm::ES256)
            .unwrap();
    let d = run(&w, &format!("{h}.{p}.{sig}"), None, None);
    assert_eq!(d.result.unwrap_err().code, OAuthErrorCode::InvalidRequest);
    // As a jwt-bearer assertion: invalid_grant.
    let ok = raw("JWT", &format!("{{{base}}}"));
    assert!(run_bearer(&w, &ok).result.is_ok());
    let dup = raw("JWT", &format!(r#"{{{base},"email":"a","email":"b"}}"#));
    let d = run_bearer(&w, &dup);
    assert_eq!(d.result.unwrap_err().code, OAuthErrorCode::InvalidGrant);
}

#[test]
fn remembered_signatures_still_follow_the_issuer_its_keys_and_the_rule() {
    let mut w = world();
    w.memory = Some(Memory::default());
    let t = token(&w, "at+jwt", json!({}));
    let remembered = |w: &World| w.memory.as_ref().map_or(0, |m| m.0.borrow().len());
    assert!(run(&w, &t, None, None).result.is_ok());
    assert_eq!(remembered(&w), 1, "verified once, remembered");
    // Presented again: the signature is recalled, the decision made again in full.
    let again = run(&w, &t, None, Some("write")).result.unwrap_err();
    assert_eq!(
        again.code,
        OAuthErrorCode::InvalidScope,
        "the rule still decides"
    );
    assert!(run(&w, &t, None, None).result.is_ok());
    let keys = w.keys.clone();
    // The issuer's key rotated out and replaced by another under the same kid: refused.
    let other = generate(SigningAlgorithm::Es256).unwrap();
    let mut jwk = serde_json::to_value(&other.public_jwk).unwrap();
    jwk["kid"] = json!(w.kid);
    let (rotated, _) = crate::jwks::parse(&json!({"keys": [jwk]}).to_string()).unwrap();
    w.keys = rotated;
    let e = run(&w, &t, None, None);
    assert_eq!(e.result.unwrap_err().code, OAuthErrorCode::InvalidRequest);
    assert!(
        e.trace
            .failure()
            .is_some_and(|f| f.detail.contains("signature")),
        "{:?}",
        e.trace
    );
    // The key gone from the issuer's set: refused.
    w.keys = vec![];
    assert!(run(&w, &t, None, None).result.is_err());
    w.keys = keys;
    assert!(run(&w, &t, None, None).result.is_ok(), "back with its key");
    // The issuer disabled, or the rule: refused at once.
    w.issuers[0].enabled = false;
    assert!(run(&w, &t, None, None).result.is_err());
    w.issuers[0].enabled = true;
    w.rules[0].enabled = false;
    assert!(run(&w, &t, None, None).result.is_err());
    w.rules[0].enabled = true;
    // Another token is remembered on its own (recall past `exp` is tested in verified.rs).
    let short = token(&w, "at+jwt", json!({"exp": NOW + 5, "jti": "j2"}));
    assert!(run(&w, &short, None, None).result.is_ok());
    assert_eq!(remembered(&w), 2);
    // Single-use assertions are never remembered.
    let assertion = token(&w, "JWT", json!({"jti": "a1"}));
    let d = run_bearer(&w, &assertion);
    assert!(d.result.is_ok());
    assert_eq!(remembered(&w), 2, "the assertion was not remembered");
}
