//! The federation decision with a fixed `now` and an in-memory catalog: no HTTP, no database.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::exchange::{ExchangeRequest, Requester, exchange, jwt_bearer};
use super::refresh::{Family, refresh};
use super::rules::{TokenKind, parse_scope_mappings};
use super::*;
use crate::grant::{AudienceView, Catalog, ClientView, TargetRequest};
use crate::ids::{AudienceId, IssuerId, PartnerId, RuleId};
use crate::keys::{SigningAlgorithm, encoding_key, generate};
use crate::verified::{KeyPrint, TokenDigest, VerifiedTokens};
use crate::{OAuthErrorCode, ScopeSet};

const NOW: i64 = 1_800_000_000;
const ME: &str = "https://entente.test";
const IDP: &str = "https://idp.acme.test";
const API: &str = "https://api.test";

struct World {
    audiences: Vec<AudienceView>,
    grants: HashMap<(PartnerId, AudienceId), ScopeSet>,
    issuers: Vec<TrustedIssuer>,
    rules: Vec<TrustRule>,
    keys: Vec<crate::jwks::VerifyingKey>,
    signer: EncodingKey,
    kid: String,
    memory: Option<Memory>,
}

/// Signatures verified before, as the server's bounded cache keeps them.
#[derive(Default)]
struct Memory(std::cell::RefCell<HashMap<TokenDigest, (KeyPrint, i64)>>);

impl VerifiedTokens for Memory {
    fn recall(&self, d: &TokenDigest) -> Option<(KeyPrint, i64)> {
        self.0.borrow().get(d).copied()
    }
    fn remember(&self, d: TokenDigest, k: KeyPrint, exp: i64) {
        self.0.borrow_mut().insert(d, (k, exp));
    }
}

impl Catalog for World {
    fn audience_by_identifier(&self, identifier: &str) -> Option<&AudienceView> {
        self.audiences.iter().find(|a| a.identifier == identifier)
    }
    fn grant(&self, p: &PartnerId, a: &AudienceId) -> Option<&ScopeSet> {
        self.grants.get(&(p.clone(), a.clone()))
    }
    fn granted_audiences(&self, p: &PartnerId) -> Vec<&AudienceView> {
        self.audiences
            .iter()
            .filter(|a| self.grants.contains_key(&(p.clone(), a.id.clone())))
            .collect()
    }
}

impl Federation for World {
    fn trusted_issuer(&self, partner_id: &PartnerId, iss: &str) -> Option<&TrustedIssuer> {
        self.issuers
            .iter()
            .find(|i| &i.partner_id == partner_id && i.issuer == iss)
    }
    fn trust_rule(&self, p: &PartnerId, i: &IssuerId, a: &AudienceId) -> Option<&TrustRule> {
        self.rules
            .iter()
            .find(|r| &r.partner_id == p && &r.issuer_id == i && &r.audience_id == a)
    }
    fn trust_rule_by_id(&self, id: &RuleId) -> Option<&TrustRule> {
        self.rules.iter().find(|r| &r.id == id)
    }
    fn trusted_issuer_by_id(&self, id: &IssuerId) -> Option<&TrustedIssuer> {
        self.issuers.iter().find(|i| &i.id == id)
    }
    fn has_rules(&self, p: &PartnerId, i: &IssuerId) -> bool {
        self.rules
            .iter()
            .any(|r| &r.partner_id == p && &r.issuer_id == i)
    }
    fn audience_by_id(&self, id: &AudienceId) -> Option<&AudienceView> {
        self.audiences.iter().find(|a| &a.id == id)
    }
}

impl Keys for World {
    fn issuer_keys(&self, _issuer_id: &IssuerId) -> &[crate::jwks::VerifyingKey] {
        &self.keys
    }
    fn own_key(&self, _kid: &str) -> Option<crate::verified::KeyRef<'_>> {
        None
    }
    fn own_token_revoked(&self, _c: &crate::token::AccessTokenClaims) -> bool {
        false
    }
    fn verified(&self) -> Option<&dyn VerifiedTokens> {
        self.memory.as_ref().map(|m| m as &dyn VerifiedTokens)
    }
}

