//! Closed sets of values stored as text: console roles, client kinds, client authentication
//! methods and signing-key states. The database keeps the same strings as before.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A console user's role. `admin` does everything; `operator` makes day-to-day changes;
/// `auditor` reads everything and exports audit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "operator")]
    Operator,
    #[sea_orm(string_value = "auditor")]
    Auditor,
    /// A partner's own administrator: its clients and team, in the portal only.
    #[sea_orm(string_value = "partner_admin")]
    PartnerAdmin,
    /// A partner's own reader, in the portal only.
    #[sea_orm(string_value = "partner_viewer")]
    PartnerViewer,
    /// One of a partner's people who tries things in the sandbox: the playground only.
    #[sea_orm(string_value = "sandbox_tester")]
    SandboxTester,
}

impl Role {
    /// A partner user's role (the portal's), not a console user's.
    pub fn is_partner(self) -> bool {
        entente_types::role::Role::from(self).is_partner()
    }

    /// Where this role lands after signing in.
    pub fn home(self) -> &'static str {
        entente_types::role::Role::from(self).home()
    }
}

/// The stored role is the shared vocabulary's (`entente_types::role`), one for one.
impl From<Role> for entente_types::role::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => Self::Admin,
            Role::Operator => Self::Operator,
            Role::Auditor => Self::Auditor,
            Role::PartnerAdmin => Self::PartnerAdmin,
            Role::PartnerViewer => Self::PartnerViewer,
            Role::SandboxTester => Self::SandboxTester,
        }
    }
}

impl From<entente_types::role::Role> for Role {
    fn from(r: entente_types::role::Role) -> Self {
        use entente_types::role::Role as R;
        match r {
            R::Admin => Self::Admin,
            R::Operator => Self::Operator,
            R::Auditor => Self::Auditor,
            R::PartnerAdmin => Self::PartnerAdmin,
            R::PartnerViewer => Self::PartnerViewer,
            R::SandboxTester => Self::SandboxTester,
        }
    }
}

