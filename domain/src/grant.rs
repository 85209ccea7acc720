//! What a client_credentials request may receive: target audience, scopes and lifetime.

use crate::environment::Environment;
use crate::ids::{AudienceId, PartnerId};
use crate::{OAuthError, ScopeSet};

pub use entente_types::grant_type::{CLIENT_CREDENTIALS, GrantType};

/// An audience (an API Entente issues tokens for), as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceView {
    pub id: AudienceId,
    pub identifier: String,
    pub scopes: ScopeSet,
    pub token_lifetime: i64,
    pub enabled: bool,
    /// Only clients of the same environment get tokens for it.
    pub environment: Environment,
}

/// A requesting client, as the policy sees it.
#[derive(Debug, Clone)]
pub struct ClientView<'a> {
    pub client_id: &'a str,
    pub partner_id: &'a PartnerId,
    pub allowed_scopes: &'a ScopeSet,
    pub grant_types: &'a [String],
    pub environment: Environment,
}

/// Lookups the policy needs; the server's in-memory snapshot implements it.
pub trait Catalog {
    fn audience_by_identifier(&self, identifier: &str) -> Option<&AudienceView>;
    /// The partner's grant (allowed scopes) on an audience, if any.
    fn grant(&self, partner_id: &PartnerId, audience_id: &AudienceId) -> Option<&ScopeSet>;
    /// Every enabled audience the partner holds a grant on.
    fn granted_audiences(&self, partner_id: &PartnerId) -> Vec<&AudienceView>;
}

/// The target and scope parameters of a token request (RFC 8707 `resource`, RFC 8693 `audience`).
#[derive(Debug, Clone, Default)]
pub struct TargetRequest {
    pub resources: Vec<String>,
    pub audiences: Vec<String>,
    pub scope: Option<ScopeSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuance {
    pub audience: String,
    pub scope: ScopeSet,
    pub lifetime: i64,
}

/// The client must be assigned the grant type it uses (every grant checks this first).
pub fn require_grant_type(client: &ClientView<'_>, grant_type: &str) -> Result<(), OAuthError> {
    if client.grant_types.iter().any(|g| g == grant_type) {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client(
            "client may not use this grant type",
        ))
    }
}

/// The client's partner must hold a grant on the audience: its scopes are the partner's ceiling.
pub fn partner_grant<'c>(
    catalog: &'c impl Catalog,
    client: &ClientView<'_>,
    audience: &AudienceView,
) -> Result<&'c ScopeSet, OAuthError> {
    catalog
        .grant(client.partner_id, &audience.id)
        .ok_or_else(|| {
            OAuthError::invalid_target("the requested audience is not available to this client")
        })
}

pub fn client_credentials(
    catalog: &impl Catalog,
    client: &ClientView<'_>,
    req: &TargetRequest,
) -> Result<Issuance, OAuthError> {
    require_grant_type(client, CLIENT_CREDENTIALS)?;
    let audience = select_audience(catalog, client, req)?;
    let grant = partner_grant(catalog, client, audience)?;
    let allowed = client
        .allowed_scopes
        .intersect(grant)
        .intersect(&audience.scopes);
    let scope = match &req.scope {
        Some(requested) => requested.intersect(&allowed),
        None => allowed,
    };
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope(
            "none of the requested scopes is granted to this client",
        ));
    }
    Ok(Issuance {
        audience: audience.identifier.clone(),
        scope,
        lifetime: audience.token_lifetime,
    })
}

