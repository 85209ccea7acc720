//! The federation services the console's server functions use, backed by the running state.

use entente_domain::federation::explain::{ExplainRequest, Explanation};

use crate::state::AppState;

pub struct ConsoleFederation(pub AppState);

impl app::ssr::FederationServices for ConsoleFederation {
    fn check_jwks_uri(&self, uri: String) -> app::ssr::BoxFuture<Result<String, String>> {
        let policy = *self.0.issuer_keys.policy();
        Box::pin(async move {
            crate::state::issuer_keys::ssrf::check_url_resolves(&uri, &policy)
                .await
                .map(|u| u.to_string())
        })
    }

    fn explain(&self, request: ExplainRequest) -> app::ssr::BoxFuture<Explanation> {
        let state = self.0.clone();
        Box::pin(async move { crate::admin_api::explain::explain_now(&state, &request).await })
    }

    fn apply_changes(&self) -> app::ssr::BoxFuture<()> {
        let state = self.0.clone();
        Box::pin(async move {
            // Best effort: if the database hiccups, the background poll applies it shortly.
            if let Err(e) = state.poll_changes().await {
                tracing::warn!(error = %e, "applying console changes now failed");
            }
        })
    }
}
