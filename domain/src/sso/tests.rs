//! Sign-in checks: discovery documents, ID tokens, UserInfo, and how a provider's user maps
//! to a partner user.

use super::*;

fn claims() -> IdTokenClaims {
    IdTokenClaims {
        iss: "https://idp.wonka.example".into(),
        sub: "u-1".into(),
        aud: OneOrMany::One("entente".into()),
        exp: 1_000 + 300,
        iat: 1_000,
        nonce: Some("n-1".into()),
        azp: None,
        email: Some("Charlie@Wonka.Example".into()),
        email_verified: Some(true),
    }
}

fn check(c: &IdTokenClaims) -> Result<ProviderUser, String> {
    check_id_token(c, "https://idp.wonka.example", "entente", "n-1", 1_010)
}

#[test]
fn a_good_id_token_gives_the_user() {
    let u = check(&claims()).unwrap();
    assert_eq!(u.subject, "u-1");
    assert_eq!(u.email, "charlie@wonka.example");
    let unsaid = IdTokenClaims {
        email_verified: None,
        ..claims()
    };
    assert!(
        check(&unsaid).is_ok(),
        "providers that never say are trusted"
    );
}

#[test]
fn every_check_refuses() {
    let cases: Vec<(IdTokenClaims, &str)> = vec![
        (
            IdTokenClaims {
                iss: "https://evil.example".into(),
                ..claims()
            },
            "issuer",
        ),
        (
            IdTokenClaims {
                aud: OneOrMany::One("other".into()),
                ..claims()
            },
            "addressed",
        ),
        (
            IdTokenClaims {
                aud: OneOrMany::Many(vec!["entente".into(), "other".into()]),
                ..claims()
            },
            "azp",
        ),
        (
            IdTokenClaims {
                azp: Some("other".into()),
                ..claims()
            },
            "azp",
        ),
        (
            IdTokenClaims {
                exp: 900,
                ..claims()
            },
            "expired",
        ),
        (
            IdTokenClaims {
                iat: 2_000,
                ..claims()
            },
            "future",
        ),
        (
            IdTokenClaims {
                nonce: None,
                ..claims()
            },
            "nonce",
        ),
        (
            IdTokenClaims {
                nonce: Some("n-2".into()),
                ..claims()
            },
            "nonce",
        ),
        (
            IdTokenClaims {
                email_verified: Some(false),
                ..claims()
            },
            "verified",
        ),
        (
            IdTokenClaims {
                email: None,
                ..claims()
            },
            "e-mail",
        ),
        (
            IdTokenClaims {
                sub: String::new(),
                ..claims()
            },
            "subject",
        ),
    ];
    for (c, why) in cases {
        let e = check(&c).expect_err(why);
        assert!(e.contains(why), "{why}: {e}");
    }
    let several = IdTokenClaims {
        aud: OneOrMany::Many(vec!["entente".into(), "other".into()]),
        azp: Some("entente".into()),
        ..claims()
    };
    assert!(check(&several).is_ok());
}

#[test]
fn userinfo_fills_in_the_email_of_the_same_subject_only() {
    let mut c = IdTokenClaims {
        email: None,
        email_verified: None,
        ..claims()
    };
    assert!(check(&c).is_err());
    let other = serde_json::json!({"sub": "u-2", "email": "eve@example.com"});
    assert!(merge_userinfo(&mut c, &other).is_err());
    let same =
        serde_json::json!({"sub": "u-1", "email": "ann@example.com", "email_verified": true});
    merge_userinfo(&mut c, &same).unwrap();
    assert_eq!(check(&c).unwrap().email, "ann@example.com");
}

#[test]
fn discovery_must_name_its_issuer_and_support_code_with_pkce() {
    let doc = serde_json::json!({
        "issuer": "https://idp.wonka.example",
        "authorization_endpoint": "https://idp.wonka.example/auth",
        "token_endpoint": "https://idp.wonka.example/token",
        "jwks_uri": "https://idp.wonka.example/jwks",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    });
    let e = check_discovery(&doc, "https://idp.wonka.example", false).unwrap();
    assert_eq!(e.token_endpoint, "https://idp.wonka.example/token");
    assert_eq!(e.rsa_default, None);
    // Entra ID: RSA keys without `alg`, and "RS256" as the only ID-token algorithm.
    let mut entra = doc.clone();
    entra["id_token_signing_alg_values_supported"] = serde_json::json!(["RS256"]);
    let e = check_discovery(&entra, "https://idp.wonka.example", false).unwrap();
    assert_eq!(e.rsa_default, Some(jsonwebtoken::Algorithm::RS256));
    let mut elsewhere = doc.clone();
    elsewhere["authorization_endpoint"] = "https://phish.example/auth".into();
    assert!(
        check_discovery(&elsewhere, "https://idp.wonka.example", false).is_err(),
        "no open redirect through the sign-in link"
    );
    assert!(check_discovery(&doc, "https://idp.wonka.example/", false).is_err());
    let mut plain = doc.clone();
    plain["code_challenge_methods_supported"] = serde_json::json!(["plain"]);
    assert!(check_discovery(&plain, "https://idp.wonka.example", false).is_err());
    let mut http = doc.clone();
    http["token_endpoint"] = "http://idp.wonka.example/token".into();
    assert!(check_discovery(&http, "https://idp.wonka.example", false).is_err());
    assert!(check_discovery(&http, "https://idp.wonka.example", true).is_ok());
    let mut missing = doc;
    missing.as_object_mut().unwrap().remove("jwks_uri");
    assert!(check_discovery(&missing, "https://idp.wonka.example", false).is_err());
}

