//! The public "apply to become a partner" form over real HTTP on SQLite and PostgreSQL: an
//! application makes a partner in `applied` with the applicant as contact, audited; every valid
//! application gets the same answer (nothing tells whether an e-mail or organisation is known);
//! bad ones are a 400 that stores nothing; and the form is throttled per e-mail and address.

use entente_store::enums::{PartnerStage, Role};

use crate::common::TestServer;
use crate::console::{call, session};

crate::on_both!(
    an_application_makes_an_applied_partner,
    every_valid_application_gets_the_same_answer,
    bad_applications_are_refused_and_store_nothing,
    applications_are_throttled_per_email_and_address,
);

fn application<'a>(organisation: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("organisation", organisation),
        ("website", "https://wonka.example"),
        ("contact_name", "Charlie Bucket"),
        ("contact_email", email),
        (
            "use_case",
            "Our shops' ordering app reads orders through your orders API.",
        ),
    ]
}

/// Signed out: the form is public.
async fn apply(s: &TestServer, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    call(s, "", "apply_partner", form).await
}

async fn an_application_makes_an_applied_partner(s: &TestServer) {
    let (code, answer) = apply(
        s,
        &application("Wonka Industries", " Charlie@Wonka.Example "),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert!(
        answer.as_str().unwrap().contains("charlie@wonka.example"),
        "{answer}"
    );
    let p = s
        .state
        .store
        .partner_by_slug("wonka-industries")
        .await
        .unwrap();
    assert_eq!(p.stage, PartnerStage::Applied);
    assert_eq!(p.name, "Wonka Industries");
    let o = s
        .state
        .store
        .onboarding("wonka-industries", entente_server::state::now())
        .await
        .unwrap();
    assert_eq!(o.record.legal_name, "Wonka Industries");
    assert_eq!(o.record.contacts.business.email, "charlie@wonka.example");
    assert_eq!(o.record.contacts.technical.name, "Charlie Bucket");
    let a = s.state.store.application_of(&p.id).await.unwrap().unwrap();
    assert_eq!(a.website, "https://wonka.example");
    assert!(a.use_case.contains("orders API"));
    assert!(a.source.is_some(), "the source address is kept");
    let events = s.state.store.recent_audit_events(20).await.unwrap();
    assert!(
        events.iter().any(|e| e.action == "partner.apply"
            && e.actor == "applicant:charlie@wonka.example"
            && e.target == "partner:wonka-industries"),
        "the application is audited"
    );

    // The same organisation again is another application, under a slug of its own.
    let (code, _) = apply(s, &application("Wonka Industries", "grandpa@wonka.example")).await;
    assert_eq!(code, 200);
    let again = s
        .state
        .store
        .partner_by_slug("wonka-industries-2")
        .await
        .unwrap();
    assert_eq!(again.stage, PartnerStage::Applied);

    // An administrator sees the application on the partner's onboarding page.
    let admin = session(s, "ada@example.test", Role::Admin).await;
    let (code, view) = call(s, &admin, "onboarding", &[("partner", "wonka-industries")]).await;
    assert_eq!(code, 200, "{view}");
    assert_eq!(view["application"]["organisation"], "Wonka Industries");
    assert_eq!(
        view["application"]["contact"],
        "Charlie Bucket <charlie@wonka.example>"
    );
}

/// No account or partner enumeration: the answer is the same sentence for an address that is
/// already a console user's, for an existing partner's name, and for strangers.
async fn every_valid_application_gets_the_same_answer(s: &TestServer) {
    s.seed().await;
    session(s, "ada@example.test", Role::Admin).await;
    let mut answers = vec![];
    for (org, email) in [
        ("Acme", "ada@example.test"),
        ("Nobody Ltd", "someone@nobody.example"),
        ("Acme", "someone@nobody.example"),
    ] {
        let (code, answer) = apply(s, &application(org, email)).await;
        assert_eq!(code, 200, "{answer}");
        answers.push(answer.as_str().unwrap().replace(email, "EMAIL"));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    // The existing partner is untouched; the applications became partners of their own.
    let acme = s.state.store.partner_by_slug("acme").await.unwrap();
    assert_eq!(acme.stage, PartnerStage::Production);
    assert_eq!(
        s.state.store.partner_by_slug("acme-2").await.unwrap().stage,
        PartnerStage::Applied
    );
}

async fn bad_applications_are_refused_and_store_nothing(s: &TestServer) {
    let before = s.state.store.list_partners().await.unwrap().len();
    let long = "x".repeat(2001);
    let cases: [(&str, &str, &str); 5] = [
        ("organisation", "W", "organisation"),
        ("website", "http://wonka.example", "website"),
        ("contact_email", "charlie", "e-mail"),
        ("use_case", "APIs", "build"),
        ("use_case", long.as_str(), "build"),
    ];
    for (field, value, named) in cases {
        let mut form = application("Wonka Industries", "charlie@wonka.example");
        for f in form.iter_mut() {
            if f.0 == field {
                f.1 = value;
            }
        }
        let (code, answer) = apply(s, &form).await;
        assert_eq!(code, 400, "{field}: {answer}");
        assert!(answer.to_string().contains(named), "{field}: {answer}");
    }
    // A missing field is a 400 too, never a 500.
    let (code, _) = apply(s, &[("organisation", "Wonka")]).await;
    assert_eq!(code, 400);
    assert_eq!(s.state.store.list_partners().await.unwrap().len(), before);
}

/// 3 an hour per e-mail address, 10 per source address; a throttled application stores nothing.
async fn applications_are_throttled_per_email_and_address(s: &TestServer) {
    let mut codes = vec![];
    for i in 0..4 {
        let org = format!("Same Sender {i}");
        codes.push(apply(s, &application(&org, "spam@spam.example")).await.0);
    }
    assert_eq!(codes, [200, 200, 200, 429], "per e-mail");
    let mut codes = vec![];
    for i in 0..7 {
        let org = format!("Other Sender {i}");
        let email = format!("sender{i}@spam.example");
        codes.push(apply(s, &application(&org, &email)).await.0);
    }
    // Four attempts from this address so far; six more pass, the eleventh is refused.
    assert_eq!(codes, [200, 200, 200, 200, 200, 200, 429], "per address");
    let partners = s.state.store.list_partners().await.unwrap();
    assert_eq!(
        partners
            .iter()
            .filter(|p| p.stage == PartnerStage::Applied)
            .count(),
        9
    );
}
