//! Who a person is: an e-mail address, the same person in every role (`governance::person`),
//! and an API client's owner behind its actor name.

use sea_orm::{DatabaseTransaction, EntityTrait};

use crate::{Result, StoreError};

/// An address as stored: trimmed, lower-cased, and of the shape the console checks as it is
/// typed (`entente_types::names::check_email`).
pub(crate) fn normalise_email(email: &str) -> Result<String> {
    let e = email.trim().to_ascii_lowercase();
    entente_types::names::check_email(&e).map_err(StoreError::Invalid)?;
    Ok(e)
}

/// The person behind an actor name (`governance::person`), with an API client's owner read in
/// the deciding transaction.
pub(crate) async fn person_in(txn: &DatabaseTransaction, actor: &str) -> Result<String> {
    let owner = match actor.strip_prefix("api:") {
        Some(client_id) => crate::entities::client::Entity::find_by_id(client_id.to_owned())
            .one(txn)
            .await?
            .and_then(|c| c.owner),
        None => None,
    };
    Ok(entente_domain::governance::person(actor, owner.as_deref()))
}
