//! Plans from a catalog to a document: nothing for the same catalog, stages walked by allowed
//! transitions only, and inconsistent documents refused.

use super::*;
use crate::config::GrantConfig;
use crate::environment::Environment;
use crate::onboarding::PartnerRecord;

fn partner(slug: &str, stage: &str) -> PartnerConfig {
    PartnerConfig {
        slug: slug.into(),
        name: slug.to_uppercase(),
        stage: stage.into(),
        suspended_reason: None,
        record: None,
        clients: vec![],
        grants: vec![],
        issuers: vec![],
        trust_rules: vec![],
    }
}

fn config(partners: Vec<PartnerConfig>) -> Config {
    Config {
        version: VERSION,
        audiences: vec![AudienceConfig {
            identifier: "https://api.example".into(),
            name: "API".into(),
            token_lifetime: 300,
            environment: Environment::Production,
            scopes: vec![ScopeConfig {
                name: "read".into(),
                description: String::new(),
                sensitivity: "medium".into(),
            }],
        }],
        partners,
    }
}

#[test]
fn the_same_catalog_plans_nothing() {
    let mut p = partner("acme", "sandbox");
    p.grants.push(GrantConfig {
        audience: "https://api.example".into(),
        scopes: vec!["read".into()],
    });
    let c = config(vec![p]);
    assert_eq!(plan(&c, &c).unwrap(), vec![]);
}

#[test]
fn a_new_partner_is_created_then_walked_to_its_stage() {
    let steps = plan(
        &Config {
            version: 1,
            ..Default::default()
        },
        &config(vec![partner("acme", "production")]),
    )
    .unwrap();
    let text: Vec<String> = steps.iter().map(ToString::to_string).collect();
    assert_eq!(
        text[0],
        "+ audience https://api.example (1 scopes, 300 s tokens)"
    );
    assert_eq!(text[1], "+ partner acme (sandbox)");
    assert_eq!(text.last().unwrap(), "~ partner acme: sandbox → production");
}

#[test]
fn stages_move_only_by_allowed_transitions() {
    let steps = plan(
        &config(vec![partner("acme", "applied")]),
        &config(vec![partner("acme", "sandbox")]),
    )
    .unwrap();
    assert_eq!(
        steps.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "~ partner acme: applied → in_review",
            "~ partner acme: in_review → sandbox"
        ]
    );
    let mut s = partner("acme", "suspended");
    assert!(
        plan(
            &config(vec![partner("acme", "sandbox")]),
            &config(vec![s.clone()])
        )
        .is_err(),
        "suspension needs a reason"
    );
    s.suspended_reason = Some("breach".into());
    assert_eq!(
        plan(&config(vec![partner("acme", "sandbox")]), &config(vec![s])).unwrap(),
        vec![Step::Suspend {
            partner: "acme".into(),
            reason: "breach".into()
        }]
    );
}

#[test]
fn omitted_grants_are_removed_and_omitted_rules_disabled() {
    let mut before = partner("acme", "sandbox");
    before.grants.push(GrantConfig {
        audience: "https://api.example".into(),
        scopes: vec!["read".into()],
    });
    before.trust_rules.push(RuleConfig {
        issuer: "https://idp".into(),
        audience: "https://api.example".into(),
        scopes: "read".into(),
        claims: String::new(),
        mappings: String::new(),
        pairwise: false,
        delegation: false,
        delegation_only: false,
        max_depth: 1,
        refresh: false,
        lifetime: None,
        refresh_lifetime: 3600,
        enabled: true,
    });
    let steps = plan(
        &config(vec![before]),
        &config(vec![partner("acme", "sandbox")]),
    )
    .unwrap();
    assert!(steps.contains(&Step::SetGrant {
        partner: "acme".into(),
        audience: "https://api.example".into(),
        before: vec!["read".into()],
        after: vec![]
    }));
    assert!(steps.contains(&Step::SetRuleEnabled {
        partner: "acme".into(),
        issuer: "https://idp".into(),
        audience: "https://api.example".into(),
        enabled: false
    }));
}

#[test]
fn an_absent_record_is_left_alone() {
    let mut with = partner("acme", "sandbox");
    with.record = Some(PartnerRecord {
        legal_name: "Acme Ltd".into(),
        ..Default::default()
    });
    assert_eq!(
        plan(
            &config(vec![with.clone()]),
            &config(vec![partner("acme", "sandbox")])
        )
        .unwrap(),
        vec![]
    );
    let mut changed = with.clone();
    changed.record = Some(PartnerRecord::default());
    assert_eq!(
        plan(&config(vec![with]), &config(vec![changed]))
            .unwrap()
            .len(),
        1,
        "an explicit empty record clears it"
    );
}

#[test]
fn inconsistent_documents_are_refused() {
    let c = config(vec![partner("acme", "sandbox"), partner("acme", "sandbox")]);
    assert!(plan(&Config::default(), &c).unwrap_err().contains("twice"));
    assert!(
        plan(
            &Config::default(),
            &Config {
                version: 2,
                ..Default::default()
            }
        )
        .is_err()
    );
    let mut renamed = config(vec![]);
    renamed.audiences[0].token_lifetime = 600;
    assert!(plan(&config(vec![]), &renamed).is_err());
}
