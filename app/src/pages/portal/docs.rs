//! The portal's docs (`/portal/docs`): how to integrate, written with the partner's own values —
//! endpoints, client ids, scopes, identity providers — so each example runs as copied.

use leptos::prelude::*;
use leptos_router::components::A;

use super::PortalLayout;
use super::docs_api::{DocRule, DocsData, Endpoints, portal_docs};
use crate::components::{CopyButton, ErrorBox};

use entente_types::grant_type::{
    CLIENT_CREDENTIALS, GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE, TT_ACCESS_TOKEN,
};

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

/// The token examples of one environment: each grant with a client of yours that may use it,
/// an audience your grants (and, for exchanges, your trust rules) reach, and its endpoint.
#[component]
fn Examples(d: DocsData, environment: &'static str) -> impl IntoView {
    let Some(endpoints) = d
        .environments
        .iter()
        .find(|e| e.environment == environment)
        .cloned()
    else {
        return view! { <p class="empty">"This environment has no endpoints."</p> }.into_any();
    };
    let clients_with = |grant: &str| -> Vec<String> {
        d.clients
            .iter()
            .filter(|c| c.environment == environment && c.grant_types.iter().any(|g| g == grant))
            .map(|c| c.client_id.clone())
            .collect()
    };
    let (audience, scope) = d
        .scopes
        .iter()
        .find(|(_, _, env)| env == environment)
        .map(|(a, s, _)| {
            (
                a.clone(),
                s.split(' ').next().unwrap_or_default().to_owned(),
            )
        })
        .unwrap_or_else(|| ("https://api.example".into(), "orders:read".into()));
    let rules: Vec<&DocRule> = d
        .rules
        .iter()
        .filter(|r| r.environment == environment)
        .collect();
    let impersonation = rules
        .iter()
        .find(|r| !r.delegation_only)
        .map(|r| r.audience.clone());
    let delegation = rules
        .iter()
        .find(|r| r.delegation)
        .map(|r| r.audience.clone());
    // An assertion acts for nobody: a delegation-only rule refuses it.
    let assertion = rules
        .iter()
        .find(|r| r.assertions && !r.delegation_only)
        .map(|r| r.audience.clone());
    let token = endpoints.token.clone();
    let cc = {
        let (token, audience, scope) = (token.clone(), audience.clone(), scope.clone());
        move |client: &str| {
            curl(
                &token,
                client,
                &[
                    ("grant_type", CLIENT_CREDENTIALS),
                    ("resource", &audience),
                    ("scope", &scope),
                ],
            )
        }
    };
    let exchange = |actor: bool| {
        let token = token.clone();
        move |audience: &str, client: &str| {
            let mut form = vec![
                ("grant_type", GRANT_TOKEN_EXCHANGE),
                ("subject_token", "$USER_TOKEN"),
                ("subject_token_type", TT_ACCESS_TOKEN),
                ("audience", audience),
            ];
            if actor {
                form.extend([
                    ("actor_token", "$SERVICE_TOKEN"),
                    ("actor_token_type", TT_ACCESS_TOKEN),
                ]);
            }
            curl(&token, client, &form)
        }
    };
    let jb = {
        let token = token.clone();
        move |audience: &str, client: &str| {
            curl(
                &token,
                client,
                &[
                    ("grant_type", GRANT_JWT_BEARER),
                    ("assertion", "$ASSERTION"),
                    ("resource", audience),
                ],
            )
        }
    };
    let no_rule = if rules.is_empty() {
        "No trust rule of yours covers an API in this environment yet: set one under Trusted issuers first."
    } else {
        "Your trust rules here allow delegation only: an exchange must name the acting service (below)."
    };
    let no_assertion = "None of your trust rules here takes assertions: trust your issuer for assertion tokens (Trusted issuers), under a rule that does not require delegation.";
    view! {
        <GrantExample title="Client credentials: your backend calls an API" id="client-credentials" grant="client credentials"
            clients=clients_with(CLIENT_CREDENTIALS) command=Callback::new(move |c: String| cc(&c))/>
        {match impersonation.clone() {
            Some(a) => {
                let build = exchange(false);
                view! {
                    <GrantExample title="Token exchange (RFC 8693), impersonation: act as your signed-in user" id="impersonation" grant="token exchange"
                        clients=clients_with(GRANT_TOKEN_EXCHANGE) command=Callback::new(move |c: String| build(&a, &c))/>
                }.into_any()
            }
            None => view! { <h3>"Token exchange (RFC 8693)"</h3> <p class="empty">{no_rule}</p> }.into_any(),
        }}
        {delegation.map(|a| {
            let build = exchange(true);
            view! {
                <GrantExample title="Token exchange, delegation: your service acts for the user (the token names it in act)" id="delegation" grant="token exchange"
                    clients=clients_with(GRANT_TOKEN_EXCHANGE) command=Callback::new(move |c: String| build(&a, &c))/>
            }
        })}
        {match assertion {
            Some(a) => view! {
                <GrantExample title="JWT bearer (RFC 7523): a signed assertion from your identity provider" id="jwt-bearer" grant="JWT bearer"
                    clients=clients_with(GRANT_JWT_BEARER) command=Callback::new(move |c: String| jb(&a, &c))/>
            }.into_any(),
            None => view! { <h3>"JWT bearer (RFC 7523)"</h3> <p class="empty">{no_assertion}</p> }.into_any(),
        }}
    }
    .into_any()
}

