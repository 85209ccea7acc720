//! The federation services the console's server functions use, backed by the running state.

use entente_domain::federation::explain::{ExplainRequest, Explanation};

use crate::state::AppState;

pub struct ConsoleFederation(pub AppState);

impl app::ssr::FederationServices for ConsoleFederation {
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

    fn set_sign_in(
        &self,
        actor: entente_store::Actor,
        partner: entente_store::entities::partner::Model,
        settings: app::ssr::SignInInput,
    ) -> app::ssr::BoxFuture<Result<(), entente_store::StoreError>> {
        let state = self.0.clone();
        Box::pin(async move {
            use entente_store::StoreError;
            let issuer = settings.issuer.trim().to_owned();
            crate::state::issuer_keys::ssrf::check_url(&issuer, state.issuer_keys.policy())
                .map_err(|e| StoreError::Invalid(e.replace("JWKS URL", "issuer")))?;
            if settings.enabled {
                super::sign_in::check_provider(&state, &issuer)
                    .await
                    .map_err(StoreError::Invalid)?;
            }
            let sealed = settings.client_secret.filter(|s| !s.is_empty()).map(|s| {
                state
                    .master
                    .seal(s.as_bytes(), &super::sign_in::secret_context(&partner.id))
            });
            state
                .store
                .set_partner_sign_in(
                    &actor,
                    &partner,
                    entente_store::sign_in::SignInSettings {
                        issuer,
                        client_id: settings.client_id,
                        client_secret_sealed: sealed,
                        join_role: settings.join_role,
                        domains: settings.domains,
                        enabled: settings.enabled,
                    },
                    crate::state::now(),
                )
                .await
                .map(|_| ())
        })
    }

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

    fn check_issuer_keys(
        &self,
        partner: String,
    ) -> app::ssr::BoxFuture<Result<(bool, String), String>> {
        let state = self.0.clone();
        Box::pin(async move {
            let read_failed = |e: entente_store::StoreError| {
                tracing::error!(error = %e, "reading a partner's issuers for the key check failed");
                "the partner's issuers could not be read; try again".to_string()
            };
            let p = state
                .store
                .partner_by_slug(&partner)
                .await
                .map_err(read_failed)?;
            let issuers = state
                .store
                .list_trusted_issuers(Some(&p.id))
                .await
                .map_err(read_failed)?;
            let mut ok = true;
            let mut lines = vec![];
            for i in issuers.iter().filter(|i| i.enabled) {
                let rsa_default =
                    entente_domain::federation::rules::parse_algorithms(&i.algorithms)
                        .ok()
                        .and_then(|a| entente_domain::jwks::sole_rsa(&a));
                let found = match (&i.jwks_uri, &i.jwks) {
                    (Some(uri), _) => state.issuer_keys.probe(uri, rsa_default).await,
                    (None, Some(doc)) => entente_domain::jwks::parse_with(doc, rsa_default)
                        .map(|(keys, _)| keys.len())
                        .and_then(|n| {
                            if n == 0 {
                                Err("no usable key".into())
                            } else {
                                Ok(n)
                            }
                        }),
                    (None, None) => Err("no keys registered".into()),
                };
                match found {
                    Ok(n) => lines.push(format!("{}: {n} key(s)", i.issuer)),
                    Err(e) => {
                        ok = false;
                        lines.push(format!("{}: {e}", i.issuer));
                    }
                }
            }
            if lines.is_empty() {
                return Err("the partner has no enabled trusted issuer".into());
            }
            Ok((ok, lines.join("; ")))
        })
    }

    fn rotation_policy(&self) -> entente_domain::keyring::RotationPolicy {
        self.0.rotation()
    }

    fn rotate_keys_now(
        &self,
        actor: entente_store::Actor,
        environment: entente_domain::environment::Environment,
        immediate: bool,
    ) -> app::ssr::BoxFuture<Result<String, entente_store::StoreError>> {
        let state = self.0.clone();
        Box::pin(async move {
            let alg = state.rotation().algorithm;
            let kid = crate::state::signing_keys::rotate_now(
                &state.store,
                &state.master,
                alg,
                environment,
                immediate,
                &actor,
                crate::state::now(),
            )
            .await
            .map_err(store_error)?;
            state.reload_keys().await.map_err(store_error)?;
            Ok(kid)
        })
    }

    fn revoke_key(
        &self,
        actor: entente_store::Actor,
        kid: String,
    ) -> app::ssr::BoxFuture<Result<Option<String>, entente_store::StoreError>> {
        let state = self.0.clone();
        Box::pin(async move {
            crate::state::signing_keys::emergency_revoke(&state, &actor, &kid, crate::state::now())
                .await
                .map_err(store_error)
        })
    }

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

    fn apply_changes(&self) -> app::ssr::BoxFuture<()> {
        let state = self.0.clone();
        Box::pin(async move {
            // Best effort: if the database hiccups, the background poll applies it shortly.
            if let Err(e) = state.poll_changes().await {
                tracing::warn!(error = %e, "applying console changes now failed");
            }
        })
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

/// A store refusal as it was; anything else (key generation, a reload) logged and said simply.
fn store_error(e: anyhow::Error) -> entente_store::StoreError {
    match e.downcast::<entente_store::StoreError>() {
        Ok(s) => s,
        Err(other) => {
            tracing::error!(error = %other, "a signing-key operation failed");
            entente_store::StoreError::Invalid(
                "the signing keys could not be changed; try again".into(),
            )
        }
    }
}