/// `resource` and `audience` must agree on one registered, enabled audience; without either,
/// the requested scopes must identify exactly one of the partner's audiences.
pub(crate) fn select_audience<'c>(
    catalog: &'c impl Catalog,
    client: &ClientView<'_>,
    req: &TargetRequest,
) -> Result<&'c AudienceView, OAuthError> {
    let mut named: Vec<&str> = req
        .resources
        .iter()
        .chain(&req.audiences)
        .map(String::as_str)
        .collect();
    named.sort_unstable();
    named.dedup();
    match named.as_slice() {
        // An audience of the other environment does not exist for this client; the refusal
        // says so only to a partner that holds a grant on it (nobody learns of others' APIs).
        [one] => match catalog.audience_by_identifier(one) {
            Some(a) if a.enabled && a.environment == client.environment => Ok(a),
            Some(a) if a.enabled && catalog.grant(client.partner_id, &a.id).is_some() => {
                Err(OAuthError::invalid_target(other_environment(a, client)))
            }
            _ => Err(OAuthError::invalid_target(
                "the requested audience is not registered or not enabled",
            )),
        },
        [] => {
            let candidates: Vec<&AudienceView> = catalog
                .granted_audiences(client.partner_id)
                .into_iter()
                .filter(|a| a.environment == client.environment)
                .filter(|a| match &req.scope {
                    Some(s) => !s.is_empty() && s.is_subset(&a.scopes),
                    None => true,
                })
                .collect();
            match candidates.as_slice() {
                [one] => Ok(one),
                _ => Err(OAuthError::invalid_target(
                    "name the audience with the resource or audience parameter",
                )),
            }
        }
        _ => Err(OAuthError::invalid_target(
            "a token is issued for exactly one audience",
        )),
    }
}

/// Why a named audience is refused, said in full for staff (explain in the console and the admin
/// API), where the token endpoint keeps other partners' APIs unnamed. `None` when the audience is
/// this client's to ask for, or when no single audience was named.
pub fn staff_target_diagnosis(
    catalog: &impl Catalog,
    client: &ClientView<'_>,
    req: &TargetRequest,
) -> Option<String> {
    let mut named: Vec<&str> = req
        .resources
        .iter()
        .chain(&req.audiences)
        .map(String::as_str)
        .collect();
    named.sort_unstable();
    named.dedup();
    let [one] = named.as_slice() else {
        return None;
    };
    let Some(a) = catalog.audience_by_identifier(one) else {
        return Some(format!(
            "no API is registered as {one}: register it on the Audiences page, or correct the \
             client's audience"
        ));
    };
    let held = catalog.grant(client.partner_id, &a.id).is_some();
    let env = a.environment.as_str();
    if !a.enabled {
        return Some(format!(
            "{one} is a {env} API and is disabled: enable it on the Audiences page"
        ));
    }
    if a.environment != client.environment {
        let grant = if held {
            "the partner holds a grant on it"
        } else {
            "the partner holds no grant on it either"
        };
        let fix = match client.environment {
            Environment::Sandbox => {
                "register a sandbox API, or promote the partner and use a \
                                     production client"
            }
            Environment::Production => {
                "grant the partner the sandbox API and call it with a \
                                        sandbox client"
            }
        };
        return Some(format!(
            "{one} is a {env} API and {} is a {} client ({grant}): {fix}",
            client.client_id,
            client.environment.as_str()
        ));
    }
    (!held).then(|| {
        format!(
            "{one} is a {env} API and the partner holds no grant on it: grant it on the \
             partner's Grants tab"
        )
    })
}

