//! The sandbox tools and the usage readings the console's server functions use, backed by the
//! running state (changes go through the operations, not through here).

use entente_domain::federation::explain::{ExplainRequest, Explanation};

use crate::state::AppState;

pub struct ConsoleServices(pub AppState);

impl app::ssr::Sandbox for ConsoleServices {
    fn test_idp(&self) -> (String, String) {
        (self.0.test_idp.issuer.clone(), self.0.test_idp.jwks_text())
    }

    fn mint_test_token(
        &self,
        kind: entente_domain::test_idp::Kind,
        sub: String,
        claims: String,
    ) -> Result<String, String> {
        let s = &self.0;
        let claims = entente_domain::test_idp::claims(
            &s.issuer,
            &s.issuer,
            &sub,
            &claims,
            &entente_domain::secret::random_token(16),
            crate::state::now(),
        )?;
        s.test_idp.mint(&kind, &claims)
    }

    fn explain(&self, request: ExplainRequest, staff: bool) -> app::ssr::BoxFuture<Explanation> {
        use crate::admin_api::explain::{Reader, explain_now};
        let state = self.0.clone();
        let reader = if staff {
            Reader::Staff
        } else {
            Reader::Partner
        };
        Box::pin(async move { explain_now(&state, &request, reader).await })
    }

    fn sandbox_token_request(
        &self,
        client_id: String,
        client_secret: String,
        form: Vec<(String, String)>,
        address: Option<std::net::IpAddr>,
    ) -> app::ssr::BoxFuture<app::ssr::TrialResponse> {
        let state = self.0.clone();
        Box::pin(super::playground::token_request(
            state,
            client_id,
            client_secret,
            form,
            address,
        ))
    }

    fn inspect_sandbox_token(
        &self,
        token: String,
    ) -> app::ssr::BoxFuture<Vec<(String, bool, String)>> {
        let state = self.0.clone();
        Box::pin(async move { super::playground::inspect(&state, &token) })
    }
}

impl app::ssr::Telemetry for ConsoleServices {
    fn observed(&self, keys: Vec<String>) -> app::ssr::BoxFuture<Vec<(String, u64, u64)>> {
        use entente_domain::rate_limit::Policy;
        let state = self.0.clone();
        Box::pin(async move {
            let known: Vec<(&String, Policy, &str)> = keys
                .iter()
                .filter_map(|k| match k.split_once(':')? {
                    ("partner", id) => Some((k, Policy::Partner, id)),
                    ("client", id) => Some((k, Policy::Client, id)),
                    _ => None,
                })
                .collect();
            let subjects: Vec<(Policy, &str)> = known.iter().map(|(_, p, id)| (*p, *id)).collect();
            let seen = state.limits.observed(&subjects).await;
            known
                .iter()
                .zip(seen)
                .map(|((k, ..), o)| ((*k).clone(), o.allowed, o.refused))
                .collect()
        })
    }

    fn recent_usage(
        &self,
        partner: Option<String>,
        client: Option<String>,
        seconds: i64,
    ) -> app::ssr::BoxFuture<entente_domain::usage::Report> {
        let state = self.0.clone();
        Box::pin(async move {
            let view = crate::usage::live::View { partner, client };
            // Up to now: the stream then replaces the current second once it is complete.
            crate::usage::live::current(&state, &view, crate::state::now() + 1, seconds).await
        })
    }
}
