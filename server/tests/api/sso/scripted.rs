//! Sign-in against a provider scripted for the test, wrong in one way at a time: every ID token
//! check holds over HTTP, a new issuer or client needs the secret again, and flooded callbacks
//! stop no one signing in.

use super::*;

/// How the scripted provider below misbehaves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Twist {
    None,
    WrongNonce,
    WrongIssuer,
    WrongAudience,
    Expired,
    ForgedSignature,
    UnknownKey,
    Unverified,
    Unsaid,
    UserInfoOfAnother,
    MixUp,
}

struct Scripted {
    idp: crate::fed::Idp,
    forger: crate::fed::Idp,
    twist: std::sync::Mutex<Twist>,
    nonce: std::sync::Mutex<String>,
    /// Requests for the discovery document so far.
    discovery_hits: std::sync::atomic::AtomicUsize,
    /// The address the ID tokens name.
    email: std::sync::Mutex<String>,
}

/// A provider written for the test (axum), whose answers can be wrong in one way at a time: the
/// ID token checks are tested over HTTP, not only as functions.
async fn scripted_provider() -> (String, std::sync::Arc<Scripted>) {
    use axum::extract::{Query, State};
    use axum::response::{IntoResponse, Redirect};
    use std::collections::HashMap;
    use std::sync::Arc;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let mut forger = crate::fed::Idp::new(&issuer);
    let idp = crate::fed::Idp::new(&issuer);
    forger.kid = idp.kid.clone();
    let shared = Arc::new(Scripted {
        idp,
        forger,
        twist: std::sync::Mutex::new(Twist::None),
        nonce: std::sync::Mutex::new(String::new()),
        discovery_hits: Default::default(),
        email: std::sync::Mutex::new("pat@wonka.example".into()),
    });
    type S = State<Arc<Scripted>>;
    let discovery = {
        let issuer = issuer.clone();
        move |State(p): S| async move {
            p.discovery_hits
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            axum::Json(serde_json::json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/auth"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "userinfo_endpoint": format!("{issuer}/me"),
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
            }))
        }
    };
    let auth = |State(p): S, Query(q): Query<HashMap<String, String>>| async move {
        *p.nonce.lock().unwrap() = q["nonce"].clone();
        let twist = *p.twist.lock().unwrap();
        let iss = if twist == Twist::MixUp {
            "&iss=https%3A%2F%2Fother.example".to_owned()
        } else {
            String::new()
        };
        Redirect::to(&format!(
            "{}?code=c-1&state={}{iss}",
            q["redirect_uri"], q["state"]
        ))
    };
    let token = {
        let issuer = issuer.clone();
        move |State(p): S, axum::Form(form): axum::Form<HashMap<String, String>>| async move {
            // Only the code /auth gives is good (once per flow is the provider's business).
            if form.get("code").map(String::as_str) != Some("c-1") {
                return (
                    axum::http::StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({"error": "invalid_grant"})),
                );
            }
            let twist = *p.twist.lock().unwrap();
            let n = now();
            let mut c = serde_json::json!({
                "iss": issuer, "sub": "sub-pat", "aud": "entente", "iat": n, "exp": n + 300,
                "nonce": p.nonce.lock().unwrap().clone(),
                "email": p.email.lock().unwrap().clone(), "email_verified": true,
            });
            match twist {
                Twist::WrongNonce => c["nonce"] = "another".into(),
                Twist::WrongIssuer => c["iss"] = "https://other.example".into(),
                Twist::WrongAudience => c["aud"] = "someone-else".into(),
                Twist::Expired => c["exp"] = (n - 3600).into(),
                Twist::Unverified => c["email_verified"] = false.into(),
                Twist::Unsaid => {
                    c.as_object_mut().unwrap().remove("email_verified");
                }
                Twist::UserInfoOfAnother => {
                    c.as_object_mut().unwrap().remove("email");
                }
                _ => {}
            }
            let mut id_token = match twist {
                Twist::ForgedSignature => p.forger.sign(None, c),
                _ => p.idp.sign(None, c),
            };
            if twist == Twist::UnknownKey {
                let mut other = crate::fed::Idp::new(&issuer);
                other.kid = "not-published".into();
                id_token = other.sign(None, crate::fed::claims_of(&id_token));
            }
            (
                axum::http::StatusCode::OK,
                axum::Json(serde_json::json!({
                    "access_token": "at-1", "token_type": "Bearer", "expires_in": 300,
                    "id_token": id_token,
                })),
            )
        }
    };
    let jwks = |State(p): S| async move {
        ([("content-type", "application/json")], p.idp.jwks.clone()).into_response()
    };
    let me = |State(p): S| async move {
        let sub = if *p.twist.lock().unwrap() == Twist::UserInfoOfAnother {
            "sub-eve"
        } else {
            "sub-pat"
        };
        axum::Json(
            serde_json::json!({"sub": sub, "email": "pat@wonka.example", "email_verified": true}),
        )
    };
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/auth", axum::routing::get(auth))
        .route("/token", axum::routing::post(token))
        .route("/jwks", axum::routing::get(jwks))
        .route("/me", axum::routing::get(me))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (issuer, shared)
}

