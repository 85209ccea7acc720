//! Trusted issuers and trust rules: plain data, checked when they are registered.

use crate::ids::{AudienceId, IssuerId, PartnerId, RuleId};
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ScopeSet;

/// Which kind of partner token an issuer's token is; each kind has its own rules (case A13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// RFC 9068 JWT access token (`typ: at+jwt`).
    AccessToken,
    /// OpenID Connect ID token.
    IdToken,
    /// RFC 7523 authorization grant assertion.
    Assertion,
}

impl TokenKind {
    pub const ALL: [TokenKind; 3] = [Self::AccessToken, Self::IdToken, Self::Assertion];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::IdToken => "id_token",
            Self::Assertion => "assertion",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

pub const DEFAULT_SKEW: i64 = 30;
/// Below this, honest clocks a few seconds apart refuse good tokens (case A10: 10–60 s).
pub const MIN_SKEW: i64 = 10;
pub const MAX_SKEW: i64 = 60;
pub const DEFAULT_MAX_AGE: i64 = 3600;

/// The accepted clock skew of a trusted issuer, in seconds (case A10, finding L-9).
pub fn check_skew(skew: i64) -> Result<(), String> {
    if (MIN_SKEW..=MAX_SKEW).contains(&skew) {
        Ok(())
    } else {
        Err(format!(
            "clock skew must be between {MIN_SKEW} and {MAX_SKEW} seconds (got {skew}): less refuses honest clocks, more accepts stale tokens"
        ))
    }
}

/// Claims that identify a subject for good at the IdPs partners use: `sub` (OpenID Connect,
/// never reassigned within an issuer), Entra ID's `oid`, and ids of machines and records. Any
/// other claim — an e-mail address, a user name, a display name, a phone number, or a name
/// Entente does not know — may change or be reassigned (case B25: identity is (iss, sub)), so
/// it is the subject only when the issuer is registered as guaranteeing it.
pub const STABLE_SUBJECT_CLAIMS: [&str; 6] = [
    "sub",
    "oid",
    "object_id",
    "client_id",
    "user_id",
    "employee_id",
];

/// Well-known claims that do change or get reassigned, named in the refusal.
pub const MUTABLE_SUBJECT_CLAIMS: [&str; 9] = [
    "email",
    "preferred_username",
    "upn",
    "name",
    "unique_name",
    "phone_number",
    "nickname",
    "given_name",
    "family_name",
];

/// The claim a trusted issuer's subject is read from: a plain claim name, one of the stable
/// claims unless the issuer is registered as guaranteeing that, for its tokens, the claim
/// never changes and is never reassigned.
pub fn check_subject_claim(claim: &str, guaranteed: bool) -> Result<(), String> {
    if claim.is_empty()
        || claim.len() > 64
        || !claim
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
    {
        return Err("the subject claim must be a plain claim name".into());
    }
    if !guaranteed && !STABLE_SUBJECT_CLAIMS.contains(&claim) {
        let why = if MUTABLE_SUBJECT_CLAIMS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(claim))
        {
            "can change or be reassigned to another person"
        } else {
            "is not known to stay with one person for good"
        };
        return Err(format!(
            "the subject claim {claim:?} {why}, so it cannot identify users; use a stable claim such as sub (or oid for Entra ID), or register the issuer with subject_claim_guaranteed if it guarantees that {claim:?} never changes and is never reused"
        ));
    }
    Ok(())
}

/// A partner's identity provider whose tokens Entente accepts.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    pub id: IssuerId,
    pub partner_id: PartnerId,
    /// Exact `iss` string.
    pub issuer: String,
    /// Asymmetric algorithms accepted from this issuer.
    pub algorithms: Vec<Algorithm>,
    /// `aud` values a token must carry (one of them; for assertions, only these).
    pub audiences: Vec<String>,
    pub kinds: Vec<TokenKind>,
    /// Oldest accepted token (`now - iat`); for assertions the longest accepted lifetime.
    pub max_age: i64,
    pub skew: i64,
    /// The claim that identifies the subject (default `sub`).
    pub subject_claim: String,
    /// Its access tokens are typed `JWT` (or untyped) rather than `at+jwt`.
    pub access_tokens_typed_jwt: bool,
    pub enabled: bool,
}

pub const ALLOWED_ALGORITHMS: [Algorithm; 7] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::PS256,
    Algorithm::PS384,
];

