//! Where a private_key_jwt client's public keys come from: a registered JWKS document, or a
//! `jwks_uri` the token service fetches (RFC 7591 §2 names both; a client uses one).

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::changes::{publish, topic};
use crate::entities::{client, client_jwks, client_secret};
use crate::enums::{ClientAuth, ClientKind};
use crate::{Actor, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKeys {
    /// The JWKS document itself (checked with `entente_domain::jwks::check_document`).
    Document(String),
    /// An https URL the caller has already checked against the SSRF rules (E40).
    Uri(String),
}

impl ClientKeys {
    pub fn from_row(row: &client_jwks::Model) -> Self {
        match &row.jwks_uri {
            Some(u) => Self::Uri(u.clone()),
            None => Self::Document(row.jwks.clone()),
        }
    }

    /// The row's two columns: (document, uri).
    pub(crate) fn columns(&self) -> (String, Option<String>) {
        match self {
            Self::Document(d) => (d.clone(), None),
            Self::Uri(u) => (String::new(), Some(u.clone())),
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        match self {
            Self::Document(d) => entente_domain::jwks::check_document(d)
                .map(|_| ())
                .map_err(StoreError::Invalid),
            Self::Uri(u) if u.len() > 2048 => {
                Err(StoreError::Invalid("the jwks_uri is too long".into()))
            }
            // The fetch policy (https, public addresses) is the caller's check; this one only
            // keeps anything but a web address out of the table.
            Self::Uri(u) if !(u.starts_with("https://") || u.starts_with("http://")) => Err(
                StoreError::Invalid("the jwks_uri must be a web (https) URL".into()),
            ),
            Self::Uri(_) => Ok(()),
        }
    }
}

impl Store {
    /// The keys a private_key_jwt client registered, if any.
    pub async fn client_keys(&self, client_id: &str) -> Result<Option<ClientKeys>> {
        Ok(client_jwks::Entity::find_by_id(client_id.to_owned())
            .one(self.db())
            .await?
            .map(|r| ClientKeys::from_row(&r)))
    }

    /// Registers `keys` for a partner's client. A client that used a secret switches to
    /// private_key_jwt, and its secrets stop working at once: one client, one way to
    /// authenticate. Tokens it already holds are unaffected.
    pub async fn set_client_keys(
        &self,
        actor: &Actor,
        client_id: &str,
        keys: ClientKeys,
        now: i64,
    ) -> Result<client::Model> {
        keys.check()?;
        let txn = self.write().await?;
        let before = client::Entity::find_by_id(client_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("client {client_id}")))?;
        crate::reserved::check_client(&txn, actor, &before).await?;
        if before.kind != ClientKind::Partner {
            return Err(StoreError::Invalid(
                "an API's own client authenticates with a secret".into(),
            ));
        }
        let switched = before.auth_method != ClientAuth::PrivateKeyJwt;
        let was = client_jwks::Entity::find_by_id(client_id.to_owned())
            .one(&txn)
            .await?
            .map(|r| ClientKeys::from_row(&r));
        let described = |k: Option<&ClientKeys>| match k {
            Some(ClientKeys::Uri(u)) => json!({"source": "jwks_uri", "jwks_uri": u}),
            Some(ClientKeys::Document(_)) => json!({"source": "jwks"}),
            None => json!({"source": "secret"}),
        };
        let audit_details = json!({
            "before": described(was.as_ref()),
            "after": described(Some(&keys)),
            "secrets_removed": switched,
        });
        client_jwks::Entity::delete_by_id(client_id.to_owned())
            .exec(&txn)
            .await?;
        let (jwks, jwks_uri) = keys.columns();
        client_jwks::ActiveModel {
            client_id: Set(client_id.to_owned()),
            jwks: Set(jwks),
            jwks_uri: Set(jwks_uri),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let model = if switched {
            client_secret::Entity::delete_many()
                .filter(client_secret::Column::ClientId.eq(client_id))
                .exec(&txn)
                .await?;
            let mut m: client::ActiveModel = before.into();
            m.auth_method = Set(ClientAuth::PrivateKeyJwt);
            m.update(&txn).await?
        } else {
            before
        };
        crate::audit::record_client(
            &txn,
            actor,
            entente_domain::audit::AuditAction::ClientSetKeys,
            &model,
            audit_details,
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(model)
    }
}
