//! The audit trail is a hash chain: `entente audit verify` (the real binary) names the first
//! event that was edited, removed, reordered or written around Entente; concurrent audited
//! changes on PostgreSQL never take the same place in the chain.

use super::entente_raw;
use crate::common::TestServer;
use sea_orm::ConnectionTrait;

crate::on_both!(
    the_chain_names_the_first_event_that_does_not_verify,
    signed_checkpoints_catch_a_rewritten_chain,
);

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

    // The console's Audit page says the chain verifies…
    let ada =
        crate::console::session(s, "ada@corp.example", entente_store::enums::Role::Auditor).await;
    let page = |who: String| async move {
        let form = [
            ("actor", ""),
            ("partner", ""),
            ("action", ""),
            ("since", ""),
            ("until", ""),
            ("before", ""),
        ];
        crate::console::call(s, &who, "list_audit", &form).await.1
    };
    let p = page(ada.clone()).await;
    assert_eq!(p["chain_ok"], true, "{p}");
    assert!(
        p["chain"]
            .as_str()
            .unwrap()
            .starts_with("Audit chain verified"),
        "{p}"
    );

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
    // …and, edited, where it breaks.
    let p = page(ada.clone()).await;
    assert_eq!(p["chain_ok"], false, "{p}");
    assert!(p["chain"].as_str().unwrap().contains("at event 7"), "{p}");
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

