//! The `oauth2` client for a partner's provider: its discovered endpoints, the partner's client
//! ID and sealed secret, and our callback as the redirect URI.

use entente_domain::sso::ProviderEndpoints;
use entente_store::entities::partner_sign_in;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields, RedirectUrl,
    StandardRevocableToken, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};

use super::discovery::endpoints;
use super::{CALLBACK_PATH, secret_context};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct IdTokenField {
    #[serde(default)]
    pub(super) id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

pub(super) type ProviderTokens = StandardTokenResponse<IdTokenField, BasicTokenType>;
pub(super) type ProviderClient = oauth2::Client<
    BasicErrorResponse,
    ProviderTokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The provider's endpoints (from its discovery document, cached for five minutes) and a
/// client for them.
pub(super) async fn provider(
    state: &AppState,
    s: &partner_sign_in::Model,
) -> Result<(ProviderClient, ProviderEndpoints), String> {
    let e = endpoints(state, &s.issuer).await?;
    let secret = state
        .master
        .open(&s.client_secret_sealed, &secret_context(&s.partner_id))
        .map_err(|_| "the provider's client secret cannot be opened with this master key")?;
    let secret =
        String::from_utf8(secret).map_err(|_| "the provider's client secret is not text")?;
    let bad = |what: &str| format!("the provider's {what} is not a URL");
    let client = oauth2::Client::<
        BasicErrorResponse,
        ProviderTokens,
        BasicTokenIntrospectionResponse,
        StandardRevocableToken,
        BasicRevocationErrorResponse,
    >::new(ClientId::new(s.client_id.clone()))
    .set_client_secret(ClientSecret::new(secret))
    .set_auth_uri(
        AuthUrl::new(e.authorization_endpoint.clone())
            .map_err(|_| bad("authorization endpoint"))?,
    )
    .set_token_uri(
        oauth2::TokenUrl::new(e.token_endpoint.clone()).map_err(|_| bad("token endpoint"))?,
    )
    .set_redirect_uri(
        RedirectUrl::new(format!("{}{CALLBACK_PATH}", state.issuer))
            .map_err(|_| "Entente's issuer is not a URL".to_owned())?,
    );
    Ok((client, e))
}
