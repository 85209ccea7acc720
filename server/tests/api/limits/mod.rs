//! Rate limits over real HTTP on SQLite and PostgreSQL: per partner and per client on the token
//! endpoint, per resource server on introspection, the draft-10 header fields, 429 with
//! Retry-After and an RFC 6749 §5.2 body, failed client authentication limited per client id
//! and per source address, and the CLI and admin API that set them. This module holds the
//! helpers its submodules share (setting limits, requesting tokens, flooding an endpoint).

use std::time::{Duration, Instant};

use entente_domain::rate_limit::{Rate, Setting};
use entente_store::Actor;
use entente_store::limits::Subject;
use serde_json::{Value, json};

use crate::common::{API, Creds, TestServer};

mod budgets;
mod cli_and_api;
mod failed_auth;

fn rate(per_second: u32, burst: u32) -> Rate {
    Rate { per_second, burst }
}

async fn set_partner(s: &TestServer, slug: &str, setting: Option<Setting>) {
    s.state
        .store
        .set_rate_limit(
            &Actor::new("test"),
            &Subject::Partner { slug: slug.into() },
            setting.as_ref(),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}

async fn tier(s: &TestServer, name: &str, r: Rate, default: bool) {
    s.state
        .store
        .set_rate_tier(
            &Actor::new("test"),
            name,
            r,
            Some(default),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}

async fn cc(s: &TestServer, c: &Creds) -> reqwest::Response {
    s.http
        .post(s.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[("grant_type", "client_credentials"), ("resource", API)])
        .send()
        .await
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Sends `batches` × `per_batch` client_credentials requests, each batch at once, `pause`
/// apart; (status, body) of each.
async fn flood(
    s: &TestServer,
    c: &Creds,
    batches: usize,
    per_batch: usize,
    pause: Duration,
) -> Vec<(u16, Value)> {
    let mut out = vec![];
    for _ in 0..batches {
        let handles: Vec<_> = (0..per_batch)
            .map(|_| {
                let http = s.http.clone();
                let url = s.url("/oauth2/token");
                let (id, secret) = (c.id.clone(), c.secret.clone());
                tokio::spawn(async move {
                    let r = http
                        .post(url)
                        .basic_auth(id, Some(secret))
                        .form(&[("grant_type", "client_credentials"), ("resource", API)])
                        .send()
                        .await
                        .unwrap();
                    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
                })
            })
            .collect();
        for h in handles {
            out.push(h.await.unwrap());
        }
        tokio::time::sleep(pause).await;
    }
    out
}
