//! Runtime configuration: 12-factor, every setting an `ENTENTE_*` variable (see `entente serve --help`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use entente_domain::keys::SigningAlgorithm;
use entente_domain::sealing::MasterKey;

/// Verified token signatures remembered by default (about 5 MB at most).
pub const DEFAULT_VERIFIED_TOKENS: usize = 50_000;

/// Logging, for every command.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `entente=debug`.
    #[arg(long, env = "ENTENTE_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format: `text` or `json`.
    #[arg(
        long,
        env = "ENTENTE_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: String,
}

/// Settings of `entente serve` (and of `entente` with no command); other commands do not show them.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address the HTTP server listens on.
    #[arg(long, env = "ENTENTE_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,
    /// The exact `iss` string of every token Entente issues, and the base of its endpoint URLs.
    #[arg(long, env = "ENTENTE_ISSUER", default_value = "http://127.0.0.1:3000")]
    pub issuer: String,
    /// Signing algorithm of new keys: ES256 (default), EdDSA, PS256 or RS256.
    #[arg(long, env = "ENTENTE_SIGNING_ALG", default_value = "ES256")]
    pub signing_alg: String,
    /// Address of the Prometheus `/metrics` listener, kept off the public one; `off` disables it.
    #[arg(long, env = "ENTENTE_METRICS_LISTEN", default_value = "127.0.0.1:9464")]
    pub metrics_listen: String,
    /// How many partners `/metrics` names in its `partner` label (the first ones to get a
    /// token); the rest are counted as `other`.
    #[arg(long, env = "ENTENTE_METRICS_PARTNER_LABELS", default_value_t = 100)]
    pub metrics_partner_labels: usize,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are believed (CIDR list,
    /// comma-separated). Default: none, so the socket address is the client's.
    #[arg(long, env = "ENTENTE_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// The header the trusted proxies write: `x-forwarded-for` or `forwarded` (RFC 7239). Only
    /// that one is read; the other is ignored, since a proxy passes it through unchanged.
    #[arg(
        long,
        env = "ENTENTE_FORWARDED_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: String,
    /// Seconds this replica may go without reading the change feed before it stops answering
    /// token and introspection requests (503) and reports not ready: revocations made on other
    /// replicas would otherwise go unseen.
    #[arg(long, env = "ENTENTE_MAX_STALENESS", default_value_t = 10)]
    pub max_staleness: u64,
    /// Seconds between a shutdown signal and closing the listener: `/readyz` fails at once so a
    /// load balancer stops sending; requests in flight then finish.
    #[arg(long, env = "ENTENTE_SHUTDOWN_DRAIN", default_value_t = 3)]
    pub shutdown_drain: u64,
    /// Record each partner's first successful token exchange for its onboarding checklist (one
    /// conditional write per partner and process, never per token): `on` or `off`.
    #[arg(long, env = "ENTENTE_FIRST_EXCHANGE_NOTE", default_value = "on")]
    pub first_exchange_note: String,
    /// Token signatures remembered once verified (partner tokens presented for exchange again,
    /// Entente tokens introspected again), each until its `exp`: about 100 bytes each; 0 checks
    /// every signature every time.
    #[arg(long, env = "ENTENTE_VERIFIED_TOKENS", default_value_t = DEFAULT_VERIFIED_TOKENS)]
    pub verified_tokens: usize,
    /// Clients one partner may have; creating one more is refused with 429 (the host's own
    /// CLI is not capped).
    #[arg(long, env = "ENTENTE_MAX_CLIENTS_PER_PARTNER", default_value_t = 100)]
    pub max_clients_per_partner: u64,
    /// Applications the public form takes per hour from everyone, on every replica together
    /// (besides 10 per network and 3 per contact address).
    #[arg(long, env = "ENTENTE_APPLICATIONS_PER_HOUR", default_value_t = 100)]
    pub applications_per_hour: u64,
    /// Failed client authentications allowed per minute for one client id (known or not)
    /// before every attempt for it is refused with 429 for a while.
    #[arg(long, env = "ENTENTE_AUTH_FAILURES_PER_CLIENT", default_value_t = 20)]
    pub auth_failures_per_client: u32,
    /// Failed client authentications allowed per minute from one source address (IPv6: per
    /// /64; behind a proxy, the address ENTENTE_TRUSTED_PROXIES report).
    #[arg(long, env = "ENTENTE_AUTH_FAILURES_PER_ADDRESS", default_value_t = 100)]
    pub auth_failures_per_address: u32,
    /// Cluster mode: `redis://host:6379/0`. Rate limits hold across replicas and the replay
    /// caches live there. Unset: each replica limits alone, replay caches in the database.
    #[arg(long, env = "ENTENTE_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// While Redis is unreachable: `local` (each replica enforces limit ÷ replicas),
    /// `fail_open` (no limits) or `fail_closed` (limited requests get 503).
    #[arg(long, env = "ENTENTE_REDIS_FAILURE_MODE", default_value = "local")]
    pub redis_failure_mode: String,
    /// Longest wait for one Redis answer (milliseconds) before a request falls back.
    #[arg(long, env = "ENTENTE_REDIS_TIMEOUT_MS", default_value_t = 100)]
    pub redis_timeout_ms: u64,
    /// The usage pipeline behind the dashboards, the usage API and `entente usage`: `on` or
    /// `off` (off only to measure what it costs).
    #[arg(long, env = "ENTENTE_USAGE", default_value = "on")]
    pub usage: String,
    /// Seconds between writes of usage rollups (each replica writes its own rows).
    #[arg(long, env = "ENTENTE_USAGE_FLUSH_SECS", default_value_t = 5)]
    pub usage_flush_secs: u64,
    /// Days usage rollups (and usage alerts) are kept.
    #[arg(long, env = "ENTENTE_USAGE_RETENTION_DAYS", default_value_t = 30)]
    pub usage_retention_days: u32,
    /// Seconds of each window that anomaly alerts judge per client (1–300).
    #[arg(long, env = "ENTENTE_ALERT_WINDOW_SECS", default_value_t = 60)]
    pub alert_window_secs: u64,
    /// Standard deviations from a client's baseline that raise an alert.
    #[arg(long, env = "ENTENTE_ALERT_THRESHOLD", default_value_t = 4.0)]
    pub alert_threshold: f64,
    /// Fewest tokens (spike) or refusals (surge) in a window that can raise an alert.
    #[arg(long, env = "ENTENTE_ALERT_MIN_VOLUME", default_value_t = 20)]
    pub alert_min_volume: u64,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// How partners' JWKS are fetched (the server, `issuer add` and `exchange explain` fetch them).
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Development only: accept plain-http and loopback/private-network JWKS URLs of trusted
    /// issuers. Never set this in production (security case E40).
    #[arg(
        long,
        env = "ENTENTE_DEV_INSECURE_ISSUER_URLS",
        default_value_t = false
    )]
    pub dev_insecure_issuer_urls: bool,
    /// How long (seconds) a partner's cached keys are still used after they should have been
    /// refreshed, while the partner's JWKS endpoint is failing.
    #[arg(long, env = "ENTENTE_JWKS_MAX_STALE", default_value_t = 21_600)]
    pub jwks_max_stale: i64,
}