fn world() -> World {
    let k = generate(SigningAlgorithm::Es256).unwrap();
    let jwks = json!({"keys": [k.public_jwk]}).to_string();
    let (keys, _) = crate::jwks::parse(&jwks).unwrap();
    World {
        audiences: vec![AudienceView {
            id: "a1".into(),
            identifier: API.into(),
            scopes: ScopeSet::parse("read write admin").unwrap(),
            token_lifetime: 300,
            enabled: true,
            environment: crate::environment::Environment::Production,
        }],
        grants: [(
            (PartnerId::from("p1"), AudienceId::from("a1")),
            ScopeSet::parse("read write").unwrap(),
        )]
        .into_iter()
        .collect(),
        issuers: vec![TrustedIssuer {
            id: "ti_1".into(),
            partner_id: "p1".into(),
            issuer: IDP.into(),
            algorithms: vec![Algorithm::ES256],
            audiences: vec![ME.into()],
            kinds: vec![TokenKind::AccessToken, TokenKind::Assertion],
            max_age: 3600,
            skew: 30,
            subject_claim: "sub".into(),
            access_tokens_typed_jwt: false,
            enabled: true,
        }],
        rules: vec![TrustRule {
            id: "tr_1".into(),
            partner_id: "p1".into(),
            issuer_id: "ti_1".into(),
            audience_id: "a1".into(),
            scopes: ScopeSet::parse("read write admin").unwrap(),
            claims: vec![],
            mappings: parse_scope_mappings("roles:writer=write").unwrap(),
            pairwise: false,
            delegation: true,
            max_depth: 1,
            delegation_only: false,
            refresh: true,
            lifetime: None,
            refresh_lifetime: 3600,
            enabled: true,
        }],
        keys,
        signer: encoding_key(SigningAlgorithm::Es256, &k.private_der),
        kid: k.kid,
        memory: None,
    }
}

fn token(w: &World, typ: &str, claims: Value) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.typ = Some(typ.into());
    h.kid = Some(w.kid.clone());
    let mut c = json!({"iss": IDP, "sub": "alice", "aud": ME, "iat": NOW - 10, "exp": NOW + 100, "jti": "j1"});
    for (k, v) in claims.as_object().unwrap() {
        c[k] = v.clone();
    }
    jsonwebtoken::encode(&h, &c, &w.signer).unwrap()
}

fn env() -> Env<'static> {
    Env {
        issuer: ME,
        entente: ME,
        pairwise_secret: b"pairwise",
    }
}

fn grants() -> Vec<String> {
    vec![
        GRANT_TOKEN_EXCHANGE.into(),
        GRANT_JWT_BEARER.into(),
        GRANT_REFRESH_TOKEN.into(),
    ]
}

fn run(w: &World, subject: &str, actor: Option<&str>, scope: Option<&str>) -> exchange::Decision {
    let allowed = ScopeSet::parse("read write admin").unwrap();
    let g = grants();
    let p1 = PartnerId::from("p1");
    let who = Requester {
        client: ClientView {
            client_id: "cl_1",
            partner_id: &p1,
            allowed_scopes: &allowed,
            grant_types: &g,
            environment: crate::environment::Environment::Production,
        },
        partner_slug: "acme",
    };
    let req = ExchangeRequest {
        subject_token: Some(subject),
        subject_token_type: Some(TT_ACCESS_TOKEN),
        actor_token: actor,
        actor_token_type: actor.map(|_| TT_ACCESS_TOKEN),
        requested_token_type: None,
        target: TargetRequest {
            resources: vec![],
            audiences: vec![API.into()],
            scope: scope.map(|s| ScopeSet::parse(s).unwrap()),
        },
    };
    exchange(w, w, &env(), &who, &req, NOW)
}

#[test]
fn scopes_are_narrowed_and_mappings_unlock_only_with_their_claim() {
    let w = world();
    let d = run(&w, &token(&w, "at+jwt", json!({})), None, None);
    let g = d.result.unwrap();
    // rule (read write admin, write needs roles:writer) ∩ grant (read write) ∩ client → read
    assert_eq!(g.scope.to_string(), "read");
    assert_eq!(g.sub, "ti_1:alice");
    assert_eq!(
        g.lifetime, 100,
        "bounded by the subject token's remaining life"
    );
    assert!(g.refresh.is_some());
    assert!(d.trace.0.iter().any(|s| s.step == "trust_rule"));
    let d = run(
        &w,
        &token(&w, "at+jwt", json!({"roles": ["writer"]})),
        None,
        Some("write admin"),
    );
    assert_eq!(d.result.unwrap().scope.to_string(), "write");
}

