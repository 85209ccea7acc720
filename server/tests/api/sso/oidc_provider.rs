//! Sign-in through the partner's own provider (npm oidc-provider): members land in the portal as
//! themselves, strangers join only as the connection allows, console users' addresses and forged
//! states are refused.

use super::*;

/// Where the browser ends after signing in at the provider as `login`: the callback's answer
/// (status, Location, the console session cookie if one was set).
async fn sign_in_through(
    s: &TestServer,
    p: &Provider,
    organisation: &str,
    login: &str,
    tamper_state: bool,
) -> (u16, Option<String>, Option<String>) {
    let http = no_redirects();
    let mut ours = Jar::default();
    let mut theirs = Jar::default();
    let r = http
        .get(s.url(&format!("/login/sso?organisation={organisation}")))
        .send()
        .await
        .unwrap();
    ours.take(&r);
    if r.status() == 303 {
        // Not started: back to the sign-in page with the reason.
        return (303, Some(location(&r)), None);
    }
    // A page that moves on to the provider by itself (meta refresh).
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let mut next = page
        .split("content=\"0;url=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap_or_else(|| panic!("no refresh in {page}"))
        .replace("&amp;", "&");
    assert!(next.starts_with(&p.issuer), "{next}");
    assert!(next.contains("code_challenge_method=S256"), "{next}");
    assert!(next.contains("nonce="), "{next}");
    // The provider: authorization request → login form → resume → back to Entente.
    let mut callback = None;
    for _ in 0..10 {
        let url = if next.starts_with('/') {
            format!("{}{next}", p.issuer)
        } else {
            next.clone()
        };
        if url.starts_with(&s.base) {
            callback = Some(url);
            break;
        }
        let r = http
            .get(&url)
            .header("cookie", theirs.header())
            .send()
            .await
            .unwrap();
        theirs.take(&r);
        if r.status().is_redirection() {
            next = location(&r);
            continue;
        }
        // The development login form: post the login (any password passes).
        let html = r.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|a| a.split('"').next())
            .unwrap_or_else(|| panic!("no form in {html}"))
            .to_owned();
        let action = if action.starts_with('/') {
            format!("{}{action}", p.issuer)
        } else {
            action
        };
        let r = http
            .post(action)
            .header("cookie", theirs.header())
            .form(&[
                ("prompt", "login"),
                ("login", login),
                ("password", "anything"),
            ])
            .send()
            .await
            .unwrap();
        theirs.take(&r);
        assert!(r.status().is_redirection(), "login form: {}", r.status());
        next = location(&r);
    }
    let mut callback = callback.expect("the provider sent the browser back to Entente");
    assert!(callback.contains("code="), "{callback}");
    if tamper_state {
        callback = callback.replace("state=", "state=x");
    }
    let r = http
        .get(&callback)
        .header("cookie", ours.header())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("entente_session="));
    if status == 200 {
        let page = r.text().await.unwrap();
        assert!(page.contains("url=/portal"), "{page}");
    }
    (status, loc, session)
}

