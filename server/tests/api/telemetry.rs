//! OpenTelemetry traces from the real binary: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans
//! of a token request (a trace of Entente's own, the caller's `traceparent` only a link; client
//! authentication, policy decision, signing) and of a revocation's database write arrive on an
//! OTLP/HTTP endpoint this test serves; the trace id is on the log lines and the audit event.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use serde_json::Value;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Every span received, flattened out of the OTLP/JSON export requests.
fn spans(received: &Mutex<Vec<Value>>) -> Vec<Value> {
    received
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| r["resourceSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|rs| rs["scopeSpans"].as_array().cloned().unwrap_or_default())
        .flat_map(|ss| ss["spans"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_endpoint_and_the_trace_id_is_in_logs_and_audit() {
    // The collector: OTLP/HTTP with JSON bodies.
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    sink.lock().unwrap().push(v);
                }
                ([("content-type", "application/json")], "{}")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await.unwrap() });

    let dir = entente_store::testing::TempDir::new("entente-otel");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let cli = |args: &[&str]| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_entente"))
            .args(args)
            .args(["--output", "json"])
            .env_clear()
            .env("ENTENTE_DATA_DIR", &dir.0)
            .env("ENTENTE_ISSUER", &base)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };
    let api = "https://api.example.test";
    cli(&[
        "partner", "create", "--slug", "acme", "--name", "Acme", "--stage", "sandbox",
    ]);
    cli(&[
        "audience",
        "create",
        "--identifier",
        api,
        "--scopes",
        "orders:read",
        // acme is in the sandbox stage: its client and this API are the sandbox's.
        "--environment",
        "sandbox",
    ]);
    cli(&[
        "grant",
        "set",
        "--partner",
        "acme",
        "--audience",
        api,
        "--scopes",
        "orders:read",
    ]);
    let c = cli(&[
        "client",
        "create",
        "--partner",
        "acme",
        "--name",
        "app",
        "--scopes",
        "orders:read",
    ]);
    let (id, secret) = (
        c["client_id"].as_str().unwrap().to_owned(),
        c["client_secret"].as_str().unwrap().to_owned(),
    );

    let log = dir.0.join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("serve")
        .env_clear()
        .env("ENTENTE_LISTEN", format!("127.0.0.1:{port}"))
        .env("ENTENTE_ISSUER", &base)
        .env("ENTENTE_METRICS_LISTEN", "off")
        .env("ENTENTE_DATA_DIR", &dir.0)
        .env("ENTENTE_LOG_FORMAT", "json")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(Instant::now() < deadline, "the binary did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The caller's trace says "not sampled": it neither stops Entente's trace nor names it.
    let r = http
        .post(format!("{base}/sandbox/oauth2/token"))
        .header("traceparent", format!("00-{TRACE}-{PARENT}-00"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("resource", api)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token: Value = r.json().await.unwrap();
    let r = http
        .post(format!("{base}/sandbox/oauth2/revoke"))
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        // Only the server's request layer says which trace a request is in, and its id.
        .header("x-entente-trace-id", "forged")
        .header("x-request-id", "caller-chosen-1")
        .basic_auth(&id, Some(&secret))
        .form(&[("token", token["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(
        request_id, "caller-chosen-1",
        "the request id is Entente's own"
    );

    let wanted = [
        "POST /sandbox/oauth2/token",
        "POST /sandbox/oauth2/revoke",
        "client_authentication",
        "policy_decision",
        "sign",
        "db.revoke_token",
    ];
    let deadline = Instant::now() + Duration::from_secs(15);
    let all = loop {
        let all = spans(&received);
        if wanted.iter().all(|w| all.iter().any(|s| s["name"] == *w)) {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "spans missing: {:?}",
            all.iter()
                .map(|s| (&s["name"], &s["traceId"]))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Each request starts a trace of Entente's own (exported whatever the caller's flags), and
    // the caller's trace is only a link.
    let request = |name: &str| {
        all.iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("the {name} span"))
            .clone()
    };
    let issue = request("POST /sandbox/oauth2/token");
    let revoke = request("POST /sandbox/oauth2/revoke");
    for r in [&issue, &revoke] {
        assert_ne!(r["traceId"], TRACE, "{r}");
        assert!(
            r["parentSpanId"].as_str().unwrap_or_default().is_empty(),
            "a root: {r}"
        );
        let links = r["links"].as_array().cloned().unwrap_or_default();
        assert!(
            links
                .iter()
                .any(|l| l["traceId"] == TRACE && l["spanId"] == PARENT),
            "the caller's trace as a link: {r}"
        );
    }
    assert!(
        all.iter().all(|s| s["traceId"] != TRACE),
        "no span is in the caller's trace"
    );
    let sign = request("sign");
    let auth = request("client_authentication");
    assert_eq!(sign["parentSpanId"], issue["spanId"]);
    assert_eq!(auth["parentSpanId"], issue["spanId"]);
    let write = request("db.revoke_token");
    assert_eq!(write["traceId"], revoke["traceId"]);

    // The trace id is on the request's log lines and on the revocation's audit event, with
    // Entente's request id.
    let issue_trace = issue["traceId"].as_str().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(
        logs.lines()
            .any(|l| l.contains(issue_trace) && l.contains("handled")),
        "{logs}"
    );
    assert!(
        logs.lines()
            .any(|l| l.contains("caller-chosen-1") && l.contains("caller_request_id")),
        "the caller's id is kept beside Entente's, labelled: {logs}"
    );
    let events = cli(&["audit", "list", "--action", "token.revoke"]);
    assert_eq!(events[0]["trace_id"], revoke["traceId"], "{events}");
    assert_eq!(events[0]["request_id"], request_id.as_str(), "{events}");
    let _ = child.kill();
    let _ = child.wait();
}
