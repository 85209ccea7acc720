//! Usage for scripts: the per-minute rollups of every replica over a range (the numbers the
//! console's charts draw), this replica's last minutes per second, and a live stream of them.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use entente_domain::audit::parse_time;
use entente_domain::usage::{self, Report};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::problem::{ApiError, ApiResult, Query, Refusals, ok};
use crate::state::{AppState, now};
use crate::usage::live::{self, View};

/// Whose usage, over which range, in which steps.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// The partner's slug.
    partner: Option<String>,
    /// A client id (of that partner, when both are given).
    client: Option<String>,
    /// Start: RFC 3339, `YYYY-MM-DD`, Unix seconds or a time ago (`15m`, `24h`, `7d`).
    /// Default: one hour ago.
    from: Option<String>,
    /// End (exclusive), in the same forms. Default: now (this second included).
    to: Option<String>,
    /// `1m` (default), `5m`, `15m`, `1h`, `6h` or `1d`; at most 10080 steps.
    step: Option<String>,
    /// `production` or `sandbox`: the requests of that environment's clients only (trial tokens
    /// of the playground are sandbox requests). Default: both.
    environment: Option<entente_domain::environment::Environment>,
}

/// Usage summed over every replica from the per-minute rollups (written every few seconds).
#[utoipa::path(get, path = "/admin/api/v1/usage", tag = "usage", params(UsageQuery),
    responses((status = 200, body = Report), Refusals))]
pub async fn get_usage(
    State(state): State<AppState>,
    Query(q): Query<UsageQuery>,
) -> ApiResult<Response> {
    let now = now();
    let when = |s: Option<&str>, default: i64| match s {
        None => Ok(default),
        Some(s) => parse_time(s, now).map_err(ApiError::bad_request),
    };
    let from = when(q.from.as_deref(), now - 3600)?;
    let to = when(q.to.as_deref(), usage::through(now))?;
    let step = match q.step.as_deref() {
        None => 60,
        Some(s) => usage::parse_step(s)
            .ok_or_else(|| ApiError::bad_request("step must be one of 1m, 5m, 15m, 1h, 6h, 1d"))?,
    };
    usage::range(from, to, step).map_err(ApiError::bad_request)?;
    let filter = state
        .store
        .usage_filter(q.partner.as_deref(), q.client.as_deref())
        .await?
        .in_environment(q.environment);
    let report = state.store.usage_report(&filter, from, to, step).await?;
    Ok(ok(StatusCode::OK, report))
}

/// How long one live stream lasts before the browser reconnects (and is authorized again).
const STREAM_LIFETIME: Duration = Duration::from_secs(300);
/// Seconds each stream event carries.
const STREAM_POINTS: usize = 5;

/// A partner or client of the live view.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    /// The partner's slug.
    partner: Option<String>,
    /// A client id.
    client: Option<String>,
    /// For `/usage/recent`: how many seconds back, 1–300 (default 300).
    seconds: Option<i64>,
}

async fn view(state: &AppState, q: &LiveQuery) -> ApiResult<View> {
    // Unknown names are refused as the rollups refuse them (404), not shown as silence.
    state
        .store
        .usage_filter(q.partner.as_deref(), q.client.as_deref())
        .await?;
    Ok(View {
        partner: q.partner.clone(),
        client: q.client.clone(),
    })
}

/// The last minutes per second, up to now (the current second so far included): every replica
/// in cluster mode (through Redis), else this one.
#[utoipa::path(get, path = "/admin/api/v1/usage/recent", tag = "usage", params(LiveQuery),
    responses((status = 200, body = Report), Refusals))]
pub async fn get_recent(
    State(state): State<AppState>,
    Query(q): Query<LiveQuery>,
) -> ApiResult<Response> {
    let seconds = q.seconds.unwrap_or(300);
    if !(1..=300).contains(&seconds) {
        return Err(ApiError::bad_request("seconds must be between 1 and 300"));
    }
    let view = view(&state, &q).await?;
    Ok(ok(
        StatusCode::OK,
        // The current second so far is included.
        live::current(&state, &view, now() + 1, seconds).await,
    ))
}

/// What a live stream keeps to check its caller again, and its place among the caller's
/// streams (given back when the stream is dropped).
struct Access {
    credentials: HeaderMap,
    session: Option<tower_sessions::Session>,
    check_at: tokio::time::Instant,
    every: Duration,
    _slot: live::StreamSlot,
}

/// The access-table route of the live stream.
const LIVE_ROUTE: &str = "GET /admin/api/v1/usage/live";

/// Whether the live stream's operation is still offered to a console or API role.
fn live_allowed(role: entente_store::enums::Role) -> bool {
    super::routes::operation(LIVE_ROUTE)
        .is_some_and(|op| entente_operations::policy::rule(op).staff.contains(&role))
}