/// Parses a space-separated algorithm list; symmetric and unknown algorithms are refused.
pub fn parse_algorithms(raw: &str) -> Result<Vec<Algorithm>, String> {
    let mut out = Vec::new();
    for name in raw.split_whitespace() {
        let alg = ALLOWED_ALGORITHMS
            .into_iter()
            .find(|a| format!("{a:?}") == name)
            .ok_or_else(|| format!("algorithm {name:?} is not accepted (asymmetric only: ES256, ES384, EdDSA, RS256, RS384, PS256, PS384)"))?;
        if !out.contains(&alg) {
            out.push(alg);
        }
    }
    if out.is_empty() {
        return Err("at least one algorithm is required".into());
    }
    Ok(out)
}

pub fn algorithm_names(algs: &[Algorithm]) -> String {
    algs.iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A claim copied from the partner token into the issued token, optionally renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimPass {
    pub from: String,
    pub to: String,
}

pub use entente_types::names::RESERVED_CLAIMS;

/// Parses `email groups=partner_groups`: names to pass through, `from=to` to rename.
pub fn parse_claim_passes(raw: &str) -> Result<Vec<ClaimPass>, String> {
    entente_types::names::check_claim_list(raw)?;
    Ok(raw
        .split_whitespace()
        .map(|item| {
            let (from, to) = item.split_once('=').unwrap_or((item, item));
            ClaimPass {
                from: from.into(),
                to: to.into(),
            }
        })
        .collect())
}

/// A partner claim value that unlocks a scope: `groups` containing `admins` → `orders:write`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeMapping {
    pub claim: String,
    pub value: String,
    pub scope: String,
}

/// Parses `groups:admins=orders:write` items (claim, value, scope); the scope may contain `:`.
pub fn parse_scope_mappings(raw: &str) -> Result<Vec<ScopeMapping>, String> {
    entente_types::names::check_mapping_list(raw)?;
    raw.split_whitespace()
        .map(|item| {
            let shape = || format!("mapping {item:?} must look like claim:value=scope");
            let (cond, scope) = item.split_once('=').ok_or_else(shape)?;
            let (claim, value) = cond.split_once(':').ok_or_else(shape)?;
            ScopeSet::parse(scope).map_err(|e| e.description.to_string())?;
            Ok(ScopeMapping {
                claim: claim.into(),
                value: value.into(),
                scope: scope.into(),
            })
        })
        .collect()
}