impl FetchArgs {
    pub fn fetch_policy(&self) -> anyhow::Result<crate::state::issuer_keys::FetchPolicy> {
        if !(0..=7 * 86_400).contains(&self.jwks_max_stale) {
            anyhow::bail!("ENTENTE_JWKS_MAX_STALE must be between 0 and 604800 seconds");
        }
        Ok(crate::state::issuer_keys::FetchPolicy {
            allow_insecure: self.dev_insecure_issuer_urls,
            max_stale: self.jwks_max_stale,
        })
    }
}

/// Settings every command that touches the database needs.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Directory for the embedded database and the generated master key file.
    #[arg(
        long,
        env = "ENTENTE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to SQLite in the data directory.
    #[arg(long, env = "ENTENTE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Base64 of 32 random bytes. If unset, a key file is created in the data directory.
    #[arg(
        long,
        env = "ENTENTE_MASTER_KEY",
        hide_env_values = true,
        global = true
    )]
    pub master_key: Option<String>,
}

/// Validated configuration. Every error is one sentence naming the variable.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub issuer: String,
    pub signing_alg: SigningAlgorithm,
    pub database_url: String,
    pub master_key: MasterKey,
    pub fetch: crate::state::issuer_keys::FetchPolicy,
    /// `None`: no metrics listener.
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_partner_labels: usize,
    pub trusted_proxies: Vec<entente_domain::forwarded::IpNet>,
    pub forwarded_header: entente_domain::forwarded::ForwardedHeader,
    pub max_staleness: std::time::Duration,
    pub shutdown_drain: std::time::Duration,
    /// Record partners' first token exchange (the onboarding checklist's evidence).
    pub first_exchange_note: bool,
    /// Verified token signatures remembered at most (0: none).
    pub verified_tokens: usize,
    /// Caps on what callers other than the host can make.
    pub caps: entente_store::Caps,
    pub auth_failures: crate::limits::AuthFailureBudget,
    /// Cluster mode (`None`: one replica's state stays in its process and the database).
    pub redis: Option<crate::cluster::RedisConfig>,
    pub usage: crate::usage::UsageConfig,
}