#[test]
fn time_and_type_rules_are_exact() {
    let w = world();
    for (claims, typ) in [
        (json!({"exp": NOW - 31}), "at+jwt"),
        (json!({"exp": (NOW + 60).to_string()}), "at+jwt"),
        (json!({"nbf": NOW + 31}), "at+jwt"),
        (json!({"iat": NOW - 3700}), "at+jwt"),
        (json!({"iss": format!("{IDP}/")}), "at+jwt"),
        (json!({"aud": "https://elsewhere"}), "at+jwt"),
        (json!({}), "JWT"),
    ] {
        let d = run(&w, &token(&w, typ, claims.clone()), None, None);
        let e = d.result.unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::InvalidRequest, "{claims} {typ}");
        assert!(d.trace.failure().is_some());
    }
    // Clocks ahead of ours within the skew are fine.
    assert!(
        run(
            &w,
            &token(&w, "at+jwt", json!({"nbf": NOW + 20, "iat": NOW + 20})),
            None,
            None
        )
        .result
        .is_ok()
    );
    // Expired within the skew passes validation but leaves no lifetime to grant.
    let d = run(
        &w,
        &token(&w, "at+jwt", json!({"exp": NOW - 20})),
        None,
        None,
    );
    assert_eq!(d.trace.failure().unwrap().step, "lifetime");
}

#[test]
fn delegation_depth_and_rule_switches() {
    let mut w = world();
    let subject = token(&w, "at+jwt", json!({}));
    let actor = token(&w, "at+jwt", json!({"sub": "agent"}));
    let g = run(&w, &subject, Some(&actor), None).result.unwrap();
    assert_eq!(g.act, Some(json!({"sub": "ti_1:agent"})));
    let chained = token(&w, "at+jwt", json!({"act": {"sub": "earlier"}}));
    let e = run(&w, &chained, Some(&actor), None).result.unwrap_err();
    assert_eq!(e.code, OAuthErrorCode::InvalidRequest, "depth 2 > max 1");
    w.rules[0].delegation_only = true;
    assert!(run(&w, &subject, None, None).result.is_err());
    w.rules[0].enabled = false;
    let e = run(&w, &subject, Some(&actor), None).result.unwrap_err();
    assert_eq!(e.code, OAuthErrorCode::InvalidRequest);
}

#[test]
fn pairwise_subject_and_lineage() {
    let mut w = world();
    w.rules[0].pairwise = true;
    let g = run(&w, &token(&w, "at+jwt", json!({})), None, None)
        .result
        .unwrap();
    assert!(g.sub.starts_with("pw_"));
    // The lineage must not undo pairwise subjects: its subject key is per audience too.
    assert_eq!(
        g.lineage,
        vec![subject::pairwise_subject_key(
            b"pairwise",
            API,
            IDP,
            "alice"
        )]
    );
    assert_ne!(g.lineage[0], subject::subject_key(IDP, "alice"));
    assert_eq!(
        g.refresh.unwrap().subject_key,
        subject::subject_key(IDP, "alice")
    );
    w.rules[0].pairwise = false;
    let g = run(&w, &token(&w, "at+jwt", json!({})), None, None)
        .result
        .unwrap();
    assert_eq!(g.lineage, vec![subject::subject_key(IDP, "alice")]);
}

#[test]
fn jwt_bearer_needs_jti_and_only_our_audience() {
    let w = world();
    let allowed = ScopeSet::parse("read").unwrap();
    let g = grants();
    let p1 = PartnerId::from("p1");
    let who = Requester {
        client: ClientView {
            client_id: "cl_1",
            partner_id: &p1,
            allowed_scopes: &allowed,
            grant_types: &g,
            environment: crate::environment::Environment::Production,
        },
        partner_slug: "acme",
    };
    let target = TargetRequest {
        resources: vec![API.into()],
        audiences: vec![],
        scope: None,
    };
    let assertion = |c: Value| token(&w, "JWT", c);
    let ok = jwt_bearer(
        &w,
        &w,
        &env(),
        &who,
        Some(&assertion(json!({}))),
        &target,
        NOW,
    );
    let g = ok.result.unwrap();
    assert_eq!(g.replay.unwrap().jti, "j1");
    assert!(g.refresh.is_none());
    for c in [
        json!({"jti": null}),
        json!({"aud": [ME, "https://x"]}),
        json!({"exp": NOW + 7200}),
    ] {
        let d = jwt_bearer(
            &w,
            &w,
            &env(),
            &who,
            Some(&assertion(c.clone())),
            &target,
            NOW,
        );
        assert_eq!(
            d.result.unwrap_err().code,
            OAuthErrorCode::InvalidGrant,
            "{c}"
        );
    }
}

