//! Verifying a presented token — a partner's access token, ID token or assertion, or one of
//! Entente's own access tokens — by the rules of its kind. The reason for a refusal is returned
//! as text; the grant decides which OAuth error it becomes.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Env, Federation, Keys, TokenKind, Trace, TrustedIssuer};
use super::{TT_ACCESS_TOKEN, TT_ID_TOKEN, TT_JWT};
use crate::UnixTime;
use crate::ids::PartnerId;
use crate::jwks::VerifyingKey;
use crate::jws::{self, OneOrMany};
use crate::token::{ACCESS_TOKEN_TYP, AccessTokenClaims};

/// The type the client declared (`subject_token_type` / `actor_token_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    AccessToken,
    IdToken,
    Jwt,
}

impl Declared {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            TT_ACCESS_TOKEN => Some(Self::AccessToken),
            TT_ID_TOKEN => Some(Self::IdToken),
            TT_JWT => Some(Self::Jwt),
            _ => None,
        }
    }
}

/// Why the token is being verified: assertions have their own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Subject,
    Actor,
    Assertion,
}

/// Where a verified token came from.
#[derive(Debug, Clone)]
pub enum Origin<'c> {
    Partner(&'c TrustedIssuer),
    Own(Box<AccessTokenClaims>),
}

/// A token whose signature, issuer, audience and times have been checked.
#[derive(Debug, Clone)]
pub struct Verified<'c> {
    pub origin: Origin<'c>,
    pub kind: TokenKind,
    /// The `iss` claim (exact).
    pub iss: String,
    /// The subject identifier at its issuer (the value of the issuer's subject claim).
    pub sub: String,
    pub exp: UnixTime,
    pub jti: Option<String>,
    /// Every claim, for passthrough, mappings, `act` and `may_act`.
    pub claims: Map<String, Value>,
}

impl Verified<'_> {
    pub fn act(&self) -> Option<&Value> {
        self.claims.get("act").filter(|v| v.is_object())
    }
}

#[derive(Deserialize)]
struct IssOnly {
    iss: String,
}

/// Registered claims typed strictly (a string `exp` fails, case A9); duplicates of these fail.
#[derive(Deserialize)]
struct PartnerClaims {
    iss: String,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    aud: Option<OneOrMany>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// The unverified `iss` of a token: used only to pick which keys to load.
pub fn peek_issuer(token: &str) -> Option<String> {
    if token.len() > jws::MAX_TOKEN_LEN || token.split('.').count() != 3 {
        return None;
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<IssOnly>(token)
        .ok()
        .map(|c| c.iss)
}

/// Claims that only ID tokens carry (OpenID Connect Core §2, §3.1.3.6, §3.3.2.11): an untyped
/// token holding one is never taken for an access token.
const ID_TOKEN_MARKS: [&str; 4] = ["nonce", "at_hash", "c_hash", "auth_time"];

/// The token-confusion guard for tokens typed `JWT` (or untyped) that must not be ID tokens:
/// access tokens of issuers whose access tokens are typed so, and jwt-bearer assertions
/// (case 73, finding L-7). An ID token shows itself by its marks (even `null`), by Keycloak's
/// payload `typ: "ID"`, or by naming its client (`azp`) as its audience, as OpenID Connect ID
/// tokens do (Core §2).
fn id_token_guard(c: &PartnerClaims, kind: TokenKind) -> Result<(), String> {
    let refuse = |why: String| {
        Err(if kind == TokenKind::Assertion {
            format!(
                "the assertion {why}, a mark of an OpenID Connect ID token: an ID token is not an authorization grant"
            )
        } else {
            format!(
                "the token is typed JWT and {why}, a mark of an ID token: it is not accepted as an access token"
            )
        })
    };
    if let Some(mark) = ID_TOKEN_MARKS.iter().find(|m| c.other.contains_key(**m)) {
        return refuse(format!("carries {mark:?}"));
    }
    if let Some(typ) = c.other.get("typ").and_then(Value::as_str)
        && ["ID", "id_token", "id+jwt", "id_token+jwt"]
            .iter()
            .any(|t| typ.eq_ignore_ascii_case(t))
    {
        return refuse(format!("says typ {typ:?}"));
    }
    if let Some(azp) = c.other.get("azp").and_then(Value::as_str) {
        let names_client = match &c.aud {
            Some(OneOrMany::One(a)) => a == azp,
            Some(OneOrMany::Many(all)) => all.iter().any(|a| a == azp),
            None => false,
        };
        if names_client {
            return refuse("names its client (azp) as audience".into());
        }
    }
    Ok(())
}

pub struct Ask<'a> {
    pub token: &'a str,
    pub declared: Declared,
    pub purpose: Purpose,
    pub partner_id: &'a PartnerId,
    pub partner_slug: &'a str,
}

/// Verifies `ask.token`; every step lands in `trace`, prefixed by `label`.
pub fn verify<'c>(
    cat: &'c impl Federation,
    keys: &impl Keys,
    env: &Env<'_>,
    ask: &Ask<'_>,
    now: UnixTime,
    trace: &mut Trace,
    label: &'static str,
) -> Result<Verified<'c>, String> {
    let res = verify_inner(cat, keys, env, ask, now, trace, label);
    if let Err(why) = &res {
        trace.fail(label, why.clone());
    }
    res
}

