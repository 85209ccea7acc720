//! RFC 8693 token exchange of partner tokens: impersonation, what the trust rule decides (issuer,
//! target, scope, lifetime), delegation (`act`, `may_act`, depth), rules turned off, pairwise
//! subjects per audience, and re-targeting an Entente token issued for a partner's user.

use super::*;

crate::on_both!(
    impersonation_exchange_issues_an_audience_bound_token,
    policy_decides_issuer_target_scope_and_lifetime,
    delegation_sets_act_and_obeys_may_act_and_depth,
    disabled_rules_stop_exchanges_within_a_second,
    pairwise_subjects_differ_per_audience,
    retargeting_a_user_token_follows_the_trust_rules,
);

pub async fn impersonation_exchange_issues_an_audience_bound_token(s: &TestServer) {
    let f = setup(s).await;
    let pt = f.idp.access_token(
        &s.base,
        "alice",
        json!({"email": "alice@acme.test", "groups": ["staff"], "phone": "555"}),
    );
    let r = exchange(
        s,
        &f.client,
        &[
            ("subject_token", &pt),
            ("subject_token_type", AT),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["issued_token_type"], AT);
    assert_eq!(body["token_type"], "Bearer");
    // Not an admin: the mapped scope stays locked.
    assert_eq!(body["scope"], "orders:read");
    let token = body["access_token"].as_str().unwrap();
    let c = claims_of(token);
    assert!(c["sub"].as_str().unwrap().ends_with(":alice"), "{c}");
    assert!(c["sub"].as_str().unwrap().starts_with("ti_"));
    assert_eq!(c["aud"], API);
    assert_eq!(c["client_id"], f.client.id);
    assert_eq!(c["email"], "alice@acme.test");
    assert!(
        c.get("phone").is_none() && c.get("groups").is_none(),
        "data minimisation: {c}"
    );
    assert!(c.get("act").is_none(), "impersonation carries no act");
    let i = s.introspect(&f.rs, token).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["sub"], c["sub"]);

    let admin = f
        .idp
        .access_token(&s.base, "bob", json!({"groups": ["admins"]}));
    let body = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &admin),
            ("subject_token_type", AT),
            ("resource", API),
        ],
    )
    .await;
    assert_eq!(body["scope"], "orders:read orders:write");
}

