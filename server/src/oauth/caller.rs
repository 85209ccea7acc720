//! The authenticated partner client behind a token request, and what every grant reads from it.

use entente_domain::environment::Environment;
use entente_domain::federation::Env;
use entente_domain::federation::exchange::Requester;
use entente_domain::grant::{ClientView, TargetRequest};
use entente_domain::ids::PartnerId;
use entente_domain::{OAuthError, ScopeSet};

use super::form::Form;
use crate::state::AppState;
use crate::state::snapshot::ClientEntry;

pub struct Caller<'s> {
    pub client: &'s ClientEntry,
    pub partner_id: &'s PartnerId,
    pub partner_slug: &'s str,
}

impl<'s> Caller<'s> {
    pub fn view(&self) -> ClientView<'s> {
        ClientView {
            client_id: &self.client.client_id,
            partner_id: self.partner_id,
            allowed_scopes: &self.client.allowed_scopes,
            grant_types: &self.client.grant_types,
            environment: self.client.environment,
        }
    }

    pub fn requester(&self) -> Requester<'s> {
        Requester {
            client: self.view(),
            partner_slug: self.partner_slug,
        }
    }
}

/// RFC 8707 `resource`, RFC 8693 `audience` and `scope` of a token request.
pub fn target_request(form: &Form) -> Result<TargetRequest, OAuthError> {
    Ok(TargetRequest {
        resources: form.all("resource"),
        audiences: form.all("audience"),
        scope: form.get("scope").map(ScopeSet::parse).transpose()?,
    })
}

/// Deployment facts the federation decision needs, in an environment (its issuer).
pub fn env(state: &AppState, environment: Environment) -> Env<'_> {
    Env {
        issuer: state.issuer_of(environment),
        entente: &state.issuer,
        pairwise_secret: &state.pairwise_secret,
    }
}
