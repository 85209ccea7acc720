//! Partner issuers' signing keys: fetched from their `jwks_uri` with an SSRF guard, bounded in
//! time and size, cached per issuer honouring Cache-Control, refetched on an unknown `kid` at most
//! once per cooldown, and served stale for a while when the partner is down (cases A7, A8,
//! E40–E42, H55).

pub mod ssrf;
pub(crate) mod unreachable;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use entente_domain::jwks::VerifyingKey;

use ssrf::{GuardedResolver, HostLookup, SystemLookup, check_url, redirect_allowed};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(5);
pub const BODY_CAP: usize = 256 * 1024;
/// At most one fetch per issuer in this many seconds when a `kid` is unknown (case A8).
pub const COOLDOWN: i64 = 30;
pub const MIN_FRESH: i64 = 300;
pub const MAX_FRESH: i64 = 86_400;

#[derive(Debug, Clone, Copy)]
pub struct FetchPolicy {
    /// Development: allow http and non-public addresses.
    pub allow_insecure: bool,
    /// Seconds past freshness during which cached keys are still used if refetching fails.
    pub max_stale: i64,
}

struct Entry {
    keys: Arc<Vec<VerifyingKey>>,
    fetched_at: i64,
    fresh_until: i64,
    last_attempt: i64,
}

