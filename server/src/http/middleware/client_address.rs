//! Puts the client's address (`ClientAddr`) on every request: the socket peer, or what trusted
//! proxies (ENTENTE_TRUSTED_PROXIES) say it is (`domain::forwarded` decides).

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use entente_domain::forwarded::{self, ClientAddr};

use crate::state::AppState;

pub async fn client_address(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let addr = if state.trusted_proxies.is_empty() {
            peer
        } else {
            let values: Vec<&str> = req
                .headers()
                .get_all(state.forwarded_header.name())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            forwarded::client_address(
                peer,
                &state.trusted_proxies,
                state.forwarded_header,
                &values,
            )
        };
        req.extensions_mut().insert(ClientAddr(addr));
    } else {
        tracing::error!("a request without its socket address: serve with connect info");
    }
    next.run(req).await
}
