//! Four-eyes governance: which changes widen production access (and so need a change request
//! that a different administrator approves), and who may decide a request.

use std::str::FromStr;

use crate::ScopeSet;
use crate::lifecycle::Stage;

/// Where a change request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
    /// Taken back by the person who filed it.
    Withdrawn,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 4] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }
}

impl FromStr for RequestStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not a status: pending, approved, rejected or withdrawn")
            })
    }
}

/// A decision on a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// Why a decision or withdrawal is refused: the request is no longer pending (a conflict), or
/// this person may not (forbidden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Decided(String),
    NotAllowed(String),
}

/// The person behind an actor name, for four eyes. A console user (`admin:`), a partner user
/// (`portal:`) and someone joining by invitation (`invite:`) are one person by their verified
/// address, whatever role they act in; an admin API client (`api:`) is the console user who
/// owns it (`api_client_owner`, looked up by the caller); anything else (the host, a system
/// task, a client without an owner) is only itself.
pub fn person(actor: &str, api_client_owner: Option<&str>) -> String {
    if actor.starts_with("api:")
        && let Some(owner) = api_client_owner.map(str::trim).filter(|o| !o.is_empty())
    {
        return format!("person:{}", owner.to_ascii_lowercase());
    }
    for prefix in ["admin:", "portal:", "invite:"] {
        if let Some(address) = actor.strip_prefix(prefix) {
            return format!("person:{}", address.trim().to_ascii_lowercase());
        }
    }
    actor.to_owned()
}

/// Whether the person `decider` may decide a request filed by the person `requester` (both as
/// `person` gives them): only administrators decide, never on a request they filed themselves,
/// through a client they own or under another role, and only while it is pending.
/// `decider_is_admin` is the decider's current role, read at decision time.
pub fn check_decision(
    status: RequestStatus,
    requester: &str,
    decider: &str,
    decider_is_admin: bool,
) -> Result<(), Refusal> {
    if status != RequestStatus::Pending {
        return Err(Refusal::Decided(format!(
            "the request is already {}",
            status.as_str()
        )));
    }
    if requester == decider {
        return Err(Refusal::NotAllowed(
            "a different person must decide this request: you filed it (yourself, through an API client you own, or under another role)".into(),
        ));
    }
    if !decider_is_admin {
        return Err(Refusal::NotAllowed(
            "only administrators approve or reject change requests".into(),
        ));
    }
    Ok(())
}

/// Only the person who filed a pending request may withdraw it.
pub fn check_withdraw(status: RequestStatus, requester: &str, who: &str) -> Result<(), Refusal> {
    if status != RequestStatus::Pending {
        return Err(Refusal::Decided(format!(
            "the request is already {}",
            status.as_str()
        )));
    }
    if requester != who {
        return Err(Refusal::NotAllowed(
            "only the person who filed a request can withdraw it".into(),
        ));
    }
    Ok(())
}

/// A decision's comment: required to reject (the requester should learn why), optional to
/// approve; at most 1000 characters.
pub fn check_comment(decision: Decision, comment: &str) -> Result<(), String> {
    let c = comment.trim();
    if c.chars().count() > 1000 {
        return Err("the comment is longer than 1000 characters".into());
    }
    if decision == Decision::Reject && c.is_empty() {
        return Err("say why the request is rejected".into());
    }
    Ok(())
}

/// A change request's reason: required (the approver decides on it, and the audit keeps it), at
/// most 1000 characters. A change applied at once needs none.
pub fn check_reason(reason: &str) -> Result<(), String> {
    let r = reason.trim();
    if r.chars().count() > 1000 {
        return Err("the reason is longer than 1000 characters".into());
    }
    if r.is_empty() {
        return Err(
            "this change needs a different administrator's approval: say why in the reason, which the approver reads"
                .into(),
        );
    }
    Ok(())
}

/// Where the console and the CLI may start a partner: anywhere before production, which is
/// reached only by an approved promotion.
pub fn check_initial_stage(stage: Stage) -> Result<(), String> {
    match stage {
        Stage::Applied | Stage::InReview | Stage::Sandbox => Ok(()),
        _ => Err(format!(
            "a partner starts applied, in_review or sandbox, not {}; promotion to production is a change request",
            stage.as_str()
        )),
    }
}

/// Promotion to production always needs approval (the whole point of the gate).
pub fn stage_change_needs_approval(to: Stage) -> bool {
    to == Stage::Production
}

/// A grant change needs approval when the partner is in production and the new grant holds a
/// scope the old one did not. Narrowing never waits for anyone.
pub fn grant_needs_approval(stage: Stage, before: &ScopeSet, after: &ScopeSet) -> bool {
    stage == Stage::Production && !after.is_subset(before)
}

