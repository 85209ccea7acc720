//! Every admin API route with the operation it performs. Who may perform it is the operations'
//! policy table; a route missing here is refused, and the test that walks every operation
//! through every door fails on it.

use entente_operations::Operation::{self, *};

pub const ROUTES: &[(&str, Operation)] = &[
    ("POST /admin/api/v1/exchange/explain", ExplainToken),
    ("GET /admin/api/v1/audit", ViewAudit),
    ("GET /admin/api/v1/rate-limits/tiers", ViewLimits),
    ("PUT /admin/api/v1/rate-limits/tiers/{name}", SetTier),
    ("DELETE /admin/api/v1/rate-limits/tiers/{name}", DeleteTier),
    (
        "GET /admin/api/v1/partners/{partner}/rate-limit",
        ViewLimits,
    ),
    (
        "PUT /admin/api/v1/partners/{partner}/rate-limit",
        SetRateLimit,
    ),
    (
        "DELETE /admin/api/v1/partners/{partner}/rate-limit",
        SetRateLimit,
    ),
    (
        "GET /admin/api/v1/clients/{client_id}/rate-limit",
        ViewLimits,
    ),
    (
        "PUT /admin/api/v1/clients/{client_id}/rate-limit",
        SetRateLimit,
    ),
    (
        "DELETE /admin/api/v1/clients/{client_id}/rate-limit",
        SetRateLimit,
    ),
    ("GET /admin/api/v1/usage", ViewUsage),
    ("GET /admin/api/v1/usage/recent", ViewUsage),
    ("GET /admin/api/v1/usage/live", ViewUsage),
    ("GET /admin/api/v1/usage/alerts", ViewUsage),
    ("GET /admin/api/v1/partners", ViewCatalog),
    ("POST /admin/api/v1/partners", CreatePartner),
    ("GET /admin/api/v1/partners/{partner}", ViewCatalog),
    (
        "POST /admin/api/v1/partners/{partner}/stage",
        MovePartnerStage,
    ),
    (
        "POST /admin/api/v1/partners/{partner}/suspend",
        SuspendPartner,
    ),
    (
        "POST /admin/api/v1/partners/{partner}/reactivate",
        ReactivatePartner,
    ),
    (
        "GET /admin/api/v1/partners/{partner}/onboarding",
        ViewCatalog,
    ),
    (
        "PUT /admin/api/v1/partners/{partner}/record",
        SavePartnerRecord,
    ),
    (
        "POST /admin/api/v1/partners/{partner}/questionnaire",
        AcceptQuestionnaire,
    ),
    (
        "POST /admin/api/v1/partners/{partner}/issuer-check",
        CheckIssuerKeys,
    ),
    ("GET /admin/api/v1/partners/{partner}/clients", ViewCatalog),
    (
        "POST /admin/api/v1/partners/{partner}/clients",
        CreateClient,
    ),
    (
        "POST /admin/api/v1/clients/{client_id}/secret",
        RotateClientSecret,
    ),
    ("PUT /admin/api/v1/clients/{client_id}/keys", SetClientKeys),
    ("GET /admin/api/v1/partners/{partner}/users", ViewPeople),
    (
        "POST /admin/api/v1/partners/{partner}/invitations",
        InvitePartnerUser,
    ),
    (
        "DELETE /admin/api/v1/partners/{partner}/invitations/{email}",
        RevokePartnerInvitation,
    ),
    (
        "PUT /admin/api/v1/partners/{partner}/users/{email}",
        SetPartnerUserAccess,
    ),
    ("GET /admin/api/v1/partners/{partner}/sign-in", ViewPeople),
    ("GET /admin/api/v1/audiences", ViewCatalog),
    ("POST /admin/api/v1/audiences", CreateAudience),
    ("PUT /admin/api/v1/scopes", SetScopeInfo),
    ("GET /admin/api/v1/partners/{partner}/grants", ViewCatalog),
    ("PUT /admin/api/v1/partners/{partner}/grants", SetGrant),
    ("GET /admin/api/v1/partners/{partner}/issuers", ViewCatalog),
    (
        "POST /admin/api/v1/partners/{partner}/issuers",
        AddTrustedIssuer,
    ),
    (
        "POST /admin/api/v1/partners/{partner}/issuers/enabled",
        SetIssuerEnabled,
    ),
    (
        "GET /admin/api/v1/partners/{partner}/trust-rules",
        ViewCatalog,
    ),
    (
        "PUT /admin/api/v1/partners/{partner}/trust-rules",
        SetTrustRule,
    ),
    (
        "POST /admin/api/v1/trust-rules/{rule}/enabled",
        SetTrustRuleEnabled,
    ),
    ("GET /admin/api/v1/keys", ViewKeys),
    ("PUT /admin/api/v1/keys/policy", SetKeyPolicy),
    ("POST /admin/api/v1/keys/rotate", RotateKey),
    ("POST /admin/api/v1/keys/{kid}/revoke", RevokeKey),
    ("GET /admin/api/v1/change-requests", ViewChangeRequests),
    ("GET /admin/api/v1/change-requests/{id}", ViewChangeRequests),
    (
        "POST /admin/api/v1/change-requests/{id}/decision",
        DecideChangeRequest,
    ),
    (
        "POST /admin/api/v1/change-requests/{id}/withdraw",
        WithdrawChangeRequest,
    ),
    ("GET /admin/api/v1/users", ViewPeople),
    ("PUT /admin/api/v1/users/{email}", SetConsoleUserAccess),
];

/// The operation a route key ("METHOD /path") performs; `None` for an undeclared one.
pub fn operation(route: &str) -> Option<Operation> {
    ROUTES.iter().find(|(r, _)| *r == route).map(|(_, o)| *o)
}
