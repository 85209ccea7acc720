//! Who someone is here: a console user's role (staff) or a partner user's (the portal's).

use std::fmt;
use std::str::FromStr;

/// A role. `admin` does everything; `operator` makes day-to-day changes; `auditor` reads
/// everything and exports audit. A partner's people: `partner_admin` (its clients and team),
/// `partner_viewer` (reads), `sandbox_tester` (the playground only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Operator,
    Auditor,
    PartnerAdmin,
    PartnerViewer,
    SandboxTester,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Operator,
        Role::Auditor,
        Role::PartnerAdmin,
        Role::PartnerViewer,
        Role::SandboxTester,
    ];
    /// Console users' roles (and API clients').
    pub const STAFF: [Role; 3] = [Role::Admin, Role::Operator, Role::Auditor];
    /// A partner's people's roles.
    pub const PARTNER: [Role; 3] = [Role::PartnerAdmin, Role::PartnerViewer, Role::SandboxTester];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Auditor => "auditor",
            Self::PartnerAdmin => "partner_admin",
            Self::PartnerViewer => "partner_viewer",
            Self::SandboxTester => "sandbox_tester",
        }
    }

    /// A partner user's role (the portal's), not a console user's.
    pub fn is_partner(self) -> bool {
        Self::PARTNER.contains(&self)
    }

    /// Where this role lands after signing in.
    pub fn home(self) -> &'static str {
        match self {
            Self::SandboxTester => "/sandbox",
            r if r.is_partner() => "/portal",
            _ => "/",
        }
    }

    /// What the role may do, in a few words (for choosing one).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Admin => "admin — everything, decides change requests",
            Self::Operator => "operator — day-to-day changes",
            Self::Auditor => "auditor — reads everything",
            Self::PartnerAdmin => "Partner admin: manages clients and the team",
            Self::PartnerViewer => "Partner viewer: reads everything, changes nothing",
            Self::SandboxTester => "Sandbox tester: the playground only",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a role"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_reads_back_as_itself_and_is_staff_or_partner() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_ne!(Role::STAFF.contains(&r), r.is_partner(), "{r}");
        }
        assert!("Admin".parse::<Role>().is_err());
        assert_eq!(Role::SandboxTester.home(), "/sandbox");
        assert_eq!(Role::PartnerViewer.home(), "/portal");
        assert_eq!(Role::Auditor.home(), "/");
    }
}