/// One grant's example with the client it is written for: a picker when several of yours may
/// use the grant, and where none may, what to do instead of a command that would fail.
#[component]
fn GrantExample(
    title: &'static str,
    /// Names the example's client picker (`client-for-{id}`).
    id: &'static str,
    grant: &'static str,
    clients: Vec<String>,
    /// The command for a client id.
    command: Callback<String, String>,
) -> impl IntoView {
    let Some(first) = clients.first().cloned() else {
        return view! {
            <h3>{title}</h3>
            <p class="empty">"None of your clients in this environment may use " {grant} ": allow it on the "
                <A href="/portal/clients">"Clients"</A> " page first."</p>
        }
        .into_any();
    };
    let chosen = RwSignal::new(first);
    let picker = (clients.len() > 1).then(|| {
        let id = format!("client-for-{id}");
        view! {
            <label for=id.clone()>"Client"</label>
            <select id=id on:change=move |ev| chosen.set(event_target_value(&ev)) prop:value=move || chosen.get()>
                {clients.iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
            </select>
        }
    });
    view! {
        <h3>{title}</h3>
        {picker}
        {move || {
            let code = command.run(chosen.get());
            view! {
                <pre class="example">{code.clone()}</pre>
                <CopyButton text=code/>
            }
        }}
    }
    .into_any()
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
    let entente = production
        .as_ref()
        .map(|e| e.issuer.clone())
        .unwrap_or_default();
    let idp = d
        .issuers
        .first()
        .cloned()
        .unwrap_or_else(|| "https://login.your-company.example".into());
    let environment = RwSignal::new(if d.in_production {
        "production"
    } else {
        "sandbox"
    });
    let examples = StoredValue::new(d.clone());
    let claims = format!(
        "{{\n  \"iss\": \"{idp}\",\n  \"sub\": \"user-4711\",\n  \"aud\": \"{entente}\",\n  \"iat\": 1767225600,\n  \"exp\": 1767226200,\n  \"jti\": \"unique-per-token\"\n}}"
    );
    view! {
        <p class="subtitle">"How " {d.partner.clone()} " integrates with Entente. Every value below is yours; set " <code>"CLIENT_SECRET"</code> " to the secret of the client an example names first."</p>
        <section aria-label="Endpoints">
            <h2>"Endpoints"</h2>
            <table>
                <thead><tr><th><span class="visually-hidden">"Endpoint"</span></th><th>"Sandbox"</th><th>"Production"</th></tr></thead>
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
            {d.in_production.then(|| view! {
                <fieldset class="environment-pick">
                    <legend>"Environment"</legend>
                    {["production", "sandbox"].into_iter().map(|e| view! {
                        <label class="checkbox">
                            <input type="radio" name="docs-environment" value=e checked=move || environment.get() == e
                                on:change=move |_| environment.set(e)/>
                            {if e == "production" { "Production" } else { "Sandbox" }}
                        </label>
                    }).collect_view()}
                </fieldset>
            })}
            {move || {
                let env = environment.get();
                examples.with_value(|d| view! { <Examples d=d.clone() environment=env/> })
            }}
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
