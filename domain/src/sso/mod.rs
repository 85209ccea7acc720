//! Federated sign-in for partner users through their organisation's OpenID Connect provider
//! (authorization code + PKCE): what the provider's discovery document must say, which ID
//! tokens are accepted (OpenID Connect Core 1.0 §3.1.3.7), and how a provider's user becomes a
//! partner user. Signatures are checked by the caller with `jws::verify` and the provider's
//! keys; everything here is pure, with `now` passed in.

use serde::{Deserialize, Serialize};

use crate::jws::OneOrMany;

/// Seconds a sign-in may take between leaving for the provider and coming back.
pub const FLOW_LIFETIME: i64 = 600;
/// Clock skew tolerated on `exp` and `iat`.
pub const LEEWAY: i64 = 60;

/// The endpoints a provider's discovery document gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEndpoints {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// Where claims requested by scope are, when the ID token does not carry them (Core §5.4).
    pub userinfo_endpoint: Option<String>,
    /// The algorithm of RSA keys published without `alg` (Entra ID does so): the provider's
    /// only RSA ID-token algorithm (`id_token_signing_alg_values_supported`), if it has one.
    pub rsa_default: Option<jsonwebtoken::Algorithm>,
}

/// OpenID Connect Discovery 1.0 §4.3: the document's `issuer` must be exactly the issuer it
/// was fetched for, and the endpoints we use must be there (and https unless `allow_http`).
pub fn check_discovery(
    doc: &serde_json::Value,
    issuer: &str,
    allow_http: bool,
) -> Result<ProviderEndpoints, String> {
    if doc.get("issuer").and_then(|v| v.as_str()) != Some(issuer) {
        return Err(format!(
            "the discovery document names another issuer than {issuer}"
        ));
    }
    let url = |name: &str| -> Result<String, String> {
        let v = doc
            .get(name)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("the discovery document has no {name}"))?;
        let ok = v.starts_with("https://") || (allow_http && v.starts_with("http://"));
        if !ok || v.len() > 2048 {
            return Err(format!("{name} must be an https URL"));
        }
        Ok(v.to_owned())
    };
    if let Some(types) = doc
        .get("response_types_supported")
        .and_then(|v| v.as_array())
        && !types.iter().any(|t| t.as_str() == Some("code"))
    {
        return Err("the provider does not support the authorization code flow".into());
    }
    // The browser is sent to the authorization endpoint from Entente's own origin: it must be
    // the issuer's own host, or a partner could use the sign-in link as an open redirect.
    let host = |u: &str| {
        u.split_once("://")
            .map(|(_, rest)| {
                rest.split(['/', '?', '#'])
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    };
    if let Some(auth) = doc.get("authorization_endpoint").and_then(|v| v.as_str())
        && host(auth) != host(issuer)
    {
        return Err("the authorization endpoint must be on the issuer's own host".into());
    }
    if let Some(methods) = doc
        .get("code_challenge_methods_supported")
        .and_then(|v| v.as_array())
        && !methods.iter().any(|m| m.as_str() == Some("S256"))
    {
        return Err("the provider does not support PKCE with S256".into());
    }
    Ok(ProviderEndpoints {
        authorization_endpoint: url("authorization_endpoint")?,
        token_endpoint: url("token_endpoint")?,
        jwks_uri: url("jwks_uri")?,
        userinfo_endpoint: match doc.get("userinfo_endpoint") {
            Some(_) => Some(url("userinfo_endpoint")?),
            None => None,
        },
        rsa_default: crate::jwks::sole_rsa(
            &doc.get("id_token_signing_alg_values_supported")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str()?.parse::<jsonwebtoken::Algorithm>().ok())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        ),
    })
}

/// What is kept (sealed, in a cookie) between leaving for the provider and the callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub partner_id: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: i64,
}

/// The claims of an ID token that sign-in reads.
#[derive(Debug, Clone, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: OneOrMany,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
}

/// Who signed in at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUser {
    pub subject: String,
    /// Lower-cased.
    pub email: String,
    /// The provider's `email_verified`, when it says.
    pub email_verified: Option<bool>,
}

