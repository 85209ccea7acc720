//! The one policy table: for every operation, which console and API roles and which partner
//! roles may do it; and the targets nobody but the host may change (security case G49).
//! Every door asks here, through the operation it calls, and nowhere else.

use entente_store::entities::partner;
use entente_store::enums::{PartnerStage, Role};

use crate::actor::{Actor, Kind};
use crate::error::OpError;
use crate::operation::Operation;

/// Who may do an operation: staff (console users and admin API clients, by role), a partner's
/// own people (by role, on their own partner only), or anybody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub staff: &'static [Role],
    pub partner: &'static [Role],
    pub anybody: bool,
    /// Whether admin API clients may act by their role too (false: a signed-in person only,
    /// as four eyes need — a token is not bound to one).
    pub tokens: bool,
}

const NONE: &[Role] = &[];
/// Everyone signed in to the console: administrators, operators and auditors (who only read).
pub const READ: &[Role] = &[Role::Admin, Role::Operator, Role::Auditor];
/// Day-to-day changes.
pub const OPERATE: &[Role] = &[Role::Admin, Role::Operator];
/// Who administers Entente: roles, approvals, signing keys.
pub const ADMINISTER: &[Role] = &[Role::Admin];
/// A partner's admins and viewers.
pub const PORTAL: &[Role] = &[Role::PartnerAdmin, Role::PartnerViewer];
/// A partner's admins.
pub const PORTAL_ADMIN: &[Role] = &[Role::PartnerAdmin];
/// Everyone of a partner, sandbox testers included.
pub const PLAYGROUND: &[Role] = &[Role::PartnerAdmin, Role::PartnerViewer, Role::SandboxTester];

const fn staff(staff: &'static [Role]) -> Rule {
    Rule {
        staff,
        partner: NONE,
        anybody: false,
        tokens: true,
    }
}

/// Staff, signed in as a person (no admin API client).
const fn people(staff: &'static [Role]) -> Rule {
    Rule {
        staff,
        partner: NONE,
        anybody: false,
        tokens: false,
    }
}

const fn both(staff: &'static [Role], partner: &'static [Role]) -> Rule {
    Rule {
        staff,
        partner,
        anybody: false,
        tokens: true,
    }
}

const fn partner(partner: &'static [Role]) -> Rule {
    Rule {
        staff: NONE,
        partner,
        anybody: false,
        tokens: false,
    }
}

const ANYBODY: Rule = Rule {
    staff: NONE,
    partner: NONE,
    anybody: true,
    tokens: false,
};

/// Only the host (the `entente` command on the server's machine).
const HOST: Rule = Rule {
    staff: NONE,
    partner: NONE,
    anybody: false,
    tokens: false,
};

/// The table. No fallthrough: a new operation does not compile until it has its row.
pub fn rule(op: Operation) -> Rule {
    use Operation::*;
    match op {
        SignIn | Apply => ANYBODY,
        ViewOverview | ViewCatalog | ViewPeople | ViewChangeRequests | ViewKeys | ViewLimits
        | ViewUsage | ViewAudit => staff(READ),
        ViewOwnPartner | ValidateToken => partner(PORTAL),
        ViewPlayground | TryToken => partner(PLAYGROUND),
        CreatePartner | MovePartnerStage | SuspendPartner | ReactivatePartner
        | SavePartnerRecord | AcceptQuestionnaire | CheckIssuerKeys => staff(OPERATE),
        CreateAudience | CreateResourceServer | SetScopeInfo | ChangeAudience | SetGrant
        | ApplyMatrix => staff(OPERATE),
        // A partner widens its own clients by asking (Requests), so only staff edit them.
        UpdateClient => staff(OPERATE),
        // A partner's admins manage their own clients, team and identity providers; what they
        // may give themselves is bounded by the operations' invariants (G51).
        CreateClient | RotateClientSecret | SetClientKeys | SetClientEnabled => {
            both(OPERATE, PORTAL_ADMIN)
        }
        InvitePartnerUser | RevokePartnerInvitation | SetPartnerUserAccess | SetTesterClients => {
            both(OPERATE, PORTAL_ADMIN)
        }
        // A tester's own credentials, only where the partner's admins allow them (the
        // operation checks that): testers get them without anybody passing a secret on.
        TesterCredentials => partner(&[Role::SandboxTester]),
        InviteConsoleUser | RevokeConsoleInvitation | SetConsoleUserAccess => staff(ADMINISTER),
        FileChangeRequest | SetSignIn | TrustTestIdp => partner(PORTAL_ADMIN),
        // Four eyes are two people: a decision needs a signed-in administrator.
        DecideChangeRequest => people(ADMINISTER),
        WithdrawChangeRequest => both(OPERATE, PORTAL_ADMIN),
        SetKeyPolicy | RotateKey | RevokeKey => staff(ADMINISTER),
        SetTier | DeleteTier | SetRateLimit => staff(OPERATE),
        AddTrustedIssuer => both(OPERATE, PORTAL_ADMIN),
        UpdateTrustedIssuer | SetIssuerEnabled | SetTrustRule | SetTrustRuleEnabled => {
            staff(OPERATE)
        }
        ExplainToken => staff(OPERATE),
        ApplyConfiguration | ManageApiClients | CreateConsoleUser | RevokeTokens => HOST,
    }
}