/// Case 73 / finding L-7: an OpenID ID token is not an authorization grant, whatever mark
/// shows it (present even as null), while a plain assertion still is one.
#[test]
fn jwt_bearer_refuses_openid_id_tokens() {
    let mut w = world();
    // The issuer also accepts ID tokens addressed to its RP client, as real registrations do.
    w.issuers[0].audiences.push("acme-rp".into());
    let allowed = ScopeSet::parse("read").unwrap();
    let g = grants();
    let p1 = PartnerId::from("p1");
    let who = Requester {
        client: ClientView {
            client_id: "cl_1",
            partner_id: &p1,
            allowed_scopes: &allowed,
            grant_types: &g,
            environment: crate::environment::Environment::Production,
        },
        partner_slug: "acme",
    };
    let target = TargetRequest {
        resources: vec![API.into()],
        audiences: vec![],
        scope: None,
    };
    let grant = |typ: &str, c: Value| {
        jwt_bearer(&w, &w, &env(), &who, Some(&token(&w, typ, c)), &target, NOW)
    };
    assert!(grant("JWT", json!({})).result.is_ok(), "the control");
    assert!(
        grant("JWT", json!({"azp": "acme-app"})).result.is_ok(),
        "azp naming another party than the audience is no mark"
    );
    for (typ, c) in [
        ("JWT", json!({"nonce": "n-0S6"})),
        ("JWT", json!({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"})),
        ("JWT", json!({"c_hash": "LDktKdoQak3Pk0cnXxCltA"})),
        ("JWT", json!({"auth_time": NOW - 60})),
        ("JWT", json!({"nonce": null})),
        ("JWT", json!({"typ": "ID"})),
        ("JWT", json!({"aud": "acme-rp", "azp": "acme-rp"})),
        ("JWT", json!({"aud": [ME, "acme-rp"], "azp": "acme-rp"})),
        // A Keycloak-style ID token, typed JWT with every mark.
        (
            "JWT",
            json!({"aud": "acme-rp", "azp": "acme-rp", "typ": "ID", "nonce": "n", "at_hash": "x",
                   "auth_time": NOW - 5, "sid": "s1"}),
        ),
    ] {
        let d = grant(typ, c.clone());
        assert_eq!(
            d.result.unwrap_err().code,
            OAuthErrorCode::InvalidGrant,
            "{c}"
        );
        let why = d
            .trace
            .failure()
            .map(|f| f.detail.clone())
            .unwrap_or_default();
        assert!(why.contains("ID token"), "{c}: {why}");
    }
}

/// Case 72 / finding L-8: a partner token repeating a claim name, at any depth, is refused
/// whole (never last-wins) in a token exchange (invalid_request) and as a jwt-bearer
/// assertion (invalid_grant); with one value each the same claims are accepted.
#[test]
fn repeated_claim_names_refuse_the_token() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let w = world();
    let raw = |typ: &str, payload: &str| {
        let h =
            URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "typ": typ, "kid": w.kid}).to_string());
        let p = URL_SAFE_NO_PAD.encode(payload);
        let sig =
            jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &w.signer, Algorithm::ES256)
                .unwrap();
        format!("{h}.{p}.{sig}")
    };
    let base = format!(
        r#""iss":"{IDP}","sub":"alice","aud":"{ME}","iat":{},"exp":{},"jti":"j1""#,
        NOW - 10,
        NOW + 100
    );
    // One `roles` unlocks `write` (the rule's mapping): the control.
    let single = raw("at+jwt", &format!(r#"{{{base},"roles":["writer"]}}"#));
    let d = run(&w, &single, None, Some("write"));
    assert_eq!(d.result.unwrap().scope.to_string(), "write");
    for extra in [
        r#""roles":["reader"],"roles":["writer"]"#,
        r#""email":"pat@x","email":"ceo@x""#,
        r#""may_act":{"sub":"a","sub":"b"}"#,
        r#""act":{"sub":"svc","act":{"sub":"x","sub":"y"}}"#,
        r#""roles":["reader"],"roles":["writer"]"#,
    ] {
        let t = raw("at+jwt", &format!(r#"{{{base},{extra}}}"#));
        let d = run(&w, &t, None, None);
        assert_eq!(
            d.result.unwrap_err().code,
            OAuthErrorCode::InvalidRequest,
            "{extra}"
        );
        let why = d
            .trace
            .failure()
            .map(|f| f.detail.clone())
            .unwrap_or_default();
        assert!(why.contains("appears more than once"), "{extra}: {why}");
    }
    // A repeated header member, too.
    let h = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"ES256","typ":"at+jwt","kid":"{}","kid":"other"}}"#,
        w.kid
    ));
    let p = URL_SAFE_NO_PAD.encode(format!("{{{base}}}"));
    let sig =
        jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &w.signer, Algorithm::ES256)
            .unwrap();
    let d = run(&w, &format!("{h}.{p}.{sig}"), None, None);
    assert_eq!(d.result.unwrap_err().code, OAuthErrorCode::InvalidRequest);
    // As a jwt-bearer assertion: invalid_grant.
    let allowed = ScopeSet::parse("read").unwrap();
    let g = grants();
    let p1 = PartnerId::from("p1");
    let who = Requester {
        client: ClientView {
            client_id: "cl_1",
            partner_id: &p1,
            allowed_scopes: &allowed,
            grant_types: &g,
            environment: crate::environment::Environment::Production,
        },
        partner_slug: "acme",
    };
    let target = TargetRequest {
        resources: vec![API.into()],
        audiences: vec![],
        scope: None,
    };
    let ok = raw("JWT", &format!("{{{base}}}"));
    assert!(
        jwt_bearer(&w, &w, &env(), &who, Some(&ok), &target, NOW)
            .result
            .is_ok()
    );
    let dup = raw("JWT", &format!(r#"{{{base},"email":"a","email":"b"}}"#));
    let d = jwt_bearer(&w, &w, &env(), &who, Some(&dup), &target, NOW);
    assert_eq!(d.result.unwrap_err().code, OAuthErrorCode::InvalidGrant);
}

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

#[test]
fn remembered_signatures_still_follow_the_issuer_its_keys_and_the_rule() {
    let mut w = world();
    w.memory = Some(Memory::default());
    let t = token(&w, "at+jwt", json!({}));
    let remembered = |w: &World| w.memory.as_ref().map_or(0, |m| m.0.borrow().len());
    assert!(run(&w, &t, None, None).result.is_ok());
    assert_eq!(remembered(&w), 1, "verified once, remembered");
    // Presented again: the signature is recalled, the decision made again in full.
    let again = run(&w, &t, None, Some("write")).result.unwrap_err();
    assert_eq!(
        again.code,
        OAuthErrorCode::InvalidScope,
        "the rule still decides"
    );
    assert!(run(&w, &t, None, None).result.is_ok());
    let keys = w.keys.clone();
    // The issuer's key rotated out and replaced by another under the same kid: refused.
    let other = generate(SigningAlgorithm::Es256).unwrap();
    let mut jwk = serde_json::to_value(&other.public_jwk).unwrap();
    jwk["kid"] = json!(w.kid);
    let (rotated, _) = crate::jwks::parse(&json!({"keys": [jwk]}).to_string()).unwrap();
    w.keys = rotated;
    let e = run(&w, &t, None, None);
    assert_eq!(e.result.unwrap_err().code, OAuthErrorCode::InvalidRequest);
    assert!(
        e.trace
            .failure()
            .is_some_and(|f| f.detail.contains("signature")),
        "{:?}",
        e.trace
    );
    // The key gone from the issuer's set: refused.
    w.keys = vec![];
    assert!(run(&w, &t, None, None).result.is_err());
    w.keys = keys;
    assert!(run(&w, &t, None, None).result.is_ok(), "back with its key");
    // The issuer disabled, or the rule: refused at once.
    w.issuers[0].enabled = false;
    assert!(run(&w, &t, None, None).result.is_err());
    w.issuers[0].enabled = true;
    w.rules[0].enabled = false;
    assert!(run(&w, &t, None, None).result.is_err());
    w.rules[0].enabled = true;
    // Another token is remembered on its own (recall past `exp` is tested in verified.rs).
    let short = token(&w, "at+jwt", json!({"exp": NOW + 5, "jti": "j2"}));
    assert!(run(&w, &short, None, None).result.is_ok());
    assert_eq!(remembered(&w), 2);
    // Single-use assertions are never remembered.
    let p1 = PartnerId::from("p1");
    let (allowed, g) = (ScopeSet::parse("read").unwrap(), grants());
    let who = Requester {
        client: ClientView {
            client_id: "cl_1",
            partner_id: &p1,
            allowed_scopes: &allowed,
            grant_types: &g,
            environment: crate::environment::Environment::Production,
        },
        partner_slug: "acme",
    };
    let target = TargetRequest {
        resources: vec![API.into()],
        audiences: vec![],
        scope: None,
    };
    let assertion = token(&w, "JWT", json!({"jti": "a1"}));
    let d = jwt_bearer(&w, &w, &env(), &who, Some(&assertion), &target, NOW);
    assert!(d.result.is_ok());
    assert_eq!(remembered(&w), 2, "the assertion was not remembered");
}
