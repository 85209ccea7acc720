//! What the operations need from the running service that neither the store nor the domain
//! has: applying a change to this replica's caches now, and the network checks of addresses a
//! person gives. The server implements them; the CLI has its own (it serves no cache).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use entente_domain::secret::SecretHasher;
use entente_store::Store;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Applies committed catalog changes to this replica now (other replicas follow the change
/// feed), so that the next request a person makes sees their change.
pub trait Publish: Send + Sync {
    fn changed(&self) -> BoxFuture<'_, ()>;
}

/// Checks of what a person types that need the network.
pub trait KeyChecks: Send + Sync {
    /// A client's `jwks_uri`: https (unless development allows otherwise) and resolving to
    /// public addresses only (E40); the URL to store, or a sentence.
    fn check_jwks_uri(&self, uri: String) -> BoxFuture<'_, Result<String, String>>;
    /// Fetches an issuer's JWKS now (no cache) for the onboarding check: how many usable keys
    /// it holds for `algorithms` (the issuer's space-separated list), or why none.
    fn probe_jwks_uri(
        &self,
        uri: String,
        algorithms: String,
    ) -> BoxFuture<'_, Result<usize, String>>;
}

/// Partners' own OpenID Connect providers, for signing in to the portal.
pub trait Providers: Send + Sync {
    /// The issuer URL against the SSRF rules and, with `discover`, its discovery document now.
    fn check_provider(&self, issuer: String, discover: bool) -> BoxFuture<'_, Result<(), String>>;
    /// The provider's client secret sealed under the master key, bound to the partner.
    fn seal_secret(&self, partner_id: &str, secret: &str) -> Vec<u8>;
}

/// The service's signing keys: publishing a successor now, revoking one in an emergency.
pub trait Signing: Send + Sync {
    /// The configured rotation policy (algorithm and periods) before any stored one.
    fn defaults(&self) -> entente_domain::keyring::RotationPolicy;
    /// Publishes a successor key of `environment` (signing at once with `immediate`); its kid.
    fn rotate<'a>(
        &'a self,
        actor: &'a entente_store::Actor,
        environment: entente_domain::environment::Environment,
        immediate: bool,
        now: i64,
    ) -> BoxFuture<'a, Result<String, crate::OpError>>;
    /// Revokes a key at once; the successor's kid when it was signing.
    fn revoke<'a>(
        &'a self,
        actor: &'a entente_store::Actor,
        kid: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<String>, crate::OpError>>;
}

/// What anyone may try without an account is budgeted per account and per source address;
/// the running service holds one of each for all its operations (the CLI none).
#[derive(Clone, Debug)]
pub struct Throttles {
    /// Password sign-ins and console invitations accepted.
    pub sign_in: Arc<crate::LoginThrottle>,
    /// The public application form.
    pub applications: Arc<crate::LoginThrottle>,
}

/// The operations with what they need. Cheap to clone; one per service, built at start-up.
#[derive(Clone)]
pub struct Operations {
    pub store: Store,
    pub hasher: SecretHasher,
    /// Entente's issuer (the production one; the sandbox's is derived from it).
    pub issuer: String,
    /// The sandbox test IdP's issuer: its tokens count in the sandbox only.
    pub test_idp_issuer: String,
    publish: Arc<dyn Publish>,
    keys: Arc<dyn KeyChecks>,
    signing: Arc<dyn Signing>,
    /// Only the running service reaches partners' providers (the CLI does not set them).
    providers: Option<Arc<dyn Providers>>,
    throttles: Option<Throttles>,
}

impl std::fmt::Debug for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operations")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Operations {
    pub fn new(
        store: Store,
        hasher: SecretHasher,
        issuer: String,
        publish: Arc<dyn Publish>,
        keys: Arc<dyn KeyChecks>,
        signing: Arc<dyn Signing>,
    ) -> Self {
        Self {
            store,
            hasher,
            test_idp_issuer: entente_domain::test_idp::issuer(&issuer),
            issuer,
            publish,
            keys,
            signing,
            providers: None,
            throttles: None,
        }
    }

    /// With partners' providers reachable (the running service).
    pub fn with_providers(mut self, providers: Arc<dyn Providers>) -> Self {
        self.providers = Some(providers);
        self
    }

    /// With the service's budgets for attempts made without an account.
    pub fn with_throttles(mut self, throttles: Throttles) -> Self {
        self.throttles = Some(throttles);
        self
    }

    pub(crate) fn throttles(&self) -> Option<&Throttles> {
        self.throttles.as_ref()
    }

    /// The admin API's audience, reserved to the host.
    pub fn admin_audience(&self) -> String {
        format!("{}/admin/api/v1", self.issuer)
    }

    pub(crate) async fn publish(&self) {
        self.publish.changed().await;
    }

    pub(crate) fn providers(&self) -> Option<&dyn Providers> {
        self.providers.as_deref()
    }

    pub(crate) fn signing(&self) -> &dyn Signing {
        self.signing.as_ref()
    }

    pub(crate) async fn probe_jwks_uri(
        &self,
        uri: &str,
        algorithms: &str,
    ) -> Result<usize, String> {
        self.keys
            .probe_jwks_uri(uri.to_owned(), algorithms.to_owned())
            .await
    }

    pub(crate) async fn check_jwks_uri(&self, uri: &str) -> Result<String, String> {
        self.keys.check_jwks_uri(uri.trim().to_owned()).await
    }
}