/// A client either gets tokens (a partner's) or introspects them (an API's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    #[sea_orm(string_value = "partner")]
    Partner,
    #[sea_orm(string_value = "resource_server")]
    ResourceServer,
}

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_secret_basic` or `client_secret_post`.
    #[sea_orm(string_value = "client_secret")]
    ClientSecret,
    #[sea_orm(string_value = "private_key_jwt")]
    PrivateKeyJwt,
}

/// A signing key's place in its life cycle (the domain's `KeyState`, as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum KeyStateColumn {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "retiring")]
    Retiring,
    #[sea_orm(string_value = "retired")]
    Retired,
    #[sea_orm(string_value = "revoked")]
    Revoked,
}

/// Production or the sandbox (the domain's `environment::Environment`, as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentColumn {
    #[sea_orm(string_value = "production")]
    Production,
    #[sea_orm(string_value = "sandbox")]
    Sandbox,
}

impl From<EnvironmentColumn> for entente_domain::environment::Environment {
    fn from(e: EnvironmentColumn) -> Self {
        match e {
            EnvironmentColumn::Production => Self::Production,
            EnvironmentColumn::Sandbox => Self::Sandbox,
        }
    }
}

impl From<entente_domain::environment::Environment> for EnvironmentColumn {
    fn from(e: entente_domain::environment::Environment) -> Self {
        use entente_domain::environment::Environment as E;
        match e {
            E::Production => Self::Production,
            E::Sandbox => Self::Sandbox,
        }
    }
}

/// A partner's stage (the domain's `lifecycle::Stage`, as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PartnerStage {
    #[sea_orm(string_value = "applied")]
    Applied,
    #[sea_orm(string_value = "in_review")]
    InReview,
    #[sea_orm(string_value = "sandbox")]
    Sandbox,
    #[sea_orm(string_value = "production")]
    Production,
    #[sea_orm(string_value = "suspended")]
    Suspended,
    #[sea_orm(string_value = "offboarded")]
    Offboarded,
}

impl From<PartnerStage> for entente_domain::lifecycle::Stage {
    fn from(s: PartnerStage) -> Self {
        use entente_domain::lifecycle::Stage as S;
        match s {
            PartnerStage::Applied => S::Applied,
            PartnerStage::InReview => S::InReview,
            PartnerStage::Sandbox => S::Sandbox,
            PartnerStage::Production => S::Production,
            PartnerStage::Suspended => S::Suspended,
            PartnerStage::Offboarded => S::Offboarded,
        }
    }
}

impl From<entente_domain::lifecycle::Stage> for PartnerStage {
    fn from(s: entente_domain::lifecycle::Stage) -> Self {
        use entente_domain::lifecycle::Stage as S;
        match s {
            S::Applied => Self::Applied,
            S::InReview => Self::InReview,
            S::Sandbox => Self::Sandbox,
            S::Production => Self::Production,
            S::Suspended => Self::Suspended,
            S::Offboarded => Self::Offboarded,
        }
    }
}

/// A change request's status (the domain's `governance::RequestStatus`, as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestStatusColumn {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}

impl From<RequestStatusColumn> for entente_domain::governance::RequestStatus {
    fn from(s: RequestStatusColumn) -> Self {
        use entente_domain::governance::RequestStatus as R;
        match s {
            RequestStatusColumn::Pending => R::Pending,
            RequestStatusColumn::Approved => R::Approved,
            RequestStatusColumn::Rejected => R::Rejected,
            RequestStatusColumn::Withdrawn => R::Withdrawn,
        }
    }
}

impl From<entente_domain::governance::RequestStatus> for RequestStatusColumn {
    fn from(s: entente_domain::governance::RequestStatus) -> Self {
        use entente_domain::governance::RequestStatus as R;
        match s {
            R::Pending => Self::Pending,
            R::Approved => Self::Approved,
            R::Rejected => Self::Rejected,
            R::Withdrawn => Self::Withdrawn,
        }
    }
}

macro_rules! as_str {
    ($($t:ty),*) => { $(
        impl $t {
            /// The stored string.
            pub fn as_str(&self) -> String {
                self.to_value()
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(&self.to_value())
            }
        }
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$t>::try_from_value(&s.to_owned()).map_err(|_| format!("{s:?} is not a valid value"))
            }
        }
    )* };
}
as_str!(
    Role,
    ClientKind,
    ClientAuth,
    KeyStateColumn,
    PartnerStage,
    RequestStatusColumn,
    EnvironmentColumn
);

impl From<entente_domain::keyring::KeyState> for KeyStateColumn {
    fn from(s: entente_domain::keyring::KeyState) -> Self {
        use entente_domain::keyring::KeyState as K;
        match s {
            K::Pending => Self::Pending,
            K::Active => Self::Active,
            K::Retiring => Self::Retiring,
            K::Retired => Self::Retired,
            K::Revoked => Self::Revoked,
        }
    }
}

impl From<KeyStateColumn> for entente_domain::keyring::KeyState {
    fn from(s: KeyStateColumn) -> Self {
        use entente_domain::keyring::KeyState as K;
        match s {
            KeyStateColumn::Pending => K::Pending,
            KeyStateColumn::Active => K::Active,
            KeyStateColumn::Retiring => K::Retiring,
            KeyStateColumn::Retired => K::Retired,
            KeyStateColumn::Revoked => K::Revoked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_strings_are_unchanged() {
        assert_eq!(Role::Admin.to_string(), "admin");
        assert_eq!("auditor".parse::<Role>().unwrap(), Role::Auditor);
        assert!("root".parse::<Role>().is_err());
        assert_eq!(ClientKind::ResourceServer.to_string(), "resource_server");
        assert_eq!(ClientAuth::PrivateKeyJwt.to_string(), "private_key_jwt");
        assert_eq!(KeyStateColumn::Retiring.to_string(), "retiring");
    }

    #[test]
    fn a_stored_role_is_the_shared_role_of_the_same_name() {
        use sea_orm::Iterable;
        for r in Role::iter() {
            let shared = entente_types::role::Role::from(r);
            assert_eq!(r.to_string(), shared.as_str());
            assert_eq!(Role::from(shared), r);
        }
        assert_eq!(Role::iter().count(), entente_types::role::Role::ALL.len());
    }
}
