//! Everything a person or a tool can do, as one list: the policy table, the doors and the test
//! that walks every operation through every door all start from `Operation::ALL`, so a new
//! operation cannot be left out of any of them.

macro_rules! operations {
    ($($(#[$doc:meta])* $op:ident = $name:literal, change: $change:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $($(#[$doc])* $op,)*
        }

        impl Operation {
            pub const ALL: &[Operation] = &[$(Operation::$op,)*];

            /// The operation's name in the audit trail, logs and the policy walk's report.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$op => $name,)*
                }
            }

            /// Whether it changes something (or mints a token): refused on a host-only
            /// partner, and for a suspended partner's people.
            pub fn is_change(self) -> bool {
                match self {
                    $(Operation::$op => $change,)*
                }
            }
        }
    };
}

operations! {
    /// Signing in and out, the first administrator's set-up, an invitation's check.
    SignIn = "sign_in", change: false;
    /// The public form that applies to become a partner.
    Apply = "apply", change: false;

    /// The console's overview and pending counts.
    ViewOverview = "view_overview", change: false;
    /// Partners, audiences, scopes, grants, clients, issuers, trust rules, onboarding records.
    ViewCatalog = "view_catalog", change: false;
    /// Console users, partner users, invitations, sign-in settings.
    ViewPeople = "view_people", change: false;
    ViewChangeRequests = "view_change_requests", change: false;
    ViewKeys = "view_keys", change: false;
    ViewLimits = "view_limits", change: false;
    ViewUsage = "view_usage", change: false;
    ViewAudit = "view_audit", change: false;
    /// A partner's own portal: its clients, team, requests, issuers, activity, docs.
    ViewOwnPartner = "view_own_partner", change: false;
    /// The sandbox playground's page.
    ViewPlayground = "view_playground", change: false;

    CreatePartner = "create_partner", change: true;
    MovePartnerStage = "move_partner_stage", change: true;
    SuspendPartner = "suspend_partner", change: true;
    ReactivatePartner = "reactivate_partner", change: true;
    SavePartnerRecord = "save_partner_record", change: true;
    AcceptQuestionnaire = "accept_questionnaire", change: true;
    /// Fetches every trusted issuer's keys now and records the result.
    CheckIssuerKeys = "check_issuer_keys", change: true;

    CreateAudience = "create_audience", change: true;
    /// An API's own client, for introspection.
    CreateResourceServer = "create_resource_server", change: true;
    SetScopeInfo = "set_scope_info", change: true;
    /// Scopes added to an audience, an unused one removed, an unused audience deleted.
    ChangeAudience = "change_audience", change: true;
    SetGrant = "set_grant", change: true;
    /// Several grants at once, from the scope matrix.
    ApplyMatrix = "apply_matrix", change: true;

    CreateClient = "create_client", change: true;
    RotateClientSecret = "rotate_client_secret", change: true;
    SetClientKeys = "set_client_keys", change: true;
    SetClientEnabled = "set_client_enabled", change: true;
    /// What a client may ask for: its scopes and grant types.
    UpdateClient = "update_client", change: true;
    /// Whether a partner's sandbox testers may each get a sandbox client of their own.
    SetTesterClients = "set_tester_clients", change: true;
    /// A sandbox tester's own sandbox client, created or given a new secret.
    TesterCredentials = "tester_credentials", change: true;

    InviteConsoleUser = "invite_console_user", change: true;
    /// Withdraws a console invitation before it is used.
    RevokeConsoleInvitation = "revoke_console_invitation", change: true;
    SetConsoleUserAccess = "set_console_user_access", change: true;
    InvitePartnerUser = "invite_partner_user", change: true;
    RevokePartnerInvitation = "revoke_partner_invitation", change: true;
    SetPartnerUserAccess = "set_partner_user_access", change: true;

    /// A partner asks the administrators for production, scopes or a production client.
    FileChangeRequest = "file_change_request", change: true;
    DecideChangeRequest = "decide_change_request", change: true;
    WithdrawChangeRequest = "withdraw_change_request", change: true;

    SetKeyPolicy = "set_key_policy", change: true;
    RotateKey = "rotate_key", change: true;
    RevokeKey = "revoke_key", change: true;

    SetTier = "set_tier", change: true;
    DeleteTier = "delete_tier", change: true;
    SetRateLimit = "set_rate_limit", change: true;

    AddTrustedIssuer = "add_trusted_issuer", change: true;
    /// A partner trusts the sandbox test IdP, with a rule on each sandbox API it holds
    /// scopes on (sandbox only: its tokens are for made-up users).
    TrustTestIdp = "trust_test_idp", change: true;
    /// How a trusted issuer's tokens are read (their `typ`).
    UpdateTrustedIssuer = "update_trusted_issuer", change: true;
    SetIssuerEnabled = "set_issuer_enabled", change: true;
    SetTrustRule = "set_trust_rule", change: true;
    SetTrustRuleEnabled = "set_trust_rule_enabled", change: true;
    /// A partner's own OpenID Connect provider for signing in to the portal.
    SetSignIn = "set_sign_in", change: true;

    /// Evaluates a token request without issuing anything ("Try a token", explain).
    ExplainToken = "explain_token", change: false;
    /// Checks a pasted partner token against the partner's issuers (the portal).
    ValidateToken = "validate_token", change: false;
    /// Mints a sandbox token: the test IdP's, or a trial through the token endpoint.
    TryToken = "try_token", change: true;

    /// Revokes a token and everything derived from it, or every token of a client, partner or
    /// partner user (lineage revocation).
    RevokeTokens = "revoke_tokens", change: true;

    /// A whole configuration document applied at once (configuration as code).
    ApplyConfiguration = "apply_configuration", change: true;
    /// The admin API's own clients and their owners.
    ManageApiClients = "manage_api_clients", change: true;
    /// A console user made directly, with a password (the first administrator, a recovery).
    CreateConsoleUser = "create_console_user", change: true;
}

#[cfg(test)]
mod tests {
    use super::Operation;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Operation::ALL.iter().map(|o| o.name()).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }
}