/// One sign-in through the scripted provider: the callback's status and Location.
async fn scripted_sign_in(s: &TestServer) -> (u16, Option<String>) {
    let http = no_redirects();
    let mut ours = Jar::default();
    let r = http
        .get(s.url("/login/sso?organisation=wonka"))
        .send()
        .await
        .unwrap();
    ours.take(&r);
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let auth = page
        .split("content=\"0;url=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let r = http.get(&auth).send().await.unwrap();
    let callback = location(&r);
    let r = http
        .get(&callback)
        .header("cookie", ours.header())
        .send()
        .await
        .unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (r.status().as_u16(), loc)
}

crate::on_both!(every_id_token_check_holds_over_http);

async fn every_id_token_check_holds_over_http(s: &TestServer) {
    wonka(s).await;
    let pat = partner_session(s, "wonka", "pat@wonka.example", Role::PartnerAdmin).await;
    let (issuer, provider) = scripted_provider().await;
    let (code, answer) = call(
        s,
        &pat,
        "portal_set_sign_in",
        &[
            ("issuer", issuer.as_str()),
            ("client_id", "entente"),
            ("client_secret", SECRET),
            ("join_role", ""),
            ("domains", ""),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    for twist in [
        Twist::WrongNonce,
        Twist::WrongIssuer,
        Twist::WrongAudience,
        Twist::Expired,
        Twist::ForgedSignature,
        Twist::UnknownKey,
        Twist::Unverified,
        Twist::Unsaid,
        Twist::UserInfoOfAnother,
        Twist::MixUp,
    ] {
        *provider.twist.lock().unwrap() = twist;
        let (status, loc) = scripted_sign_in(s).await;
        // Unsaid, for a domain the connection does not name as the partner's: not vouched for.
        let expected = if twist == Twist::Unsaid {
            "/login?sso=denied"
        } else {
            "/login?sso=refused"
        };
        assert_eq!((status, loc.as_deref()), (303, Some(expected)), "{twist:?}");
    }
    let events = s.state.store.recent_audit_events(30).await.unwrap();
    let reasons: Vec<&str> = events
        .iter()
        .filter(|e| e.action == "session.sign_in_failed")
        .map(|e| e.details.as_str())
        .collect();
    for why in [
        "nonce",
        "another issuer",
        "not addressed",
        "expired",
        "signature",
        "key",
        "not verified",
        "vouch",
        "another subject",
        "RFC 9207",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(why)),
            "{why}: {reasons:?}"
        );
    }
    // Done right, the same provider signs pat in.
    *provider.twist.lock().unwrap() = Twist::None;
    let (status, _) = scripted_sign_in(s).await;
    assert_eq!(status, 200);
}

crate::on_both!(a_new_issuer_or_client_needs_the_secret_again);

/// Review M-2: the stored secret is never sent to a provider other than the one it was given
/// for. Saving with an empty secret keeps it only while the issuer and client ID stay; with
/// either changed the portal refuses in a sentence and stores nothing.
async fn a_new_issuer_or_client_needs_the_secret_again(s: &TestServer) {
    wonka(s).await;
    let pat = partner_session(s, "wonka", "pat@wonka.example", Role::PartnerAdmin).await;
    let (issuer, _provider) = scripted_provider().await;
    let (evil, _evil_provider) = scripted_provider().await;
    let save = move |issuer: String, client_id: &'static str, secret: &'static str| {
        let pat = pat.clone();
        async move {
            call(
                s,
                &pat,
                "portal_set_sign_in",
                &[
                    ("issuer", issuer.as_str()),
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("join_role", ""),
                    ("domains", ""),
                    ("enabled", "on"),
                ],
            )
            .await
        }
    };
    let (code, answer) = save(issuer.clone(), "entente", SECRET).await;
    assert_eq!(code, 200, "{answer}");
    let partner_id = s.state.store.partner_by_slug("wonka").await.unwrap().id;
    let partner_id = &partner_id;
    let stored = move || async move {
        s.state
            .store
            .partner_sign_in(partner_id)
            .await
            .unwrap()
            .unwrap()
    };
    let first = stored().await;
    let events = move || async move {
        s.state
            .store
            .recent_audit_events(100)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "partner.sign_in.set")
            .count()
    };
    let audited = events().await;

    // Another issuer, or another client ID, with the secret left empty: refused, nothing stored.
    for (to, client_id) in [
        (evil.clone(), "entente"),
        (issuer.clone(), "another-client"),
    ] {
        let (code, answer) = save(to.clone(), client_id, "").await;
        assert_eq!(code, 400, "{to} {client_id}: {answer}");
        assert!(
            answer.to_string().contains("client secret again"),
            "a sentence that says what to do: {answer}"
        );
        let now_stored = stored().await;
        assert_eq!(now_stored.issuer, first.issuer);
        assert_eq!(now_stored.client_id, first.client_id);
        assert_eq!(now_stored.client_secret_sealed, first.client_secret_sealed);
        assert_eq!(events().await, audited, "nothing audited as set");
    }

    // The same issuer and client ID with the secret left empty keep the stored secret.
    let (code, answer) = save(issuer.clone(), "entente", "").await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(
        stored().await.client_secret_sealed,
        first.client_secret_sealed
    );
    // A new issuer with its own secret is fine.
    let (code, answer) = save(evil.clone(), "entente", "evil-provider-secret-0123456789").await;
    assert_eq!(code, 200, "{answer}");
    let moved = stored().await;
    assert_eq!(moved.issuer, evil);
    assert_ne!(moved.client_secret_sealed, first.client_secret_sealed);
}