impl Config {
    /// A configuration for tests and embedding: the given listener address, issuer and database,
    /// everything else at its default.
    pub fn new(
        listen: SocketAddr,
        issuer: String,
        database_url: String,
        master_key: MasterKey,
    ) -> Self {
        Self {
            listen,
            issuer,
            signing_alg: SigningAlgorithm::Es256,
            database_url,
            master_key,
            fetch: crate::state::issuer_keys::FetchPolicy {
                allow_insecure: false,
                max_stale: 21_600,
            },
            metrics_listen: None,
            metrics_partner_labels: 100,
            trusted_proxies: Vec::new(),
            forwarded_header: entente_domain::forwarded::ForwardedHeader::XForwardedFor,
            max_staleness: std::time::Duration::from_secs(10),
            shutdown_drain: std::time::Duration::from_secs(3),
            first_exchange_note: true,
            verified_tokens: DEFAULT_VERIFIED_TOKENS,
            caps: entente_store::Caps::default(),
            auth_failures: crate::limits::AuthFailureBudget::default(),
            redis: None,
            usage: crate::usage::UsageConfig::default(),
        }
    }
}

impl CommonArgs {
    pub fn database_url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(u)
                if u.starts_with("sqlite:")
                    || u.starts_with("postgres://")
                    || u.starts_with("postgresql://") =>
            {
                Ok(u.clone())
            }
            Some(_) => anyhow::bail!("ENTENTE_DATABASE_URL must start with sqlite: or postgres://"),
            None => {
                std::fs::create_dir_all(&self.data_dir).map_err(|e| {
                    anyhow::anyhow!(
                        "ENTENTE_DATA_DIR {} cannot be created: {e}",
                        self.data_dir.display()
                    )
                })?;
                Ok(format!(
                    "sqlite://{}?mode=rwc",
                    self.data_dir.join("entente.db").display()
                ))
            }
        }
    }

    /// The master key from `ENTENTE_MASTER_KEY`, else from (or newly into) `<data dir>/master.key`.
    pub fn master_key(&self) -> anyhow::Result<MasterKey> {
        if let Some(k) = &self.master_key {
            return MasterKey::from_base64(k).map_err(|_| {
                anyhow::anyhow!(
                    "ENTENTE_MASTER_KEY must be the base64 encoding of exactly 32 bytes"
                )
            });
        }
        let path = self.data_dir.join("master.key");
        if !path.exists() {
            std::fs::create_dir_all(&self.data_dir).map_err(|e| {
                anyhow::anyhow!(
                    "ENTENTE_DATA_DIR {} cannot be created: {e}",
                    self.data_dir.display()
                )
            })?;
            write_private_file(&path, &MasterKey::generate_base64())?;
            tracing::warn!(path = %path.display(), "ENTENTE_MASTER_KEY is not set: generated a master key file; back it up, or set ENTENTE_MASTER_KEY in production");
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!("master key file {} cannot be read: {e}", path.display())
        })?;
        MasterKey::from_base64(&text).map_err(|_| {
            anyhow::anyhow!(
                "master key file {} does not hold base64 of 32 bytes",
                path.display()
            )
        })
    }
}