/// The cache of fetched partner keys, shared by all requests of this replica.
pub struct IssuerKeys {
    client: reqwest::Client,
    /// The same guard, following no redirects: for posting credentials (a provider's token
    /// endpoint), which must never be re-sent elsewhere.
    poster: reqwest::Client,
    policy: FetchPolicy,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl IssuerKeys {
    pub fn new(policy: FetchPolicy) -> anyhow::Result<Self> {
        Self::with_lookup(policy, Arc::new(SystemLookup))
    }

    pub fn with_lookup(policy: FetchPolicy, lookup: Arc<dyn HostLookup>) -> anyhow::Result<Self> {
        let poster = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .dns_resolver(Arc::new(GuardedResolver {
                allow_insecure: policy.allow_insecure,
                lookup: lookup.clone(),
            }))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("entente")
            .build()?;
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .dns_resolver(Arc::new(GuardedResolver {
                allow_insecure: policy.allow_insecure,
                lookup,
            }))
            // A proxy from HTTP(S)_PROXY would resolve and connect for us, past the guard above.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if redirect_allowed(attempt.previous(), attempt.url()) {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .user_agent("entente-jwks-fetcher")
            .build()?;
        Ok(Self {
            client,
            poster,
            policy,
            entries: RwLock::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        })
    }

    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// The guarded client that follows no redirects (a partner provider's token endpoint).
    pub fn poster(&self) -> &reqwest::Client {
        &self.poster
    }

    /// A JSON document from a partner's server (an OpenID provider's discovery document),
    /// with the same guard, time and size bounds as key fetches.
    pub async fn fetch_json(&self, url: &str) -> Result<serde_json::Value, String> {
        let (body, _) = self.fetch_bounded(url, "application/json").await?;
        serde_json::from_slice(&body).map_err(|_| "the response is not JSON".to_string())
    }

    fn entry(&self, issuer_id: &str) -> Option<Arc<Entry>> {
        match self.entries.read() {
            Ok(g) => g.get(issuer_id).cloned(),
            Err(p) => p.into_inner().get(issuer_id).cloned(),
        }
    }

    fn usable(&self, e: &Entry, now: i64) -> Arc<Vec<VerifyingKey>> {
        if now <= e.fresh_until + self.policy.max_stale {
            e.keys.clone()
        } else {
            Arc::new(Vec::new())
        }
    }

    /// The keys of issuer `issuer_id` published at `jwks_uri`, fetching if they are missing,
    /// stale, or lack `kid` — unless the issuer was tried within the cooldown. `rsa_default`:
    /// the algorithm an RSA key without `alg` is bound to (`jwks::sole_rsa`), if any.
    pub async fn keys(
        &self,
        issuer_id: &str,
        jwks_uri: &str,
        kid: Option<&str>,
        rsa_default: Option<jsonwebtoken::Algorithm>,
        now: i64,
    ) -> Arc<Vec<VerifyingKey>> {
        let needs_fetch = |e: &Entry| {
            now >= e.fresh_until
                || kid.is_some_and(|k| !e.keys.iter().any(|v| v.kid.as_deref() == Some(k)))
        };
        if let Some(e) = self.entry(issuer_id)
            && (!needs_fetch(&e) || now - e.last_attempt < COOLDOWN)
        {
            return self.usable(&e, now);
        }
        let lock = {
            let mut g = match self.in_flight.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            g.entry(issuer_id.to_owned()).or_default().clone()
        };
        let _guard = lock.lock().await;
        // Someone else may have fetched while we waited.
        let previous = self.entry(issuer_id);
        if let Some(e) = &previous
            && (!needs_fetch(e) || now - e.last_attempt < COOLDOWN)
        {
            return self.usable(e, now);
        }
        let entry = match self.fetch(jwks_uri, rsa_default).await {
            Ok((keys, max_age)) => {
                metrics::counter!("entente_jwks_fetches_total", "result" => "ok").increment(1);
                Entry {
                    keys: Arc::new(keys),
                    fetched_at: now,
                    fresh_until: now + max_age.clamp(MIN_FRESH, MAX_FRESH),
                    last_attempt: now,
                }
            }
            Err(why) => {
                metrics::counter!("entente_jwks_fetches_total", "result" => "error").increment(1);
                tracing::warn!(issuer_id, error = %why, "fetching a trusted issuer's JWKS failed");
                match &previous {
                    Some(p) => Entry {
                        keys: p.keys.clone(),
                        fetched_at: p.fetched_at,
                        fresh_until: p.fresh_until,
                        last_attempt: now,
                    },
                    None => Entry {
                        keys: Arc::new(Vec::new()),
                        fetched_at: 0,
                        fresh_until: 0,
                        last_attempt: now,
                    },
                }
            }
        };
        let keys = self.usable(&entry, now);
        match self.entries.write() {
            Ok(mut g) => g.insert(issuer_id.to_owned(), Arc::new(entry)),
            Err(p) => p.into_inner().insert(issuer_id.to_owned(), Arc::new(entry)),
        };
        keys
    }

    /// One bounded fetch: the upstream's error text stays in our logs (case E42).
    /// Fetches `jwks_uri` now, bypassing the cache (the onboarding check): how many usable keys
    /// it publishes, or why it could not be fetched.
    pub async fn probe(
        &self,
        jwks_uri: &str,
        rsa_default: Option<jsonwebtoken::Algorithm>,
    ) -> Result<usize, String> {
        let (keys, _) = self.fetch(jwks_uri, rsa_default).await?;
        if keys.is_empty() {
            return Err("publishes no usable key".into());
        }
        Ok(keys.len())
    }

    #[tracing::instrument(level = "debug", name = "partner_key_fetch", skip(self))]
    async fn fetch(
        &self,
        jwks_uri: &str,
        rsa_default: Option<jsonwebtoken::Algorithm>,
    ) -> Result<(Vec<VerifyingKey>, i64), String> {
        let (body, max_age) = self
            .fetch_bounded(jwks_uri, "application/jwk-set+json, application/json")
            .await?;
        let text = std::str::from_utf8(&body).map_err(|_| "response is not UTF-8".to_string())?;
        let (keys, refused) = entente_domain::jwks::parse_with(text, rsa_default)?;
        if !refused.is_empty() {
            tracing::warn!(refused = ?refused, "some keys of a trusted issuer's JWKS were refused");
        }
        Ok((keys, max_age))
    }

    /// One guarded GET: the body (at most `BODY_CAP`) and its `Cache-Control` max-age.
    async fn fetch_bounded(&self, raw: &str, accept: &str) -> Result<(Vec<u8>, i64), String> {
        let url = check_url(raw, &self.policy)?;
        let mut resp = self
            .client
            .get(url)
            .header("accept", accept)
            .send()
            .await
            .map_err(|e| unreachable::could_not_reach(raw, &e))?;
        if !resp.status().is_success() {
            return Err(unreachable::answered(raw, resp.status()));
        }
        if resp
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v.as_bytes() != b"identity")
        {
            return Err("compressed responses are not accepted".into());
        }
        if resp.content_length().is_some_and(|l| l > BODY_CAP as u64) {
            return Err("response exceeds the size cap".into());
        }
        let max_age = cache_max_age(resp.headers());
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("Reading {raw} failed: {}", unreachable::cause(&e)))?
        {
            if body.len() + chunk.len() > BODY_CAP {
                return Err("response exceeds the size cap".into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, max_age))
    }
}

