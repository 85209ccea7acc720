//! The SSRF check of a client's `jwks_uri`, shared by the server's and the CLI's operations.

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