async fn set_up(s: &TestServer, admin: &str, p: &Provider, join: &str, domains: &str) {
    let (code, answer) = call(
        s,
        admin,
        "portal_set_sign_in",
        &[
            ("issuer", p.issuer.as_str()),
            ("client_id", "entente"),
            ("client_secret", SECRET),
            ("join_role", join),
            ("domains", domains),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
}

crate::on_both!(partner_users_sign_in_through_their_own_provider);

async fn partner_users_sign_in_through_their_own_provider(s: &TestServer) {
    wonka(s).await;
    let p = provider(s).await;
    let pat = partner_session(s, "wonka", "pat@wonka.example", Role::PartnerAdmin).await;

    // Not set up: nothing to start.
    let (_, loc, _) = sign_in_through(s, &p, "wonka", "pat@wonka.example", false).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=unavailable"));

    // A provider that is not one is refused when saved; viewers cannot set it.
    let (code, answer) = call(
        s,
        &pat,
        "portal_set_sign_in",
        &[
            ("issuer", "http://127.0.0.1:9"),
            ("client_id", "entente"),
            ("client_secret", SECRET),
            ("join_role", ""),
            ("domains", ""),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(code, 400, "{answer}");
    let vic = partner_session(s, "wonka", "vic@wonka.example", Role::PartnerViewer).await;
    let (code, _) = call(
        s,
        &vic,
        "portal_set_sign_in",
        &[
            ("issuer", p.issuer.as_str()),
            ("client_id", "entente"),
            ("client_secret", SECRET),
            ("join_role", ""),
            ("domains", ""),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(code, 403, "viewers cannot set it");
    set_up(s, &pat, &p, "", "").await;
    let (_, view) = call(s, &pat, "portal_sign_in", &[]).await;
    assert_eq!(view["enabled"], true);
    assert!(
        !view.to_string().contains(SECRET),
        "the secret is never shown"
    );
    let stored = s
        .state
        .store
        .partner_sign_in(&s.state.store.partner_by_slug("wonka").await.unwrap().id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&stored.client_secret_sealed).contains(SECRET),
        "sealed at rest"
    );

    // The invited member signs in at the provider and lands in the portal as themselves.
    let (status, loc, cookie) = sign_in_through(s, &p, "wonka", "pat@wonka.example", false).await;
    if status != 200 {
        let events = s.state.store.recent_audit_events(3).await.unwrap();
        panic!(
            "{loc:?}: {:?}",
            events.iter().map(|e| &e.details).collect::<Vec<_>>()
        );
    }
    let cookie = cookie.expect("a console session");
    let (code, me) = call(s, &cookie, "portal_overview", &[]).await;
    assert_eq!(code, 200, "{me}");
    assert_eq!(me["me"], "pat@wonka.example");
    assert_eq!(me["slug"], "wonka");
    // And again: the identity is linked now.
    let (status, _, _) = sign_in_through(s, &p, "wonka", "pat@wonka.example", false).await;
    assert_eq!(status, 200);
    let events = s.state.store.recent_audit_events(50).await.unwrap();
    assert!(events.iter().any(|e| e.action == "partner_user.link"));
    assert!(
        events
            .iter()
            .any(|e| e.action == "session.sign_in" && e.details.contains("federated"))
    );

    // A stranger is refused; so is a console user's address (G51), and a forged state.
    let (_, loc, _) = sign_in_through(s, &p, "wonka", "eve@wonka.example", false).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=denied"));
    session(s, "ada@example.test", Role::Admin).await;
    let (_, loc, cookie) = sign_in_through(s, &p, "wonka", "ada@example.test", false).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=denied"));
    assert!(cookie.is_none());
    let (_, loc, cookie) = sign_in_through(s, &p, "wonka", "pat@wonka.example", true).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=expired"));
    assert!(cookie.is_none());

    // People of the connection's domains may join by themselves, as the role it names.
    set_up(s, &pat, &p, "partner_viewer", "wonka.example").await;
    let (status, _, cookie) = sign_in_through(s, &p, "wonka", "eve@wonka.example", false).await;
    assert_eq!(status, 200);
    let (_, team) = call(s, &cookie.unwrap(), "portal_team", &[]).await;
    let eve = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "eve@wonka.example")
        .expect("eve joined")
        .clone();
    assert_eq!(eve["role"], "partner_viewer");
    let (_, loc, _) = sign_in_through(s, &p, "wonka", "mallory@elsewhere.example", false).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=denied"));

    // Suspended: its people still sign in (the portal reads), but nobody new joins.
    let host = entente_store::Actor::host("test");
    let store = &s.state.store;
    store
        .suspend_partner(&host, "wonka", "incident", now())
        .await
        .unwrap();
    let (_, loc, _) = sign_in_through(s, &p, "wonka", "zoe@wonka.example", false).await;
    assert_eq!(
        loc.as_deref(),
        Some("/login?sso=denied"),
        "nobody new joins"
    );
    assert!(
        store
            .admin_by_email("zoe@wonka.example")
            .await
            .unwrap()
            .is_none()
    );
    let (status, _, cookie) = sign_in_through(s, &p, "wonka", "eve@wonka.example", false).await;
    assert_eq!(status, 200, "a member still signs in");
    assert!(cookie.is_some());
    store
        .reactivate_partner(&host, "wonka", now())
        .await
        .unwrap();

    // Switched off: nobody starts.
    let (code, _) = call(
        s,
        &pat,
        "portal_set_sign_in",
        &[
            ("issuer", p.issuer.as_str()),
            ("client_id", "entente"),
            ("client_secret", ""),
            ("join_role", ""),
            ("domains", ""),
        ],
    )
    .await;
    assert_eq!(code, 200);
    let (_, loc, _) = sign_in_through(s, &p, "wonka", "pat@wonka.example", false).await;
    assert_eq!(loc.as_deref(), Some("/login?sso=unavailable"));
}
