//! Console sign-in and sessions (F45, F48): the first-administrator link works once, sign-in is
//! throttled without locking the owner out, the session cookie is hardened and expires, and a
//! role change renews the session id.

use super::*;

on_both!(
    first_administrator_link_works_once,
    sign_in_is_throttled,
    a_role_change_renews_the_session_id,
);

/// The first-administrator link: valid once, within its hour; the account it creates can sign in.
async fn first_administrator_link_works_once(s: &TestServer) {
    let token = entente_domain::secret::random_token(32);
    s.state
        .store
        .create_invite(
            s.state.hasher.hash(&token),
            entente_store::enums::Role::Admin,
            entente_server::state::now() + 3600,
        )
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let page = client
        .get(s.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Create your account"));
    let form = [
        ("token", token.as_str()),
        ("email", "first@example.test"),
        ("password", "a long enough password"),
    ];
    let r = client
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(
        r.headers().get("set-cookie").is_some(),
        "the new administrator is signed in"
    );
    let again = client
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&[
            ("token", token.as_str()),
            ("email", "second@example.test"),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "the link is single-use");
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("invalid, used or expired")
    );
    let short = client
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&[
            ("token", "x"),
            ("email", "x@example.test"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400);
    assert_eq!(s.state.store.count_admins().await.unwrap(), 1);
}

/// F48: sign-in is throttled per account (5 a minute), and unknown accounts alike.
async fn sign_in_is_throttled(s: &TestServer) {
    let client = reqwest::Client::new();
    for email in ["admin@example.test", "nobody@example.test"] {
        let mut statuses = vec![];
        for _ in 0..6 {
            let form = [("email", email), ("password", "wrong password!!")];
            let r = client
                .post(s.url(path_of("login")))
                .header("origin", &s.base)
                .form(&form)
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "{email}");
    }
}

/// Review L-5: wrong passwords from one address use up that address's budget for the account,
/// not the account's: its owner signs in from another address meanwhile.
async fn a_guesser_does_not_lock_the_owner_out(backend: Backend) {
    let s = TestServer::start_with(
        common::TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| {
            c.trusted_proxies =
                entente_domain::forwarded::parse_proxies("127.0.0.1/32, ::1/128").unwrap();
        },
    )
    .await;
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "admin@example.test",
            hash,
            entente_store::enums::Role::Admin,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let server = &s;
    let attempt = move |from: &'static str, password: &'static str| async move {
        reqwest::Client::new()
            .post(server.url(path_of("login")))
            .header("origin", &server.base)
            .header("x-forwarded-for", from)
            .form(&[("email", "admin@example.test"), ("password", password)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let mut statuses = vec![];
    for _ in 0..6 {
        statuses.push(attempt("203.0.113.7", "wrong password!!").await);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "the guesser");
    assert_eq!(
        attempt("198.51.100.9", PASSWORD).await,
        200,
        "the owner, from elsewhere"
    );
    assert_eq!(
        attempt("203.0.113.7", PASSWORD).await,
        429,
        "the guesser's address stays refused for the account"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_does_not_lock_the_owner_out_sqlite() {
    a_guesser_does_not_lock_the_owner_out(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_does_not_lock_the_owner_out_postgres() {
    a_guesser_does_not_lock_the_owner_out(Backend::Postgres).await;
}

async fn sign_in_as_admin(s: &TestServer, origin: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .post(s.url(path_of("login")))
        .header("origin", origin)
        .form(&[
            ("email", "admin@example.test"),
            ("password", "correct horse battery staple"),
        ]);
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    r.send().await.unwrap()
}

async fn signed_in_as(s: &TestServer, origin: &str, session: &str) -> bool {
    let r = reqwest::Client::new()
        .post(s.url(path_of("list_partners")))
        .header("origin", origin)
        .header("cookie", session)
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    r.status() == 200
}

/// Issue 7, defect 6: over https the cookie is `__Host-` and `Secure` and HSTS is sent; a new
/// session id at sign-in (the old one dies); 2 h idle expiry on cookie and record; 12 h absolute.
async fn session_cookie_and_timeouts(backend: Backend) {
    let db = common::TestDb::new(backend).await;
    let s = TestServer::start_with(
        db,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| {
            c.issuer = c.issuer.replace("http://", "https://");
        },
    )
    .await;
    let origin = s.base.replace("http://", "https://");
    let hash = entente_domain::password::hash_password("correct horse battery staple").unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "admin@example.test",
            hash,
            entente_store::enums::Role::Admin,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    for path in ["/login", "/.well-known/oauth-authorization-server"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=63072000",
            "{path}"
        );
    }
    let r = sign_in_as_admin(&s, &origin, None).await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-entente="), "{cookie}");
    for attr in [
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=7200",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    let first = cookie.split(';').next().unwrap().to_owned();
    assert!(signed_in_as(&s, &origin, &first).await);

    // Signing in again with that cookie yields a new id; the old one is gone (no fixation).
    let r = sign_in_as_admin(&s, &origin, Some(&first)).await;
    let second = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    assert!(!signed_in_as(&s, &origin, &first).await);
    assert!(signed_in_as(&s, &origin, &second).await);

    // The record expires after 2 h of inactivity.
    let id = second.split_once('=').unwrap().1.to_owned();
    let now = entente_server::state::now();
    let data = s.state.store.session_load(&id, now).await.unwrap().unwrap();
    let expiry = {
        use sea_orm::EntityTrait;
        entente_store::entities::session::Entity::find_by_id(id.clone())
            .one(s.state.store.db())
            .await
            .unwrap()
            .unwrap()
            .expires_at
    };
    assert!(
        (expiry - (now + 7200)).abs() <= 5,
        "expires at {expiry}, now {now}"
    );
    s.state
        .store
        .session_save(&id, data.clone(), now - 1)
        .await
        .unwrap();
    assert!(!signed_in_as(&s, &origin, &second).await, "idle-expired");

    // 12 h after sign-in the session ends, however active.
    let r = sign_in_as_admin(&s, &origin, None).await;
    let third = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let id = third.split_once('=').unwrap().1.to_owned();
    let data = s.state.store.session_load(&id, now).await.unwrap().unwrap();
    let mut record: serde_json::Value = serde_json::from_str(&data).unwrap();
    let login_at = record["data"]["login_at"].as_i64().unwrap();
    assert!((login_at - now).abs() <= 5);
    record["data"]["login_at"] = serde_json::json!(now - 12 * 3600 - 1);
    s.state
        .store
        .session_save(&id, record.to_string(), now + 3600)
        .await
        .unwrap();
    assert!(!signed_in_as(&s, &origin, &third).await, "absolute timeout");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_and_timeouts_sqlite() {
    session_cookie_and_timeouts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_and_timeouts_postgres() {
    session_cookie_and_timeouts(Backend::Postgres).await;
}

/// The session cookie's value a response sets, if any.
fn set_session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| !c.ends_with('='))
}

/// F45: when a user's role changes, their session gets a new id at their next request (as at
/// sign-in); the old id no longer signs anyone in. Requests with an unchanged role keep it.
async fn a_role_change_renews_the_session_id(s: &TestServer) {
    use entente_store::enums::Role;
    let first = session(s, "rita@example.test", Role::Auditor).await;
    let list = move |cookie: String| async move {
        reqwest::Client::new()
            .post(s.url(path_of("list_partners")))
            .header("origin", &s.base)
            .header("cookie", cookie)
            .form(&[("", "")])
            .send()
            .await
            .unwrap()
    };
    let r = list(first.clone()).await;
    assert_eq!(r.status(), 200);
    assert!(
        set_session_cookie(&r).is_none_or(|c| c == first),
        "the same role keeps the id"
    );
    s.state
        .store
        .set_admin_access(
            &entente_store::Actor::new("test"),
            "someone-else",
            "rita@example.test",
            Role::Operator,
            true,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let r = list(first.clone()).await;
    assert_eq!(r.status(), 200, "the role is read per request");
    let second = set_session_cookie(&r).expect("a new session cookie");
    assert_ne!(second, first, "a new session id");
    assert!(
        !signed_in_as(s, &s.base, &first).await,
        "the old id is gone"
    );
    assert!(signed_in_as(s, &s.base, &second).await);
    let r = list(second.clone()).await;
    assert!(set_session_cookie(&r).is_none_or(|c| c == second));
}
