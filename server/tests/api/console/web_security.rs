//! The console as a web application (F44): every server function is POST-only and refuses
//! cross-site requests, malformed arguments are a 400, unknown pages a 404, and every page carries
//! a CSP with a per-response nonce.

use super::*;

on_both!(
    cross_site_posts_are_refused,
    malformed_server_function_arguments_are_400,
    console_pages_carry_a_nonce_csp,
);

#[test]
fn every_server_function_is_post() {
    let fns = server_fns();
    assert!(
        fns.len() >= 11,
        "expected the console's server functions, found {fns:?}"
    );
    for (path, method) in &fns {
        assert_eq!(method, "POST", "{path} is not POST-encoded (F44)");
    }
}

async fn cross_site_posts_are_refused(s: &TestServer) {
    let client = reqwest::Client::new();
    for (path, _) in server_fns() {
        let r = client
            .post(s.url(path))
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path} accepted a cross-origin POST (F43)");
        let r = client
            .post(s.url(path))
            .header("sec-fetch-site", "cross-site")
            .header("origin", &s.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path} accepted a cross-site POST (F43)");
        let r = client
            .post(s.url(path))
            .header("sec-fetch-site", "same-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            403,
            "{path} accepted a same-site, cross-origin POST (F43)"
        );
    }
}

/// Malformed arguments to a server function are a 400, never a 500.
async fn malformed_server_function_arguments_are_400(s: &TestServer) {
    for name in ["create_partner", "set_rule_enabled", "create_audience"] {
        let r = reqwest::Client::new()
            .post(s.url(path_of(name)))
            .header("origin", &s.base)
            .form(&[("token_lifetime", "not a number")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404() {
    let s = TestServer::start(Backend::Sqlite).await;
    let r = reqwest::get(s.url("/no/such/page")).await.unwrap();
    assert_eq!(r.status(), 404);
    s.stop().await;
}

/// Issue 7, defect 6: every console page carries a CSP whose per-response nonce is the one on
/// Leptos' scripts (no `unsafe-inline` for scripts), `frame-ancestors`, `base-uri` and
/// `object-src` locked; no HSTS over plain http.
async fn console_pages_carry_a_nonce_csp(s: &TestServer) {
    let mut nonces = vec![];
    for path in ["/login", "/no-such-page"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert!(r.headers().get("strict-transport-security").is_none());
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let html = r.text().await.unwrap();
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap()
            .to_owned();
        assert!(!script_src.contains("unsafe-inline"), "{csp}");
        for d in [
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(d), "{csp} lacks {d}");
        }
        let nonce = script_src
            .split_whitespace()
            .find_map(|t| t.strip_prefix("'nonce-")?.strip_suffix('\''))
            .unwrap()
            .to_owned();
        assert!(nonce.len() >= 22, "128 bits at least: {nonce}");
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path} renders Leptos' scripts");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            html.matches("nonce=\"").count(),
            "{path}: every nonce in the page is the header's"
        );
        assert!(
            html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + html.matches(&format!("<script nonce=\"{nonce}\"")).count()
                >= 1,
            "{path}: {html}"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce per response");
}
