//! Issue 24, item 5: scopes and audiences editable from the console, over real HTTP on SQLite
//! and PostgreSQL. A scope list typed with commas is refused (it used to create `orders:read,`);
//! scopes are added, an unused one removed, an unused audience deleted — each audited; what a
//! grant uses is refused with who uses it, and nothing changes.

use entente_store::enums::Role;

use crate::common::{API, TestServer};
use crate::console::{call, session};

crate::on_both!(scopes_and_audiences_are_edited_from_the_console);

async fn scopes_of(s: &TestServer, audience: &str) -> Vec<String> {
    let (_, scopes) = s.state.store.audience_with_scopes(audience).await.unwrap();
    scopes.into_iter().map(|s| s.name).collect()
}

async fn last_audit(s: &TestServer) -> (String, String, String) {
    let e = s
        .state
        .store
        .recent_audit_events(1)
        .await
        .unwrap()
        .remove(0);
    (e.action, e.target, e.details)
}

async fn scopes_and_audiences_are_edited_from_the_console(s: &TestServer) {
    s.seed().await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let audrey = session(s, "audrey@example.test", Role::Auditor).await;
    const NEW: &str = "https://shipping.example.test";

    // The list typed with a comma: refused, nothing made.
    let create = |scopes: &'static str| {
        [
            ("identifier", NEW),
            ("name", "Shipping"),
            ("scopes", scopes),
            ("token_lifetime", "300"),
            ("environment", "production"),
        ]
    };
    let (code, refused) = call(
        s,
        &olga,
        "create_audience",
        &create("ship:read, ship:write"),
    )
    .await;
    assert_eq!(code, 400, "{refused}");
    assert!(refused.to_string().contains("commas"), "{refused}");
    assert!(s.state.store.audience_by_identifier(NEW).await.is_err());
    let (code, made) = call(s, &olga, "create_audience", &create("ship:read")).await;
    assert_eq!(code, 200, "{made}");

    // Adding: an auditor may not; a comma is refused; then two scopes, audited.
    let add = |scopes: &'static str| [("audience", API), ("scopes", scopes)];
    let (code, _) = call(s, &audrey, "add_audience_scopes", &add("orders:cancel")).await;
    assert_eq!(code, 403);
    let (code, refused) = call(s, &olga, "add_audience_scopes", &add("orders:cancel,")).await;
    assert_eq!(code, 400, "{refused}");
    assert_eq!(scopes_of(s, API).await, ["orders:read", "orders:write"]);
    let (code, said) = call(
        s,
        &olga,
        "add_audience_scopes",
        &add("orders:cancel orders:refund"),
    )
    .await;
    assert_eq!(code, 200, "{said}");
    assert_eq!(
        scopes_of(s, API).await,
        [
            "orders:cancel",
            "orders:read",
            "orders:refund",
            "orders:write"
        ]
    );
    let (action, target, details) = last_audit(s).await;
    assert_eq!(
        (action.as_str(), target),
        ("audience.scopes", format!("audience:{API}"))
    );
    assert!(details.contains("orders:cancel orders:refund"), "{details}");

    // Removing: a granted scope names who holds it; an unused one goes.
    let remove = |scope: &'static str| [("audience", API), ("scope", scope)];
    let (code, refused) = call(s, &olga, "remove_audience_scope", &remove("orders:write")).await;
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused.to_string().contains("granted to globex"),
        "{refused}"
    );
    let (code, _) = call(
        s,
        &audrey,
        "remove_audience_scope",
        &remove("orders:cancel"),
    )
    .await;
    assert_eq!(code, 403);
    let (code, said) = call(s, &olga, "remove_audience_scope", &remove("orders:cancel")).await;
    assert_eq!(code, 200, "{said}");
    assert!(
        !scopes_of(s, API)
            .await
            .contains(&"orders:cancel".to_owned())
    );
    let (action, _, details) = last_audit(s).await;
    assert_eq!(action, "audience.scopes");
    assert!(
        details.contains(r#""removed":"orders:cancel""#),
        "{details}"
    );
    let (code, _) = call(s, &olga, "remove_audience_scope", &remove("orders:nope")).await;
    assert_eq!(code, 404);

    // Deleting: an audience partners hold is refused; an unused one goes with its scopes.
    let (code, refused) = call(s, &olga, "delete_audience", &[("audience", API)]).await;
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused.to_string().contains("granted to acme, globex"),
        "{refused}"
    );
    assert_eq!(scopes_of(s, API).await.len(), 3, "nothing removed");
    let (code, said) = call(s, &olga, "delete_audience", &[("audience", NEW)]).await;
    assert_eq!(code, 200, "{said}");
    assert!(s.state.store.audience_by_identifier(NEW).await.is_err());
    let (action, target, _) = last_audit(s).await;
    assert_eq!(
        (action.as_str(), target),
        ("audience.delete", format!("audience:{NEW}"))
    );
    // An audience once granted and ruled goes too, once the grant is emptied and the rule
    // disabled: what is left of them goes with it.
    let (code, made) = call(s, &olga, "create_audience", &create("ship:read ship:write")).await;
    assert_eq!(code, 200, "{made}");
    let test = entente_store::Actor::new("test");
    let now = entente_server::state::now();
    let ship = entente_domain::ScopeSet::parse("ship:read").unwrap();
    s.state
        .store
        .set_grant(&test, "acme", NEW, &ship, now)
        .await
        .unwrap();
    let (code, refused) = call(s, &olga, "delete_audience", &[("audience", NEW)]).await;
    assert_eq!(code, 400, "{refused}");
    let (code, refused) = call(
        s,
        &olga,
        "remove_audience_scope",
        &[("audience", NEW), ("scope", "ship:read")],
    )
    .await;
    assert_eq!(code, 400, "{refused}");
    let (code, said) = call(
        s,
        &olga,
        "remove_audience_scope",
        &[("audience", NEW), ("scope", "ship:write")],
    )
    .await;
    assert_eq!(code, 200, "{said}");
    s.state
        .store
        .set_grant(
            &test,
            "acme",
            NEW,
            &entente_domain::ScopeSet::default(),
            now,
        )
        .await
        .unwrap();
    let (code, refused) = call(
        s,
        &olga,
        "remove_audience_scope",
        &[("audience", NEW), ("scope", "ship:read")],
    )
    .await;
    assert_eq!(code, 400, "{refused}");
    assert!(refused.to_string().contains("last scope"), "{refused}");
    let ship_id = s.state.store.audience_by_identifier(NEW).await.unwrap().id;
    let (code, said) = call(s, &olga, "delete_audience", &[("audience", NEW)]).await;
    assert_eq!(code, 200, "{said}");
    assert!(s.state.store.audience_by_identifier(NEW).await.is_err());
    use entente_store::entities::grant;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let left = grant::Entity::find()
        .filter(grant::Column::AudienceId.eq(&ship_id))
        .all(s.state.store.db())
        .await
        .unwrap();
    assert!(left.is_empty(), "the emptied grant went with it: {left:?}");
}
