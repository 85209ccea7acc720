//! One start-up path for `main` and for every test (zero2prod's `Application::build` / `run`):
//! migrate, make sure a signing key exists, load caches, bind, serve with the client's socket
//! address, run the workers under supervision, and shut down in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};
use std::sync::{Arc, RwLock};

use axum::Router;
use entente_domain::environment::Environment;
use entente_domain::keyring::RotationPolicy;
use entente_domain::secret::SecretHasher;
use entente_store::Store;
use tokio::net::TcpListener;

use crate::config::Config;

use crate::oauth::discovery;
use crate::state::{AppState, Inner, now};
use crate::workers::Workers;

/// Derivation label of the pairwise-subject key.
pub const PAIRWISE_PURPOSE: &str = "entente pairwise subject v1";

/// Pepper for client-secret hashes, derived from the master key.
pub fn secret_hasher(master: &entente_domain::sealing::MasterKey) -> SecretHasher {
    SecretHasher::new(&master.derive("entente client-secret pepper v1"))
}

pub struct Application {
    state: AppState,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown_drain: std::time::Duration,
}

impl Application {
    /// Binds `config.listen` (and the metrics listener) and prepares the service.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("ENTENTE_LISTEN {}: {e}", config.listen))?;
        Self::build_on(config, listener).await
    }

    /// As `build`, on a listener bound by the caller (tests bind port 0 first, to know the issuer).
    pub async fn build_on(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let metrics_listener = match config.metrics_listen {
            Some(a) => Some(
                TcpListener::bind(a)
                    .await
                    .map_err(|e| anyhow::anyhow!("ENTENTE_METRICS_LISTEN {a}: {e}"))?,
            ),
            None => None,
        };
        let metrics = metrics_listener.as_ref().map(|_| prometheus());
        let shutdown_drain = config.shutdown_drain;
        let state = build_state(config, metrics).await?;
        Ok(Self {
            state,
            listener,
            metrics_listener,
            shutdown_drain,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then: `/readyz` fails at once, the listener stays open
    /// for the drain period (a load balancer sees not-ready and stops sending), then closes and
    /// requests in flight finish (H56). Returns an error if a background worker dies.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            state,
            listener,
            metrics_listener,
            shutdown_drain,
        } = self;
        let app = router(&state)?;
        let mut workers = Workers::spawn(&state);
        let _metrics_server = metrics_listener.map(|l| {
            let app = crate::router::metrics_router(state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(l, app).await {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            })
        });
        tracing::info!(addr = %listener.local_addr()?, "entente is serving");
        let draining = state.clone();
        let graceful = async move {
            shutdown.await;
            draining.begin_shutdown();
            tracing::info!(
                drain_seconds = shutdown_drain.as_secs(),
                "shutting down: reporting not ready, then finishing in-flight requests"
            );
            tokio::time::sleep(shutdown_drain).await;
        };
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(graceful);
        let result = tokio::select! {
            r = std::future::IntoFuture::into_future(server) => r.map_err(anyhow::Error::from),
            e = workers.first_failure() => Err(e),
        };
        if let Some(h) = _metrics_server {
            h.abort();
        }
        // The last seconds of usage are written before the process goes.
        if state.usage.config.enabled
            && let Err(e) = crate::usage::flush::flush(&state, now()).await
        {
            tracing::warn!(error = %e, "the last usage flush failed");
        }
        result
    }
}

/// The public router: token service, console, admin API; the client address on every request.
pub fn router(state: &AppState) -> anyhow::Result<Router> {
    let router = crate::router::router(state.clone())
        .merge(crate::console::router(state)?)
        // Every request (token service, console, admin API) gets an id, a span and, when traces
        // are exported, its trace.
        .layer(axum::middleware::from_fn(
            crate::http::middleware::request_id::request_id_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::middleware::client_address::client_address,
        ))
        // No request holds the process (or a shutdown) longer than this.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            std::time::Duration::from_secs(30),
        ));
    // Served over https (the issuer says so): browsers must never try plain http again.
    Ok(if state.issuer.starts_with("https://") {
        router.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static("max-age=63072000"),
        ))
    } else {
        router
    })
}

