//! The public application form's server function: the operation validates, throttles and
//! files it; every valid application is answered alike (whether the e-mail or the organisation
//! is known is never told).

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
    use crate::ssr::{client_address, console, fail, op_error, request_actor};
    use entente_operations::OpError;
    let c = console()?;
    let application = entente_domain::application::Application {
        organisation,
        website,
        contact_name,
        contact_email,
        use_case,
    };
    let email = application.contact_email.trim().to_ascii_lowercase();
    let actor = entente_operations::Actor::anonymous(request_actor(format!("applicant:{email}")));
    match c
        .ops
        .apply_partner(&actor, application, client_address(), crate::ssr::now())
        .await
    {
        Ok(p) => {
            tracing::info!(partner = %p.slug, "partner application filed");
            Ok(format!(
                "Thank you. Your application is with our partner team, who will write to {email}."
            ))
        }
        Err(e @ (OpError::Invalid(_) | OpError::TooMany(_))) => Err(op_error(e)),
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
