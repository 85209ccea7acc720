//! The portal's docs (`/portal/docs`): how to integrate, written with the partner's own values —
//! endpoints, client ids, scopes, identity providers — so each example runs as copied.

use leptos::prelude::*;
use leptos_router::components::A;

use super::PortalLayout;
use super::docs_api::{DocsData, Endpoints, portal_docs};
use crate::components::{CopyButton, ErrorBox};

const TX: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Every error the token endpoint answers with, and what to do about it.
const ERRORS: [(&str, &str, &str); 10] = [
    (
        "invalid_client",
        "401",
        "The client ID or secret is wrong, the secret was rotated out, or the client is disabled. Check the credentials; after a rotation, deploy the new secret before the overlap ends.",
    ),
    (
        "unauthorized_client",
        "400",
        "The client may not use this grant, or you called the other environment's endpoint (the description names the right one): sandbox clients get tokens at the sandbox endpoint only.",
    ),
    (
        "invalid_grant",
        "400",
        "The assertion or refresh token is not acceptable: expired, replayed (an assertion's jti is single-use; a spent refresh token revokes its family), or from an issuer without a trust rule. Get a fresh one.",
    ),
    (
        "invalid_request",
        "400",
        "A parameter is missing or malformed, or the subject token was refused (RFC 8693 §2.2.2): its signature, issuer, audience, age or type. The description says which; \"Validate a sample token\" on Trusted issuers shows every check.",
    ),
    (
        "invalid_scope",
        "400",
        "You asked for a scope the client or your organisation does not hold on that API. Ask for fewer, or request more under Requests.",
    ),
    (
        "invalid_target",
        "400",
        "The audience or resource is unknown, belongs to the other environment, or your organisation holds nothing on it.",
    ),
    (
        "unsupported_grant_type",
        "400",
        "The grant_type is not one Entente serves (client_credentials, token exchange, jwt-bearer, refresh_token).",
    ),
    (
        "unsupported_token_type",
        "400",
        "The subject or actor token type is not accepted: use urn:ietf:params:oauth:token-type:access_token (or id_token / jwt where your trust rule allows).",
    ),
    (
        "slow_down",
        "429",
        "Your client or organisation is over its rate limit. Wait for the Retry-After seconds; RateLimit-Policy and RateLimit headers say the budget.",
    ),
    (
        "temporarily_unavailable",
        "503",
        "Entente cannot answer now. Retry with backoff (Retry-After when present); do not retry faster than once a second.",
    ),
];

/// A curl command; values that are shell variables (`$USER_TOKEN`) are double-quoted so the
/// shell expands them, the rest single-quoted.
type Field = fn(&Endpoints) -> String;

/// The endpoint table's rows.
const ROWS: [(&str, Field); 6] = [
    ("Issuer (iss)", |e| e.issuer.clone()),
    ("Metadata (RFC 8414)", |e| e.metadata.clone()),
    ("Token", |e| e.token.clone()),
    ("JWKS", |e| e.jwks.clone()),
    ("Introspection", |e| e.introspection.clone()),
    ("Revocation", |e| e.revocation.clone()),
];

fn curl(endpoint: &str, client: &str, form: &[(&str, &str)]) -> String {
    let mut s = format!("curl -s -u \"{client}:$CLIENT_SECRET\"");
    for (k, v) in form {
        if v.starts_with('$') {
            s.push_str(&format!(" \\\n  --data-urlencode \"{k}={v}\""));
        } else {
            s.push_str(&format!(" \\\n  --data-urlencode '{k}={v}'"));
        }
    }
    s.push_str(&format!(" \\\n  {endpoint}"));
    s
}

#[component]
fn Example(title: &'static str, code: String) -> impl IntoView {
    view! {
        <h3>{title}</h3>
        <pre class="example">{code.clone()}</pre>
        <CopyButton text=code/>
    }
}

#[component]
pub fn PortalDocs() -> impl IntoView {
    let data = Resource::new(|| (), |_| portal_docs());
    view! {
        <PortalLayout title="Docs">
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading your values…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <Docs d=d/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </PortalLayout>
    }
}