/// A checkpoint signs the chain's head with the audit key; exported, it verifies offline with
/// the public key alone (Node's own Ed25519, not Entente's code). Someone with the database can
/// rewrite the chain from an edit onwards, head included, so that the chain alone verifies; a
/// checkpoint kept outside catches it, as it catches the newest events deleted.
async fn signed_checkpoints_catch_a_rewritten_chain(s: &TestServer) {
    s.seed().await;
    // The server's maintenance signs the first checkpoint an hour after the first event, and
    // each next an hour after the one before.
    use entente_server::workers::maintenance::checkpoint_audit;
    let now = entente_server::state::now();
    checkpoint_audit(&s.state, now).await.unwrap();
    assert_eq!(s.state.store.last_audit_checkpoint().await.unwrap(), None);
    checkpoint_audit(&s.state, now + 3601).await.unwrap();
    let hourly = s
        .state
        .store
        .last_audit_checkpoint()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hourly.seq, s.state.store.audit_head().await.unwrap().0);
    checkpoint_audit(&s.state, now + 3602).await.unwrap();
    assert_eq!(
        s.state.store.audit_checkpoints().await.unwrap().len(),
        1,
        "not due again"
    );
    let ok = |args: &[&str]| {
        let out = tokio::task::block_in_place(|| entente_raw(s, args));
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    s.state
        .store
        .create_partner(
            &entente_store::Actor::new("test"),
            entente_store::catalog::NewPartner {
                slug: "first".into(),
                name: "First".into(),
                stage: entente_domain::lifecycle::Stage::Sandbox,
            },
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let signed = ok(&["audit", "checkpoint"]);
    let at = signed["seq"].as_i64().unwrap();
    assert!(at >= 3, "{signed}");
    // Nothing new: nothing to sign.
    assert_eq!(ok(&["audit", "checkpoint"]), serde_json::Value::Null);
    s.state
        .store
        .create_partner(
            &entente_store::Actor::new("test"),
            entente_store::catalog::NewPartner {
                slug: "later".into(),
                name: "Later".into(),
                stage: entente_domain::lifecycle::Stage::Sandbox,
            },
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let export = ok(&["audit", "checkpoints"]);
    let signed_jws = signed["jws"].as_str().unwrap();
    assert!(
        export["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["jws"] == signed_jws),
        "{export}"
    );
    assert_eq!(export["key"]["crv"], "Ed25519");
    // The same public key is published at a documented URL, without private members.
    let r = reqwest::get(s.url("/.well-known/entente-audit-keys.json"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/jwk-set+json");
    let published: serde_json::Value = r.json().await.unwrap();
    assert_eq!(published["keys"][0], export["key"], "{published}");
    assert!(published["keys"][0].get("d").is_none());

    // Offline, with Node's Ed25519 and the exported public key only.
    let script = r#"
        const crypto = require('crypto');
        const e = JSON.parse(process.argv[1]);
        const key = crypto.createPublicKey({ key: { kty: e.key.kty, crv: e.key.crv, x: e.key.x }, format: 'jwk' });
        for (const c of e.checkpoints) {
          const [h, p, sig] = c.jws.split('.');
          const header = JSON.parse(Buffer.from(h, 'base64url'));
          const claims = JSON.parse(Buffer.from(p, 'base64url'));
          const good = crypto.verify(null, Buffer.from(h + '.' + p), key, Buffer.from(sig, 'base64url'));
          console.log(JSON.stringify({ good, typ: header.typ, seq: claims.seq, head: claims.head }));
        }"#;
    let out = std::process::Command::new("node")
        .args(["-e", script, &export.to_string()])
        .output()
        .expect("node (the e2e suites need it too)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!seen.is_empty());
    for c in &seen {
        assert_eq!(c["good"], true, "{c}");
        assert_eq!(c["typ"], "entente-audit-checkpoint+jwt");
    }
    assert!(
        seen.iter()
            .any(|c| c["seq"] == at && c["head"] == signed["head"]),
        "{seen:?}"
    );
    let kept =
        std::env::temp_dir().join(format!("entente-checkpoints-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&kept, export.to_string()).unwrap();
    let kept_arg = kept.to_str().unwrap().to_owned();
    let (ok_now, v) = {
        let out = tokio::task::block_in_place(|| {
            entente_raw(s, &["audit", "verify", "--checkpoints", &kept_arg])
        });
        (
            out.status.success(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        )
    };
    assert!(ok_now, "{v}");
    assert_eq!(v["checkpoints"].as_u64(), Some(seen.len() as u64));

    // Rewrite the chain from event 2 onwards, head row included: the chain alone verifies.
    let events = {
        let mut all = s
            .state
            .store
            .audit_events(&entente_store::audit::AuditFilter {
                limit: 10_000,
                ..Default::default()
            })
            .await
            .unwrap();
        all.sort_by_key(|e| e.seq);
        all
    };
    let mut prev =
        entente_domain::audit_chain::from_hex(events[0].hash.as_deref().unwrap()).unwrap();
    for (i, e) in events.iter().enumerate().skip(1) {
        let mut c = entente_store::audit::chained(e);
        if i == 1 {
            c.actor = "admin:mallory@example.test".into();
        }
        prev = entente_domain::audit_chain::link(&prev, &c);
        let hex = entente_domain::audit_chain::to_hex(&prev);
        sql(
            s,
            &format!(
                "UPDATE audit_events SET actor = '{}', hash = '{hex}' WHERE id = {}",
                c.actor, e.id
            ),
        )
        .await;
    }
    sql(
        s,
        &format!(
            "UPDATE audit_chain_head SET hash = '{}'",
            entente_domain::audit_chain::to_hex(&prev)
        ),
    )
    .await;
    let (plain_ok, _) = verify(s, None);
    // The database's own checkpoint catches it (its key is still the one that signed it)…
    assert!(!plain_ok);
    // …and so does the copy kept outside, whatever is done to the database's checkpoints.
    sql(s, "DELETE FROM audit_checkpoints").await;
    assert!(verify(s, None).0, "the rewritten chain verifies on its own");
    let out = tokio::task::block_in_place(|| {
        entente_raw(s, &["audit", "verify", "--checkpoints", &kept_arg])
    });
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The earliest checkpoint after the edit names it: the hourly one.
    assert_eq!(v["seq"], hourly.seq, "{v}");
    assert!(v["why"].as_str().unwrap().contains("rewritten"), "{v}");

    // The newest events deleted, head moved back to match: the kept checkpoint covers them.
    sql(
        s,
        &format!("DELETE FROM audit_events WHERE seq >= {}", at - 1),
    )
    .await;
    let last = s.state.store.audit_hash_at(at - 2).await.unwrap().unwrap();
    sql(
        s,
        &format!(
            "UPDATE audit_chain_head SET seq = {}, hash = '{last}'",
            at - 2
        ),
    )
    .await;
    let out = tokio::task::block_in_place(|| {
        entente_raw(s, &["audit", "verify", "--checkpoints", &kept_arg])
    });
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["why"].as_str().unwrap().contains("which is gone"), "{v}");
    std::fs::remove_file(kept).ok();
}