fn wonka_user() -> ProviderUser {
    ProviderUser {
        subject: "u-1".into(),
        email: "charlie@wonka.example".into(),
        email_verified: Some(true),
    }
}

fn member(partner: Option<&str>, enabled: bool) -> Member {
    Member {
        user_id: "au_1".into(),
        partner_id: partner.map(str::to_owned),
        enabled,
        linked_here: false,
    }
}

fn wonka_domains() -> Vec<String> {
    vec!["wonka.example".to_owned()]
}

#[test]
fn users_map_to_their_partner_only() {
    let user = wonka_user();
    let domains = wonka_domains();
    let m = |linked: Option<&Member>, by_email: Option<&Member>, role: Option<&str>| {
        map_user("p_wonka", &user, linked, by_email, role, &domains)
    };
    let ours = member(Some("p_wonka"), true);
    assert_eq!(m(Some(&ours), None, None), Mapping::Linked("au_1".into()));
    assert_eq!(m(None, Some(&ours), None), Mapping::Link("au_1".into()));
    assert!(matches!(
        m(Some(&member(Some("p_wonka"), false)), None, None),
        Mapping::Refuse(_)
    ));
    assert!(matches!(
        m(None, Some(&member(Some("p_other"), true)), None),
        Mapping::Refuse(_)
    ));
    // Console users are never signed in through a partner's provider (G51).
    assert!(matches!(
        m(None, Some(&member(None, true)), None),
        Mapping::Refuse(_)
    ));
    assert!(matches!(
        m(Some(&member(None, true)), None, None),
        Mapping::Refuse(_)
    ));
    assert_eq!(
        m(None, None, Some("partner_viewer")),
        Mapping::Join("partner_viewer".into())
    );
    assert!(matches!(m(None, None, None), Mapping::Refuse(_)));
    let stranger = ProviderUser {
        email: "x@elsewhere.example".into(),
        ..user.clone()
    };
    assert!(matches!(
        map_user(
            "p_wonka",
            &stranger,
            None,
            None,
            Some("partner_viewer"),
            &domains
        ),
        Mapping::Refuse(_)
    ));
}

/// nOAuth: an address the provider does not vouch for links and joins nothing; one it says
/// nothing about is vouched for within the partner's own domains only.
#[test]
fn only_vouched_addresses_link_or_join() {
    let user = wonka_user();
    let domains = wonka_domains();
    let unverified = ProviderUser {
        email_verified: Some(false),
        ..user.clone()
    };
    let ours_unlinked = member(Some("p_wonka"), true);
    assert!(matches!(
        map_user(
            "p_wonka",
            &unverified,
            None,
            Some(&ours_unlinked),
            None,
            &domains
        ),
        Mapping::Refuse(_)
    ));
    assert!(matches!(
        map_user(
            "p_wonka",
            &unverified,
            None,
            None,
            Some("partner_viewer"),
            &domains
        ),
        Mapping::Refuse(_)
    ));
    // Unsaid: vouched for within the partner's own domains only.
    let unsaid = ProviderUser {
        email_verified: None,
        ..user
    };
    assert_eq!(
        map_user(
            "p_wonka",
            &unsaid,
            None,
            Some(&ours_unlinked),
            None,
            &domains
        ),
        Mapping::Link("au_1".into())
    );
    assert!(matches!(
        map_user("p_wonka", &unsaid, None, Some(&ours_unlinked), None, &[]),
        Mapping::Refuse(_)
    ));
}

#[test]
fn one_identity_per_provider() {
    // A second subject with the same address is refused.
    let taken = Member {
        linked_here: true,
        ..member(Some("p_wonka"), true)
    };
    assert!(matches!(
        map_user(
            "p_wonka",
            &wonka_user(),
            None,
            Some(&taken),
            None,
            &wonka_domains()
        ),
        Mapping::Refuse(_)
    ));
}

#[test]
fn domains_are_parsed() {
    assert_eq!(
        parse_domains("Wonka.example, @choc.example wonka.example").unwrap(),
        vec!["wonka.example", "choc.example"]
    );
    assert!(parse_domains("localhost").is_err());
    assert!(parse_domains("a b.example").is_err());
    assert_eq!(parse_domains("").unwrap(), Vec::<String>::new());
}