/// What a trust rule lets through, for comparing a rule before and after an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReach {
    pub enabled: bool,
    pub scopes: ScopeSet,
    /// Claim names passed into issued tokens.
    pub claims: Vec<String>,
    /// Claim-value conditions on scopes; removing one makes its scope unconditional.
    pub mappings: Vec<String>,
    pub pairwise: bool,
    pub delegation: bool,
    pub delegation_only: bool,
    pub max_depth: u8,
    pub refresh: bool,
    /// Access token lifetime; `None` is the audience's.
    pub lifetime: Option<i64>,
    pub refresh_lifetime: i64,
}

/// Whether `after` reaches further than `before` (`None`: the rule is new): more scopes or
/// claims, fewer claim-value conditions, public instead of pairwise subjects, delegation or
/// impersonation or refresh newly allowed, a deeper delegation chain, longer token or refresh
/// lifetimes, or enabled where it was disabled.
pub fn rule_widens(before: Option<&RuleReach>, after: &RuleReach) -> bool {
    let Some(b) = before else {
        return after.enabled;
    };
    if !after.enabled {
        return false;
    }
    !b.enabled
        || !after.scopes.is_subset(&b.scopes)
        || after.claims.iter().any(|c| !b.claims.contains(c))
        || (b.pairwise && !after.pairwise)
        || (after.delegation && !b.delegation)
        || (after.delegation && after.max_depth > b.max_depth)
        || (b.delegation_only && !after.delegation_only)
        || b.mappings.iter().any(|m| !after.mappings.contains(m))
        || match (b.lifetime, after.lifetime) {
            (Some(before), Some(now)) => now > before,
            (Some(_), None) => true,
            (None, _) => false,
        }
        || (after.refresh && !b.refresh)
        || (after.refresh && after.refresh_lifetime > b.refresh_lifetime)
}

/// A trust rule change needs approval when the partner is in production and the rule widens.
pub fn rule_needs_approval(stage: Stage, before: Option<&RuleReach>, after: &RuleReach) -> bool {
    stage == Stage::Production && rule_widens(before, after)
}

/// Scopes that name console roles on the admin API (`entente:admin`, …) are reserved.
pub const RESERVED_SCOPE_PREFIX: &str = "entente:";