fn write_private_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

impl LogArgs {
    pub fn validate(&self) -> anyhow::Result<()> {
        if !["text", "json"].contains(&self.log_format.as_str()) {
            anyhow::bail!(
                "ENTENTE_LOG_FORMAT must be text or json, got {:?}",
                self.log_format
            );
        }
        Ok(())
    }
}

impl ServeArgs {
    pub fn validate(&self, common: &CommonArgs) -> anyhow::Result<Config> {
        let listen = self.listen.parse().map_err(|_| {
            anyhow::anyhow!(
                "ENTENTE_LISTEN must be an address like 127.0.0.1:3000, got {:?}",
                self.listen
            )
        })?;
        check_issuer(&self.issuer)?;
        let signing_alg = self
            .signing_alg
            .parse()
            .map_err(|e: String| anyhow::anyhow!("ENTENTE_SIGNING_ALG: {e}"))?;
        let metrics_listen = match self.metrics_listen.trim() {
            "off" | "" => None,
            a => Some(a.parse().map_err(|_| {
                anyhow::anyhow!(
                    "ENTENTE_METRICS_LISTEN must be an address like 127.0.0.1:9464 or off, got {a:?}"
                )
            })?),
        };
        let trusted_proxies = entente_domain::forwarded::parse_proxies(&self.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("ENTENTE_TRUSTED_PROXIES: {e}"))?;
        let forwarded_header =
            entente_domain::forwarded::ForwardedHeader::parse(&self.forwarded_header)
                .map_err(|e| anyhow::anyhow!("ENTENTE_FORWARDED_HEADER: {e}"))?;
        if !(1..=3600).contains(&self.max_staleness) {
            anyhow::bail!("ENTENTE_MAX_STALENESS must be between 1 and 3600 seconds");
        }
        if self.shutdown_drain > 300 {
            anyhow::bail!("ENTENTE_SHUTDOWN_DRAIN must be at most 300 seconds");
        }
        let first_exchange_note = match self.first_exchange_note.as_str() {
            "on" => true,
            "off" => false,
            other => anyhow::bail!("ENTENTE_FIRST_EXCHANGE_NOTE must be on or off, got {other:?}"),
        };
        let usage = self.usage_config()?;
        for (name, v) in [
            (
                "ENTENTE_AUTH_FAILURES_PER_CLIENT",
                self.auth_failures_per_client,
            ),
            (
                "ENTENTE_AUTH_FAILURES_PER_ADDRESS",
                self.auth_failures_per_address,
            ),
        ] {
            if !(1..=100_000).contains(&v) {
                anyhow::bail!("{name} must be between 1 and 100000 per minute");
            }
        }
        let redis = self.redis_config()?;
        Ok(Config {
            redis,
            listen,
            issuer: self.issuer.clone(),
            signing_alg,
            database_url: common.database_url()?,
            master_key: common.master_key()?,
            fetch: self.fetch.fetch_policy()?,
            metrics_listen,
            metrics_partner_labels: match self.metrics_partner_labels {
                n @ 0..=10_000 => n,
                _ => anyhow::bail!("ENTENTE_METRICS_PARTNER_LABELS must be between 0 and 10000"),
            },
            trusted_proxies,
            forwarded_header,
            max_staleness: std::time::Duration::from_secs(self.max_staleness),
            shutdown_drain: std::time::Duration::from_secs(self.shutdown_drain),
            first_exchange_note,
            caps: self.caps()?,
            verified_tokens: match self.verified_tokens {
                n @ 0..=10_000_000 => n,
                _ => anyhow::bail!("ENTENTE_VERIFIED_TOKENS must be between 0 and 10000000"),
            },
            auth_failures: crate::limits::AuthFailureBudget {
                per_client: self.auth_failures_per_client,
                per_address: self.auth_failures_per_address,
            },
            usage,
        })
    }