fn verify_inner<'c>(
    cat: &'c impl Federation,
    keys: &impl Keys,
    env: &Env<'_>,
    ask: &Ask<'_>,
    now: UnixTime,
    trace: &mut Trace,
    label: &'static str,
) -> Result<Verified<'c>, String> {
    let (header, header_kind) = read_header(ask)?;
    let iss = peek_issuer(ask.token).ok_or("the token has no readable iss claim")?;
    let issuer = partner_issuer(cat, env, ask.partner_id, &iss)?;
    let (kind, typed_jwt_access) = token_kind(ask, header_kind, issuer)?;
    let Some(issuer) = issuer else {
        return verify_own(keys, ask, &header, kind, now, trace, label);
    };
    let key = issuer_key(keys, issuer, &iss, kind, &header)?;
    let c = signed_claims(keys, ask.token, key, kind, now)?;
    trace.pass(
        label,
        format!(
            "signature verified with key {} ({:?}) of trusted issuer {}",
            key.kid.as_deref().unwrap_or("(no kid)"),
            key.alg,
            issuer.issuer
        ),
    );
    if c.iss != issuer.issuer {
        return Err("the signed iss differs from the trusted issuer".into());
    }
    if typed_jwt_access || kind == TokenKind::Assertion {
        id_token_guard(&c, kind)?;
    }
    partner_verified(c, issuer, kind, now, trace, label)
}

/// The token's header, read before any signature is checked, and the kind its `typ` says.
fn read_header(ask: &Ask<'_>) -> Result<(jsonwebtoken::Header, TokenKind), String> {
    let token = ask.token;
    if token.is_empty() {
        return Err("the token is empty".into());
    }
    let header = jws::peek_header(token).map_err(|e| match e {
        jws::JwsError::TooLarge => "the token is larger than 8 KiB".to_string(),
        jws::JwsError::RepeatedMember(..) => format!("{e}, so which value counts is ambiguous"),
        _ => "the token is not a signed JWT".to_string(),
    })?;
    let header_kind = match header
        .typ
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("at+jwt" | "application/at+jwt") => TokenKind::AccessToken,
        None | Some("jwt") if ask.purpose == Purpose::Assertion => TokenKind::Assertion,
        None | Some("jwt") => TokenKind::IdToken,
        Some(other) => return Err(format!("token typ {other:?} is not accepted here")),
    };
    if let Some(kid) = header.kid.as_deref()
        && !jws::sane_kid(kid)
    {
        return Err("the token's kid is not acceptable".into());
    }
    Ok((header, header_kind))
}

/// The partner's trusted issuer named by `iss`, or `None` when the token is Entente's own.
fn partner_issuer<'c>(
    cat: &'c impl Federation,
    env: &Env<'_>,
    partner_id: &PartnerId,
    iss: &str,
) -> Result<Option<&'c TrustedIssuer>, String> {
    if iss == env.issuer {
        Ok(None)
    } else if crate::environment::Environment::of_issuer(env.entente, iss).is_some() {
        // Even registered as a partner's issuer: tokens never cross between environments.
        Err("tokens of Entente's other environment are never accepted here".into())
    } else if iss == crate::test_idp::issuer(env.entente) && env.issuer == env.entente {
        // Anyone in the sandbox mints these for users they make up: never production access.
        Err("the sandbox test IdP's tokens are accepted in the sandbox only".into())
    } else {
        cat.trusted_issuer(partner_id, iss)
            .map(Some)
            .ok_or_else(|| format!("issuer {iss:?} is not a trusted issuer of this partner"))
    }
}