pub async fn policy_decides_issuer_target_scope_and_lifetime(s: &TestServer) {
    let f = setup(s).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let sub = [("subject_token", pt.as_str()), ("subject_token_type", AT)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = sub.to_vec();
        v.extend_from_slice(extra);
        v
    };
    // B20: unknown or not-allowed audiences are invalid_target.
    assert_oauth_error(
        exchange(s, &f.client, &with(&[("audience", "https://nope.test")])).await,
        400,
        "invalid_target",
    )
    .await;
    assert_oauth_error(
        exchange(s, &f.client, &with(&[("audience", OTHER_API)])).await,
        400,
        "invalid_target",
    )
    .await;
    // B21: never a union; nothing left is invalid_scope.
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &with(&[("audience", API), ("scope", "orders:write")]),
        )
        .await,
        400,
        "invalid_scope",
    )
    .await;
    let b = exchange_ok(
        s,
        &f.client,
        &with(&[("audience", API), ("scope", "orders:read bill:read")]),
    )
    .await;
    assert_eq!(b["scope"], "orders:read");
    // B17: a client of another partner presenting acme's issuer token.
    let globex = federated_client(s, "globex", "orders:read").await;
    s.refresh().await;
    assert_oauth_error(
        exchange(s, &globex, &with(&[("audience", API)])).await,
        400,
        "invalid_request",
    )
    .await;
    // B23: no client authentication.
    let r = s
        .post_form(
            "/oauth2/token",
            None,
            &[
                ("grant_type", TX),
                ("subject_token", &pt),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await;
    assert_oauth_error(r, 401, "invalid_client").await;
    // B26: never longer than the subject token has left.
    let n = now();
    let short = f.idp.access_token(&s.base, "alice", json!({"exp": n + 40}));
    let b = exchange_for_api(s, &f.client, &short).await;
    assert!(b["expires_in"].as_i64().unwrap() <= 40, "{b}");
    let own = b["access_token"].as_str().unwrap();
    let again = exchange_for_api(s, &f.client, own).await;
    assert!(
        claims_of(again["access_token"].as_str().unwrap())["exp"]
            .as_i64()
            .unwrap()
            <= n + 40
    );
    // A client without the grant type is unauthorized_client (C31).
    let cc_only = s.secret_client("acme", "orders:read").await;
    assert_oauth_error(
        exchange(s, &cc_only, &with(&[("audience", API)])).await,
        400,
        "unauthorized_client",
    )
    .await;
}

pub async fn delegation_sets_act_and_obeys_may_act_and_depth(s: &TestServer) {
    let f = setup(s).await;
    let actor = f.idp.access_token(&s.base, "agent-1", json!({}));
    let subject = |extra: Value| f.idp.access_token(&s.base, "alice", extra);
    let client = &f.client;
    let go = |st: String| {
        let actor = actor.clone();
        async move {
            exchange(
                s,
                client,
                &[
                    ("subject_token", &st),
                    ("subject_token_type", AT),
                    ("actor_token", &actor),
                    ("actor_token_type", AT),
                    ("audience", API),
                ],
            )
            .await
        }
    };
    // The rule does not allow delegation yet.
    assert_oauth_error(go(subject(json!({}))).await, 400, "invalid_request").await;
    set_rule(s, API, "orders:read orders:write", |r| {
        r.delegation = true;
        r.max_depth = 2;
    })
    .await;
    let r = go(subject(json!({}))).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    let c = claims_of(b["access_token"].as_str().unwrap());
    assert!(c["sub"].as_str().unwrap().ends_with(":alice"));
    assert!(
        c["act"]["sub"].as_str().unwrap().ends_with(":agent-1"),
        "{c}"
    );
    // may_act naming someone else (B22).
    assert_oauth_error(
        go(subject(json!({"may_act": {"sub": "agent-2"}}))).await,
        400,
        "invalid_request",
    )
    .await;
    assert_eq!(
        go(subject(json!({"may_act": {"sub": "agent-1", "iss": IDP}})))
            .await
            .status(),
        200
    );
    // An existing chain nests under the new actor; beyond the depth cap it is refused.
    let r = go(subject(json!({"act": {"sub": "upstream"}}))).await;
    let b: Value = r.json().await.unwrap();
    let c = claims_of(b["access_token"].as_str().unwrap());
    assert_eq!(c["act"]["act"]["sub"], "upstream", "{c}");
    assert_oauth_error(
        go(subject(json!({"act": {"sub": "a", "act": {"sub": "b"}}}))).await,
        400,
        "invalid_request",
    )
    .await;
    // actor_token without its type, and delegation-only without an actor.
    let st = subject(json!({}));
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &[
                ("subject_token", &st),
                ("subject_token_type", AT),
                ("actor_token", &actor),
                ("audience", API),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
    set_rule(s, API, "orders:read", |r| {
        r.delegation = true;
        r.delegation_only = true;
    })
    .await;
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &[
                ("subject_token", &st),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
}

pub async fn disabled_rules_stop_exchanges_within_a_second(s: &TestServer) {
    let f = setup(s).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let form = [
        ("subject_token", pt.as_str()),
        ("subject_token_type", AT),
        ("audience", API),
    ];
    exchange_ok(s, &f.client, &form).await;
    s.state
        .store
        .set_trust_rule_enabled(&Actor::new("test"), &f.rule_id, false, now())
        .await
        .unwrap();
    // No manual refresh: the background change feed must carry it (B24).
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_oauth_error(exchange(s, &f.client, &form).await, 400, "invalid_request").await;
}

pub async fn pairwise_subjects_differ_per_audience(s: &TestServer) {
    let f = setup(s).await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "acme",
            OTHER_API,
            &ScopeSet::parse("bill:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    set_rule(s, API, "orders:read", |r| r.pairwise = true).await;
    set_rule(s, OTHER_API, "bill:read", |r| r.pairwise = true).await;
    let pt = f
        .idp
        .access_token(&s.base, "alice", json!({"email": "alice@acme.test"}));
    let client = &f.client;
    let sub_for = |aud: &'static str| {
        let pt = pt.clone();
        async move {
            let b = exchange_ok(
                s,
                client,
                &[
                    ("subject_token", &pt),
                    ("subject_token_type", AT),
                    ("audience", aud),
                ],
            )
            .await;
            claims_of(b["access_token"].as_str().unwrap())["sub"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let a = sub_for(API).await;
    let b = sub_for(OTHER_API).await;
    // Nothing else in the tokens links the two either (the lineage's subject key is per audience).
    let lineage_for = |aud: &'static str| {
        let pt = pt.clone();
        async move {
            let b = exchange_ok(
                s,
                client,
                &[
                    ("subject_token", &pt),
                    ("subject_token_type", AT),
                    ("audience", aud),
                ],
            )
            .await;
            claims_of(b["access_token"].as_str().unwrap())["lineage"].clone()
        }
    };
    let (la, lb) = (lineage_for(API).await, lineage_for(OTHER_API).await);
    assert!(
        la.as_array()
            .unwrap()
            .iter()
            .all(|k| !lb.as_array().unwrap().contains(k)),
        "{la} {lb}"
    );
    assert_ne!(a, b);
    assert_eq!(a, sub_for(API).await, "stable per audience");
    assert!(!a.contains("alice") && !a.contains(':'));
    // B25: a changed email never changes who the subject is.
    let pt2 = f
        .idp
        .access_token(&s.base, "alice", json!({"email": "new@acme.test"}));
    let c = exchange_for_api(s, &f.client, &pt2).await;
    assert_eq!(
        claims_of(c["access_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap(),
        a
    );
}

/// Issue 7, defect 2: an Entente token for a partner's user is held to the trust rule it was
/// issued under. Re-targeting it to another audience is refused whether or not a rule exists
/// there (its subject is the first audience's; the partner's token must be exchanged directly,
/// which yields that audience's own pairwise subject); down-scoping within its audience works
/// while the rule is enabled and stops when it is disabled; explain says the same.
pub async fn retargeting_a_user_token_follows_the_trust_rules(s: &TestServer) {
    let f = setup(s).await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "acme",
            OTHER_API,
            &ScopeSet::parse("bill:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let pt = f
        .idp
        .access_token(&s.base, "alice", json!({"email": "alice@acme.test"}));
    let first = exchange_for_api(s, &f.client, &pt).await;
    let at = first["access_token"].as_str().unwrap().to_owned();
    let first_claims = claims_of(&at);
    assert_eq!(first_claims["trust_rule"], f.rule_id.as_str());
    let client = &f.client;
    let to = |aud: &'static str, scope: Option<&'static str>| {
        let at = at.clone();
        async move {
            let mut form = vec![
                ("subject_token", at.clone()),
                ("subject_token_type", AT.to_owned()),
                ("audience", aud.to_owned()),
            ];
            if let Some(sc) = scope {
                form.push(("scope", sc.to_owned()));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            exchange(s, client, &form).await
        }
    };

    // No rule for the other audience: refused.
    let e = assert_oauth_error(to(OTHER_API, None).await, 400, "invalid_target").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("exchange the partner's token")
    );

    // Explain, over the admin API, gives the same answer and says which step refused.
    let session = crate::console::signed_in(s).await;
    let body = json!({"client_id": f.client.id, "grant_type": TX, "subject_token": at,
                      "subject_token_type": AT, "audience": OTHER_API});
    let v: Value = s
        .http
        .post(s.url("/admin/api/v1/exchange/explain"))
        .header("cookie", &session)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["error"], "invalid_target", "{v}");
    assert!(
        v["trace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["step"] == "trust_rule" && t["outcome"] != "pass"),
        "{v}"
    );

    // A pairwise rule for the other audience: the user token is still not re-targeted (its
    // subject would carry the first audience's identity); the partner token gets B's own subject.
    set_rule(s, OTHER_API, "bill:read", |r| r.pairwise = true).await;
    assert_oauth_error(to(OTHER_API, None).await, 400, "invalid_target").await;
    let direct = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &pt),
            ("subject_token_type", AT),
            ("audience", OTHER_API),
        ],
    )
    .await;
    let b_sub = claims_of(direct["access_token"].as_str().unwrap())["sub"].clone();
    assert_ne!(b_sub, first_claims["sub"]);
    assert!(b_sub.as_str().unwrap().starts_with("pw_"), "{b_sub}");

    // Nor may it act (as actor_token) in another audience's exchange: its subject would be
    // carried into `act` outside any rule. A client's own token may act.
    set_rule(s, OTHER_API, "bill:read", |r| {
        r.pairwise = true;
        r.delegation = true;
    })
    .await;
    let with_actor = |actor: String| {
        let pt = pt.clone();
        async move {
            exchange(
                s,
                client,
                &[
                    ("subject_token", &pt),
                    ("subject_token_type", AT),
                    ("actor_token", &actor),
                    ("actor_token_type", AT),
                    ("audience", OTHER_API),
                ],
            )
            .await
        }
    };
    let e = assert_oauth_error(with_actor(at.clone()).await, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("cannot be the actor"),
        "{e}"
    );
    let own_actor = s
        .token(client, &[("resource", API), ("scope", "orders:read")])
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = with_actor(own_actor).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Down-scoping within the audience keeps the subject and the rule, narrowed by today's rule.
    let r = to(API, Some("orders:read")).await;
    assert_eq!(r.status(), 200);
    let down: Value = r.json().await.unwrap();
    let dc = claims_of(down["access_token"].as_str().unwrap());
    assert_eq!(dc["sub"], first_claims["sub"]);
    assert_eq!(dc["trust_rule"], f.rule_id.as_str());
    assert_eq!(dc["email"], "alice@acme.test");

    // The rule is disabled after the first exchange: re-exchange is refused.
    s.state
        .store
        .set_trust_rule_enabled(&Actor::new("test"), &f.rule_id, false, now())
        .await
        .unwrap();
    s.refresh().await;
    let e = assert_oauth_error(to(API, Some("orders:read")).await, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{e}"
    );

    // A client's own token (client_credentials) carries no user and no rule: it is exchanged
    // by the grant and the client's allowance alone, the rule's state does not matter.
    let own = s
        .token(&f.client, &[("resource", API), ("scope", "orders:read")])
        .await;
    let own_at = own["access_token"].as_str().unwrap();
    let re = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", own_at),
            ("subject_token_type", AT),
            ("audience", API),
        ],
    )
    .await;
    let rc = claims_of(re["access_token"].as_str().unwrap());
    assert_eq!(rc["sub"], f.client.id.as_str());
    assert!(rc.get("trust_rule").is_none(), "{rc}");
}