/// Starts a sign-in at `organisation` and lets the scripted provider answer: the flow cookie
/// and the callback URL it sent the browser to (not yet visited).
async fn scripted_flow(s: &TestServer, organisation: &str) -> (Jar, String) {
    let http = no_redirects();
    let mut ours = Jar::default();
    let r = http
        .get(s.url(&format!("/login/sso?organisation={organisation}")))
        .send()
        .await
        .unwrap();
    ours.take(&r);
    assert_eq!(
        r.status(),
        200,
        "{organisation}: {:?}",
        r.headers().get("location")
    );
    let page = r.text().await.unwrap();
    let auth = page
        .split("content=\"0;url=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let r = http.get(&auth).send().await.unwrap();
    (ours, location(&r))
}

/// GET `url` with the flow cookie: status and Location.
async fn visit(url: &str, jar: &Jar) -> (u16, Option<String>) {
    let r = no_redirects()
        .get(url)
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (r.status().as_u16(), loc)
}

async fn failures_audited(s: &TestServer, partner: &str) -> usize {
    s.state
        .store
        .recent_audit_events(500)
        .await
        .unwrap()
        .iter()
        .filter(|e| {
            e.action == "session.sign_in_failed" && e.target == format!("partner:{partner}")
        })
        .count()
}

crate::on_both!(flooded_callbacks_stop_no_one_signing_in);

/// Review L-1: a flow state is remembered only once its sealed cookie and state verified and
/// its code is about to be exchanged (and forgotten when the provider refuses the code), per
/// partner; failures anyone can cause are audited at most once a minute per address and
/// partner; the provider's discovery document is cached rather than fetched at every start.
async fn flooded_callbacks_stop_no_one_signing_in(s: &TestServer) {
    wonka(s).await;
    s.state
        .store
        .create_partner(
            &Actor::new("test"),
            NewPartner {
                slug: "oompa".into(),
                name: "Oompa".into(),
                stage: Stage::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    let (issuer_a, provider_a) = scripted_provider().await;
    let (issuer_b, provider_b) = scripted_provider().await;
    *provider_b.email.lock().unwrap() = "pat@oompa.example".into();
    for (slug, admin, issuer) in [
        ("wonka", "pat@wonka.example", &issuer_a),
        ("oompa", "pat@oompa.example", &issuer_b),
    ] {
        let cookie = partner_session(s, slug, admin, Role::PartnerAdmin).await;
        let (code, answer) = call(
            s,
            &cookie,
            "portal_set_sign_in",
            &[
                ("issuer", issuer.as_str()),
                ("client_id", "entente"),
                ("client_secret", SECRET),
                ("join_role", "partner_viewer"),
                ("domains", &format!("{slug}.example")),
                ("enabled", "on"),
            ],
        )
        .await;
        assert_eq!(code, 200, "{answer}");
    }
    let fetched = provider_a
        .discovery_hits
        .load(std::sync::atomic::Ordering::SeqCst);

    // A real flow of wonka's, answered by its provider; before the browser comes back, the
    // same cookie and state arrive with the provider's error, and with made-up codes, again
    // and again; and a made-up state.
    let (jar, callback) = scripted_flow(s, "wonka").await;
    let state = callback
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let at = |query: &str| s.url(&format!("/login/sso/callback?{query}"));
    let audited = failures_audited(s, "wonka").await;
    for _ in 0..5 {
        let (status, loc) = visit(&at(&format!("state={state}&error=access_denied")), &jar).await;
        assert_eq!((status, loc.as_deref()), (303, Some("/login?sso=refused")));
    }
    for i in 0..3 {
        let (status, loc) = visit(&at(&format!("state={state}&code=made-up-{i}")), &jar).await;
        assert_eq!((status, loc.as_deref()), (303, Some("/login?sso=refused")));
    }
    let (_, loc) = visit(&at("state=made-up&error=x"), &jar).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=expired"));
    // The flow's own code still signs in: nothing above was remembered as its use.
    let (status, loc) = visit(&callback, &jar).await;
    assert_eq!(status, 200, "{loc:?}");
    // And only once.
    let (_, loc) = visit(&callback, &jar).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=expired"));
    // Nine failures from one address: one audit event (at most one a minute).
    assert_eq!(failures_audited(s, "wonka").await, audited + 1);
    // Starting costs the provider no discovery request (saved just now: cached).
    assert_eq!(
        provider_a
            .discovery_hits
            .load(std::sync::atomic::Ordering::SeqCst),
        fetched,
        "the discovery document is cached"
    );

    // Wonka's remembered flows at their limit (as ten thousand flows in flight would leave
    // them) stop no sign-in of another partner.
    let wonka_id = s.state.store.partner_by_slug("wonka").await.unwrap().id;
    {
        let mut used = s.state.sso_used.lock().unwrap();
        for i in 0..10_000 {
            used.insert(format!("{wonka_id}/flood-{i}"), now() + 600);
        }
    }
    let (jar, callback) = scripted_flow(s, "oompa").await;
    let (status, loc) = visit(&callback, &jar).await;
    assert_eq!(status, 200, "oompa signs in: {loc:?}");
}