/// The kind the token is taken for, and whether it is an access token typed `JWT` (whose
/// claims must then show no mark of an ID token); refused unless the declared type allows it.
fn token_kind(
    ask: &Ask<'_>,
    header_kind: TokenKind,
    issuer: Option<&TrustedIssuer>,
) -> Result<(TokenKind, bool), String> {
    // Most IdPs (Keycloak, Entra ID, Auth0) type their access tokens `JWT`. For an issuer
    // registered as doing so, an untyped token counts as an access token unless it is declared
    // an ID token; its claims are then checked for the marks of an ID token.
    let typed_jwt_access = header_kind == TokenKind::IdToken
        && ask.declared != Declared::IdToken
        && issuer.is_some_and(|i| i.access_tokens_typed_jwt);
    let kind = if typed_jwt_access {
        TokenKind::AccessToken
    } else {
        header_kind
    };
    match (ask.declared, kind) {
        (Declared::AccessToken, TokenKind::AccessToken)
        | (Declared::IdToken, TokenKind::IdToken)
        | (Declared::Jwt, _) => {}
        _ => {
            return Err(format!(
                "the declared token type does not match the token (its typ says {})",
                kind.as_str()
            ));
        }
    }
    if ask.purpose == Purpose::Assertion && kind != TokenKind::Assertion {
        return Err("an access token is not an authorization grant assertion".into());
    }
    Ok((kind, typed_jwt_access))
}

/// The key the token names among the trusted issuer's, once the issuer is enabled and trusted
/// for this kind of token and its algorithm.
fn issuer_key<'k>(
    keys: &'k impl Keys,
    issuer: &TrustedIssuer,
    iss: &str,
    kind: TokenKind,
    header: &jsonwebtoken::Header,
) -> Result<&'k VerifyingKey, String> {
    if !issuer.enabled {
        return Err(format!("trusted issuer {iss:?} is disabled"));
    }
    if !issuer.kinds.contains(&kind) {
        return Err(format!(
            "issuer {iss:?} is not trusted for {} tokens",
            kind.as_str()
        ));
    }
    if !issuer.algorithms.contains(&header.alg) {
        return Err(format!(
            "algorithm {:?} is not accepted from this issuer",
            header.alg
        ));
    }
    let key = crate::jwks::select(keys.issuer_keys(&issuer.id), header.kid.as_deref())
        .ok_or("no key of this issuer matches the token's kid")?;
    // One key, one algorithm: the registered key decides (cases A2, A3).
    if key.alg != header.alg {
        return Err(format!(
            "key {} is for {:?}, the token says {:?}",
            key.kid.as_deref().unwrap_or("(no kid)"),
            key.alg,
            header.alg
        ));
    }
    Ok(key)
}

/// The partner token's claims, once its signature verifies with `key` (or verified before).
fn signed_claims(
    keys: &impl Keys,
    token: &str,
    key: &VerifyingKey,
    kind: TokenKind,
    now: UnixTime,
) -> Result<PartnerClaims, String> {
    // Assertions are single use: remembering their signatures would buy nothing.
    let memory = keys.verified().filter(|_| kind != TokenKind::Assertion);
    crate::verified::verify(
        token,
        crate::verified::KeyRef {
            alg: key.alg,
            key: &key.key,
            print: &key.print,
        },
        memory,
        now,
        |c: &PartnerClaims| c.exp,
    )
    .map_err(|e| match e {
        jws::JwsError::BadClaims => {
            "the token's claims are malformed (types or duplicates)".to_string()
        }
        jws::JwsError::RepeatedMember(..) => format!("{e}, so which value counts is ambiguous"),
        _ => "the token's signature does not verify".to_string(),
    })
}

/// A signed partner token's times, audience and subject checked: the verified token.
fn partner_verified<'c>(
    c: PartnerClaims,
    issuer: &'c TrustedIssuer,
    kind: TokenKind,
    now: UnixTime,
    trace: &mut Trace,
    label: &'static str,
) -> Result<Verified<'c>, String> {
    let exp = check_times(&c, issuer, kind, now)?;
    check_audience(c.aud.as_ref(), issuer, kind)?;
    let sub = if issuer.subject_claim == "sub" {
        c.sub.clone()
    } else {
        c.other
            .get(&issuer.subject_claim)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
    .ok_or_else(|| format!("the token has no {} claim", issuer.subject_claim))?;
    if sub.is_empty() || sub.len() > 255 || sub.chars().any(char::is_control) {
        return Err("the subject identifier is empty, too long or holds control characters".into());
    }
    trace.pass(
        label,
        format!(
            "{} from {}: subject {:?}, valid for {} s more",
            kind.as_str(),
            issuer.issuer,
            sub,
            exp - now
        ),
    );
    let mut claims = c.other;
    if let Some(s) = c.sub {
        claims.insert("sub".into(), Value::String(s));
    }
    Ok(Verified {
        origin: Origin::Partner(issuer),
        kind,
        iss: c.iss,
        sub,
        exp,
        jti: c.jti,
        claims,
    })
}

