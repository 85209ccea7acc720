//! The refresh_token grant: each use re-checks today's rule, audience and lifetime.

use super::*;

#[test]
fn refresh_rechecks_rule_audience_and_lifetime() {
    let mut w = world();
    let allowed = ScopeSet::parse("read write").unwrap();
    let g = grants();
    let p1 = PartnerId::from("p1");
    let client = ClientView {
        client_id: "cl_1",
        partner_id: &p1,
        allowed_scopes: &allowed,
        grant_types: &g,
        environment: crate::environment::Environment::Production,
    };
    let scope = ScopeSet::parse("read").unwrap();
    let fam = Family {
        client_id: "cl_1",
        rule_id: &RuleId::from("tr_1"),
        audience: API,
        scope: &scope,
        absolute_exp: NOW + 100,
    };
    let r = refresh(&w, &client, &fam, None, NOW).unwrap();
    assert_eq!((r.scope.to_string().as_str(), r.lifetime), ("read", 100));
    let wider = ScopeSet::parse("read write").unwrap();
    assert_eq!(
        refresh(&w, &client, &fam, Some(&wider), NOW)
            .unwrap_err()
            .code,
        OAuthErrorCode::InvalidScope
    );
    assert_eq!(
        refresh(&w, &client, &fam, None, NOW + 100)
            .unwrap_err()
            .code,
        OAuthErrorCode::InvalidGrant
    );
    let other = ClientView {
        client_id: "cl_2",
        ..client.clone()
    };
    assert!(refresh(&w, &other, &fam, None, NOW).is_err());
    w.audiences[0].enabled = false;
    assert_eq!(
        refresh(&w, &client, &fam, None, NOW).unwrap_err().code,
        OAuthErrorCode::InvalidGrant,
        "audience disabled since (B20)"
    );
}