/// What an operation acts on, as far as the policy cares.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Nothing of one partner's: the key policy, tiers, console users, the catalog at large.
    Global,
    /// One partner, or something of one partner's (a client, a grant, an invitation).
    Partner(&'a partner::Model),
}

/// Whether `actor` may do `op` on `target`: `Ok`, or the refusal to give.
///
/// - The host may do everything.
/// - Staff act by role; nobody but the host changes a host-only partner (the one holding the
///   admin API's clients: whoever could change it could make themself an administrator).
/// - A partner's people act by role on their own partner only (another's is "not found",
///   G50); an offboarded partner's reach nothing, a suspended one's only read.
pub fn authorize(actor: &Actor, op: Operation, target: Target<'_>) -> Result<(), OpError> {
    let rule = rule(op);
    match actor.kind() {
        Kind::Host => Ok(()),
        _ if rule.anybody => Ok(()),
        Kind::Anonymous => Err(OpError::SignedOut),
        Kind::ApiClient { .. } if !rule.tokens => Err(OpError::Forbidden(
            "this is done by a signed-in person (a console session), not by a token".into(),
        )),
        Kind::Console { role, .. } | Kind::ApiClient { role, .. } => {
            if !rule.staff.contains(role) {
                return Err(OpError::role());
            }
            match target {
                Target::Partner(p) if p.host_only && op.is_change() => Err(host_only(p)),
                _ => Ok(()),
            }
        }
        Kind::Partner {
            role, partner_id, ..
        } => {
            if !rule.partner.contains(role) {
                return Err(OpError::role());
            }
            let Target::Partner(p) = target else {
                return Err(OpError::role());
            };
            if p.id != *partner_id {
                return Err(OpError::NotFound(format!("partner {}", p.slug)));
            }
            if p.host_only {
                return Err(OpError::Forbidden(
                    "this organisation is managed from the host only".into(),
                ));
            }
            match p.stage {
                PartnerStage::Offboarded => Err(OpError::Forbidden(
                    "your organisation's access has ended".into(),
                )),
                PartnerStage::Suspended if op.is_change() => Err(OpError::Forbidden(
                    "your organisation is suspended: the portal only reads until it is reactivated"
                        .into(),
                )),
                _ => Ok(()),
            }
        }
    }
}

fn host_only(p: &partner::Model) -> OpError {
    OpError::Forbidden(format!(
        "{} holds the admin API's clients and is changed from the host only (entente admin api-client)",
        p.slug
    ))
}

