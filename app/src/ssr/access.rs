//! Who may call what: one declarative table for every server function and admin API route
//! (security case G49). A name missing from the table is refused, and the integration test that
//! walks every route with every role fails on it.

use entente_store::enums::Role;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reachable signed out (signing in, the first administrator's set-up).
    Public,
    /// A signed-in console user with one of these roles.
    Roles(&'static [Role]),
}

/// Everyone signed in: administrators, operators and auditors (auditors only read).
pub const READ: Access = Access::Roles(&[Role::Admin, Role::Operator, Role::Auditor]);
/// Day-to-day changes: administrators and operators.
pub const OPERATE: Access = Access::Roles(&[Role::Admin, Role::Operator]);
/// Administrators only (role management, approvals).
pub const ADMINISTER: Access = Access::Roles(&[Role::Admin]);
/// A partner's own people, in the portal (their partner comes from their account).
pub const PORTAL: Access = Access::Roles(&[Role::PartnerAdmin, Role::PartnerViewer]);
/// A partner's admins, in the portal.
pub const PORTAL_ADMIN: Access = Access::Roles(&[Role::PartnerAdmin]);
/// Everyone of a partner, sandbox testers included: the playground.
pub const PLAYGROUND: Access =
    Access::Roles(&[Role::PartnerAdmin, Role::PartnerViewer, Role::SandboxTester]);

/// Server functions by name, admin API routes by method and path.
pub const TABLE: &[(&str, Access)] = &[
    ("me", Access::Public),
    ("login", Access::Public),
    ("logout", Access::Public),
    ("invite_valid", Access::Public),
    ("setup_admin", Access::Public),
    // The public "apply to become a partner" form (throttled, validated, audited).
    ("apply_partner", Access::Public),
    ("overview", READ),
    ("pending_requests", READ),
    ("list_partners", READ),
    ("partners_page", READ),
    ("create_partner", OPERATE),
    ("move_partner_stage", OPERATE),
    ("suspend_partner", OPERATE),
    ("reactivate_partner", OPERATE),
    ("scope_matrix", READ),
    ("apply_matrix", OPERATE),
    ("set_scope_info", OPERATE),
    ("partner_grants", READ),
    ("set_partner_grant", OPERATE),
    ("onboarding", READ),
    ("save_partner_record", OPERATE),
    ("accept_questionnaire", OPERATE),
    ("check_issuer_keys", OPERATE),
    ("list_console_users", READ),
    ("set_user_access", ADMINISTER),
    ("invite_console_user", ADMINISTER),
    ("list_change_requests", READ),
    // Only administrators decide, and never on their own request (checked at decision time).
    ("decide_change_request", ADMINISTER),
    ("withdraw_change_request", OPERATE),
    ("list_clients", READ),
    ("create_client", OPERATE),
    ("list_audiences", READ),
    ("create_audience", OPERATE),
    ("list_keys", READ),
    // Signing keys are security controls: administrators only.
    ("set_key_policy", ADMINISTER),
    ("rotate_key_now", ADMINISTER),
    ("revoke_key", ADMINISTER),
    ("rate_limits", READ),
    ("load_usage", READ),
    ("live_rates", READ),
    ("set_tier", OPERATE),
    ("delete_tier", OPERATE),
    ("set_limit", OPERATE),
    ("trust_overview", READ),
    ("add_trusted_issuer", OPERATE),
    ("set_trust_rule", OPERATE),
    ("set_rule_enabled", OPERATE),
    // "Try a token" evaluates partner tokens pasted by the user: an operational tool.
    ("explain_token", OPERATE),
    ("POST /admin/api/v1/exchange/explain", OPERATE),
    // Auditors export the audit log.
    ("GET /admin/api/v1/audit", READ),
    // Rate limits: day-to-day operations.
    ("GET /admin/api/v1/rate-limits/tiers", READ),
    ("PUT /admin/api/v1/rate-limits/tiers/{name}", OPERATE),
    ("DELETE /admin/api/v1/rate-limits/tiers/{name}", OPERATE),
    ("GET /admin/api/v1/partners/{partner}/rate-limit", READ),
    ("PUT /admin/api/v1/partners/{partner}/rate-limit", OPERATE),
    (
        "DELETE /admin/api/v1/partners/{partner}/rate-limit",
        OPERATE,
    ),
    ("GET /admin/api/v1/clients/{client_id}/rate-limit", READ),
    ("PUT /admin/api/v1/clients/{client_id}/rate-limit", OPERATE),
    (
        "DELETE /admin/api/v1/clients/{client_id}/rate-limit",
        OPERATE,
    ),
    ("GET /admin/api/v1/usage", READ),
    ("GET /admin/api/v1/usage/recent", READ),
    ("GET /admin/api/v1/usage/live", READ),
    ("GET /admin/api/v1/usage/alerts", READ),
    // The admin REST API: the same rules as the console's server functions.
    ("GET /admin/api/v1/partners", READ),
    ("POST /admin/api/v1/partners", OPERATE),
    ("GET /admin/api/v1/partners/{partner}", READ),
    ("POST /admin/api/v1/partners/{partner}/stage", OPERATE),
    ("POST /admin/api/v1/partners/{partner}/suspend", OPERATE),
    ("POST /admin/api/v1/partners/{partner}/reactivate", OPERATE),
    ("GET /admin/api/v1/partners/{partner}/onboarding", READ),
    ("PUT /admin/api/v1/partners/{partner}/record", OPERATE),
    (
        "POST /admin/api/v1/partners/{partner}/questionnaire",
        OPERATE,
    ),
    (
        "POST /admin/api/v1/partners/{partner}/issuer-check",
        OPERATE,
    ),
    ("GET /admin/api/v1/partners/{partner}/clients", READ),
    ("POST /admin/api/v1/partners/{partner}/clients", OPERATE),
    ("POST /admin/api/v1/clients/{client_id}/secret", OPERATE),
    ("PUT /admin/api/v1/clients/{client_id}/keys", OPERATE),
    ("GET /admin/api/v1/partners/{partner}/users", READ),
    ("POST /admin/api/v1/partners/{partner}/invitations", OPERATE),
    (
        "DELETE /admin/api/v1/partners/{partner}/invitations/{email}",
        OPERATE,
    ),
    (
        "PUT /admin/api/v1/partners/{partner}/users/{email}",
        OPERATE,
    ),
    ("GET /admin/api/v1/partners/{partner}/sign-in", READ),
    ("GET /admin/api/v1/audiences", READ),
    ("POST /admin/api/v1/audiences", OPERATE),
    ("PUT /admin/api/v1/scopes", OPERATE),
    ("GET /admin/api/v1/partners/{partner}/grants", READ),
    ("PUT /admin/api/v1/partners/{partner}/grants", OPERATE),
    ("GET /admin/api/v1/partners/{partner}/issuers", READ),
    ("POST /admin/api/v1/partners/{partner}/issuers", OPERATE),
    (
        "POST /admin/api/v1/partners/{partner}/issuers/enabled",
        OPERATE,
    ),
    ("GET /admin/api/v1/partners/{partner}/trust-rules", READ),
    ("PUT /admin/api/v1/partners/{partner}/trust-rules", OPERATE),
    ("POST /admin/api/v1/trust-rules/{rule}/enabled", OPERATE),
    ("GET /admin/api/v1/keys", READ),
    ("PUT /admin/api/v1/keys/policy", ADMINISTER),
    ("POST /admin/api/v1/keys/rotate", ADMINISTER),
    ("POST /admin/api/v1/keys/{kid}/revoke", ADMINISTER),
    ("GET /admin/api/v1/change-requests", READ),
    ("GET /admin/api/v1/change-requests/{id}", READ),
    (
        "POST /admin/api/v1/change-requests/{id}/decision",
        ADMINISTER,
    ),
    ("POST /admin/api/v1/change-requests/{id}/withdraw", OPERATE),
    ("GET /admin/api/v1/users", READ),
    ("PUT /admin/api/v1/users/{email}", ADMINISTER),
    ("list_audit", READ),
    // The partner portal: partner users only, never the console's roles (G51: and partner
    // users appear nowhere above).
    ("portal_overview", PORTAL),
    ("portal_clients", PORTAL),
    ("portal_create_client", PORTAL_ADMIN),
    ("portal_rotate_secret", PORTAL_ADMIN),
    ("portal_set_client_keys", PORTAL_ADMIN),
    ("portal_activity", PORTAL),
    ("portal_set_client_enabled", PORTAL_ADMIN),
    ("portal_team", PORTAL),
    ("portal_invite", PORTAL_ADMIN),
    ("portal_revoke_invite", PORTAL_ADMIN),
    ("portal_set_member", PORTAL_ADMIN),
    // Requests to the administrators: filed, never applied, by the partner.
    ("portal_requests", PORTAL),
    ("portal_request_production", PORTAL_ADMIN),
    ("portal_request_scopes", PORTAL_ADMIN),
    ("portal_request_client", PORTAL_ADMIN),
    ("portal_withdraw", PORTAL_ADMIN),
    // Single sign-on through the partner's own provider.
    ("portal_sign_in", PORTAL),
    ("portal_set_sign_in", PORTAL_ADMIN),
    // The partner's identity providers; the test IdP's tokens are sandbox-only.
    ("portal_issuers", PORTAL),
    ("portal_add_issuer", PORTAL_ADMIN),
    ("portal_trust_test_idp", PORTAL_ADMIN),
    ("portal_validate_token", PORTAL),
    ("mint_test_token", PLAYGROUND),
    ("portal_docs", PORTAL),
    ("invite_partner_user", OPERATE),
    ("partner_team", READ),
    // The playground: every partner user may mint trial tokens with the partner's sandbox
    // clients (the secret typed; a trial changes nothing).
    ("playground", PLAYGROUND),
    ("try_token", PLAYGROUND),
];

/// The table's entry for a route; `None` for a route nobody declared (it is refused).
pub fn access(route: &str) -> Option<Access> {
    TABLE.iter().find(|(r, _)| *r == route).map(|(_, a)| *a)
}

/// Whether `role` may call `route` (false for undeclared routes).
pub fn allows(route: &str, role: Role) -> bool {
    match access(route) {
        Some(Access::Public) => true,
        Some(Access::Roles(roles)) => roles.contains(&role),
        None => false,
    }
}
