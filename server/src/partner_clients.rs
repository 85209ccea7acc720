//! A new partner client from what a person typed, checked the same way for the CLI and the
//! admin API: scopes, grant types, and either a generated secret or a public JWKS.

use entente_domain::ScopeSet;
use entente_domain::client_auth::AuthMethod;
use entente_domain::environment::Environment;
use entente_domain::secret::SecretHasher;
use entente_domain::secret::generate_secret;
use entente_store::catalog::NewClient;
use entente_store::client_keys::ClientKeys;

pub struct ClientInput<'a> {
    pub partner_id: String,
    pub name: String,
    /// Space-separated.
    pub scopes: &'a str,
    /// client_secret (Basic or POST) or private_key_jwt.
    pub auth_method: &'a str,
    /// The public JWKS document, for private_key_jwt, or
    pub jwks: Option<String>,
    /// the address it is published at, already checked against the SSRF rules
    /// (`check_jwks_uri`).
    pub jwks_uri: Option<String>,
    /// Space-separated.
    pub grant_types: &'a str,
    /// production or sandbox; empty or absent: the partner's stage decides.
    pub environment: Option<&'a str>,
}

/// The client to store and, for a secret client, the secret to show once.
pub fn new_partner_client(
    c: ClientInput<'_>,
    hasher: &SecretHasher,
) -> Result<(Option<String>, NewClient), String> {
    let environment = c
        .environment
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::parse::<Environment>)
        .transpose()?;
    let scopes = ScopeSet::parse(c.scopes).map_err(|e| e.description.to_string())?;
    if scopes.is_empty() {
        return Err("give the client at least one scope".into());
    }
    let grant_types: Vec<String> = c
        .grant_types
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    const SUPPORTED: [&str; 4] = entente_domain::federation::GRANT_TYPES;
    if grant_types.is_empty() {
        return Err(format!(
            "give at least one grant type: {}",
            SUPPORTED.join(" ")
        ));
    }
    if let Some(bad) = grant_types
        .iter()
        .find(|g| !SUPPORTED.contains(&g.as_str()))
    {
        return Err(format!(
            "grant type {bad:?} is not supported; use any of: {}",
            SUPPORTED.join(" ")
        ));
    }
    let is_secret = match c.auth_method {
        "client_secret" | "client_secret_basic" | "client_secret_post" => true,
        m if AuthMethod::parse(m) == Some(AuthMethod::PrivateKeyJwt) => false,
        m => {
            return Err(format!(
                "the auth method is client_secret or private_key_jwt, not {m:?}"
            ));
        }
    };
    if is_secret {
        if c.jwks.is_some() || c.jwks_uri.is_some() {
            return Err("a JWKS or jwks_uri is only for private_key_jwt clients".into());
        }
        let secret = generate_secret();
        let hash = hasher.hash(&secret);
        return Ok((
            Some(secret),
            NewClient::partner_secret(c.partner_id, c.name, scopes, grant_types, hash)
                .in_environment(environment),
        ));
    }
    let keys = match (c.jwks, c.jwks_uri) {
        (Some(text), None) => {
            entente_domain::jwks::check_document(&text)?;
            ClientKeys::Document(text)
        }
        (None, Some(uri)) => ClientKeys::Uri(uri),
        (Some(_), Some(_)) => return Err("give either a JWKS or a jwks_uri, not both".into()),
        (None, None) => {
            return Err("a private_key_jwt client needs its public JWKS or a jwks_uri".into());
        }
    };
    Ok((
        None,
        NewClient::partner_key(c.partner_id, c.name, scopes, grant_types, keys)
            .in_environment(environment),
    ))
}

/// A `jwks_uri` a client gives: https (unless development allows otherwise), and resolving to
/// public addresses only (case E40). Returns it as given (trimmed), so a configuration document
/// applied again compares equal to what was stored.
pub async fn check_jwks_uri(
    uri: &str,
    policy: &crate::state::issuer_keys::FetchPolicy,
) -> Result<String, String> {
    let uri = uri.trim();
    crate::state::issuer_keys::ssrf::check_url_resolves(uri, policy).await?;
    Ok(uri.to_owned())
}
