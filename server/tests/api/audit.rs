//! The audit log over HTTP: console actions are recorded with who, from where and Entente's
//! request id (never the caller's); sign-ins and failed sign-ins too; the console lists and pages them by actor, partner,
//! action and time; the admin API exports CSV (formula-safe) and JSON; auditors may read it.

use entente_store::enums::Role;
use serde_json::Value;

use crate::common::TestServer;
use crate::console::path_of;

const PASSWORD: &str = "correct horse battery staple";

async fn sign_in(s: &TestServer, email: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(s.url(path_of("login")))
        .header("origin", &s.base)
        .header("x-request-id", "req-audit-1")
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn user(s: &TestServer, email: &str, role: Role) -> String {
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            email,
            hash,
            role,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let r = sign_in(s, email, PASSWORD).await;
    assert_eq!(r.status(), 200);
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn post(s: &TestServer, who: &str, name: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(s.url(path_of(name)))
        .header("origin", &s.base)
        .header("cookie", who)
        .header("x-request-id", "req-audit-2")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn list(s: &TestServer, who: &str, filters: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("actor", ""),
        ("partner", ""),
        ("action", ""),
        ("since", ""),
        ("until", ""),
        ("before", ""),
    ];
    for (k, v) in filters {
        form.retain(|(f, _)| f != k);
        form.push((k, v));
    }
    let (code, page) = post(s, who, "list_audit", &form).await;
    assert_eq!(code, 200, "{page}");
    page
}

async fn the_audit_log_over_http(s: &TestServer) {
    let olga = user(s, "olga@example.test", Role::Operator).await;
    let aud = user(s, "aud@example.test", Role::Auditor).await;
    assert_eq!(
        sign_in(s, "olga@example.test", "not her password!")
            .await
            .status(),
        401
    );
    for slug in ["acme", "globex"] {
        let (code, _) = post(
            s,
            &olga,
            "create_partner",
            &[
                ("slug", slug),
                ("name", "=HYPERLINK(\"x\")"),
                ("stage", "sandbox"),
            ],
        )
        .await;
        assert_eq!(code, 200);
    }
    let r = reqwest::Client::new()
        .post(s.url(path_of("suspend_partner")))
        .header("origin", &s.base)
        .header("cookie", &olga)
        .header("x-request-id", "req-audit-2")
        .form(&[("partner", "acme"), ("reason", "test")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Entente's own request id, answered on the response (review L-2): not the caller's.
    let suspended_in = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(suspended_in, "req-audit-2");

    // Who, what, from where, with Entente's id of the request (the caller's is not taken).
    let page = list(s, &aud, &[("partner", "acme")]).await;
    let rows = page["rows"].as_array().unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["partner.notice", "partner.suspend", "partner.create"]
    );
    for r in rows {
        assert_eq!(r["actor"], "admin:olga@example.test");
        assert_eq!(r["source"], "127.0.0.1");
        let id = r["request_id"].as_str().unwrap();
        assert_ne!(
            id, "req-audit-2",
            "a caller does not choose the audit's request id"
        );
        assert_eq!(id.len(), 36, "Entente's own (a UUID): {id}");
        if r["action"] != "partner.create" {
            assert_eq!(id, suspended_in, "the id the response gave");
            // The caller's own id stays beside it, labelled as the caller's.
            // The page shows the event's fields as lines of its diff.
            let diff = r["diff"].as_array().unwrap();
            assert!(
                diff.iter()
                    .any(|l| l[1] == "caller_request_id: req-audit-2"),
                "{diff:?}"
            );
        }
        assert_eq!(r["partner"], "acme");
    }
    assert_ne!(
        rows[0]["request_id"], rows[2]["request_id"],
        "one id per request"
    );
    // Sign-ins and the failed one are security events.
    let page = list(s, &aud, &[("action", "session.")]).await;
    let signins: Vec<(&str, &str)> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["action"].as_str().unwrap(), r["target"].as_str().unwrap()))
        .collect();
    assert!(
        signins.contains(&("session.sign_in_failed", "admin:olga@example.test")),
        "{signins:?}"
    );
    assert!(
        signins.contains(&("session.sign_in", "admin:aud@example.test")),
        "{signins:?}"
    );
    // Actor and time filters; paging from the last id shown.
    assert!(
        list(s, &aud, &[("actor", "aud@"), ("action", "partner.")]).await["rows"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        list(s, &aud, &[("until", "2000-01-01")]).await["rows"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = list(s, &aud, &[("since", "1h")]).await;
    let n = all["rows"].as_array().unwrap().len();
    assert!(n >= 7, "{all}");
    let newest = all["rows"][0]["id"].to_string();
    let older = list(s, &aud, &[("before", &newest)]).await;
    assert_eq!(older["rows"].as_array().unwrap().len(), n - 1);
    let (code, _) = post(
        s,
        &aud,
        "list_audit",
        &[
            ("actor", ""),
            ("partner", ""),
            ("action", ""),
            ("since", "yesterday"),
            ("until", ""),
            ("before", ""),
        ],
    )
    .await;
    assert_eq!(code, 400);

    // Export: CSV for spreadsheets (formulas made inert), JSON for machines; auditors may.
    let get = |q: &'static str, cookie: Option<String>| async move {
        let mut r = reqwest::Client::new().get(s.url(&format!("/admin/api/v1/audit?{q}")));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    };
    let r = get("format=csv&partner=globex", Some(aud.clone())).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("entente-audit.csv")
    );
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,at,actor,action,target,partner,source,request_id,details,seq,hash"
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains("partner.create") && row.contains("admin:olga@example.test"),
        "{row}"
    );
    // No field starts a formula, and each record has every column.
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        assert_eq!(record.len(), 11);
        // Every exported event carries its place and hash in the chain.
        assert!(record[9].parse::<i64>().unwrap() >= 1);
        assert_eq!(record[10].len(), 64);
        assert!(
            record.iter().all(|f| !f.starts_with(['=', '+', '-', '@'])),
            "{record:?}"
        );
    }
    let r = get("partner=acme&action=partner.suspend", Some(aud.clone())).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["events"][0]["details"]["reason"], "test");
    assert_eq!(body["events"][0]["at"].as_str().unwrap().len(), 20);
    assert_eq!(get("format=csv", None).await.status(), 401);
    let bad = get("since=soon", Some(aud)).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.headers()["content-type"], "application/problem+json");
}

on_both!(the_audit_log_over_http);