/// Whether the caller that opened a live stream may still read it: its bearer token still
/// valid (not expired, not revoked, its client still allowed the role), or its console session
/// still live (not signed out, the user enabled), with a role the access table lets read it.
/// Anything that cannot be checked ends the stream (the browser reconnects and is asked again).
async fn still_allowed(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<&tower_sessions::Session>,
) -> bool {
    match super::auth::bearer(state, headers) {
        Some(Ok((_, role))) => live_allowed(role),
        Some(Err(_)) => false,
        None => {
            let Some(session) = session else {
                return false;
            };
            // Signed out (or expired) elsewhere: the record is gone.
            if let Some(id) = session.id() {
                match state.store.session_load(&id.to_string(), now()).await {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => return false,
                }
            }
            matches!(
                app::ssr::session::session_admin(&state.store, session).await,
                Ok(Some(a)) if a.partner_id.is_none() && live_allowed(a.role)
            )
        }
    }
}

/// Server-sent events, one a second: a `usage` event whose data is a report of the second that
/// just ended and the four before it (a client that missed one fills it in), with totals and
/// top callers of the last minute. The caller's access is checked again every 30 seconds (a
/// revoked or expired token, a disabled user or a signed-out session ends the stream), and a
/// stream ends after five minutes in any case (browsers reconnect at once). One caller holds
/// at most five streams at once; more are refused with 429.
#[utoipa::path(get, path = "/admin/api/v1/usage/live", tag = "usage", params(LiveQuery),
    responses((status = 200, content_type = "text/event-stream",
        description = "`event: usage` with a JSON report, every second"),
        (status = 429, description = "the caller has five live streams open already",
            content_type = "application/problem+json", body = super::problem::Problem),
        Refusals))]
pub async fn get_live(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    session: Option<Extension<tower_sessions::Session>>,
    headers: HeaderMap,
    Query(q): Query<LiveQuery>,
) -> ApiResult<Response> {
    let view = view(&state, &q).await?;
    let Some(slot) = live::StreamSlot::take(&state, &caller.name) else {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "at most {} live usage streams at once: close one first",
                state.usage.config.live_streams_per_caller
            ),
        ));
    };
    let session = session.map(|Extension(s)| s);
    // Only what the re-check needs: the credentials, not the whole request.
    let mut credentials = HeaderMap::new();
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
        credentials.insert(axum::http::header::AUTHORIZATION, v.clone());
    }
    let recheck = state.usage.config.live_recheck;
    // Ticks just after each second ends, so a second is shown as soon as it is complete (in
    // cluster mode a little later, once every replica has shared it).
    let offset = if state.limits.redis.is_some() {
        250
    } else {
        30
    };
    let first = crate::usage::after_second(Duration::from_millis(offset));
    let mut tick = tokio::time::interval_at(first, Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ends = tokio::time::Instant::now() + STREAM_LIFETIME;
    let access = Access {
        credentials,
        session,
        check_at: tokio::time::Instant::now() + recheck,
        every: recheck,
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(
        (state, view, tick, access),
        move |(state, view, mut tick, mut access)| async move {
            tick.tick().await;
            // A stream never outlives a shutdown (it would hold the drain open), nor its
            // lifetime (authorization is checked again when the browser reconnects).
            if state
                .shutting_down
                .load(std::sync::atomic::Ordering::Relaxed)
                || tokio::time::Instant::now() > ends
            {
                return None;
            }
            // Nor its caller's access (review L-6).
            if tokio::time::Instant::now() >= access.check_at {
                if !still_allowed(&state, &access.credentials, access.session.as_ref()).await {
                    tracing::info!("a live usage stream ended: its caller's access ended");
                    return None;
                }
                access.check_at = tokio::time::Instant::now() + access.every;
            }
            let mut report = live::current(&state, &view, now(), live::SUMMARY_SECONDS).await;
            report.points = report
                .points
                .split_off(report.points.len().saturating_sub(STREAM_POINTS));
            report.from = report.points.first().map_or(report.to - 1, |p| p.t);
            let event = Event::default()
                .event("usage")
                .retry(Duration::from_secs(1))
                .json_data(&report)
                .unwrap_or_else(|_| Event::default().comment("unserialisable"));
            Some((Ok::<_, Infallible>(event), (state, view, tick, access)))
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Which alerts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// The partner's slug.
    partner: Option<String>,
    /// A client id.
    client: Option<String>,
    /// RFC 3339, `YYYY-MM-DD`, Unix seconds or a time ago (`24h`, default).
    since: Option<String>,
    /// 1–1000 (default 100).
    limit: Option<u64>,
}

/// Usage anomaly alerts, newest first: a client's window that departed from its baseline.
#[utoipa::path(get, path = "/admin/api/v1/usage/alerts", tag = "usage", params(AlertQuery),
    responses((status = 200, body = Vec<entente_domain::anomaly::AlertView>), Refusals))]
pub async fn get_alerts(
    State(state): State<AppState>,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Response> {
    let since =
        parse_time(q.since.as_deref().unwrap_or("24h"), now()).map_err(ApiError::bad_request)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    let filter = state
        .store
        .usage_filter(q.partner.as_deref(), q.client.as_deref())
        .await?;
    Ok(ok(
        StatusCode::OK,
        state.store.alert_views(&filter, since, limit).await?,
    ))
}
