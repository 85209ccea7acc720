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

mod assertions;
mod decision;
mod renewal;
mod verification;

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

/// A jwt-bearer request from client `cl_1` of partner `acme`, allowed `read`, for the API.
fn run_bearer(w: &World, assertion: &str) -> exchange::Decision {
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
    jwt_bearer(w, w, &env(), &who, Some(assertion), &target, NOW)
}