/// OpenID Connect Core §3.1.3.7, steps 2–3 and 9–11: issuer, audience (and `azp` when there
/// are several), expiry, issue time, nonce and a subject.
pub fn check_id_token_identity(
    c: &IdTokenClaims,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<(), String> {
    if c.iss != issuer {
        return Err("the ID token is from another issuer".into());
    }
    if !c.aud.contains(client_id) {
        return Err("the ID token is not addressed to Entente's client".into());
    }
    if (c.aud.as_single().is_none() || c.azp.is_some()) && c.azp.as_deref() != Some(client_id) {
        return Err("the ID token was issued to another party (azp)".into());
    }
    if c.exp.saturating_add(LEEWAY) <= now {
        return Err("the ID token has expired".into());
    }
    if c.iat > now.saturating_add(LEEWAY) {
        return Err("the ID token is issued in the future".into());
    }
    if c.nonce.as_deref() != Some(nonce) {
        return Err("the ID token does not carry this sign-in's nonce".into());
    }
    if c.sub.is_empty() || c.sub.len() > 255 {
        return Err("the ID token has no usable subject".into());
    }
    Ok(())
}

/// Claims from the UserInfo endpoint (Core §5.3.2): its `sub` must be the ID token's, else
/// they are about someone else and are refused.
pub fn merge_userinfo(c: &mut IdTokenClaims, userinfo: &serde_json::Value) -> Result<(), String> {
    if userinfo.get("sub").and_then(|s| s.as_str()) != Some(c.sub.as_str()) {
        return Err("the provider's UserInfo is about another subject".into());
    }
    if c.email.is_none() {
        c.email = userinfo
            .get("email")
            .and_then(|e| e.as_str())
            .map(str::to_owned);
        c.email_verified = userinfo.get("email_verified").and_then(|v| v.as_bool());
    }
    Ok(())
}

/// The identity checks, then an e-mail address the provider has not said is unverified.
pub fn check_id_token(
    c: &IdTokenClaims,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<ProviderUser, String> {
    check_id_token_identity(c, issuer, client_id, nonce, now)?;
    if c.email_verified == Some(false) {
        return Err("the provider has not verified this user's e-mail address".into());
    }
    let email = c
        .email
        .as_deref()
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| e.contains('@') && e.len() <= 254)
        .ok_or("the ID token carries no e-mail address (ask for the email scope)")?;
    Ok(ProviderUser {
        subject: c.sub.clone(),
        email,
        email_verified: c.email_verified,
    })
}

/// A partner user as the mapping sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    /// `None`: a console user.
    pub partner_id: Option<String>,
    pub enabled: bool,
    /// Already linked to another identity of this provider.
    pub linked_here: bool,
}

/// What becomes of a provider's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// Already linked to this user: sign them in.
    Linked(String),
    /// The partner user with this e-mail, linked now to the provider's subject.
    Link(String),
    /// A new partner user with this role (the connection lets people of its domains join).
    Join(String),
    Refuse(&'static str),
}

/// Who the provider's user is here. `linked`: the user their (issuer, subject) was linked to
/// before; `by_email`: the account with their e-mail address; `join_role` and `domains`: the
/// connection's automatic membership. Console users are never signed in this way, nor anyone
/// of another partner, and a linked subject keeps its user even if its e-mail changes.
pub fn map_user(
    partner_id: &str,
    user: &ProviderUser,
    linked: Option<&Member>,
    by_email: Option<&Member>,
    join_role: Option<&str>,
    domains: &[String],
) -> Mapping {
    let ours = |m: &Member| m.partner_id.as_deref() == Some(partner_id);
    if let Some(m) = linked {
        return match (ours(m), m.enabled) {
            (true, true) => Mapping::Linked(m.user_id.clone()),
            (true, false) => Mapping::Refuse("your account here is disabled"),
            (false, _) => Mapping::Refuse("this identity belongs to another account"),
        };
    }
    let domain = user.email.rsplit('@').next().unwrap_or_default();
    let managed = domains.iter().any(|d| d.eq_ignore_ascii_case(domain));
    // An address decides who someone is only when the provider vouches for it (OIDC Core
    // §5.7: `email` is neither unique nor verified by itself): `email_verified: true`, or no
    // claim at all for the domains the partner names as its own.
    let vouched = match user.email_verified {
        Some(v) => v,
        None => managed,
    };
    if let Some(m) = by_email {
        return match (ours(m), m.enabled, vouched, m.linked_here) {
            (false, ..) => Mapping::Refuse(
                "this e-mail address belongs to another account: sign in with its password",
            ),
            (true, false, ..) => Mapping::Refuse("your account here is disabled"),
            (true, true, false, _) => Mapping::Refuse(
                "your provider does not vouch for this e-mail address (email_verified); ask your partner administrator",
            ),
            (true, true, true, true) => {
                Mapping::Refuse("your account here is linked to another identity of this provider")
            }
            (true, true, true, false) => Mapping::Link(m.user_id.clone()),
        };
    }
    match join_role {
        Some(role) if managed && vouched => Mapping::Join(role.to_owned()),
        _ => Mapping::Refuse(
            "you are not a member of your organisation's team here yet: ask its partner administrator for an invitation",
        ),
    }
}

/// E-mail domains of a connection as typed: comma- or space-separated, lower-cased; each a
/// host name with a dot.
pub fn parse_domains(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = vec![];
    for d in text
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let d = d.trim_start_matches('@').to_ascii_lowercase();
        let ok = d.len() <= 253
            && d.contains('.')
            && !d.starts_with('.')
            && !d.ends_with('.')
            && d.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !ok {
            return Err(format!("{d:?} is not an e-mail domain"));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > 20 {
        return Err("at most 20 domains".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
