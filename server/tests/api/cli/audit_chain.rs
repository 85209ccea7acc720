//! The audit trail is a hash chain: `entente audit verify` (the real binary) names the first
//! event that was edited, removed, reordered or written around Entente; concurrent audited
//! changes on PostgreSQL never take the same place in the chain.

use super::entente_raw;
use crate::common::TestServer;
use sea_orm::ConnectionTrait;

crate::on_both!(the_chain_names_the_first_event_that_does_not_verify);

/// Runs `entente audit verify`; (exit success, its JSON).
fn verify(s: &TestServer, from: Option<&str>) -> (bool, serde_json::Value) {
    let mut args = vec!["audit", "verify"];
    if let Some(f) = from {
        args.extend(["--from", f]);
    }
    let out = tokio::task::block_in_place(|| entente_raw(s, &args));
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.success(), v)
}

async fn sql(s: &TestServer, statement: &str) {
    s.state
        .store
        .db()
        .execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

async fn the_chain_names_the_first_event_that_does_not_verify(s: &TestServer) {
    s.seed().await;
    // Audited changes from many writers at once: each takes its own place.
    let store = &s.state.store;
    let actor = entente_store::Actor::new("test");
    let writes = (0..24).map(|i| {
        let (store, actor) = (store.clone(), actor.clone());
        tokio::spawn(async move {
            store
                .create_partner(
                    &actor,
                    entente_store::catalog::NewPartner {
                        slug: format!("p{i}"),
                        name: format!("Partner {i}"),
                        stage: entente_domain::lifecycle::Stage::Sandbox,
                    },
                    entente_server::state::now(),
                )
                .await
        })
    });
    for w in futures_util::future::join_all(writes).await {
        w.unwrap().unwrap();
    }
    let (ok, v) = verify(s, None);
    assert!(ok, "{v}");
    let last = v["last_seq"].as_i64().unwrap();
    assert!(last >= 24, "{v}");
    assert_eq!(
        v["events"].as_i64(),
        Some(last),
        "one place per event, from 1: {v}"
    );
    // An upgrade: events written before the chain existed are chained, oldest first, on the
    // first start of the new version (the CLI migrates as the server does).
    sql(s, "UPDATE audit_events SET seq = NULL, hash = NULL").await;
    sql(
        s,
        &format!(
            "UPDATE audit_chain_head SET seq = 0, hash = '{}'",
            "0".repeat(64)
        ),
    )
    .await;
    let (ok, v) = verify(s, None);
    assert!(ok, "{v}");
    assert_eq!(v["last_seq"].as_i64(), Some(last), "{v}");
    // Verifying from the middle needs only the event before it.
    let (ok, v) = verify(s, Some("10"));
    assert!(ok, "{v}");
    assert_eq!(v["from"], 10);

    // Edited: the event's hash no longer matches its content, exactly there.
    let original = store
        .audit_events(&entente_store::audit::AuditFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.seq == Some(7))
        .unwrap()
        .actor;
    sql(
        s,
        "UPDATE audit_events SET actor = 'admin:mallory@example.test' WHERE seq = 7",
    )
    .await;
    let (ok, v) = verify(s, None);
    assert!(!ok);
    assert_eq!(v["seq"], 7, "{v}");
    // Undone, it verifies again (the chain is over content, not over row ids).
    sql(
        s,
        &format!("UPDATE audit_events SET actor = '{original}' WHERE seq = 7"),
    )
    .await;
    assert!(verify(s, None).0);

    // Reordered: two events swap places (their contents move, their hashes stay).
    sql(s, "UPDATE audit_events SET seq = -1 WHERE seq = 12").await;
    sql(s, "UPDATE audit_events SET seq = 12 WHERE seq = 13").await;
    sql(s, "UPDATE audit_events SET seq = 13 WHERE seq = -1").await;
    let (ok, v) = verify(s, None);
    assert!(!ok);
    assert_eq!(v["seq"], 12, "{v}");
    sql(s, "UPDATE audit_events SET seq = -1 WHERE seq = 12").await;
    sql(s, "UPDATE audit_events SET seq = 12 WHERE seq = 13").await;
    sql(s, "UPDATE audit_events SET seq = 13 WHERE seq = -1").await;
    assert!(verify(s, None).0);

    // Removed from the middle: the gap is named.
    sql(s, "DELETE FROM audit_events WHERE seq = 15").await;
    let (ok, v) = verify(s, None);
    assert!(!ok);
    assert_eq!(v["seq"], 15);
    assert_eq!(v["why"], "event 15 is missing");

    // Removed from the end (the newest rows): the head still names the last event.
    sql(s, "DELETE FROM audit_events WHERE seq >= 15").await;
    let (ok, v) = verify(s, None);
    assert!(!ok);
    assert_eq!(v["seq"], 15, "{v}");
    assert!(
        v["why"]
            .as_str()
            .unwrap()
            .contains("newest events were deleted"),
        "{v}"
    );

    // A row written around Entente has no place in the chain.
    sql(
        s,
        "INSERT INTO audit_events (at, actor, action, target, details) \
         VALUES (1, 'admin:mallory@example.test', 'partner.create', 'partner:evil', '{}')",
    )
    .await;
    let (ok, v) = verify(s, None);
    assert!(!ok);
    assert!(
        v["why"]
            .as_str()
            .unwrap()
            .contains("written around Entente"),
        "{v}"
    );
}
