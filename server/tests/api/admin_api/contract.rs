//! The API's contract: every refusal is an RFC 9457 problem detail, and the OpenAPI document
//! describes every route and its operation.

use super::*;

/// Without credentials, with a bad token, or with malformed input: problem details, never a 5xx.
async fn refusals_are_problem_details(s: &TestServer) {
    let (admin, ..) = api_tokens(s).await;
    let api = Api { s };
    let r = s
        .http
        .get(s.url(&format!("{V1}/partners")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(r.headers()["cache-control"], "no-store");
    // A cross-site request with the console's cookie would be refused the same way.
    let r = s
        .http
        .post(s.url(&format!("{V1}/partners")))
        .header("origin", "https://evil.example")
        .bearer_auth(&admin)
        .json(&json!({"slug": "x", "name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let (st, _) = api.call("GET", "/partners", "not-a-token", None).await;
    assert_eq!(st, 401);
    let r = s
        .http
        .post(s.url(&format!("{V1}/partners")))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = s
        .http
        .post(s.url(&format!("{V1}/partners")))
        .bearer_auth(&admin)
        .body("slug=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let (st, _) = api
        .call("POST", "/partners", &admin, Some(json!({"slug": 7})))
        .await;
    assert_eq!(st, 422);
    // An array is not an object, even where every field has a default (schemathesis found a
    // record replaced by nothing this way).
    api.call(
        "POST",
        "/partners",
        &admin,
        Some(json!({"slug": "kept", "name": "Kept"})),
    )
    .await;
    let record = json!({"legal_name": "Kept Ltd"});
    let (st, _) = api
        .call("PUT", "/partners/kept/record", &admin, Some(record))
        .await;
    assert_eq!(st, 200);
    for body in [json!([]), json!(["x"]), json!("text"), json!(null)] {
        let (st, _) = api
            .call("PUT", "/partners/kept/record", &admin, Some(body.clone()))
            .await;
        assert_eq!(st, 422, "{body}");
        let (st, _) = api
            .call("POST", "/keys/rotate", &admin, Some(body.clone()))
            .await;
        assert_eq!(st, 422, "{body}");
    }
    let (_, o) = api
        .call("GET", "/partners/kept/onboarding", &admin, None)
        .await;
    assert_eq!(
        o["record"]["legal_name"], "Kept Ltd",
        "the record is untouched"
    );
    let (st, _) = api
        .call("GET", "/change-requests/not-a-number", &admin, None)
        .await;
    assert_eq!(st, 400);
    for path in [
        "/audit?limit=",
        "/audit?before=",
        "/audit?limit=abc",
        "/audit?format=xml",
    ] {
        let (st, _) = api.call("GET", path, &admin, None).await;
        assert_eq!(st, 400, "{path}");
    }
    let (st, _) = api
        .call("GET", "/change-requests/99999", &admin, None)
        .await;
    assert_eq!(st, 404);
    let (st, _) = api
        .call(
            "POST",
            "/partners",
            &admin,
            Some(json!({"slug": "Bad Slug!", "name": "x"})),
        )
        .await;
    assert_eq!(st, 400);
}

on_both!(refusals_are_problem_details);

/// The document is OpenAPI 3.1, lists every route, and every route declares its operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route() {
    let s = TestServer::start(crate::common::Backend::Sqlite).await;
    let r = s
        .http
        .get(s.url(&format!("{V1}/openapi.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the document is public");
    let doc: Value = r.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let keys = entente_server::admin_api::route_keys();
    assert!(keys.len() >= 30, "{keys:?}");
    for k in &keys {
        let (method, path) = k.split_once(' ').unwrap();
        assert!(
            doc["paths"][path][method.to_lowercase()].is_object(),
            "{k} is documented"
        );
        assert!(
            entente_server::admin_api::routes::operation(k).is_some(),
            "{k} performs a declared operation"
        );
    }
    for (route, _) in entente_server::admin_api::routes::ROUTES {
        assert!(
            keys.iter().any(|k| k == route),
            "{route} is declared but not served"
        );
    }
    s.stop().await;
}
