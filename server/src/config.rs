//! Runtime configuration: 12-factor, every setting an `ENTENTE_*` variable (see `entente serve --help`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use entente_domain::keys::SigningAlgorithm;
use entente_domain::sealing::MasterKey;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address the HTTP server listens on.
    #[arg(
        long,
        env = "ENTENTE_LISTEN",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub listen: String,
    /// The exact `iss` string of every token Entente issues, and the base of its endpoint URLs.
    /// Not global: `issuer add` and `trust-rule set` have their own `--issuer` (the partner's);
    /// their Entente issuer comes from ENTENTE_ISSUER.
    #[arg(long, env = "ENTENTE_ISSUER", default_value = "http://127.0.0.1:3000")]
    pub issuer: String,
    /// Signing algorithm of new keys: ES256 (default), EdDSA, PS256 or RS256.
    #[arg(
        long,
        env = "ENTENTE_SIGNING_ALG",
        default_value = "ES256",
        global = true
    )]
    pub signing_alg: String,
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
    /// Development only: accept plain-http and loopback/private-network JWKS URLs of trusted
    /// issuers. Never set this in production (security case E40).
    #[arg(
        long,
        env = "ENTENTE_DEV_INSECURE_ISSUER_URLS",
        default_value_t = false,
        global = true
    )]
    pub dev_insecure_issuer_urls: bool,
    /// How long (seconds) a partner's cached keys are still used after they should have been
    /// refreshed, while the partner's JWKS endpoint is failing.
    #[arg(
        long,
        env = "ENTENTE_JWKS_MAX_STALE",
        default_value_t = 21_600,
        global = true
    )]
    pub jwks_max_stale: i64,
}

/// Validated configuration. Every error is one sentence naming the variable.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub issuer: String,
    pub signing_alg: SigningAlgorithm,
    pub database_url: String,
    pub master_key: MasterKey,
    pub fetch: crate::issuer_keys::FetchPolicy,
}

impl CommonArgs {
    pub fn fetch_policy(&self) -> anyhow::Result<crate::issuer_keys::FetchPolicy> {
        if !(0..=7 * 86_400).contains(&self.jwks_max_stale) {
            anyhow::bail!("ENTENTE_JWKS_MAX_STALE must be between 0 and 604800 seconds");
        }
        Ok(crate::issuer_keys::FetchPolicy {
            allow_insecure: self.dev_insecure_issuer_urls,
            max_stale: self.jwks_max_stale,
        })
    }

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

impl ServeArgs {
    pub fn validate(&self) -> anyhow::Result<Config> {
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
        if !["text", "json"].contains(&self.log_format.as_str()) {
            anyhow::bail!(
                "ENTENTE_LOG_FORMAT must be text or json, got {:?}",
                self.log_format
            );
        }
        Ok(Config {
            listen,
            issuer: self.issuer.clone(),
            signing_alg,
            database_url: self.common.database_url()?,
            master_key: self.common.master_key()?,
            fetch: self.common.fetch_policy()?,
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
