//! Four-eyes governance over HTTP, as the console does it: changes that widen production access
//! become change requests; a different administrator approves (the change applies then) or
//! rejects with a comment; operators and auditors never decide; the requester sees the decision.
//! This module holds the helpers its submodules share.

use entente_store::enums::{PartnerStage, Role};
use serde_json::Value;

use crate::common::TestServer;
use crate::console::{PASSWORD, call, path_of, session};

mod access;
mod change_requests;
mod diff;
mod onboarding;

async fn stage_of(s: &TestServer, slug: &str) -> PartnerStage {
    s.state.store.partner_by_slug(slug).await.unwrap().stage
}

/// The request a sentence like "Change request #3 filed: …" names.
fn request_id(answer: &Value) -> String {
    let text = answer.as_str().unwrap_or_default();
    let rest = text
        .strip_prefix("Change request #")
        .unwrap_or_else(|| panic!("not a filed request: {answer}"));
    rest.split(' ').next().unwrap().to_owned()
}

async fn requests(s: &TestServer, who: &str, status: &str) -> Vec<Value> {
    let (code, page) = call(
        s,
        who,
        "list_change_requests",
        &[("status", status), ("partner", ""), ("offset", "0")],
    )
    .await;
    assert_eq!(code, 200, "{page}");
    page["rows"].as_array().unwrap().clone()
}

/// Completes a partner's onboarding checklist through the store (the HTTP path is tested in
/// `onboarding_gates_promotion`).
pub(crate) async fn complete_onboarding(s: &TestServer, slug: &str) {
    let store = &s.state.store;
    let actor = entente_store::Actor::new("test");
    let now = entente_server::state::now();
    store
        .set_partner_record(&actor, slug, full_record(), now)
        .await
        .unwrap();
    store.accept_questionnaire(&actor, slug, now).await.unwrap();
    let mut issuer = entente_store::federation::NewTrustedIssuer::new(
        format!("https://idp.{slug}.test"),
        s.base.clone(),
    );
    issuer.jwks = Some(crate::fed::Idp::new(crate::fed::IDP).jwks);
    store
        .create_trusted_issuer(&actor, slug, issuer, now)
        .await
        .unwrap();
    store
        .record_issuer_check(&actor, slug, true, "1 key(s)", now)
        .await
        .unwrap();
    let id = store.partner_by_slug(slug).await.unwrap().id;
    assert!(store.mark_first_exchange(&id, now).await.unwrap());
    assert!(
        !store.mark_first_exchange(&id, now).await.unwrap(),
        "only the first counts"
    );
}

fn full_record() -> entente_domain::onboarding::PartnerRecord {
    serde_json::from_value(serde_json::json!({
        "legal_name": "Initech LLC",
        "agreement": {"reference": "MSA-7", "signed_on": "2026-01-15", "expires_on": "2030-01-14",
                      "permitted_operations": "read orders", "data_class": "confidential"},
        "contacts": {
            "technical": {"name": "Tess", "email": "tess@initech.test", "phone": "+1 555 0100"},
            "security": {"name": "Sam", "email": "sam@initech.test", "phone": "+1 555 0101"},
            "business": {"name": "Bo", "email": "bo@initech.test", "phone": "+1 555 0102"}
        },
        "escalation": [{"name": "NOC", "contact": "+1 555 0199", "hours": "24x7"}]
    }))
    .unwrap()
}