/// The process-wide Prometheus recorder (installed once; every Application in a process shares it).
fn prometheus() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}

async fn build_state(
    config: Config,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> anyhow::Result<AppState> {
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database (ENTENTE_DATABASE_URL): {e}"))?
        .with_caps(config.caps);
    store.migrate().await?;
    let rotation = RotationPolicy {
        algorithm: config.signing_alg,
        ..RotationPolicy::default()
    };
    let replica = uuid::Uuid::new_v4().to_string();
    let redis = match &config.redis {
        Some(r) => {
            let redis = Arc::new(crate::cluster::Redis::new(r)?);
            // Not fatal: a replica starts while Redis is down and joins it when it answers.
            redis.check_health(&replica).await;
            if !redis.is_up() {
                tracing::warn!(
                    failure_mode = r.failure_mode.as_str(),
                    "Redis is not reachable yet: starting in the failure mode"
                );
            }
            Some(redis)
        }
        None => None,
    };
    crate::workers::maintenance::rotate_keys(
        &store,
        &config.master_key,
        &rotation,
        &replica,
        now(),
    )
    .await?;
    let state = AppState(Arc::new(Inner {
        discovery_json: serde_json::to_vec(&discovery::metadata(&config.issuer))?.into(),
        sandbox_discovery_json: serde_json::to_vec(&discovery::metadata(
            &Environment::Sandbox.issuer(&config.issuer),
        ))?
        .into(),
        sandbox_issuer: Environment::Sandbox.issuer(&config.issuer),
        test_idp: crate::state::test_idp::TestIdp::new(&config.master_key, &config.issuer)?,
        issuer: config.issuer,
        hasher: secret_hasher(&config.master_key),
        issuer_keys: crate::state::issuer_keys::IssuerKeys::new(config.fetch)?,
        pairwise_secret: config.master_key.derive(PAIRWISE_PURPOSE),
        master: config.master_key,
        store,
        rotation_defaults: rotation,
        rotation: RwLock::new(Arc::new(rotation)),
        replica,
        snapshot: Default::default(),
        keys: Default::default(),
        sandbox_keys: Default::default(),
        revoked: Default::default(),
        feed_position: AtomicI64::new(0),
        reload_lock: tokio::sync::Mutex::new(()),
        catalog_build: Default::default(),
        metrics,
        trusted_proxies: config.trusted_proxies,
        forwarded_header: config.forwarded_header,
        login_throttle: Default::default(),
        apply_throttle: Arc::new(entente_operations::LoginThrottle::for_applications()),
        sso_throttle: entente_operations::LoginThrottle::for_federated_sign_in(),
        limits: crate::limits::Limits::new(config.auth_failures, redis),
        usage: crate::state::usage::Usage::new(config.usage),
        partner_labels: crate::state::partner_labels::PartnerLabels::new(
            config.metrics_partner_labels,
        ),
        max_staleness: config.max_staleness,
        started: std::time::Instant::now(),
        fresh_at_ms: AtomicU64::new(0),
        shutting_down: AtomicBool::new(false),
        exchanges_seen: Default::default(),
        sso_used: Default::default(),
        sso_discovery: Default::default(),
        first_exchange_note: config.first_exchange_note,
        verified: crate::state::verified_tokens::VerifiedTokenCache::new(config.verified_tokens)
            .map(Arc::new),
    }));
    state.reload_all().await?;
    state.mark_fresh();
    first_admin_invite(&state).await?;
    Ok(state)
}

/// With no administrator yet, prints a one-time URL (1 hour, single use) to create the first.
async fn first_admin_invite(state: &AppState) -> anyhow::Result<()> {
    if state.store.count_admins().await? > 0 {
        return Ok(());
    }
    let token = entente_domain::secret::random_token(32);
    state
        .store
        .create_invite(
            state.hasher.hash(&token),
            entente_store::enums::Role::Admin,
            now() + 3600,
        )
        .await?;
    tracing::warn!(
        "no administrator exists yet: open {}/setup?token={token} within one hour to create the first one (or run `entente admin create`)",
        state.issuer
    );
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
