//! The CLI and the admin API set the same tiers and limits, and the API refuses what is wrong
//! with problem details.

use super::*;

on_both!(cli_and_api_set_the_same_limits);

/// The CLI sets tiers and limits and shows them as JSON; the admin API reads the same, sets the
/// same, and refuses what is wrong with problem details.
async fn cli_and_api_set_the_same_limits(s: &TestServer) {
    use crate::cli::entente;
    s.seed().await;
    let t = entente(
        s,
        &[
            "limit",
            "tier",
            "set",
            "--name",
            "gold",
            "--per-second",
            "100",
            "--burst",
            "200",
        ],
    );
    assert_eq!(
        t,
        json!({"name": "gold", "per_second": 100, "burst": 200, "default": false})
    );
    entente(s, &["limit", "set", "--partner", "acme", "--tier", "gold"]);
    let shown = entente(s, &["limit", "show", "--partner", "acme"]);
    assert_eq!(shown["partner"], "acme");
    assert_eq!(shown["limit"]["setting"], json!({"tier": "gold"}));
    assert_eq!(
        shown["limit"]["effective"],
        json!({"rate": {"per_second": 100, "burst": 200}, "source": {"kind": "tier", "tier": "gold"}})
    );
    assert!(shown["limit"].get("current").is_none());

    // The running server enforces it within a second.
    let c = s.secret_client("acme", "orders:read").await;
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let r = cc(s, &c).await;
        if header(&r, "ratelimit-policy").is_some_and(|p| p.contains("\"partner\";q=100")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the CLI's limit did not apply within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The API: the same view, with the rate seen now.
    let (admin, _, auditor, _) = crate::admin_api::api_tokens(s).await;
    let api = |m: &'static str, p: String, t: String, b: Option<Value>| async move {
        let mut r = s
            .http
            .request(m.parse().unwrap(), s.url(&format!("/admin/api/v1{p}")))
            .bearer_auth(t);
        if let Some(b) = b {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let st = r.status().as_u16();
        (st, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let (st, v) = api(
        "GET",
        "/partners/acme/rate-limit".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["limit"]["effective"]["rate"]["per_second"], 100);
    assert!(v["limit"]["current"]["allowed"].as_u64().is_some(), "{v}");
    // An auditor reads but does not change.
    let (st, _) = api(
        "PUT",
        "/rate-limits/tiers/gold".into(),
        auditor,
        Some(json!({"per_second": 1, "burst": 1})),
    )
    .await;
    assert_eq!(st, 403);
    let (st, v) = api(
        "PUT",
        "/rate-limits/tiers/gold".into(),
        admin.clone(),
        Some(json!({"per_second": 10, "burst": 15, "default": true})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v,
        json!({"name": "gold", "per_second": 10, "burst": 15, "default": true, "used_by": 1})
    );
    // A tier in use cannot be deleted; bad input is a 400; unknown names a 404.
    let (st, v) = api(
        "DELETE",
        "/rate-limits/tiers/gold".into(),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 409, "{v}");
    for body in [
        json!({"per_second": 0, "burst": 1}),
        json!({"tier": "gold", "per_second": 5, "burst": 5}),
        json!({"per_second": 5}),
        json!({}),
    ] {
        let (st, v) = api(
            "PUT",
            "/partners/acme/rate-limit".into(),
            admin.clone(),
            Some(body),
        )
        .await;
        assert_eq!(st, 400, "{v}");
    }
    let (st, _) = api(
        "PUT",
        "/partners/acme/rate-limit".into(),
        admin.clone(),
        Some(json!({"tier": "platinum"})),
    )
    .await;
    assert_eq!(st, 404);
    let (st, _) = api(
        "GET",
        "/partners/nobody/rate-limit".into(),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 404);
    // A client's own numbers, then cleared back to its partner's.
    let (st, v) = api(
        "PUT",
        format!("/clients/{}/rate-limit", c.id),
        admin.clone(),
        Some(json!({"per_second": 3, "burst": 4})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["limit"]["effective"]["source"], json!({"kind": "custom"}));
    let (st, v) = api(
        "DELETE",
        format!("/clients/{}/rate-limit", c.id),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["limit"]["effective"]["source"],
        json!({"kind": "partner"})
    );
    let (st, _) = api(
        "DELETE",
        "/partners/acme/rate-limit".into(),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 200);
    // Every change is in the audit log.
    let tiers = entente(s, &["audit", "list", "--action", "rate_tier."]);
    let limits = entente(s, &["audit", "list", "--action", "rate_limit."]);
    assert_eq!(tiers.as_array().map_or(0, Vec::len), 2, "{tiers}");
    assert_eq!(limits.as_array().map_or(0, Vec::len), 4, "{limits}");
}
