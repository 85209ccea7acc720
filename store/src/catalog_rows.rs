//! The catalog as the token service reads it on every reload: only the columns its snapshot
//! uses, decoded by position. With 10,000 partners a reload reads about half a million values;
//! whole models would add names, dates and descriptions nobody serves, and decoding by column
//! name hashes the name once per value.

use sea_orm::{DbErr, EntityTrait, FromQueryResult, QueryResult, QuerySelect, Select};

use crate::entities::{
    client, client_jwks, client_secret, grant, partner, trust_rule, trusted_issuer,
};
use crate::enums::{ClientAuth, ClientKind, EnvironmentColumn, PartnerStage};

/// A struct of some of an entity's columns, the query that selects exactly those columns in
/// field order, and the decoding of a row of it by position.
macro_rules! catalog_row {
    ($(#[$doc:meta])* $name:ident of $entity:ident { $($field:ident: $ty:ty = $column:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $(pub $field: $ty),+
        }

        impl $name {
            pub(crate) fn select() -> Select<$entity::Entity> {
                $entity::Entity::find()
                    .select_only()
                    $(.column($entity::Column::$column))+
            }
        }

        impl FromQueryResult for $name {
            fn from_query_result(row: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
                let mut at = 0usize;
                let mut next = || {
                    at += 1;
                    at - 1
                };
                // Struct fields are evaluated in the order written: the select's order.
                Ok(Self {
                    $($field: row.try_get_by_index(next())?),+
                })
            }
        }
    };
}

catalog_row! {
    /// Who the partner is and whether its clients may hold tokens.
    PartnerRow of partner {
        id: String = Id,
        slug: String = Slug,
        enabled: bool = Enabled,
        stage: PartnerStage = Stage,
    }
}

catalog_row! {
    /// The scopes a partner holds on an audience.
    GrantRow of grant {
        partner_id: String = PartnerId,
        audience_id: String = AudienceId,
        scopes: String = Scopes,
    }
}

catalog_row! {
    /// What a client is allowed and how it authenticates.
    ClientRow of client {
        client_id: String = ClientId,
        name: String = Name,
        kind: ClientKind = Kind,
        partner_id: Option<String> = PartnerId,
        audience_id: Option<String> = AudienceId,
        auth_method: ClientAuth = AuthMethod,
        grant_types: String = GrantTypes,
        allowed_scopes: String = AllowedScopes,
        enabled: bool = Enabled,
        environment: EnvironmentColumn = Environment,
    }
}

catalog_row! {
    /// A live secret's keyed hash.
    SecretRow of client_secret {
        client_id: String = ClientId,
        hash: Vec<u8> = Hash,
        expires_at: Option<i64> = ExpiresAt,
    }
}

catalog_row! {
    /// A private_key_jwt client's keys, or where it publishes them.
    ClientKeysRow of client_jwks {
        client_id: String = ClientId,
        jwks: String = Jwks,
        jwks_uri: Option<String> = JwksUri,
    }
}

catalog_row! {
    /// A partner's identity provider, as the token exchange checks its tokens.
    IssuerRow of trusted_issuer {
        id: String = Id,
        partner_id: String = PartnerId,
        issuer: String = Issuer,
        jwks_uri: Option<String> = JwksUri,
        jwks: Option<String> = Jwks,
        algorithms: String = Algorithms,
        audiences: String = Audiences,
        kinds: String = Kinds,
        max_age: i64 = MaxAge,
        skew: i64 = Skew,
        subject_claim: String = SubjectClaim,
        access_tokens_typed_jwt: bool = AccessTokensTypedJwt,
        enabled: bool = Enabled,
    }
}

catalog_row! {
    /// What a partner's token may become at one audience.
    RuleRow of trust_rule {
        id: String = Id,
        partner_id: String = PartnerId,
        issuer_id: String = IssuerId,
        audience_id: String = AudienceId,
        scopes: String = Scopes,
        claims: String = Claims,
        mappings: String = Mappings,
        pairwise: bool = Pairwise,
        delegation: bool = Delegation,
        max_depth: i32 = MaxDepth,
        delegation_only: bool = DelegationOnly,
        refresh: bool = Refresh,
        lifetime: Option<i64> = Lifetime,
        refresh_lifetime: i64 = RefreshLifetime,
        enabled: bool = Enabled,
    }
}