/// Who may act on the admin API is not catalog data a console user can edit: its audience and
/// the `entente:` scopes are set up from the host (the CLI, configuration as code). Otherwise an
/// operator could grant a client of theirs `entente:admin` and mint an administrator's token.
/// `Err` names what is reserved when `audience` is the admin API's or any scope is reserved.
pub fn check_not_reserved<'a>(
    audience: Option<&str>,
    admin_audience: &str,
    scopes: impl IntoIterator<Item = &'a str>,
) -> Result<(), String> {
    if audience.is_some_and(|a| a.trim_end_matches('/') == admin_audience) {
        return Err(format!(
            "the admin API's audience ({admin_audience}) is managed from the host with the entente command, not here"
        ));
    }
    if let Some(s) = scopes
        .into_iter()
        .find(|s| s.starts_with(RESERVED_SCOPE_PREFIX))
    {
        return Err(format!(
            "scope {s} is reserved for the admin API and managed from the host with the entente command"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_needs_a_reason_of_at_most_1000_characters() {
        use super::check_reason;
        assert!(check_reason("  ").unwrap_err().contains("say why"));
        assert!(check_reason(&"x".repeat(1001)).is_err());
        assert!(check_reason(" Q3 launch ").is_ok());
    }

    #[test]
    fn the_admin_api_audience_and_role_scopes_are_reserved() {
        use super::check_not_reserved as c;
        let admin = "https://id.example/admin/api/v1";
        assert!(c(Some(admin), admin, ["x"]).is_err());
        assert!(c(Some("https://id.example/admin/api/v1/"), admin, []).is_err());
        assert!(
            c(
                Some("https://api.example"),
                admin,
                ["orders:read", "entente:admin"]
            )
            .is_err()
        );
        assert!(c(None, admin, ["entente:operator"]).is_err());
        assert!(c(Some("https://api.example"), admin, ["orders:read"]).is_ok());
    }

    use super::*;

    fn scopes(s: &str) -> ScopeSet {
        ScopeSet::from_tokens(s.split_whitespace())
    }

    fn reach(s: &str) -> RuleReach {
        RuleReach {
            enabled: true,
            scopes: scopes(s),
            claims: vec!["email".into()],
            mappings: vec!["groups:admins=orders:write".into()],
            pairwise: true,
            delegation: false,
            delegation_only: false,
            max_depth: 1,
            refresh: true,
            lifetime: Some(300),
            refresh_lifetime: 3600,
        }
    }

    #[test]
    fn four_eyes_are_two_people() {
        // An API client is its owner; an address is one person in every role.
        let filer = person("api:cl_bot", Some("Alice@Corp.example"));
        assert_eq!(filer, person("admin:alice@corp.example", None));
        assert_eq!(person("portal:alice@corp.example", None), filer);
        assert_eq!(person("invite:ALICE@corp.example", None), filer);
        assert_ne!(person("admin:bob@corp.example", None), filer);
        assert!(
            check_decision(
                RequestStatus::Pending,
                &filer,
                &person("admin:alice@corp.example", None),
                true
            )
            .is_err()
        );
        // A client without an owner is only itself; names never collide with people.
        assert_eq!(person("api:cl_bot", None), "api:cl_bot");
        assert_ne!(person("cli:alice@corp.example", None), filer);
        assert_eq!(person("system", None), "system");
    }

    #[test]
    fn a_request_is_decided_once_by_a_different_administrator() {
        use RequestStatus::*;
        assert!(check_decision(Pending, "admin:a", "admin:b", true).is_ok());
        assert!(check_decision(Pending, "admin:a", "admin:a", true).is_err());
        assert!(check_decision(Pending, "admin:a", "admin:o", false).is_err());
        assert!(check_decision(Pending, "admin:o", "admin:o", false).is_err());
        for done in [Approved, Rejected, Withdrawn] {
            assert!(check_decision(done, "admin:a", "admin:b", true).is_err());
        }
        assert!(check_withdraw(Pending, "admin:a", "admin:a").is_ok());
        assert!(check_withdraw(Pending, "admin:a", "admin:b").is_err());
        assert!(check_withdraw(Approved, "admin:a", "admin:a").is_err());
        assert!(check_comment(Decision::Reject, "  ").is_err());
        assert!(check_comment(Decision::Approve, "").is_ok());
        assert!(check_comment(Decision::Approve, &"x".repeat(1001)).is_err());
        assert_eq!("withdrawn".parse::<RequestStatus>().unwrap(), Withdrawn);
        assert!("done".parse::<RequestStatus>().is_err());
    }

    #[test]
    fn only_widening_production_access_needs_approval() {
        use Stage::*;
        assert!(stage_change_needs_approval(Production));
        assert!(check_initial_stage(Sandbox).is_ok() && check_initial_stage(Applied).is_ok());
        assert!(check_initial_stage(Production).is_err());
        assert!(check_initial_stage(Suspended).is_err());
        assert!(!stage_change_needs_approval(Sandbox));
        let read = scopes("orders:read");
        let both = scopes("orders:read orders:write");
        assert!(grant_needs_approval(Production, &read, &both));
        assert!(!grant_needs_approval(Production, &both, &read));
        assert!(!grant_needs_approval(Production, &read, &read));
        assert!(!grant_needs_approval(Sandbox, &read, &both));
        assert!(grant_needs_approval(
            Production,
            &ScopeSet::default(),
            &read
        ));
    }

    #[test]
    fn a_rule_widens_by_any_of_its_reaches() {
        let base = reach("orders:read");
        assert!(rule_widens(None, &base));
        assert!(!rule_widens(
            None,
            &RuleReach {
                enabled: false,
                ..base.clone()
            }
        ));
        assert!(!rule_widens(Some(&base), &base));
        assert!(rule_widens(Some(&base), &reach("orders:read orders:write")));
        assert!(!rule_widens(
            Some(&reach("orders:read orders:write")),
            &base
        ));
        let mut w = base.clone();
        w.claims.push("name".into());
        assert!(rule_widens(Some(&base), &w));
        let mut w = base.clone();
        w.pairwise = false;
        assert!(rule_widens(Some(&base), &w));
        let mut w = base.clone();
        w.delegation = true;
        assert!(rule_widens(Some(&base), &w));
        let mut deeper = w.clone();
        deeper.max_depth = 3;
        assert!(rule_widens(Some(&w), &deeper));
        let mut no_refresh = base.clone();
        no_refresh.refresh = false;
        assert!(rule_widens(Some(&no_refresh), &base));
        let mut w = base.clone();
        w.mappings.clear();
        assert!(rule_widens(Some(&base), &w), "a removed condition widens");
        let mut n = base.clone();
        n.mappings.push("groups:ops=orders:read".into());
        assert!(!rule_widens(Some(&base), &n), "an added condition narrows");
        let mut only = w.clone();
        only.delegation = true;
        only.delegation_only = true;
        let mut both = only.clone();
        both.delegation_only = false;
        assert!(
            rule_widens(Some(&only), &both),
            "impersonation newly allowed"
        );
        for (before, after) in [(Some(300), Some(600)), (Some(300), None)] {
            let mut l = base.clone();
            l.lifetime = after;
            let mut b = base.clone();
            b.lifetime = before;
            assert!(rule_widens(Some(&b), &l));
        }
        let mut shorter = base.clone();
        shorter.lifetime = Some(60);
        shorter.refresh_lifetime = 600;
        assert!(!rule_widens(Some(&base), &shorter));
        let mut longer = base.clone();
        longer.refresh_lifetime = 7200;
        assert!(rule_widens(Some(&base), &longer));
        let off = RuleReach {
            enabled: false,
            ..base.clone()
        };
        assert!(rule_widens(Some(&off), &base));
        assert!(!rule_widens(Some(&base), &off));
        assert!(!rule_needs_approval(Stage::Sandbox, None, &base));
        assert!(rule_needs_approval(Stage::Production, None, &base));
    }
}
