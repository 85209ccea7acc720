//! Server functions of the playground: the caller's sandbox clients and audiences, and a trial
//! token request sent through the sandbox's real token endpoint, with everything a developer
//! wants to see about it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{bad_request, console, portal_user, user_error};

pub use entente_types::grant_type::{
    CLIENT_CREDENTIALS, GRANT_JWT_BEARER as JWT_BEARER, GRANT_TOKEN_EXCHANGE as TOKEN_EXCHANGE,
    TT_ACCESS_TOKEN as ACCESS_TOKEN_TYPE,
};

/// A subject token (`kind` "access_token", for token exchange) or an assertion (`kind`
/// "assertion", for jwt-bearer) from the sandbox test IdP, for the made-up user `sub` with the
/// tester's `claims` (a JSON object). Its tokens are accepted in the sandbox only.
#[server]
pub async fn mint_test_token(
    kind: String,
    sub: String,
    claims: String,
) -> Result<String, ConsoleError> {
    portal_user("mint_test_token").await?;
    let kind = match kind.as_str() {
        "access_token" => entente_domain::test_idp::Kind::AccessToken,
        "assertion" => entente_domain::test_idp::Kind::Assertion,
        _ => return Err(bad_request("kind is access_token or assertion")),
    };
    console()?
        .sandbox
        .0
        .mint_test_token(kind, sub, claims)
        .map_err(bad_request)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialClient {
    pub client_id: String,
    pub name: String,
    pub grant_types: Vec<String>,
    pub scopes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaygroundData {
    /// The partner's sandbox clients.
    pub clients: Vec<TrialClient>,
    /// Sandbox audiences the partner holds a grant on.
    pub audiences: Vec<String>,
    pub token_endpoint: String,
    /// The signed-in user may create clients (a partner admin), else someone else must.
    pub can_create: bool,
    /// For a sandbox tester: whether they may get a sandbox client of their own (their
    /// organisation's admins decide), and that client's id once they have one.
    pub own: Option<OwnClient>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnClient {
    pub allowed: bool,
    pub client_id: Option<String>,
}

/// A sandbox tester's own sandbox client with a new secret, shown once: created on the first
/// ask; every later ask ends the old secret at once.
#[server]
pub async fn tester_credentials() -> Result<crate::components::SecretShown, ConsoleError> {
    let (me, _) = portal_user("tester_credentials").await?;
    let (got, created) = console()?
        .ops
        .tester_credentials(&me.acting(), crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(crate::components::SecretShown {
        note: if created {
            "Your own sandbox client is ready.".into()
        } else {
            "New secret issued: the old one no longer works.".into()
        },
        client_name: got.client.name,
        client_id: got.client.client_id,
        client_secret: got.secret,
        token_endpoint: got.token_endpoint,
    })
}

#[server]
pub async fn playground() -> Result<PlaygroundData, ConsoleError> {
    let (me, p) = portal_user("playground").await?;
    let c = console()?;
    let sandbox = entente_store::enums::EnvironmentColumn::Sandbox;
    let clients = c
        .store
        .list_clients(Some(&p.id))
        .await
        .map_err(user_error)?
        .into_iter()
        // The playground authenticates with a secret: private_key_jwt clients are tried from
        // the partner's own code, which holds the private key.
        .filter(|m| {
            m.environment == sandbox
                && m.enabled
                && m.auth_method == entente_store::enums::ClientAuth::ClientSecret
        })
        .map(|m| TrialClient {
            client_id: m.client_id,
            name: m.name,
            grant_types: m
                .grant_types
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            scopes: m.allowed_scopes,
        })
        .collect();
    let audiences = crate::pages::portal::api::sandbox_grants(&c, &p.id)
        .await?
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let own = if me.role == entente_store::enums::Role::SandboxTester {
        let mine = c
            .store
            .tester_client(&p.id, &me.acting().audit().name)
            .await
            .map_err(user_error)?;
        Some(OwnClient {
            allowed: p.testers_get_clients,
            client_id: mine.filter(|m| m.enabled).map(|m| m.client_id),
        })
    } else {
        None
    };
    Ok(PlaygroundData {
        own,
        can_create: me.role == entente_store::enums::Role::PartnerAdmin,
        clients,
        audiences,
        token_endpoint: format!(
            "{}/oauth2/token",
            entente_domain::environment::Environment::Sandbox.issuer(&c.issuer)
        ),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialCheck {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialResult {
    /// The HTTP request as sent (the secret shown as `…`).
    pub request: String,
    pub status: u16,
    /// The HTTP response: status line, the headers a client reads, the body.
    pub response: String,
    /// The issued token's JOSE header and claims, pretty-printed (when one was issued).
    pub token_header: Option<String>,
    pub token_claims: Option<String>,
    /// `iat` and `exp` as people read them.
    pub token_times: Option<String>,
    /// What a sandbox resource server would check of it.
    pub checks: Vec<TrialCheck>,
    /// The policy's decision trace, for a token exchange.
    pub explanation: Option<String>,
    /// A curl command that sends the same request (the secret from `$CLIENT_SECRET`).
    pub curl: String,
}

/// One trial: the request goes through the sandbox token endpoint's real handler as the
/// chosen client (its secret as typed; never stored or echoed). Another partner's client, or
/// a production one, is "not found" (G50).
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn try_token(
    client_id: String,
    client_secret: String,
    grant_type: String,
    audience: String,
    scope: String,
    subject_token: String,
) -> Result<TrialResult, ConsoleError> {
    let (me, _) = portal_user("try_token").await?;
    let c = console()?;
    let (m, _) = c
        .ops
        .client_for(
            &me.acting(),
            entente_operations::Operation::TryToken,
            &client_id,
        )
        .await
        .map_err(crate::ssr::op_error)?;
    // The playground trades in the sandbox only.
    if m.environment != entente_store::enums::EnvironmentColumn::Sandbox {
        return Err(crate::ssr::fail(ConsoleError::not_found(format!(
            "no sandbox client {client_id} of yours"
        ))));
    }
    use super::trial::{Trial, curl, inspected, shown_request, shown_response};
    let trial = Trial {
        grant_type: &grant_type,
        audience: &audience,
        scope: &scope,
        subject_token: &subject_token,
    };
    let form = trial.form()?;
    let token_endpoint = format!(
        "{}/oauth2/token",
        entente_domain::environment::Environment::Sandbox.issuer(&c.issuer)
    );
    let explanation = trial.explanation(&c, &client_id).await;
    let address = use_context::<axum::http::request::Parts>()
        .and_then(|p| {
            p.extensions
                .get::<entente_domain::forwarded::ClientAddr>()
                .copied()
        })
        .map(|a| a.0);
    let answer = c
        .sandbox
        .0
        .sandbox_token_request(client_id.clone(), client_secret, form.clone(), address)
        .await;
    let (response, json) = shown_response(&answer);
    let token = json
        .as_ref()
        .and_then(|v| v.get("access_token"))
        .and_then(|t| t.as_str());
    let (token_header, token_claims, checks) = inspected(&c, token).await;
    Ok(TrialResult {
        request: shown_request(&token_endpoint, &client_id, &form),
        status: answer.status,
        response,
        token_header,
        token_times: token_claims
            .as_deref()
            .and_then(super::trial::readable_times),
        token_claims,
        checks,
        explanation,
        curl: curl(&token_endpoint, &client_id, &form),
    })
}
