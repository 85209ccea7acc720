//! What the walk sends through each door: the form every server function is called with, a
//! well-formed body for each admin API route, and the ill-formed values a refused caller sends.

use super::*;

/// The form every server function is called with: well-formed arguments for all of them at
/// once (unknown fields are ignored), naming `partner` and `client`.
pub(super) fn form(partner: &str, client: &str) -> Vec<(&'static str, String)> {
    let fixed: &[(&str, &str)] = &[
        ("name", "Walk"),
        ("slug", "walk-partner"),
        ("stage", "sandbox"),
        ("to", "in_review"),
        ("reason", "walking the policy table"),
        ("id", "0"),
        ("decision", "approve"),
        ("comment", ""),
        ("status", "pending"),
        ("role", "partner_viewer"),
        ("sensitivity", "low"),
        ("search", ""),
        ("offset", "0"),
        ("filter", ""),
        ("edits", "[]"),
        ("description", ""),
        ("kid", "k_none"),
        ("confirm", "k_none"),
        ("rotation_days", "0"),
        ("publish_minutes", "0"),
        ("grace_minutes", "0"),
        ("actor", ""),
        ("action", ""),
        ("since", ""),
        ("until", ""),
        ("before", ""),
        ("technical[name]", ""),
        ("technical[email]", ""),
        ("technical[phone]", ""),
        ("security[name]", ""),
        ("security[email]", ""),
        ("security[phone]", ""),
        ("business[name]", ""),
        ("business[email]", ""),
        ("business[phone]", ""),
        ("legal_name", ""),
        ("agreement_reference", ""),
        ("signed_on", ""),
        ("expires_on", ""),
        ("permitted_operations", ""),
        ("data_class", ""),
        ("escalation", ""),
        ("email", "nobody@example.test"),
        ("password", "wrong password!!"),
        ("token", "not-a-token"),
        ("identifier", "https://walk.example.test"),
        ("scopes", "orders:read"),
        ("token_lifetime", "300"),
        ("issuer", "https://idp.walk.test"),
        ("jwks_uri", ""),
        ("jwks", "{\"keys\": []}"),
        ("audience", API),
        ("claims", ""),
        ("mappings", ""),
        ("max_depth", "1"),
        ("rule_id", "tr_none"),
        ("enabled", "false"),
        ("typed_jwt", "false"),
        ("subject_token", "x.y.z"),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("actor_token", ""),
        ("scope", ""),
        ("keys", "partner:acme"),
        ("tier", ""),
        ("per_second", "5"),
        ("burst", "10"),
        ("client", ""),
        ("range", "live"),
        ("environment", ""),
        ("overlap", "0"),
        ("client_secret", "not-the-secret"),
        ("grant_type", "client_credentials"),
        ("organisation", "Walk Organisation"),
        ("website", ""),
        ("contact_name", "Walk"),
        ("contact_email", "walk@example.test"),
        ("use_case", "Walking every operation of the policy table."),
        ("join_role", ""),
        ("domains", ""),
        ("kind", "access_token"),
        ("sub", "walk"),
    ];
    let mut v: Vec<(&'static str, String)> =
        fixed.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    v.push(("partner", partner.to_owned()));
    v.push(("client_id", client.to_owned()));
    v.push(("subject", format!("partner:{partner}")));
    v
}

/// What a refused caller sends to the routes whose input is more than a name: values each
/// would judge invalid. A refused caller must get 403 or 404 all the same — never a 400 that
/// judges input they may not submit (the operation authorizes before it reads the rest).
pub(super) fn ill_formed(route: &str) -> Option<Value> {
    let (_, path) = route.split_once(' ').unwrap_or_default();
    Some(match path.trim_start_matches(V1) {
        "/partners/{partner}/clients" => {
            json!({"name": "walk", "scopes": "orders:read", "auth_method": "bogus"})
        }
        "/clients/{client_id}/secret" => json!({"grace_seconds": 99_999_999}),
        "/clients/{client_id}/keys" => json!({}),
        "/partners/{partner}/issuers" => json!({"issuer": "not a URL", "jwks": "{"}),
        "/partners/{partner}/trust-rules" => json!({
            "issuer": "https://idp.walk.test", "audience": API, "scopes": "not a scope!",
            "claims": "=", "mappings": "?"
        }),
        "/partners/{partner}/grants" => {
            json!({"grants": [{"audience": API, "scopes": "not a scope!"}], "reason": "walk"})
        }
        "/partners/{partner}/rate-limit" | "/clients/{client_id}/rate-limit" => {
            json!({"per_second": 0, "burst": 0})
        }
        _ => return None,
    })
}

/// A well-formed body for each admin API route (the handler reaches its operation).
pub(super) fn body(route: &str, client: &str) -> Option<Value> {
    let (method, path) = route.split_once(' ').unwrap_or_default();
    if method == "GET" || method == "DELETE" {
        return None;
    }
    Some(match path.trim_start_matches(V1) {
        "/exchange/explain" => json!({"client_id": client, "grant_type": "client_credentials"}),
        "/rate-limits/tiers/{name}" => json!({"per_second": 5, "burst": 10}),
        "/partners/{partner}/rate-limit" | "/clients/{client_id}/rate-limit" => {
            json!({"per_second": 5, "burst": 10})
        }
        "/partners" => json!({"slug": "walk-api", "name": "Walk"}),
        "/partners/{partner}/stage" => json!({"to": "in_review", "reason": "walk"}),
        "/partners/{partner}/suspend" | "/partners/{partner}/reactivate" => {
            json!({"reason": "walk"})
        }
        "/partners/{partner}/record" => json!({"legal_name": "Walk Ltd"}),
        "/partners/{partner}/questionnaire" | "/partners/{partner}/issuer-check" => json!({}),
        "/partners/{partner}/clients" => json!({"name": "walk", "scopes": "orders:read"}),
        "/clients/{client_id}/secret" => json!({"grace_seconds": 0}),
        "/clients/{client_id}/keys" => json!({"jwks": "{\"keys\": []}"}),
        "/partners/{partner}/invitations" => {
            json!({"email": "walk@example.test", "role": "partner_viewer"})
        }
        "/partners/{partner}/users/{email}" => json!({"role": "partner_viewer", "enabled": true}),
        "/audiences" => {
            json!({"identifier": "https://walk-api.example.test", "scopes": ["walk:read"]})
        }
        "/scopes" => {
            json!({"audience": API, "scope": "orders:read", "description": "", "sensitivity": "low"})
        }
        "/partners/{partner}/grants" => {
            json!({"grants": [{"audience": API, "scopes": "orders:read"}], "reason": "walk"})
        }
        "/partners/{partner}/issuers" => {
            json!({"issuer": "https://idp.walk.test", "jwks": "{\"keys\": []}"})
        }
        "/partners/{partner}/issuers/enabled" => {
            json!({"issuer": "https://idp.walk.test", "enabled": false})
        }
        "/partners/{partner}/trust-rules" => json!({
            "issuer": "https://idp.walk.test", "audience": API, "scopes": "orders:read"
        }),
        "/trust-rules/{rule}/enabled" => json!({"enabled": false}),
        "/keys/policy" => json!({"rotation_interval": 0, "publish_lead": 0, "retirement_grace": 0}),
        "/keys/rotate" => json!({"environment": "sandbox"}),
        "/keys/{kid}/revoke" => json!({"confirm": "k_none"}),
        "/change-requests/{id}/decision" => json!({"decision": "approve"}),
        "/change-requests/{id}/withdraw" => json!({}),
        "/users/{email}" => json!({"role": "auditor", "enabled": true}),
        other => panic!("no body for {method} {other}: add one"),
    })
}