/// Whether the policy lets this actor's kind and role do `op` at all (on some target): what a
/// page uses to show or hide an action. The operation itself still decides.
pub fn offers(actor: &Actor, op: Operation) -> bool {
    let rule = rule(op);
    match actor.kind() {
        Kind::Host => true,
        _ if rule.anybody => true,
        Kind::Anonymous => false,
        Kind::ApiClient { role, .. } => rule.tokens && rule.staff.contains(role),
        Kind::Console { role, .. } => rule.staff.contains(role),
        Kind::Partner { role, .. } => rule.partner.contains(role),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner_model(id: &str, stage: PartnerStage, host_only: bool) -> partner::Model {
        partner::Model {
            id: id.into(),
            slug: id.into(),
            name: id.into(),
            environment: "production".into(),
            enabled: true,
            created_at: 0,
            updated_at: 0,
            stage,
            resume_stage: None,
            suspended_reason: None,
            first_exchange_at: None,
            host_only,
            testers_get_clients: false,
        }
    }

    fn trail() -> entente_store::Actor {
        entente_store::Actor::new("t")
    }

    fn console(role: Role) -> Actor {
        Actor::console("u".into(), "u@example.test".into(), role, trail())
    }

    fn partner_user(role: Role, of: &str) -> Actor {
        Actor::partner(
            "u".into(),
            "p@example.test".into(),
            role,
            of.into(),
            trail(),
        )
    }

    #[test]
    fn every_operation_has_a_row_the_host_passes() {
        let host = Actor::host(entente_store::Actor::host("cli:root"));
        let reserved = partner_model("operations", PartnerStage::Production, true);
        for op in Operation::ALL {
            assert_eq!(authorize(&host, *op, Target::Partner(&reserved)), Ok(()));
            assert_eq!(authorize(&host, *op, Target::Global), Ok(()));
        }
    }

    #[test]
    fn staff_never_change_a_host_only_partner() {
        let reserved = partner_model("operations", PartnerStage::Production, true);
        for op in Operation::ALL.iter().filter(|o| o.is_change()) {
            for role in [Role::Admin, Role::Operator, Role::Auditor] {
                let got = authorize(&console(role), *op, Target::Partner(&reserved));
                assert!(
                    matches!(got, Err(OpError::Forbidden(_))),
                    "{op:?} {role}: {got:?}"
                );
                let api = Actor::api_client("cl_x".into(), role, trail());
                let got = authorize(&api, *op, Target::Partner(&reserved));
                assert!(
                    matches!(got, Err(OpError::Forbidden(_))),
                    "{op:?} api {role}"
                );
            }
        }
        // Reading it is not changing it.
        assert_eq!(
            authorize(
                &console(Role::Auditor),
                Operation::ViewCatalog,
                Target::Partner(&reserved)
            ),
            Ok(())
        );
    }

    #[test]
    fn a_partners_people_reach_their_own_partner_only() {
        let own = partner_model("p1", PartnerStage::Sandbox, false);
        let other = partner_model("p2", PartnerStage::Sandbox, false);
        let admin = partner_user(Role::PartnerAdmin, "p1");
        assert_eq!(
            authorize(&admin, Operation::CreateClient, Target::Partner(&own)),
            Ok(())
        );
        assert!(matches!(
            authorize(&admin, Operation::CreateClient, Target::Partner(&other)),
            Err(OpError::NotFound(_))
        ));
        // Staff operations stay out of reach whatever the target.
        for op in Operation::ALL
            .iter()
            .filter(|o| rule(**o).partner.is_empty())
        {
            if rule(*op).anybody {
                continue;
            }
            assert_eq!(
                authorize(&admin, *op, Target::Partner(&own)),
                Err(OpError::role()),
                "{op:?}"
            );
        }
        // A viewer reads but changes nothing.
        let viewer = partner_user(Role::PartnerViewer, "p1");
        assert_eq!(
            authorize(&viewer, Operation::ViewOwnPartner, Target::Partner(&own)),
            Ok(())
        );
        assert_eq!(
            authorize(&viewer, Operation::CreateClient, Target::Partner(&own)),
            Err(OpError::role())
        );
    }

    #[test]
    fn suspended_partners_read_and_offboarded_ones_reach_nothing() {
        let admin = partner_user(Role::PartnerAdmin, "p1");
        let suspended = partner_model("p1", PartnerStage::Suspended, false);
        assert_eq!(
            authorize(
                &admin,
                Operation::ViewOwnPartner,
                Target::Partner(&suspended)
            ),
            Ok(())
        );
        assert!(authorize(&admin, Operation::CreateClient, Target::Partner(&suspended)).is_err());
        assert!(authorize(&admin, Operation::TryToken, Target::Partner(&suspended)).is_err());
        let gone = partner_model("p1", PartnerStage::Offboarded, false);
        assert!(authorize(&admin, Operation::ViewOwnPartner, Target::Partner(&gone)).is_err());
    }

    /// The README's "Who may do what", written out a second time by hand: the walk through the
    /// doors checks them against `rule`, and this checks `rule` against what was promised, so
    /// that widening the table is a visible edit of both. Staff roles | partner roles | tokens
    /// may act ("-": nobody; "*": anybody, signed in or not; "host": the host only).
    const DOCUMENTED: &[(&str, &str, &str, bool)] = &[
        ("sign_in", "*", "*", false),
        ("apply", "*", "*", false),
        ("view_overview", "admin operator auditor", "-", true),
        ("view_catalog", "admin operator auditor", "-", true),
        ("view_people", "admin operator auditor", "-", true),
        ("view_change_requests", "admin operator auditor", "-", true),
        ("view_keys", "admin operator auditor", "-", true),
        ("view_limits", "admin operator auditor", "-", true),
        ("view_usage", "admin operator auditor", "-", true),
        ("view_audit", "admin operator auditor", "-", true),
        (
            "view_own_partner",
            "-",
            "partner_admin partner_viewer",
            false,
        ),
        (
            "view_playground",
            "-",
            "partner_admin partner_viewer sandbox_tester",
            false,
        ),
        ("create_partner", "admin operator", "-", true),
        ("move_partner_stage", "admin operator", "-", true),
        ("suspend_partner", "admin operator", "-", true),
        ("reactivate_partner", "admin operator", "-", true),
        ("save_partner_record", "admin operator", "-", true),
        ("accept_questionnaire", "admin operator", "-", true),
        ("check_issuer_keys", "admin operator", "-", true),
        ("create_audience", "admin operator", "-", true),
        ("create_resource_server", "admin operator", "-", true),
        ("set_scope_info", "admin operator", "-", true),
        ("change_audience", "admin operator", "-", true),
        ("set_grant", "admin operator", "-", true),
        ("apply_matrix", "admin operator", "-", true),
        ("create_client", "admin operator", "partner_admin", true),
        (
            "rotate_client_secret",
            "admin operator",
            "partner_admin",
            true,
        ),
        ("set_client_keys", "admin operator", "partner_admin", true),
        ("update_client", "admin operator", "-", true),
        (
            "set_tester_clients",
            "admin operator",
            "partner_admin",
            true,
        ),
        ("tester_credentials", "-", "sandbox_tester", false),
        (
            "set_client_enabled",
            "admin operator",
            "partner_admin",
            true,
        ),
        ("invite_console_user", "admin", "-", true),
        ("revoke_console_invitation", "admin", "-", true),
        ("set_console_user_access", "admin", "-", true),
        (
            "invite_partner_user",
            "admin operator",
            "partner_admin",
            true,
        ),
        (
            "revoke_partner_invitation",
            "admin operator",
            "partner_admin",
            true,
        ),
        (
            "set_partner_user_access",
            "admin operator",
            "partner_admin",
            true,
        ),
        ("file_change_request", "-", "partner_admin", false),
        ("decide_change_request", "admin", "-", false),
        (
            "withdraw_change_request",
            "admin operator",
            "partner_admin",
            true,
        ),
        ("set_key_policy", "admin", "-", true),
        ("rotate_key", "admin", "-", true),
        ("revoke_key", "admin", "-", true),
        ("set_tier", "admin operator", "-", true),
        ("delete_tier", "admin operator", "-", true),
        ("set_rate_limit", "admin operator", "-", true),
        (
            "add_trusted_issuer",
            "admin operator",
            "partner_admin",
            true,
        ),
        ("trust_test_idp", "-", "partner_admin", false),
        ("update_trusted_issuer", "admin operator", "-", true),
        ("set_issuer_enabled", "admin operator", "-", true),
        ("set_trust_rule", "admin operator", "-", true),
        ("set_trust_rule_enabled", "admin operator", "-", true),
        ("set_sign_in", "-", "partner_admin", false),
        ("explain_token", "admin operator", "-", true),
        ("validate_token", "-", "partner_admin partner_viewer", false),
        (
            "try_token",
            "-",
            "partner_admin partner_viewer sandbox_tester",
            false,
        ),
        ("revoke_tokens", "host", "host", false),
        ("apply_configuration", "host", "host", false),
        ("manage_api_clients", "host", "host", false),
        ("create_console_user", "host", "host", false),
    ];

    #[test]
    fn the_table_is_the_documented_one() {
        let roles = |words: &str| -> Vec<String> {
            match words {
                "-" | "*" | "host" => vec![],
                w => w.split(' ').map(str::to_owned).collect(),
            }
        };
        let names = |rs: &[Role]| -> Vec<String> { rs.iter().map(|r| r.to_string()).collect() };
        for op in Operation::ALL {
            let (_, staff, partner, tokens) = DOCUMENTED
                .iter()
                .find(|(n, ..)| *n == op.name())
                .unwrap_or_else(|| panic!("{} is not documented", op.name()));
            let r = rule(*op);
            assert_eq!(r.anybody, *staff == "*", "{}: anybody", op.name());
            assert_eq!(names(r.staff), roles(staff), "{}: staff", op.name());
            assert_eq!(names(r.partner), roles(partner), "{}: partner", op.name());
            assert_eq!(r.tokens, *tokens, "{}: tokens", op.name());
        }
        assert_eq!(DOCUMENTED.len(), Operation::ALL.len(), "no stale rows");
    }

    #[test]
    fn roles_follow_the_table() {
        let p = partner_model("p1", PartnerStage::Sandbox, false);
        assert!(
            authorize(
                &console(Role::Auditor),
                Operation::CreateClient,
                Target::Partner(&p)
            )
            .is_err()
        );
        assert!(
            authorize(
                &console(Role::Operator),
                Operation::CreateClient,
                Target::Partner(&p)
            )
            .is_ok()
        );
        assert!(
            authorize(
                &console(Role::Operator),
                Operation::DecideChangeRequest,
                Target::Global
            )
            .is_err()
        );
        assert!(
            authorize(
                &console(Role::Admin),
                Operation::DecideChangeRequest,
                Target::Global
            )
            .is_ok()
        );
        assert!(
            authorize(
                &console(Role::Admin),
                Operation::ManageApiClients,
                Target::Global
            )
            .is_err()
        );
        let nobody = Actor::anonymous(trail());
        assert_eq!(
            authorize(&nobody, Operation::ViewCatalog, Target::Global),
            Err(OpError::SignedOut)
        );
        assert_eq!(authorize(&nobody, Operation::Apply, Target::Global), Ok(()));
    }
}