/// The text `parse_claim_passes` reads back: `email groups=partner_groups`.
pub fn format_claim_passes(passes: &[ClaimPass]) -> String {
    passes
        .iter()
        .map(|p| {
            if p.from == p.to {
                p.from.clone()
            } else {
                format!("{}={}", p.from, p.to)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text `parse_scope_mappings` reads back: `groups:admins=orders:write`.
pub fn format_scope_mappings(mappings: &[ScopeMapping]) -> String {
    mappings
        .iter()
        .map(|m| format!("{}:{}={}", m.claim, m.value, m.scope))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What tokens from one trusted issuer, presented by one partner's clients, may become.
#[derive(Debug, Clone)]
pub struct TrustRule {
    pub id: RuleId,
    pub partner_id: PartnerId,
    pub issuer_id: IssuerId,
    pub audience_id: AudienceId,
    /// The ceiling: at most these scopes.
    pub scopes: ScopeSet,
    /// Allowlist of partner claims copied into issued tokens (default: none beyond `sub`).
    pub claims: Vec<ClaimPass>,
    /// Scopes of the ceiling that are granted only when a partner claim holds a value.
    pub mappings: Vec<ScopeMapping>,
    /// Subject identifiers differ per audience, so APIs cannot correlate a partner's users.
    pub pairwise: bool,
    pub delegation: bool,
    pub max_depth: u8,
    /// Refuse impersonation: an actor token is required.
    pub delegation_only: bool,
    pub refresh: bool,
    /// Access token lifetime; the audience's when unset.
    pub lifetime: Option<i64>,
    /// Absolute lifetime of a refresh token family.
    pub refresh_lifetime: i64,
    pub enabled: bool,
}

impl TrustRule {
    /// The ceiling for a subject: unconditional scopes plus those its claims unlock.
    pub fn scopes_for(&self, claims: &Map<String, Value>) -> ScopeSet {
        let conditional: Vec<&str> = self.mappings.iter().map(|m| m.scope.as_str()).collect();
        let unlocked: Vec<&str> = self
            .mappings
            .iter()
            .filter(|m| claim_holds(claims.get(&m.claim), &m.value))
            .map(|m| m.scope.as_str())
            .collect();
        ScopeSet::from_tokens(
            self.scopes
                .iter()
                .filter(|s| !conditional.contains(s) || unlocked.contains(s)),
        )
    }
}

/// A claim holds a value if it is that string, or an array (or space-separated string) holding it.
fn claim_holds(v: Option<&Value>, want: &str) -> bool {
    match v {
        Some(Value::String(s)) => s == want || s.split(' ').any(|p| p == want),
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
        Some(Value::Bool(b)) => (if *b { "true" } else { "false" }) == want,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_passes_and_mappings_read_back_as_written() {
        for raw in ["", "email", "email groups=partner_groups tier"] {
            let p = parse_claim_passes(raw).unwrap();
            assert_eq!(format_claim_passes(&p), raw);
        }
        for raw in [
            "",
            "groups:admins=orders:write",
            "groups:a=x dept:it=orders:read",
        ] {
            let m = parse_scope_mappings(raw).unwrap();
            assert_eq!(format_scope_mappings(&m), raw);
        }
    }

    use serde_json::json;

    fn rule() -> TrustRule {
        TrustRule {
            id: "r".into(),
            partner_id: "p".into(),
            issuer_id: "i".into(),
            audience_id: "a".into(),
            scopes: ScopeSet::parse("orders:read orders:write").unwrap(),
            claims: vec![],
            mappings: parse_scope_mappings("groups:admins=orders:write").unwrap(),
            pairwise: false,
            delegation: false,
            max_depth: 1,
            delegation_only: false,
            refresh: false,
            lifetime: None,
            refresh_lifetime: 3600,
            enabled: true,
        }
    }

    #[test]
    fn mapped_scopes_need_their_claim() {
        let r = rule();
        let none = Map::new();
        assert_eq!(r.scopes_for(&none).to_string(), "orders:read");
        let admin = json!({"groups": ["staff", "admins"]});
        assert_eq!(
            r.scopes_for(admin.as_object().unwrap()).to_string(),
            "orders:read orders:write"
        );
        let wrong = json!({"groups": "administrators"});
        assert_eq!(
            r.scopes_for(wrong.as_object().unwrap()).to_string(),
            "orders:read"
        );
    }

    /// Case A10 / finding L-9: skew is 10–60 s.
    #[test]
    fn skew_is_between_ten_and_sixty_seconds() {
        for ok in [MIN_SKEW, DEFAULT_SKEW, MAX_SKEW, 10, 60] {
            assert_eq!(check_skew(ok), Ok(()), "{ok}");
        }
        for bad in [0, 1, 9, 61, 3600, -1, i64::MIN, i64::MAX] {
            let e = check_skew(bad).unwrap_err();
            assert!(e.contains("between 10 and 60 seconds"), "{bad}: {e}");
        }
    }

    /// Case B25 / finding L-9: a mutable claim is never the subject unless the issuer
    /// guarantees it; stable ones are fine either way.
    #[test]
    fn mutable_claims_identify_no_one_unless_guaranteed() {
        for stable in STABLE_SUBJECT_CLAIMS {
            assert_eq!(check_subject_claim(stable, false), Ok(()), "{stable}");
            assert_eq!(check_subject_claim(stable, true), Ok(()), "{stable}");
        }
        // Unknown claims (and case variants of stable ones) need the guarantee too.
        for unknown in ["uid", "mail", "login", "username", "SUB", "x.y-z_1"] {
            assert!(check_subject_claim(unknown, false).is_err(), "{unknown}");
            assert_eq!(check_subject_claim(unknown, true), Ok(()), "{unknown}");
        }
        for mutable in MUTABLE_SUBJECT_CLAIMS.into_iter().chain([
            "Email",
            "EMAIL",
            "Preferred_Username",
            "UPN",
        ]) {
            let e = check_subject_claim(mutable, false).unwrap_err();
            assert!(
                e.contains("cannot identify users") && e.contains("subject_claim_guaranteed"),
                "{mutable}: {e}"
            );
            assert_eq!(check_subject_claim(mutable, true), Ok(()), "{mutable}");
        }
        let long = "n".repeat(65);
        for bad in ["", "a b", "em@il", "x/y", long.as_str()] {
            assert!(check_subject_claim(bad, true).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reserved_claims_and_symmetric_algorithms_are_refused() {
        assert!(parse_claim_passes("email sub").is_err());
        assert!(parse_claim_passes("email=act").is_err());
        assert_eq!(
            parse_claim_passes("email groups=partner_groups").unwrap()[1].to,
            "partner_groups"
        );
        assert!(parse_algorithms("HS256").is_err());
        assert!(parse_algorithms("none").is_err());
        assert_eq!(parse_algorithms("ES256 RS256").unwrap().len(), 2);
    }
}
