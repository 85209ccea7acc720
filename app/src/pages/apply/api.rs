//! The public application form's server function: anyone may call it, so it is throttled per
//! e-mail and per source address, validated field by field, audited, and answers every valid
//! application alike (whether the e-mail or the organisation is known is never told).

use leptos::prelude::*;

use crate::error::ConsoleError;

/// Files an application; the partner it creates waits in stage `applied` for an administrator.
#[server]
pub async fn apply_partner(
    organisation: String,
    website: String,
    contact_name: String,
    contact_email: String,
    use_case: String,
) -> Result<String, ConsoleError> {
    use crate::ssr::{bad_request, client_address, console, fail, request_actor};
    let c = console()?;
    let application = entente_domain::application::Application {
        organisation,
        website,
        contact_name,
        contact_email,
        use_case,
    }
    .normalised();
    // Checked first: a typo costs no budget, and a refused application writes nothing.
    application.check().map_err(bad_request)?;
    if !c
        .apply_throttle
        .allow(&application.contact_email, client_address())
    {
        tracing::warn!("application throttled");
        return Err(fail(ConsoleError::too_many(
            "too many applications from here; try again in an hour",
        )));
    }
    let email = application.contact_email.clone();
    let actor = request_actor(format!("applicant:{email}"));
    match c
        .store
        .apply_partner(&actor, application, crate::ssr::now())
        .await
    {
        Ok(p) => {
            tracing::info!(partner = %p.slug, "partner application filed");
            Ok(format!(
                "Thank you. Your application is with our partner team, who will write to {email}."
            ))
        }
        Err(entente_store::StoreError::Invalid(m)) => Err(bad_request(m)),
        // The caps every replica shares (per hour: everyone, one network, one address).
        Err(entente_store::StoreError::TooMany(m)) => {
            tracing::warn!("application capped");
            Err(fail(ConsoleError::too_many(m)))
        }
        // Never a store message (it could name an existing partner): one sentence for all.
        Err(e) => {
            tracing::error!(error = %e, "filing an application failed");
            Err(fail(ConsoleError::new(
                503,
                "your application could not be filed just now; try again in a minute",
            )))
        }
    }
}
