//! The fields that give a private_key_jwt client's public keys (a JWKS pasted, or the URL it is
//! published at), checked as they are typed, and the form that replaces them on a client.

use leptos::prelude::*;

use leptos::server_fn::client::Client;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Http, ServerFn};
use serde::de::DeserializeOwned;

use super::{ConfirmSubmit, Field};

/// What is wrong with a pasted JWKS, as far as the browser can tell (the server checks each key).
pub fn jwks_problem(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Some("this is not valid JSON".into());
    };
    let Some(keys) = doc.get("keys").and_then(|k| k.as_array()) else {
        return Some("a JWKS is an object with a \"keys\" array".into());
    };
    if keys.is_empty() {
        return Some("the \"keys\" array is empty".into());
    }
    const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];
    keys.iter()
        .any(|k| PRIVATE.iter().any(|m| k.get(m).is_some()))
        .then(|| "this holds private key material: paste your public keys only".into())
}

/// What is wrong with a JWKS URL as typed.
pub fn uri_problem(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && !text.starts_with("https://") && !text.starts_with("http://"))
        .then(|| "give an https:// URL".into())
}

/// The two ways to give the keys, with inline checks; `blocked` is true while either is wrong
/// or both are given. The labels default to a client's own keys; an issuer's form names them.
#[component]
pub fn KeyFields(
    blocked: RwSignal<bool>,
    #[prop(optional)] uri_label: Option<&'static str>,
    #[prop(optional)] uri_help: Option<&'static str>,
    #[prop(optional)] jwks_label: Option<&'static str>,
    #[prop(optional)] jwks_help: Option<&'static str>,
) -> impl IntoView {
    let jwks = RwSignal::new(String::new());
    let uri = RwSignal::new(String::new());
    let jwks_error = Signal::derive(move || jwks.with(|j| jwks_problem(j)));
    let uri_error = Signal::derive(move || {
        uri_problem(&uri.read()).or_else(|| {
            (!uri.read().trim().is_empty() && !jwks.read().trim().is_empty())
                .then(|| "give either a JWKS or a JWKS URL, not both".to_string())
        })
    });
    Effect::new(move |_| blocked.set(jwks_error.get().is_some() || uri_error.get().is_some()));
    let uri_label = uri_label.unwrap_or("JWKS URL");
    let uri_help = uri_help.unwrap_or("Where you publish your public keys. We fetch and cache them, and fetch again when an assertion names a key we have not seen, so you can rotate keys without coming back here.");
    let jwks_label = jwks_label.unwrap_or("…or paste your public JWKS");
    let jwks_help = jwks_help.unwrap_or(
        "Public keys only (ES256, ES384, EdDSA, or RSA of 2048 bits or more with its alg).",
    );
    view! {
        <Field label=uri_label help=uri_help error=uri_error>
            <input name="jwks_uri" type="url" placeholder="https://auth.example.com/.well-known/jwks.json"
                aria-invalid=move || uri_error.get().is_some().to_string()
                on:input=move |ev| uri.set(event_target_value(&ev))/>
        </Field>
        <Field label=jwks_label help=jwks_help error=jwks_error>
            <textarea name="jwks" rows="4" spellcheck="false" placeholder=r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"2026-11","x":"…","y":"…"}]}"#
                aria-invalid=move || jwks_error.get().is_some().to_string()
                on:input=move |ev| jwks.set(event_target_value(&ev))></textarea>
        </Field>
    }
}

/// Replaces a client's keys, or moves a secret client to private_key_jwt (its secrets stop
/// working, so that asks first). The action's outcome is shown once, at the top of the page.
/// Any door's keys action (the console's, the portal's): it takes `client_id`, `jwks` and
/// `jwks_uri`; the bounds are `ActionForm`'s.
#[component]
pub fn ReplaceKeys<A, O>(
    client_id: String,
    /// The client uses a secret now (the form switches it).
    switch: bool,
    action: ServerAction<A>,
) -> impl IntoView
where
    A: DeserializeOwned + ServerFn<Protocol = Http<PostUrl, O>> + Clone + Send + Sync + 'static,
    <<A::Client as Client<A::Error>>::Request as ClientReq<A::Error>>::FormData:
        From<leptos::web_sys::FormData>,
    A::Output: Send + Sync + 'static,
    A::Error: Send + Sync + 'static,
    <A as ServerFn>::Client: Client<<A as ServerFn>::Error>,
    O: 'static,
{
    let blocked = RwSignal::new(false);
    view! {
        <details class="keys">
            <summary>{if switch { "Use private_key_jwt instead" } else { "Replace keys" }}</summary>
            <ActionForm action=action>
                <input type="hidden" name="client_id" value=client_id/>
                <KeyFields blocked=blocked/>
                <ConfirmSubmit label=if switch { "Switch to private_key_jwt" } else { "Save keys" } class="secondary" ask=switch
                    disabled=blocked
                    question="Switch this client to private_key_jwt? Its secrets stop working at once."/>
            </ActionForm>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_jwks_is_checked_as_typed() {
        assert_eq!(jwks_problem(""), None);
        assert!(jwks_problem("{").unwrap().contains("JSON"));
        assert!(jwks_problem("[]").unwrap().contains("keys"));
        assert!(jwks_problem(r#"{"keys":[]}"#).unwrap().contains("empty"));
        assert!(
            jwks_problem(r#"{"keys":[{"kty":"EC","d":"x"}]}"#)
                .unwrap()
                .contains("private")
        );
        assert_eq!(
            jwks_problem(r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}"#),
            None
        );
        assert!(uri_problem("ftp://x").is_some());
        assert_eq!(uri_problem("https://x.example/jwks"), None);
    }
}