#[component]
fn Docs(d: DocsData) -> impl IntoView {
    let sandbox = d
        .environments
        .iter()
        .find(|e| e.environment == "sandbox")
        .cloned();
    let production = d
        .environments
        .iter()
        .find(|e| e.environment == "production")
        .cloned();
    let sandbox_token = sandbox
        .as_ref()
        .map(|e| e.token.clone())
        .unwrap_or_default();
    let entente = production
        .as_ref()
        .map(|e| e.issuer.clone())
        .unwrap_or_default();
    let client = d
        .clients
        .iter()
        .find(|c| c.environment == "sandbox")
        .map(|c| c.client_id.clone())
        .unwrap_or_else(|| "YOUR_SANDBOX_CLIENT_ID".into());
    let (audience, scope) = d
        .scopes
        .iter()
        .find(|(_, _, env)| env == "sandbox")
        .map(|(a, s, _)| {
            (
                a.clone(),
                s.split(' ').next().unwrap_or_default().to_owned(),
            )
        })
        .unwrap_or_else(|| ("https://api.example".into(), "orders:read".into()));
    let idp = d
        .issuers
        .first()
        .cloned()
        .unwrap_or_else(|| "https://login.your-company.example".into());
    let cc = curl(
        &sandbox_token,
        &client,
        &[
            ("grant_type", "client_credentials"),
            ("resource", &audience),
            ("scope", &scope),
        ],
    );
    let at = "urn:ietf:params:oauth:token-type:access_token";
    let exchange = [
        ("grant_type", TX),
        ("subject_token", "$USER_TOKEN"),
        ("subject_token_type", at),
        ("audience", audience.as_str()),
    ];
    let tx = curl(&sandbox_token, &client, &exchange);
    let mut acting = exchange.to_vec();
    acting.extend([("actor_token", "$SERVICE_TOKEN"), ("actor_token_type", at)]);
    let delegation = curl(&sandbox_token, &client, &acting);
    let jb = curl(
        &sandbox_token,
        &client,
        &[
            ("grant_type", JWT_BEARER),
            ("assertion", "$ASSERTION"),
            ("resource", &audience),
        ],
    );
    let claims = format!(
        "{{\n  \"iss\": \"{idp}\",\n  \"sub\": \"user-4711\",\n  \"aud\": \"{entente}\",\n  \"iat\": 1767225600,\n  \"exp\": 1767226200,\n  \"jti\": \"unique-per-token\"\n}}"
    );
    view! {
        <p class="subtitle">"How " {d.partner.clone()} " integrates with Entente. Every value below is yours; set " <code>"CLIENT_SECRET"</code> " in your shell first."</p>
        <section aria-label="Endpoints">
            <h2>"Endpoints"</h2>
            <table>
                <thead><tr><th>""</th><th>"Sandbox"</th><th>"Production"</th></tr></thead>
                <tbody>
                    {ROWS.into_iter().map(|(label, get)| view! {
                        <tr>
                            <th scope="row">{label}</th>
                            <td><code>{sandbox.as_ref().map(get).unwrap_or_default()}</code></td>
                            <td><code>{production.as_ref().map(get).unwrap_or_default()}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="meta">"Sandbox tokens carry the sandbox issuer and sandbox keys: production never accepts them, nor the reverse."</p>
        </section>
        <section aria-label="Your clients and scopes">
            <h2>"Your clients and scopes"</h2>
            {if d.clients.is_empty() {
                view! { <p class="empty">"No client yet: " <A href="/portal/clients">"create a sandbox client"</A> "."</p> }.into_any()
            } else {
                view! {
                    <ul>{d.clients.iter().map(|c| view! {
                        <li><code>{c.client_id.clone()}</code> " " {c.name.clone()} " · " {c.environment.clone()} " · "
                            {c.grant_types.iter().map(|g| g.rsplit(':').next().unwrap_or(g).to_owned()).collect::<Vec<_>>().join(", ")}</li>
                    }).collect_view()}</ul>
                }.into_any()
            }}
            <ul>{d.scopes.iter().map(|(a, s, env)| view! { <li><code>{a.clone()}</code> " (" {env.clone()} "): " <code>{s.clone()}</code></li> }).collect_view()}</ul>
        </section>
        <section aria-label="Getting tokens">
            <h2>"Getting tokens"</h2>
            <Example title="Client credentials: your backend calls an API" code=cc/>
            <Example title="Token exchange (RFC 8693), impersonation: act as your signed-in user" code=tx/>
            <Example title="Token exchange, delegation: your service acts for the user (the token names it in act)" code=delegation/>
            <Example title="JWT bearer (RFC 7523): a signed assertion from your identity provider" code=jb/>
            <p class="meta">"The playground sends these for you and shows each step: " <A href="/sandbox">"Playground"</A> ". More in the repository's " <code>"examples/curl"</code> "."</p>
        </section>
        <section aria-label="Private key JWT">
            <h2>"Authenticating with a private key (private_key_jwt)"</h2>
            <p>"Instead of a secret, a client can sign each request with its own private key (RFC 7523 §2.2): choose "
                <em>"private_key_jwt"</em> " when you create it on the Clients page, or switch an existing client there."</p>
            <ul>
                <li>"Give your public keys as a JWKS, or the URL you publish it at. With a URL, Entente fetches it, caches it for its "
                    <code>"max-age"</code> " (5 minutes to a day) and fetches again when an assertion names a " <code>"kid"</code>
                    " it has not seen, at most once every 30 seconds: publish a new key a minute before you sign with it."</li>
                <li>"Send " <code>"client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer"</code> " and "
                    <code>"client_assertion"</code> ": a JWT with " <code>"kid"</code> " in its header and the claims "
                    <code>"iss"</code> " and " <code>"sub"</code> " (both your client ID), " <code>"aud"</code>
                    " (the environment's issuer identifier, above, exactly), " <code>"exp"</code> " (within 5 minutes), "
                    <code>"iat"</code> " and a " <code>"jti"</code> " never used before."</li>
                <li>"Keys: ES256, ES384 or EdDSA, or RSA of at least 2048 bits naming its " <code>"alg"</code>
                    " (RS256, PS256, RS384, PS384). Private key material in a JWKS is refused."</li>
            </ul>
        </section>
        <section aria-label="Required claims">
            <h2>"What your identity provider's tokens must carry"</h2>
            <ul>
                <li><code>"iss"</code> ": exactly one of your registered issuers ("
                    {if d.issuers.is_empty() { "none yet: register yours under Trusted issuers".to_owned() } else { d.issuers.join(", ") }}
                    "); in the sandbox also " <code>{d.test_idp.clone()}</code> "."</li>
                <li><code>"aud"</code> ": Entente, " <code>{entente.clone()}</code> " (an assertion names nothing else)."</li>
                <li><code>"sub"</code> ", " <code>"exp"</code> " and " <code>"iat"</code> " (no older than your issuer's maximum age, one hour unless set); an assertion also a unique " <code>"jti"</code> " and a lifetime of minutes."</li>
                <li>"Access tokens typed " <code>"at+jwt"</code> " (RFC 9068); signed with a key your JWKS publishes, named by " <code>"kid"</code> ", with ES256, RS256, PS256 or EdDSA."</li>
                <li>"Other claims pass into Entente's token only where your trust rule says so."</li>
            </ul>
            <Example title="A subject token's claims" code=claims/>
        </section>
        <section aria-label="Errors">
            <h2>"Errors and what to do"</h2>
            <table>
                <thead><tr><th>"error"</th><th>"Status"</th><th>"What to do"</th></tr></thead>
                <tbody>
                    {ERRORS.iter().map(|(code, status, what)| view! {
                        <tr><td><code>{*code}</code></td><td>{*status}</td><td>{*what}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="meta">"Every error body is JSON with " <code>"error"</code> " and " <code>"error_description"</code> "; responses carry " <code>"Cache-Control: no-store"</code> "."</p>
        </section>
        <section aria-label="Keys and caching">
            <h2>"Key rotation and caching the JWKS"</h2>
            <ul>
                <li>"Validate Entente's tokens locally with the JWKS (" <code>{production.as_ref().map(|e| e.jwks.clone()).unwrap_or_default()}</code>
                    "), found through the metadata's " <code>"jwks_uri"</code> ". Check the signature under the key's own algorithm, " <code>"typ: at+jwt"</code> ", " <code>"iss"</code> ", " <code>"aud"</code> " (your API), " <code>"exp"</code> " and the scope."</li>
                <li>"Cache the JWKS for its " <code>"Cache-Control: max-age"</code> " (300 s) and revalidate with " <code>"If-None-Match"</code> "."</li>
                <li>"Entente publishes each new key at least ten minutes before it signs with it, and keeps a retired key published until every token it signed has expired: a cache that follows max-age never misses a key. When a token names a " <code>"kid"</code> " you do not hold, refetch once, then not again for half a minute."</li>
                <li>"Never pin a key or copy it into configuration. Revocation is checked by introspection; local validation sees it when the token expires (minutes)."</li>
                <li>"A resource server that does all of this: " <code>"examples/resource-server"</code> " in the Entente repository."</li>
            </ul>
        </section>
    }
}
