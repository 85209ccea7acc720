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
    Ok(PlaygroundData {
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
    let mut form = vec![("grant_type".to_owned(), grant_type.clone())];
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    match grant_type.as_str() {
        CLIENT_CREDENTIALS => {}
        TOKEN_EXCHANGE => {
            let token = opt(&subject_token)
                .ok_or_else(|| bad_request("paste or mint a subject token to exchange"))?;
            form.push(("subject_token".into(), token));
            form.push(("subject_token_type".into(), ACCESS_TOKEN_TYPE.into()));
        }
        JWT_BEARER => {
            let assertion =
                opt(&subject_token).ok_or_else(|| bad_request("paste or mint an assertion"))?;
            form.push(("assertion".into(), assertion));
        }
        _ => {
            return Err(bad_request(
                "the playground tries client_credentials, token exchange and jwt-bearer",
            ));
        }
    }
    if let Some(a) = opt(&audience) {
        let name = if grant_type == TOKEN_EXCHANGE {
            "audience"
        } else {
            "resource"
        };
        form.push((name.into(), a));
    }
    if let Some(s) = opt(&scope) {
        form.push(("scope".into(), s));
    }
    let token_endpoint = format!(
        "{}/oauth2/token",
        entente_domain::environment::Environment::Sandbox.issuer(&c.issuer)
    );
    // The policy's decision, before the request: an assertion is single-use, so afterwards
    // the explanation would only say "replayed".
    let explanation = if grant_type == CLIENT_CREDENTIALS {
        None
    } else {
        use entente_domain::federation::explain::ExplainRequest;
        let jwt = grant_type == JWT_BEARER;
        let target = opt(&audience).map(entente_domain::jws::OneOrMany::One);
        let req = ExplainRequest {
            client_id: client_id.clone(),
            grant_type: grant_type.clone(),
            subject_token: (!jwt).then(|| opt(&subject_token)).flatten(),
            subject_token_type: (!jwt).then(|| ACCESS_TOKEN_TYPE.into()),
            assertion: jwt.then(|| opt(&subject_token)).flatten(),
            audience: if jwt { None } else { target.clone() },
            resource: if jwt { target } else { None },
            scope: opt(&scope),
            ..Default::default()
        };
        Some(c.sandbox.0.explain(req).await.render())
    };
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
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&form)
        .finish();
    let request = format!(
        "POST {token_endpoint}\nAuthorization: Basic base64({client_id}:…)\nContent-Type: application/x-www-form-urlencoded\n\n{body}"
    );
    let json: Option<serde_json::Value> = serde_json::from_str(&answer.body).ok();
    let pretty = json
        .as_ref()
        .and_then(|v| serde_json::to_string_pretty(v).ok())
        .unwrap_or_else(|| answer.body.clone());
    let response = format!(
        "HTTP {}\n{}\n\n{pretty}",
        answer.status,
        answer
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let token = json
        .as_ref()
        .and_then(|v| v.get("access_token"))
        .and_then(|t| t.as_str())
        .map(str::to_owned);
    let (token_header, token_claims, checks) = match &token {
        Some(t) => {
            let part = |i: usize| {
                t.split('.')
                    .nth(i)
                    .and_then(|p| {
                        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p)
                            .ok()
                    })
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
            };
            let checks = c
                .sandbox
                .0
                .inspect_sandbox_token(t.clone())
                .await
                .into_iter()
                .map(|(name, passed, detail)| TrialCheck {
                    name,
                    passed,
                    detail,
                })
                .collect();
            (part(0), part(1), checks)
        }
        None => (None, None, vec![]),
    };
    // Single-quoted for the shell; a quote inside a value is closed, escaped and reopened.
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut curl = format!("curl -s -u \"{client_id}:$CLIENT_SECRET\"");
    for (k, v) in &form {
        curl.push_str(&format!(" --data-urlencode {}", quote(&format!("{k}={v}"))));
    }
    curl.push_str(&format!(" {token_endpoint}"));
    Ok(TrialResult {
        request,
        status: answer.status,
        response,
        token_header,
        token_claims,
        checks,
        explanation,
        curl,
    })
}
