//! The playground's trial, step by step, on the server: the form a grant sends, the policy's
//! decision before the request, the request and the response as a developer reads them, what a
//! sandbox resource server would check of the token, and the same request as curl.

use super::api::{ACCESS_TOKEN_TYPE, CLIENT_CREDENTIALS, JWT_BEARER, TOKEN_EXCHANGE, TrialCheck};
use crate::error::ConsoleError;
use crate::ssr::{ConsoleContext, TrialResponse, bad_request};

/// What the tester asked for (blank fields are left out of the request).
pub(super) struct Trial<'a> {
    pub grant_type: &'a str,
    pub audience: &'a str,
    pub scope: &'a str,
    pub subject_token: &'a str,
}

fn given(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_owned())
}

impl Trial<'_> {
    /// The token request's form for the grant, or why it cannot be sent.
    pub(super) fn form(&self) -> Result<Vec<(String, String)>, ConsoleError> {
        let mut form = vec![("grant_type".to_owned(), self.grant_type.to_owned())];
        match self.grant_type {
            CLIENT_CREDENTIALS => {}
            TOKEN_EXCHANGE => {
                let token = given(self.subject_token)
                    .ok_or_else(|| bad_request("paste or mint a subject token to exchange"))?;
                form.push(("subject_token".into(), token));
                form.push(("subject_token_type".into(), ACCESS_TOKEN_TYPE.into()));
            }
            JWT_BEARER => {
                let assertion = given(self.subject_token)
                    .ok_or_else(|| bad_request("paste or mint an assertion"))?;
                form.push(("assertion".into(), assertion));
            }
            _ => {
                return Err(bad_request(
                    "the playground tries client_credentials, token exchange and jwt-bearer",
                ));
            }
        }
        if let Some(a) = given(self.audience) {
            let name = if self.grant_type == TOKEN_EXCHANGE {
                "audience"
            } else {
                "resource"
            };
            form.push((name.into(), a));
        }
        if let Some(s) = given(self.scope) {
            form.push(("scope".into(), s));
        }
        Ok(form)
    }

    /// The policy's decision, asked before the request: an assertion is single-use, so
    /// afterwards the explanation would only say "replayed". None for client credentials.
    pub(super) async fn explanation(&self, c: &ConsoleContext, client_id: &str) -> Option<String> {
        use entente_domain::federation::explain::ExplainRequest;
        if self.grant_type == CLIENT_CREDENTIALS {
            return None;
        }
        let jwt = self.grant_type == JWT_BEARER;
        let target = given(self.audience).map(entente_domain::jws::OneOrMany::One);
        let req = ExplainRequest {
            client_id: client_id.to_owned(),
            grant_type: self.grant_type.to_owned(),
            subject_token: (!jwt).then(|| given(self.subject_token)).flatten(),
            subject_token_type: (!jwt).then(|| ACCESS_TOKEN_TYPE.into()),
            assertion: jwt.then(|| given(self.subject_token)).flatten(),
            audience: if jwt { None } else { target.clone() },
            resource: if jwt { target } else { None },
            scope: given(self.scope),
            ..Default::default()
        };
        Some(c.sandbox.0.explain(req, false).await.render())
    }
}

/// The request as sent, the secret shown as `…`.
pub(super) fn shown_request(endpoint: &str, client_id: &str, form: &[(String, String)]) -> String {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    format!(
        "POST {endpoint}\nAuthorization: Basic base64({client_id}:…)\nContent-Type: application/x-www-form-urlencoded\n\n{body}"
    )
}

/// The response as a client reads it (status, headers, the body pretty when it is JSON), and
/// its JSON.
pub(super) fn shown_response(answer: &TrialResponse) -> (String, Option<serde_json::Value>) {
    let json: Option<serde_json::Value> = serde_json::from_str(&answer.body).ok();
    let pretty = json
        .as_ref()
        .and_then(|v| serde_json::to_string_pretty(v).ok())
        .unwrap_or_else(|| answer.body.clone());
    let headers = answer
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    (
        format!("HTTP {}\n{headers}\n\n{pretty}", answer.status),
        json,
    )
}

/// The issued token's JOSE header and claims, pretty-printed, and what a sandbox resource
/// server would check of it.
pub(super) async fn inspected(
    c: &ConsoleContext,
    token: Option<&str>,
) -> (Option<String>, Option<String>, Vec<TrialCheck>) {
    let Some(t) = token else {
        return (None, None, vec![]);
    };
    let part = |i: usize| {
        t.split('.')
            .nth(i)
            .and_then(|p| {
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p).ok()
            })
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
    };
    let checks = c
        .sandbox
        .0
        .inspect_sandbox_token(t.to_owned())
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

/// The same request as a curl command (the secret from `$CLIENT_SECRET`). Values are
/// single-quoted for the shell; a quote inside one is closed, escaped and reopened.
pub(super) fn curl(endpoint: &str, client_id: &str, form: &[(String, String)]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut curl = format!("curl -s -u \"{client_id}:$CLIENT_SECRET\"");
    for (k, v) in form {
        curl.push_str(&format!(" --data-urlencode {}", quote(&format!("{k}={v}"))));
    }
    curl.push_str(&format!(" {endpoint}"));
    curl
}

/// "issued 2026-12-07 19:50:03 UTC · expires 2026-12-07 20:05:03 UTC (lives 15 min)", from a
/// token's pretty-printed claims.
pub(super) fn readable_times(claims: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(claims).ok()?;
    let iat = v.get("iat")?.as_i64()?;
    let exp = v.get("exp")?.as_i64()?;
    let life = exp - iat;
    let lives = if life % 60 == 0 {
        format!("{} min", life / 60)
    } else {
        format!("{life} s")
    };
    Some(format!(
        "issued {} · expires {} (lives {lives})",
        crate::ssr::format_time(iat),
        crate::ssr::format_time(exp)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_times_read_as_dates_and_a_lifetime() {
        assert_eq!(
            super::readable_times(r#"{"iat": 1796000000, "exp": 1796000900}"#).as_deref(),
            Some("issued 2026-11-30 00:53:20 UTC · expires 2026-11-30 01:08:20 UTC (lives 15 min)")
        );
        assert_eq!(super::readable_times(r#"{"iat": 1}"#), None);
    }
}