/// Why a partner's own API of the other environment is not this client's, and what to do.
fn other_environment(audience: &AudienceView, client: &ClientView<'_>) -> String {
    let (api, env) = (&audience.identifier, audience.environment.as_str());
    match client.environment {
        Environment::Sandbox => format!(
            "{api} takes {env} tokens and this is a sandbox client: register a sandbox API, \
             or use a production client once the partner is in production"
        ),
        Environment::Production => format!(
            "{api} takes {env} tokens and this is a production client: call it with a sandbox \
             client at the sandbox token endpoint"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OAuthErrorCode;
    use std::collections::HashMap;

    struct Cat {
        auds: Vec<AudienceView>,
        grants: HashMap<(PartnerId, AudienceId), ScopeSet>,
    }
    impl Catalog for Cat {
        fn audience_by_identifier(&self, identifier: &str) -> Option<&AudienceView> {
            self.auds.iter().find(|a| a.identifier == identifier)
        }
        fn grant(&self, p: &PartnerId, a: &AudienceId) -> Option<&ScopeSet> {
            self.grants.get(&(p.clone(), a.clone()))
        }
        fn granted_audiences(&self, p: &PartnerId) -> Vec<&AudienceView> {
            self.auds
                .iter()
                .filter(|a| a.enabled && self.grants.contains_key(&(p.clone(), a.id.clone())))
                .collect()
        }
    }

    fn s(x: &str) -> ScopeSet {
        ScopeSet::parse(x).unwrap()
    }

    fn cat() -> Cat {
        let aud = |id: &str, ident: &str, scopes: &str, enabled| AudienceView {
            id: id.into(),
            identifier: ident.into(),
            scopes: s(scopes),
            token_lifetime: 300,
            enabled,
            environment: Environment::Production,
        };
        Cat {
            auds: vec![
                aud("a1", "https://orders", "orders:read orders:write", true),
                aud("a2", "https://billing", "bill:read", true),
                aud("a3", "https://off", "x", false),
                AudienceView {
                    environment: Environment::Sandbox,
                    ..aud("a4", "https://sandbox.orders", "orders:read", true)
                },
            ],
            grants: [
                (("p", "a1"), "orders:read"),
                (("p", "a3"), "x"),
                (("p", "a4"), "orders:read"),
            ]
            .into_iter()
            .map(|((p, a), g)| ((p.into(), a.into()), s(g)))
            .collect(),
        }
    }

    fn run(scope: Option<&str>, resource: &[&str], allowed: &str) -> Result<Issuance, OAuthError> {
        run_in(Environment::Production, scope, resource, allowed)
    }

    fn run_in(
        environment: Environment,
        scope: Option<&str>,
        resource: &[&str],
        allowed: &str,
    ) -> Result<Issuance, OAuthError> {
        let allowed = s(allowed);
        let gts = vec![CLIENT_CREDENTIALS.to_string()];
        let partner = PartnerId::from("p");
        let client = ClientView {
            client_id: "c",
            partner_id: &partner,
            allowed_scopes: &allowed,
            grant_types: &gts,
            environment,
        };
        let req = TargetRequest {
            resources: resource.iter().map(|r| r.to_string()).collect(),
            audiences: vec![],
            scope: scope.map(s),
        };
        client_credentials(&cat(), &client, &req)
    }

    #[test]
    fn scopes_are_the_intersection_of_request_client_and_grant() {
        let i = run(
            Some("orders:read orders:write"),
            &["https://orders"],
            "orders:read orders:write",
        )
        .unwrap();
        assert_eq!(i.scope.to_string(), "orders:read");
        assert_eq!(i.audience, "https://orders");
    }

    #[test]
    fn nothing_left_is_invalid_scope() {
        assert_eq!(
            run(
                Some("orders:write"),
                &["https://orders"],
                "orders:read orders:write"
            )
            .unwrap_err()
            .code,
            OAuthErrorCode::InvalidScope
        );
        assert_eq!(
            run(None, &["https://orders"], "orders:write")
                .unwrap_err()
                .code,
            OAuthErrorCode::InvalidScope
        );
    }

    #[test]
    fn unknown_ungranted_disabled_or_multiple_targets_are_invalid_target() {
        for r in [
            &["https://nope"][..],
            &["https://billing"],
            &["https://off"],
            &["https://orders", "https://billing"],
        ] {
            assert_eq!(
                run(None, r, "orders:read bill:read x").unwrap_err().code,
                OAuthErrorCode::InvalidTarget,
                "{r:?}"
            );
        }
    }

    #[test]
    fn each_environment_sees_only_its_own_audiences() {
        let sandbox = |r: &[&str]| run_in(Environment::Sandbox, None, r, "orders:read");
        assert_eq!(
            sandbox(&["https://sandbox.orders"]).unwrap().audience,
            "https://sandbox.orders"
        );
        // Inferred from the scopes: the one audience of its own environment.
        assert_eq!(sandbox(&[]).unwrap().audience, "https://sandbox.orders");
        assert_eq!(
            sandbox(&["https://orders"]).unwrap_err().code,
            OAuthErrorCode::InvalidTarget
        );
        assert_eq!(
            run(None, &["https://sandbox.orders"], "orders:read")
                .unwrap_err()
                .code,
            OAuthErrorCode::InvalidTarget
        );
    }

    #[test]
    fn the_other_environment_is_named_only_for_the_partners_own_apis() {
        let refused = |env, r: &str| {
            let e = run_in(env, None, &[r], "orders:read bill:read").unwrap_err();
            assert_eq!(e.code, OAuthErrorCode::InvalidTarget);
            e.description.into_owned()
        };
        assert_eq!(
            refused(Environment::Sandbox, "https://orders"),
            "https://orders takes production tokens and this is a sandbox client: register a \
             sandbox API, or use a production client once the partner is in production"
        );
        assert!(
            refused(Environment::Production, "https://sandbox.orders").starts_with(
                "https://sandbox.orders takes sandbox tokens and this is a production client"
            )
        );
        // Someone else's API (no grant) stays unnamed.
        assert_eq!(
            refused(Environment::Sandbox, "https://billing"),
            "the requested audience is not registered or not enabled"
        );
    }

    #[test]
    fn staff_are_told_the_environment_even_without_a_grant() {
        let (cat, partner) = (cat(), PartnerId::from("p"));
        let scopes = s("orders:read bill:read");
        let grant_types = vec![];
        let says = |environment, r: &str| {
            let client = ClientView {
                client_id: "gateway",
                partner_id: &partner,
                allowed_scopes: &scopes,
                grant_types: &grant_types,
                environment,
            };
            let req = TargetRequest {
                resources: vec![r.to_owned()],
                ..Default::default()
            };
            staff_target_diagnosis(&cat, &client, &req)
        };
        // The partner holds no grant on https://billing, and the token endpoint keeps it unnamed.
        assert_eq!(
            says(Environment::Sandbox, "https://billing").as_deref(),
            Some(
                "https://billing is a production API and gateway is a sandbox client (the \
                 partner holds no grant on it either): register a sandbox API, or promote the \
                 partner and use a production client"
            )
        );
        assert_eq!(
            says(Environment::Production, "https://billing").as_deref(),
            Some(
                "https://billing is a production API and the partner holds no grant on it: \
                 grant it on the partner's Grants tab"
            )
        );
        assert!(
            says(Environment::Sandbox, "https://nowhere")
                .is_some_and(|s| s.starts_with("no API is registered as https://nowhere"))
        );
        assert!(
            says(Environment::Production, "https://off")
                .is_some_and(|s| s.ends_with("is disabled: enable it on the Audiences page"))
        );
        assert_eq!(says(Environment::Production, "https://orders"), None);
    }

    #[test]
    fn audience_is_inferred_from_scopes_when_unambiguous() {
        assert_eq!(
            run(Some("orders:read"), &[], "orders:read")
                .unwrap()
                .audience,
            "https://orders"
        );
        assert_eq!(
            run(None, &[], "orders:read").unwrap().audience,
            "https://orders"
        );
    }

    #[test]
    fn grant_type_must_be_assigned() {
        let allowed = s("orders:read");
        let gts: Vec<String> = vec![];
        let client = ClientView {
            client_id: "c",
            partner_id: &PartnerId::from("p"),
            allowed_scopes: &allowed,
            grant_types: &gts,
            environment: Environment::Production,
        };
        let e = client_credentials(&cat(), &client, &TargetRequest::default()).unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::UnauthorizedClient);
    }
}
