//! `entente quickstart`: the five-minute path. On an empty database or any other, it makes a
//! sandbox partner, a sandbox API with two scopes, a client and the API's own client, and prints
//! the commands that get a token, introspect it and revoke it — with the real values.

use clap::Args;
use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_operations::catalog::AudienceRequest;
use entente_operations::clients::{AuthInput, NewClientRequest};
use entente_store::governance::Change;
use serde_json::json;

use super::{Ctx, DEFAULT_ISSUER, print};

#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// The partner's slug; unsaid, the first free of quickstart, quickstart-2, …
    #[arg(long)]
    pub partner: Option<String>,
}

const SCOPES: &str = "items:read items:write";

pub async fn run(cx: &Ctx<'_>, args: QuickstartArgs) -> anyhow::Result<()> {
    let slug = match args.partner {
        Some(s) => s,
        None => free_slug(cx).await?,
    };
    let api = format!("https://{slug}.api.example.test");
    let ops = cx.operations()?;
    let host = cx.host();
    ops.create_partner(
        &host,
        slug.clone(),
        format!("Quickstart ({slug})"),
        Some("sandbox"),
        cx.now,
    )
    .await?;
    ops.create_audience(
        &host,
        AudienceRequest {
            name: Some(format!("{slug} items API")),
            identifier: api.clone(),
            scopes: SCOPES.split(' ').map(str::to_owned).collect(),
            token_lifetime: Some(300),
            environment: Environment::Sandbox,
        },
        cx.now,
    )
    .await?;
    let scopes = ScopeSet::parse(SCOPES).map_err(|e| anyhow::anyhow!("{}", e.description))?;
    let change = Change::Grant {
        partner: slug.clone(),
        audience: api.clone(),
        scopes,
    };
    // A sandbox partner's grant never waits for a second administrator.
    ops.submit(&host, change, "quickstart", false, cx.now)
        .await?;
    let created = ops
        .create_client(
            &host,
            NewClientRequest {
                partner: Some(slug.clone()),
                name: "backend".into(),
                scopes: SCOPES.into(),
                credentials: AuthInput {
                    method: Some("client_secret".into()),
                    jwks: None,
                    jwks_uri: None,
                },
                grant_types: vec!["client_credentials".into()],
                environment: None,
            },
            cx.now,
        )
        .await?;
    let client_id = created.client.client_id;
    let secret = created
        .secret
        .ok_or_else(|| anyhow::anyhow!("the new client has no secret"))?;
    let (rs, _, rs_secret) = ops
        .create_resource_server(&host, &api, format!("{slug} items API"), cx.now)
        .await?;
    let base = std::env::var("ENTENTE_ISSUER").unwrap_or_else(|_| DEFAULT_ISSUER.into());
    let issuer = Environment::Sandbox.issuer(&base);
    let commands = [
        format!(
            "TOKEN=$(curl -s -u '{client_id}:{secret}' -d grant_type=client_credentials -d resource={api} -d scope=items:read {issuer}/oauth2/token | jq -r .access_token)"
        ),
        format!(
            "curl -s -u '{}:{rs_secret}' -d \"token=$TOKEN\" {issuer}/oauth2/introspect",
            rs.client_id
        ),
        format!(
            "curl -s -o /dev/null -w '\\n%{{http_code}}\\n' -u '{client_id}:{secret}' -d \"token=$TOKEN\" {issuer}/oauth2/revoke"
        ),
    ];
    print(
        cx.out,
        json!({
            "partner": slug,
            "audience": api,
            "scopes": SCOPES,
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": secret,
            "resource_server_client_id": rs.client_id,
            "resource_server_client_secret": rs_secret,
            "commands": commands,
        }),
        format!(
            "Sandbox partner {slug}, its API {api} ({SCOPES}), a client and the API's own client.\n\
             The secrets are shown once. With Entente serving at {base}:\n\n\
             # a token (client credentials)\n{}\n\n\
             # the API checks it (\"active\": true)\n{}\n\n\
             # revoked (200): introspected again, it is \"active\": false\n{}\n",
            commands[0], commands[1], commands[2]
        ),
    );
    Ok(())
}

/// The first of quickstart, quickstart-2, … that no partner has.
async fn free_slug(cx: &Ctx<'_>) -> anyhow::Result<String> {
    for n in 1..=1000 {
        let slug = if n == 1 {
            "quickstart".to_owned()
        } else {
            format!("quickstart-{n}")
        };
        match cx.store.partner_by_slug(&slug).await {
            Err(entente_store::StoreError::NotFound(_)) => return Ok(slug),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
    }
    anyhow::bail!("quickstart partners 1 to 1000 exist already: name one with --partner")
}
