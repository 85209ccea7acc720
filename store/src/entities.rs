//! sea-orm entities: one module per table, mirroring `migrations` exactly.

pub mod partner {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "partners")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub slug: String,
        pub name: String,
        pub environment: String,
        pub enabled: bool,
        pub created_at: i64,
        pub updated_at: i64,
        pub stage: crate::enums::PartnerStage,
        pub resume_stage: Option<crate::enums::PartnerStage>,
        pub suspended_reason: Option<String>,
        pub first_exchange_at: Option<i64>,
        /// Holds the admin API's clients: changed from the host only (`crate::reserved`).
        pub host_only: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audience {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audiences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub identifier: String,
        pub name: String,
        pub token_lifetime: i64,
        pub enabled: bool,
        pub created_at: i64,
        pub environment: crate::enums::EnvironmentColumn,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod scope {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "scopes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub audience_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub description: String,
        /// low, medium or high.
        pub sensitivity: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod grant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub partner_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub audience_id: String,
        pub scopes: String,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod client {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "clients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: String,
        pub kind: crate::enums::ClientKind,
        pub partner_id: Option<String>,
        pub audience_id: Option<String>,
        pub name: String,
        pub auth_method: crate::enums::ClientAuth,
        pub grant_types: String,
        pub allowed_scopes: String,
        pub enabled: bool,
        pub created_at: i64,
        pub environment: crate::enums::EnvironmentColumn,
        /// An API client's owner: the console user (e-mail) who answers for it.
        pub owner: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod client_secret {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_secrets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub client_id: String,
        pub hash: Vec<u8>,
        pub created_at: i64,
        pub expires_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod client_jwks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "client_jwks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: String,
        /// The registered JWKS document; empty when the keys are fetched from `jwks_uri`.
        pub jwks: String,
        pub updated_at: i64,
        pub jwks_uri: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod signing_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        pub algorithm: String,
        pub state: crate::enums::KeyStateColumn,
        pub private_sealed: Vec<u8>,
        pub public_jwk: String,
        pub created_at: i64,
        pub state_since: i64,
        pub environment: crate::enums::EnvironmentColumn,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod revoked_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "revoked_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub jti: String,
        pub exp: i64,
        pub revoked_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assertion_jti {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assertion_jtis")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub jti: String,
        pub exp: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod admin_user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub email: String,
        pub password_hash: String,
        pub role: crate::enums::Role,
        pub enabled: bool,
        pub created_at: i64,
        /// A partner user's partner; none for console users.
        pub partner_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod admin_invite {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_invites")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: Vec<u8>,
        pub email: Option<String>,
        pub role: crate::enums::Role,
        pub expires_at: i64,
        pub used_at: Option<i64>,
        /// An invitation to a partner's team; none for console users.
        pub partner_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub data: String,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: i64,
        pub actor: String,
        pub action: String,
        pub target: String,
        pub details: String,
        pub request_id: Option<String>,
        pub trace_id: Option<String>,
        pub partner: Option<String>,
        pub source: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partner_application {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "partner_applications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub partner_id: String,
        pub organisation: String,
        pub website: String,
        pub contact_name: String,
        pub contact_email: String,
        #[sea_orm(column_type = "Text")]
        pub use_case: String,
        pub source: Option<String>,
        pub submitted_at: i64,
        /// The source's network (IPv4 address, IPv6 /48): what the per-network cap counts.
        pub source_network: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partner_sign_in {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "partner_sign_in")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub partner_id: String,
        pub issuer: String,
        pub client_id: String,
        pub client_secret_sealed: Vec<u8>,
        pub join_role: Option<crate::enums::Role>,
        /// Space-separated e-mail domains whose people may join with `join_role`.
        pub domains: String,
        pub enabled: bool,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod federated_identity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "federated_identities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub issuer: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        pub user_id: String,
        pub partner_id: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partner_record {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "partner_records")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub partner_id: String,
        pub record: String,
        pub questionnaire_accepted_at: Option<i64>,
        pub questionnaire_accepted_by: Option<String>,
        pub issuer_check_at: Option<i64>,
        pub issuer_check_ok: bool,
        pub issuer_check_detail: Option<String>,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod key_policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "key_policy")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub rotation_interval: i64,
        pub publish_lead: i64,
        pub retirement_grace: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod lease {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub holder: String,
        pub expires_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod change_request {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "change_requests")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub partner_id: String,
        pub target: String,
        pub summary: String,
        pub details: String,
        pub payload: String,
        pub status: crate::enums::RequestStatusColumn,
        pub requested_by: String,
        pub requested_at: i64,
        pub reason: String,
        pub decided_by: Option<String>,
        pub decided_at: Option<i64>,
        pub decision_comment: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "changes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub topic: String,
        pub at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod trusted_issuer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "trusted_issuers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub partner_id: String,
        pub issuer: String,
        pub jwks_uri: Option<String>,
        pub jwks: Option<String>,
        /// Space-separated JWS algorithm names.
        pub algorithms: String,
        /// Space-separated accepted `aud` values.
        pub audiences: String,
        /// Space-separated token kinds.
        pub kinds: String,
        pub max_age: i64,
        pub skew: i64,
        pub subject_claim: String,
        /// The issuer guarantees that `subject_claim` never changes and is never reassigned
        /// (needed for a mutable claim such as `email`).
        pub subject_claim_guaranteed: bool,
        pub access_tokens_typed_jwt: bool,
        pub enabled: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod trust_rule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "trust_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub partner_id: String,
        pub issuer_id: String,
        pub audience_id: String,
        pub scopes: String,
        /// JSON array of `{from, to}`.
        pub claims: String,
        /// JSON array of `{claim, value, scope}`.
        pub mappings: String,
        pub pairwise: bool,
        pub delegation: bool,
        pub max_depth: i32,
        pub delegation_only: bool,
        pub refresh: bool,
        pub lifetime: Option<i64>,
        pub refresh_lifetime: i64,
        pub enabled: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    /// One refresh token of a family; only its SHA-256 is stored.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub family_id: String,
        pub client_id: String,
        pub partner_id: String,
        pub rule_id: String,
        pub audience: String,
        pub scope: String,
        pub sub: String,
        pub act: Option<String>,
        pub claims: String,
        pub lineage: String,
        pub subject_key: String,
        pub absolute_exp: i64,
        pub created_at: i64,
        /// Set when the token was exchanged for its successor.
        pub used_at: Option<i64>,
        pub revoked: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod revocation_mark {
    use sea_orm::entity::prelude::*;

    /// A revoked lineage key (`t:`, `f:`, `c:`, `p:`, `s:`): tokens carrying it, issued at or
    /// before `revoked_at`, are inactive.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "revocation_marks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub target: String,
        pub exp: i64,
        pub revoked_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rate_tier {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rate_tiers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub per_second: i64,
        pub burst: i64,
        pub is_default: bool,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rate_limit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rate_limits")]
    pub struct Model {
        /// `partner:<id>` or `client:<client_id>`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        pub partner_id: Option<String>,
        pub client_id: Option<String>,
        pub tier: Option<String>,
        pub per_second: Option<i64>,
        pub burst: Option<i64>,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod usage_minute {
    use sea_orm::entity::prelude::*;

    /// One minute of one group of requests as one replica counted it (absolute values: a
    /// replica rewrites its row while the minute is open, so retries never double-count).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_minutes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub minute: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub replica: String,
        /// Empty when the caller was not authenticated.
        #[sea_orm(primary_key, auto_increment = false)]
        pub partner_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub audience: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub result: String,
        pub count: i64,
        pub lat_0: i64,
        pub lat_1: i64,
        pub lat_2: i64,
        pub lat_3: i64,
        pub lat_4: i64,
        pub lat_5: i64,
        pub lat_6: i64,
        pub lat_7: i64,
        pub lat_8: i64,
        pub lat_9: i64,
        pub lat_10: i64,
        pub lat_11: i64,
        pub lat_12: i64,
        pub lat_13: i64,
        pub lat_14: i64,
        pub lat_15: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    /// The latency bucket columns, in bucket order.
    pub const LATENCY: [Column; 16] = [
        Column::Lat0,
        Column::Lat1,
        Column::Lat2,
        Column::Lat3,
        Column::Lat4,
        Column::Lat5,
        Column::Lat6,
        Column::Lat7,
        Column::Lat8,
        Column::Lat9,
        Column::Lat10,
        Column::Lat11,
        Column::Lat12,
        Column::Lat13,
        Column::Lat14,
        Column::Lat15,
    ];
}

pub mod usage_alert {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_alerts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: i64,
        pub replica: String,
        pub partner_id: String,
        pub client_id: String,
        /// `issuance_spike` or `error_surge`.
        pub kind: String,
        pub window_start: i64,
        pub window_secs: i64,
        pub observed: f64,
        pub expected: f64,
        pub score: f64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