/// `Cache-Control: max-age` (no-store/no-cache count as 0, then clamped up to the minimum).
fn cache_max_age(h: &reqwest::header::HeaderMap) -> i64 {
    let Some(cc) = h.get("cache-control").and_then(|v| v.to_str().ok()) else {
        return MIN_FRESH;
    };
    let mut age = MIN_FRESH;
    for part in cc.split(',').map(str::trim) {
        if part.eq_ignore_ascii_case("no-store") || part.eq_ignore_ascii_case("no-cache") {
            return 0;
        }
        if let Some(v) = part
            .strip_prefix("max-age=")
            .or_else(|| part.strip_prefix("s-maxage="))
        {
            age = v.trim_matches('"').parse().unwrap_or(MIN_FRESH);
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::ssrf::{LookupFuture, check_url_resolves_with};
    use super::*;
    use std::net::{IpAddr, SocketAddr};

    fn prod() -> FetchPolicy {
        FetchPolicy {
            allow_insecure: false,
            max_stale: 0,
        }
    }

    #[test]
    fn cache_control_is_read() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("cache-control", "public, max-age=7200".parse().unwrap());
        assert_eq!(cache_max_age(&h), 7200);
        h.insert("cache-control", "no-store".parse().unwrap());
        assert_eq!(cache_max_age(&h), 0);
    }

    /// A JWKS endpoint whose answer can be switched to a failure.
    async fn upstream(
        jwks: String,
    ) -> (
        String,
        Arc<std::sync::atomic::AtomicUsize>,
        Arc<std::sync::atomic::AtomicBool>,
    ) {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let hits = Arc::new(AtomicUsize::new(0));
        let down = Arc::new(AtomicBool::new(false));
        let (h, d) = (hits.clone(), down.clone());
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (h, d, jwks) = (h.clone(), d.clone(), jwks.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    if d.load(Ordering::SeqCst) {
                        Err(axum::http::StatusCode::BAD_GATEWAY)
                    } else {
                        Ok(([("cache-control", "max-age=600")], jwks))
                    }
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (url, hits, down)
    }

    #[tokio::test]
    async fn stale_keys_serve_until_max_stale_then_stop_and_cooldown_bounds_fetches() {
        use std::sync::atomic::Ordering;
        let k =
            entente_domain::keys::generate(entente_domain::keys::SigningAlgorithm::Es256).unwrap();
        let jwks = serde_json::json!({"keys": [k.public_jwk]}).to_string();
        let (url, hits, down) = upstream(jwks).await;
        let cache = IssuerKeys::new(FetchPolicy {
            allow_insecure: true,
            max_stale: 3600,
        })
        .unwrap();
        let t0 = 1_000_000;
        assert_eq!(
            cache.keys("ti", &url, Some(&k.kid), None, t0).await.len(),
            1
        );
        // Fresh for max-age=600: no refetch for a known kid.
        cache.keys("ti", &url, Some(&k.kid), None, t0 + 100).await;
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        // Unknown kids: one refetch, then nothing within the 30 s cooldown (case A8).
        for i in 0..10 {
            cache
                .keys("ti", &url, Some(&format!("nope-{i}")), None, t0 + 200)
                .await;
        }
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        cache.keys("ti", &url, Some("nope"), None, t0 + 231).await;
        assert_eq!(hits.load(Ordering::SeqCst), 3);
        // The partner goes down after freshness ends: cached keys keep working (case H55)…
        down.store(true, Ordering::SeqCst);
        assert_eq!(
            cache
                .keys("ti", &url, Some(&k.kid), None, t0 + 900)
                .await
                .len(),
            1
        );
        assert_eq!(hits.load(Ordering::SeqCst), 4);
        // …until max-stale has passed, then tokens of this issuer are refused.
        assert!(
            cache
                .keys("ti", &url, Some(&k.kid), None, t0 + 231 + 600 + 3601)
                .await
                .is_empty()
        );
        // It comes back: keys return on the next attempt after the cooldown.
        down.store(false, Ordering::SeqCst);
        assert_eq!(
            cache
                .keys("ti", &url, Some(&k.kid), None, t0 + 5000)
                .await
                .len(),
            1
        );
        // Another issuer is unaffected by this one's state.
        assert!(
            cache
                .keys("other", "http://127.0.0.1:9/jwks", None, None, t0)
                .await
                .is_empty()
        );
    }

    /// Answers each lookup with the next address of a list (the last one repeats).
    struct Rebinding(std::sync::Mutex<Vec<IpAddr>>);

    impl HostLookup for Rebinding {
        fn lookup(&self, _host: String, port: u16) -> LookupFuture {
            let mut g = self.0.lock().unwrap();
            let ip = if g.len() > 1 { g.remove(0) } else { g[0] };
            Box::pin(async move { Ok(vec![SocketAddr::new(ip, port)]) })
        }
    }

    /// Counts TCP connections made to it.
    async fn counting_listener() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let c = n.clone();
        tokio::spawn(async move {
            while let Ok((_s, _)) = l.accept().await {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        (port, n)
    }

    /// E41: a name that resolved to a public address at registration and to loopback at fetch
    /// time is refused at connect; no connection is made.
    #[tokio::test]
    async fn dns_rebinding_is_refused_at_connect_time() {
        use std::sync::atomic::Ordering;
        let (port, connections) = counting_listener().await;
        let url = format!("https://idp.rebind.test:{port}/jwks");
        let lookup = Arc::new(Rebinding(std::sync::Mutex::new(vec![
            "93.184.216.34".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
        ])));
        check_url_resolves_with(&url, &prod(), lookup.clone())
            .await
            .expect("public at registration");
        let cache = IssuerKeys::with_lookup(prod(), lookup).unwrap();
        assert!(cache.fetch(&url, None).await.is_err());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            connections.load(Ordering::SeqCst),
            0,
            "no connection inside"
        );
        // The same resolver under the development setting does connect: the counter counts.
        let dev = FetchPolicy {
            allow_insecure: true,
            max_stale: 0,
        };
        let lookup = Arc::new(Rebinding(std::sync::Mutex::new(vec![
            "127.0.0.1".parse().unwrap(),
        ])));
        let cache = IssuerKeys::with_lookup(dev, lookup).unwrap();
        let _ = tokio::time::timeout(Duration::from_millis(500), cache.fetch(&url, None)).await;
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    /// An upstream that answers `/jwks` with the given status, headers and body.
    async fn serving(
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> (String, u16) {
        let app = axum::Router::new().fallback(move || {
            let (headers, body) = (headers.clone(), body.clone());
            async move {
                let mut r = axum::response::Response::new(axum::body::Body::from(body));
                *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
                for (k, v) in headers {
                    r.headers_mut().insert(k, v.parse().unwrap());
                }
                r
            }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (format!("http://127.0.0.1:{port}/jwks"), port)
    }

    fn dev_cache() -> IssuerKeys {
        IssuerKeys::new(FetchPolicy {
            allow_insecure: true,
            max_stale: 0,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn redirect_to_another_port_is_not_followed() {
        use std::sync::atomic::Ordering;
        let (port, connections) = counting_listener().await;
        let (url, _) = serving(
            302,
            vec![("location", format!("http://127.0.0.1:{port}/jwks"))],
            vec![],
        )
        .await;
        let err = dev_cache().fetch(&url, None).await.unwrap_err();
        assert!(err.contains("302"), "{err}");
        assert_eq!(connections.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn failures_name_the_address_and_the_cause() {
        // A port nobody listens on: refused.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url = format!("http://127.0.0.1:{port}/jwks");
        let err = dev_cache().fetch(&url, None).await.unwrap_err();
        assert_eq!(
            err,
            format!(
                "Could not reach {url}: connection refused (is the server listening on that port?)"
            )
        );
        let (url, _) = serving(404, vec![], vec![]).await;
        let err = dev_cache().fetch(&url, None).await.unwrap_err();
        assert_eq!(
            err,
            format!("{url} answered 404 Not Found, not the document")
        );
    }

    fn padded_jwks(total: usize) -> Vec<u8> {
        let k =
            entente_domain::keys::generate(entente_domain::keys::SigningAlgorithm::Es256).unwrap();
        let doc = serde_json::json!({"keys": [k.public_jwk]}).to_string();
        let mut body = doc.into_bytes();
        body.resize(total, b' ');
        body
    }

    /// The cap, not a parse error, refuses a large body: the same document under the cap is read.
    #[tokio::test]
    async fn bodies_over_the_cap_are_refused() {
        let (under, _) = serving(200, vec![], padded_jwks(BODY_CAP - 1024)).await;
        assert_eq!(dev_cache().fetch(&under, None).await.unwrap().0.len(), 1);
        let (over, _) = serving(200, vec![], padded_jwks(BODY_CAP + 1024)).await;
        let err = dev_cache().fetch(&over, None).await.unwrap_err();
        assert!(err.contains("size cap"), "{err}");
    }

    /// A gzip bomb (64 MiB of zeros in 64 KiB) is refused without being inflated.
    #[tokio::test]
    async fn gzip_bombs_are_refused() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            gz.write_all(&zeros).unwrap();
        }
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < BODY_CAP);
        let (url, _) = serving(
            200,
            vec![
                ("content-encoding", "gzip".into()),
                ("content-type", "application/json".into()),
            ],
            bomb,
        )
        .await;
        let err = dev_cache().fetch(&url, None).await.unwrap_err();
        assert!(err.contains("compressed"), "{err}");
    }
}