    /// ENTENTE_USAGE and the usage alerts' settings.
    fn usage_config(&self) -> anyhow::Result<crate::usage::UsageConfig> {
        Ok(crate::usage::UsageConfig {
            live_recheck: std::time::Duration::from_secs(30),
            live_streams_per_caller: 5,
            enabled: match self.usage.as_str() {
                "on" => true,
                "off" => false,
                other => anyhow::bail!("ENTENTE_USAGE must be on or off, got {other:?}"),
            },
            flush_every: match self.usage_flush_secs {
                n @ 1..=60 => std::time::Duration::from_secs(n),
                _ => anyhow::bail!("ENTENTE_USAGE_FLUSH_SECS must be between 1 and 60"),
            },
            retention_days: match self.usage_retention_days {
                n @ 1..=3650 => n,
                _ => anyhow::bail!("ENTENTE_USAGE_RETENTION_DAYS must be between 1 and 3650"),
            },
            alert_window: match self.alert_window_secs {
                n @ 1..=300 => std::time::Duration::from_secs(n),
                _ => anyhow::bail!("ENTENTE_ALERT_WINDOW_SECS must be between 1 and 300"),
            },
            sensitivity: entente_domain::anomaly::Sensitivity {
                threshold: match self.alert_threshold {
                    t if t.is_finite() && (1.0..=100.0).contains(&t) => t,
                    _ => anyhow::bail!("ENTENTE_ALERT_THRESHOLD must be between 1 and 100"),
                },
                min_volume: match self.alert_min_volume {
                    n @ 1..=1_000_000 => n,
                    _ => anyhow::bail!("ENTENTE_ALERT_MIN_VOLUME must be between 1 and 1000000"),
                },
                ..Default::default()
            },
        })
    }

    /// Cluster mode: `None` without ENTENTE_REDIS_URL; its failure mode and timeout are checked
    /// either way.
    fn redis_config(&self) -> anyhow::Result<Option<crate::cluster::RedisConfig>> {
        let failure_mode = crate::cluster::FailureMode::parse(&self.redis_failure_mode)
            .map_err(|e| anyhow::anyhow!("ENTENTE_REDIS_FAILURE_MODE {e}"))?;
        if !(1..=10_000).contains(&self.redis_timeout_ms) {
            anyhow::bail!("ENTENTE_REDIS_TIMEOUT_MS must be between 1 and 10000");
        }
        Ok(
            match self
                .redis_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
            {
                None => None,
                Some(u) if u.starts_with("redis://") || u.starts_with("redis+unix://") => {
                    Some(crate::cluster::RedisConfig {
                        url: u.to_owned(),
                        failure_mode,
                        timeout: std::time::Duration::from_millis(self.redis_timeout_ms),
                    })
                }
                Some(_) => {
                    anyhow::bail!("ENTENTE_REDIS_URL must start with redis:// (or redis+unix://)")
                }
            },
        )
    }

    /// Caps on what callers other than the host can make.
    fn caps(&self) -> anyhow::Result<entente_store::Caps> {
        Ok(entente_store::Caps {
            clients_per_partner: match self.max_clients_per_partner {
                n @ 1..=100_000 => n,
                _ => anyhow::bail!("ENTENTE_MAX_CLIENTS_PER_PARTNER must be between 1 and 100000"),
            },
            applications_per_hour: match self.applications_per_hour {
                n @ 0..=100_000 => n,
                _ => anyhow::bail!("ENTENTE_APPLICATIONS_PER_HOUR must be between 0 and 100000"),
            },
            ..entente_store::Caps::default()
        })
    }
}

/// RFC 8414 §2: an https URL (http allowed for local use) with no query or fragment.
fn check_issuer(issuer: &str) -> anyhow::Result<()> {
    let ok = (issuer.starts_with("https://") || issuer.starts_with("http://"))
        && !issuer.contains(['?', '#'])
        && !issuer.ends_with('/')
        && issuer.split("://").nth(1).is_some_and(|h| !h.is_empty());
    if ok {
        Ok(())
    } else {
        anyhow::bail!(
            "ENTENTE_ISSUER must be an http(s) URL without query, fragment or trailing slash, got {issuer:?}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_rules() {
        assert!(check_issuer("https://id.example.com").is_ok());
        assert!(check_issuer("http://127.0.0.1:3000").is_ok());
        for bad in [
            "https://id.example.com/",
            "id.example.com",
            "https://x?y",
            "https://",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
    }
}
