//! The usage pipeline over real HTTP on SQLite and PostgreSQL: outcomes of the token,
//! introspection and revocation endpoints counted in memory, flushed to per-minute rollups
//! (rewritten, never double-counted), summed over replicas, kept for the retention period; the
//! admin API, the CLI and the live stream agree. This module holds the helpers its submodules
//! share (admin API reads, token requests, bursts of traffic).

use std::time::{Duration, Instant};

use entente_domain::rate_limit::{Rate, Setting};
use entente_domain::usage::{Cell, Kind};
use entente_server::state::now;
use entente_store::Actor;
use entente_store::limits::Subject;
use entente_store::usage::{Filter, Group, MinuteRow};
use serde_json::Value;

use crate::admin_api::api_tokens;
use crate::cli::entente;
use crate::common::{API, Creds, TestServer};

mod alerts;
mod live;
mod rollups;

async fn get(s: &TestServer, base: &str, path: &str, token: &str) -> (u16, Value) {
    let r = s
        .http
        .get(format!("{base}/admin/api/v1{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn cc(s: &TestServer, c: &Creds, scope: &str) -> u16 {
    s.post_form(
        "/oauth2/token",
        Some(c),
        &[
            ("grant_type", "client_credentials"),
            ("resource", API),
            ("scope", scope),
        ],
    )
    .await
    .status()
    .as_u16()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// Sends `n` client_credentials requests at once (or refresh requests with a made-up token,
/// refused `invalid_grant`).
async fn burst(s: &TestServer, c: &Creds, n: usize, bogus_refresh: bool) {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let http = s.http.clone();
            let url = s.url("/oauth2/token");
            let (id, secret) = (c.id.clone(), c.secret.clone());
            tokio::spawn(async move {
                let form: &[(&str, &str)] = if bogus_refresh {
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", "ent_rt_made_up"),
                    ]
                } else {
                    &[("grant_type", "client_credentials"), ("resource", API)]
                };
                let r = http
                    .post(&url)
                    .basic_auth(&id, Some(&secret))
                    .form(form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), if bogus_refresh { 400 } else { 200 });
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}
