//! The console: Leptos SSR routes and server functions, sessions in the database, security
//! headers and the cross-site refusal; the admin API shares its sessions.

pub mod playground;
pub mod services;
pub mod sessions;
pub mod sign_in;
pub mod site_files;

use axum::Router;
use axum::middleware;
use leptos::config::LeptosOptions;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::http::middleware::cross_site::{origin_of, refuse_cross_site};
use crate::http::middleware::security_headers::{CspNonce, security_headers};
use crate::state::AppState;
use sessions::DbSessionStore;

/// The runtime Leptos options: Leptos.toml (compiled in), overridable with LEPTOS_* variables.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    leptos::config::get_config_from_str(include_str!("../../../Leptos.toml"))
        .map_err(|e| anyhow::anyhow!("Leptos.toml: {e}"))
}

pub fn router(state: &AppState) -> anyhow::Result<Router> {
    let mut options = leptos_options()?;
    // Hashed names come from `hash.txt` beside the binary (written by `cargo leptos build`);
    // a binary built otherwise (`cargo build`, the tests) serves the site's plain names.
    if options.hash_files && !hash_file_present(&options) {
        tracing::debug!(
            "no {} beside the binary: built files keep their plain names",
            options.hash_file
        );
        options.hash_files = false;
    }
    let routes = generate_route_list(app::App);
    let ctx = app::ssr::ConsoleContext {
        throttle: state.login_throttle.clone(),
        store: state.store.clone(),
        hasher: state.hasher.clone(),
        issuer: state.issuer.clone(),
        sandbox: app::ssr::SandboxHandle(std::sync::Arc::new(services::ConsoleServices(
            state.clone(),
        ))),
        telemetry: app::ssr::TelemetryHandle(std::sync::Arc::new(services::ConsoleServices(
            state.clone(),
        ))),
        ops: state.ops(),
    };
    let https = state.issuer.starts_with("https://");
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.store.clone()))
        // `__Host-` binds the cookie to this exact origin; browsers only accept it over https.
        .with_name(if https {
            "__Host-entente"
        } else {
            "entente_session"
        })
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(2)))
        // Idle expiry only slides when the session is saved: save on every console request
        // (console traffic is light; the token service never touches sessions).
        .with_always_save(true);
    let origin = origin_of(&state.issuer);
    let shell_options = options.clone();
    let context = move || {
        provide_context(ctx.clone());
        // The scripts Leptos renders carry the nonce that this response's CSP names.
        if let Some(nonce) = use_context::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<CspNonce>().cloned())
        {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    };
    let router = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), move || {
            app::shell(shell_options.clone())
        })
        .merge(crate::admin_api::routes(state))
        .merge(
            Router::new()
                .route(sign_in::START_PATH, axum::routing::get(sign_in::start))
                .route(
                    sign_in::CALLBACK_PATH,
                    axum::routing::get(sign_in::callback),
                )
                .with_state(state.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context,
            app::shell,
        ))
        .with_state(options.clone())
        .layer(sessions)
        // Built files outside the session layer: no session is read or saved for them, and no
        // Set-Cookie travels with a response any cache may keep for a year.
        .nest(
            &format!("/{}", options.site_pkg_dir),
            site_files::routes(&options),
        )
        .layer(middleware::from_fn(move |req, next| {
            refuse_cross_site(origin.clone(), req, next)
        }))
        .layer(middleware::from_fn(security_headers));
    Ok(router)
}

fn hash_file_present(options: &LeptosOptions) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
        .is_some_and(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cargo-leptos reads Cargo.toml, the server reads Leptos.toml: they must agree.
    #[test]
    fn leptos_toml_agrees_with_cargo_metadata() {
        let runtime = leptos_options().unwrap();
        let cargo =
            leptos::config::get_config_from_str(include_str!("../../../Cargo.toml")).unwrap();
        assert_eq!(runtime.output_name, cargo.output_name);
        assert_eq!(runtime.site_addr, cargo.site_addr);
        assert_eq!(runtime.site_pkg_dir, cargo.site_pkg_dir);
        assert_eq!(runtime.site_root, cargo.site_root);
        assert_eq!(runtime.hash_files, cargo.hash_files);
        assert!(runtime.hash_files, "built files are named by their content");
    }
}
