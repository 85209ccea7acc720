//! Reading times typed by people who filter the audit log.

/// The request header through which the server's request layer hands the request's trace id to
/// whoever writes its audit events (never taken from the caller).
pub const TRACE_ID_HEADER: &str = "x-entente-trace-id";

/// The request header through which the request layer hands on the caller's own `X-Request-Id`
/// (when sane), kept in audit details as `caller_request_id`, labelled as the caller's: never
/// the audit row's request id (an incoming header of this name is dropped).
pub const CALLER_REQUEST_ID_HEADER: &str = "x-entente-caller-request-id";

/// Seconds since the epoch for: Unix seconds (`1790000000`), a time ago (`15m`, `24h`, `7d`),
/// a date (`2026-11-26`, midnight UTC), a minute (`2026-11-26T10:00`, UTC, as a browser's
/// datetime field sends it) or RFC 3339 (`2026-11-26T10:00:00+01:00`).
pub fn parse_time(input: &str, now: i64) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let s = input.trim();
    let bad = || {
        format!(
            "{s:?} is not a time: use 2026-11-26, 2026-11-26T10:00, RFC 3339, Unix seconds or 15m/24h/7d"
        )
    };
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    if let Some(unit) = s.chars().last().filter(|c| "smhd".contains(*c))
        && let Ok(n) = s[..s.len() - 1].parse::<i64>()
    {
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => 86_400,
        };
        return n
            .checked_mul(scale)
            .and_then(|d| now.checked_sub(d))
            .filter(|_| n >= 0)
            .ok_or_else(bad);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    if let Ok(t) = time::PrimitiveDateTime::parse(
        s,
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ) {
        return Ok(t.assume_utc().unix_timestamp());
    }
    if let Ok(d) = time::Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_people_type() {
        let now = 1_790_000_000;
        assert_eq!(parse_time("1700000000", now).unwrap(), 1_700_000_000);
        assert_eq!(parse_time("15m", now).unwrap(), now - 900);
        assert_eq!(parse_time("7d", now).unwrap(), now - 7 * 86_400);
        assert_eq!(parse_time("1970-01-02", now).unwrap(), 86_400);
        assert_eq!(parse_time("1970-01-01T01:00", now).unwrap(), 3600);
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00", now).unwrap(), 0);
        for bad in ["yesterday", "", "-5d", "2026-13-01", "9999999999999999999d"] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
    }
}

/// Every kind of event the audit trail records, as one closed set: a change cannot be audited
/// under a name nobody declared, and the audit page's filter lists them all.
macro_rules! audit_actions {
    ($($variant:ident = $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($variant,)*
        }

        impl AuditAction {
            pub const ALL: &[AuditAction] = &[$(AuditAction::$variant,)*];

            /// The name stored in the audit trail and shown in exports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }

            /// The action a stored name names.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|a| a.as_str() == name)
            }
        }

        impl std::fmt::Display for AuditAction {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

audit_actions! {
    AdminAccess = "admin.access",
    AdminCreate = "admin.create",
    AdminInvite = "admin.invite",
    AdminInviteRevoke = "admin.invite_revoke",
    AudienceCreate = "audience.create",
    AudienceDelete = "audience.delete",
    AudienceScopes = "audience.scopes",
    ChangeRequestApprove = "change_request.approve",
    ChangeRequestFile = "change_request.file",
    ChangeRequestReject = "change_request.reject",
    ChangeRequestWithdraw = "change_request.withdraw",
    ClientCreate = "client.create",
    ClientDisable = "client.disable",
    ClientEnable = "client.enable",
    ClientOwner = "client.owner",
    ClientRotateSecret = "client.rotate_secret",
    ClientSetKeys = "client.set_keys",
    ClientUpdate = "client.update",
    ConfigApply = "config.apply",
    GrantSet = "grant.set",
    IssuerCreate = "issuer.create",
    IssuerDisable = "issuer.disable",
    IssuerEnable = "issuer.enable",
    IssuerUpdate = "issuer.update",
    KeyCreate = "key.create",
    KeyPolicy = "key.policy",
    KeyRevoke = "key.revoke",
    KeyState = "key.state",
    LineageRevoke = "lineage.revoke",
    PartnerApply = "partner.apply",
    PartnerCreate = "partner.create",
    PartnerIssuerCheck = "partner.issuer_check",
    PartnerNotice = "partner.notice",
    PartnerQuestionnaireAccept = "partner.questionnaire_accept",
    PartnerReactivate = "partner.reactivate",
    PartnerRecord = "partner.record",
    PartnerSignInSet = "partner.sign_in.set",
    PartnerStage = "partner.stage",
    PartnerSuspend = "partner.suspend",
    PartnerTesterClients = "partner.tester_clients",
    PartnerUserAccess = "partner_user.access",
    PartnerUserCreate = "partner_user.create",
    PartnerUserInvite = "partner_user.invite",
    PartnerUserInviteRevoke = "partner_user.invite_revoke",
    PartnerUserJoin = "partner_user.join",
    PartnerUserLink = "partner_user.link",
    RateLimitSet = "rate_limit.set",
    RateTierDelete = "rate_tier.delete",
    RateTierSet = "rate_tier.set",
    RefreshReuseDetected = "refresh.reuse_detected",
    RefreshRevoke = "refresh.revoke",
    ScopeInfo = "scope.info",
    SecurityClientAuthBlocked = "security.client_auth_blocked",
    SecurityUsageAnomaly = "security.usage_anomaly",
    SessionSignIn = "session.sign_in",
    SessionSignInFailed = "session.sign_in_failed",
    TokenRevoke = "token.revoke",
    TrustRuleDisable = "trust_rule.disable",
    TrustRuleEnable = "trust_rule.enable",
    TrustRuleSet = "trust_rule.set",
}

#[cfg(test)]
mod action_tests {
    use super::AuditAction;

    #[test]
    fn every_action_has_one_name() {
        let mut names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
        }
    }
}