fn check_times(
    c: &PartnerClaims,
    issuer: &TrustedIssuer,
    kind: TokenKind,
    now: UnixTime,
) -> Result<UnixTime, String> {
    let skew = issuer.skew;
    let exp = c.exp.ok_or("the token has no exp claim")?;
    if now >= exp + skew {
        return Err("the token has expired".into());
    }
    if c.nbf.is_some_and(|nbf| nbf > now + skew) {
        return Err("the token is not valid yet (nbf)".into());
    }
    if c.iat.is_some_and(|iat| iat > now + skew) {
        return Err("the token was issued in the future (iat)".into());
    }
    if kind == TokenKind::Assertion {
        // RFC 7523 §3: assertions are short-lived; a far-future exp is refused (case A10).
        let from = c.iat.unwrap_or(now);
        if exp - from > issuer.max_age || exp > now + issuer.max_age + skew {
            return Err(format!(
                "the assertion lives longer than the {} s this issuer is allowed",
                issuer.max_age
            ));
        }
        if c.jti
            .as_deref()
            .is_none_or(|j| j.is_empty() || j.len() > 256)
        {
            return Err("the assertion has no usable jti claim".into());
        }
        if c.sub.is_none() {
            return Err("the assertion has no sub claim".into());
        }
    } else if issuer.max_age > 0 {
        let iat = c
            .iat
            .ok_or("the token has no iat claim, so its age is unknown")?;
        if now - iat > issuer.max_age + skew {
            return Err(format!(
                "the token is older than the {} s this issuer allows",
                issuer.max_age
            ));
        }
    }
    Ok(exp)
}

fn check_audience(
    aud: Option<&OneOrMany>,
    issuer: &TrustedIssuer,
    kind: TokenKind,
) -> Result<(), String> {
    let aud = aud.ok_or("the token has no aud claim")?;
    let values: Vec<&str> = match aud {
        OneOrMany::One(s) => vec![s.as_str()],
        OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
    };
    let ours = |v: &&str| issuer.audiences.iter().any(|a| a == v);
    let ok = if kind == TokenKind::Assertion {
        // An assertion names us and no one else (case A12).
        !values.is_empty() && values.iter().all(ours)
    } else {
        values.iter().any(ours)
    };
    if ok {
        Ok(())
    } else {
        Err("the token's aud does not name Entente".into())
    }
}

fn verify_own<'c>(
    keys: &impl Keys,
    ask: &Ask<'_>,
    header: &jsonwebtoken::Header,
    kind: TokenKind,
    now: UnixTime,
    trace: &mut Trace,
    label: &'static str,
) -> Result<Verified<'c>, String> {
    if kind != TokenKind::AccessToken || header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
        return Err("tokens from Entente's own issuer are accepted only as access tokens".into());
    }
    let kid = header.kid.as_deref().ok_or("the token has no kid")?;
    let key = keys
        .own_key(kid)
        .ok_or("no published Entente key matches the token's kid")?;
    if key.alg != header.alg {
        return Err("the token's algorithm does not match Entente's key".into());
    }
    let c: AccessTokenClaims = crate::verified::verify(
        ask.token,
        key,
        keys.verified(),
        now,
        |c: &AccessTokenClaims| Some(c.exp),
    )
    .map_err(|e| match e {
        jws::JwsError::RepeatedMember(..) => format!("{e}, so which value counts is ambiguous"),
        _ => "the token's signature does not verify".to_string(),
    })?;
    trace.pass(label, format!("signature verified with Entente key {kid}"));
    if c.exp <= now {
        return Err("the token has expired".into());
    }
    if keys.own_token_revoked(&c) {
        return Err("the token has been revoked".into());
    }
    if c.partner.as_deref() != Some(ask.partner_slug) {
        return Err("the token was issued to another partner".into());
    }
    trace.pass(
        label,
        format!(
            "Entente access token {} for {}: subject {:?}, valid for {} s more",
            c.jti,
            c.aud.as_single().unwrap_or("(several audiences)"),
            c.sub,
            c.exp - now
        ),
    );
    let mut claims = c.extra.clone();
    if let Some(act) = &c.act {
        claims.insert("act".into(), act.clone());
    }
    Ok(Verified {
        iss: c.iss.clone(),
        sub: c.sub.clone(),
        exp: c.exp,
        jti: Some(c.jti.clone()),
        kind,
        claims,
        origin: Origin::Own(Box::new(c)),
    })
}
