//! `entente demo seed`: a realistic catalog for demonstrations and measurements — audiences with
//! scopes of every sensitivity, partners across the lifecycle with grants and clients, and for
//! partners in sandbox or production a trusted issuer with a trust rule. Never for production
//! data: it refuses a database that already has partners.

use clap::Subcommand;
use entente_domain::ScopeSet;
use entente_domain::lifecycle::Stage;
use entente_store::catalog::{NewAudience, NewClient, NewPartner};
use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// Fill an empty catalog.
    Seed {
        #[arg(long, default_value_t = 500)]
        partners: usize,
        #[arg(long, default_value_t = 10)]
        audiences: usize,
        /// Scopes per audience.
        #[arg(long, default_value_t = 20)]
        scopes: usize,
        /// Entente's own issuer identifier: the `aud` demo partner tokens must carry.
        #[arg(
            long = "entente-issuer",
            env = "ENTENTE_ISSUER",
            default_value = "http://127.0.0.1:3000"
        )]
        entente_issuer: String,
    },
}

const STAGES: [Stage; 6] = [
    Stage::Production,
    Stage::Production,
    Stage::Sandbox,
    Stage::Sandbox,
    Stage::InReview,
    Stage::Applied,
];
/// The public key of RFC 7515 appendix A.3: demo issuers publish it (nobody holds a demo IdP).
const DEMO_JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"demo","use":"sig","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
const VERBS: [&str; 5] = ["read", "write", "list", "export", "admin"];
const NOUNS: [&str; 8] = [
    "orders",
    "shipments",
    "invoices",
    "customers",
    "stock",
    "returns",
    "payments",
    "reports",
];

pub async fn run(cx: &Ctx<'_>, cmd: DemoCmd) -> anyhow::Result<()> {
    let DemoCmd::Seed {
        partners,
        audiences,
        scopes,
        entente_issuer,
    } = cmd;
    if !cx.store.list_partners().await?.is_empty() {
        anyhow::bail!("the catalog already has partners; seed an empty database");
    }
    let started = std::time::Instant::now();
    let catalog = seed_audiences(cx, audiences, scopes).await?;
    seed_partners(cx, partners, &catalog, &entente_issuer).await?;
    print(
        cx.out,
        json!({"partners": partners, "audiences": audiences, "scopes_per_audience": scopes, "seconds": started.elapsed().as_secs_f64()}),
        format!(
            "seeded {partners} partners, {audiences} audiences × {scopes} scopes in {:.1} s (client secrets discarded)",
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

/// `audiences` demo APIs with `scopes` scopes each, of every sensitivity: each audience's
/// identifier with its scope names.
async fn seed_audiences(
    cx: &Ctx<'_>,
    audiences: usize,
    scopes: usize,
) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let (store, actor, now) = (cx.store, cx.actor, cx.now);
    let mut catalog = vec![];
    for a in 0..audiences {
        let identifier = format!("https://api{a:02}.demo.example");
        let names: Vec<String> = (0..scopes)
            .map(|i| {
                format!(
                    "{}{}:{}",
                    NOUNS[i % NOUNS.len()],
                    if i / NOUNS.len() == 0 {
                        String::new()
                    } else {
                        (i / NOUNS.len()).to_string()
                    },
                    VERBS[(i + a) % VERBS.len()]
                )
            })
            .collect();
        store
            .create_audience(
                actor,
                NewAudience {
                    identifier: identifier.clone(),
                    name: format!("Demo API {a:02}"),
                    scopes: names.clone(),
                    token_lifetime: 300,
                    environment: Default::default(),
                },
                now,
            )
            .await?;
        for (i, n) in names.iter().enumerate() {
            let sensitivity = ["low", "medium", "high"][(i + a) % 3];
            store
                .set_scope_info(
                    actor,
                    &identifier,
                    n,
                    &format!("Demo scope {n}"),
                    sensitivity,
                    now,
                )
                .await?;
        }
        catalog.push((identifier, names));
    }
    Ok(catalog)
}

/// `partners` demo partners across the lifecycle, each with grants on two of the `catalog`'s
/// audiences and a client; in sandbox or production also a trusted issuer with a trust rule.
async fn seed_partners(
    cx: &Ctx<'_>,
    partners: usize,
    catalog: &[(String, Vec<String>)],
    entente_issuer: &str,
) -> anyhow::Result<()> {
    let (store, actor, now) = (cx.store, cx.actor, cx.now);
    let hasher =
        entente_domain::secret::SecretHasher::new(b"entente demo seed: secrets are discarded");
    for p in 0..partners {
        let slug = format!("partner-{p:05}");
        let model = store
            .create_partner(
                actor,
                NewPartner {
                    slug: slug.clone(),
                    name: format!("Demo Partner {p:05}"),
                    stage: STAGES[p % STAGES.len()],
                },
                now,
            )
            .await?;
        // Each partner holds a few scopes on two audiences.
        for k in 0..2.min(catalog.len()) {
            let (aud, names) = &catalog[(p + k) % catalog.len()];
            let granted: Vec<&String> = names.iter().skip((p + k) % 3).step_by(3).take(4).collect();
            let set = ScopeSet::from_tokens(granted.iter().map(|s| s.as_str()));
            store.set_grant(actor, &slug, aud, &set, now).await?;
            if k == 0 {
                let secret = entente_domain::secret::generate_secret();
                store
                    .create_client(
                        actor,
                        NewClient::partner_secret(
                            model.id.clone(),
                            "backend".into(),
                            set.clone(),
                            vec![
                                "client_credentials".into(),
                                entente_domain::federation::GRANT_TOKEN_EXCHANGE.into(),
                            ],
                            hasher.hash(&secret),
                        ),
                        entente_domain::secret::new_client_id(),
                        now,
                    )
                    .await?;
                if matches!(model.stage.into(), Stage::Sandbox | Stage::Production) {
                    let issuer = format!("https://idp.{slug}.demo.example");
                    let mut new = NewTrustedIssuer::new(issuer.clone(), entente_issuer.to_owned());
                    new.jwks = Some(DEMO_JWKS.into());
                    store.create_trusted_issuer(actor, &slug, new, now).await?;
                    let mut rule = NewTrustRule::new(set);
                    rule.claims = vec![entente_domain::federation::ClaimPass {
                        from: "email".into(),
                        to: "email".into(),
                    }];
                    store
                        .set_trust_rule(actor, &slug, &issuer, aud, rule, now)
                        .await?;
                }
            }
        }
    }
    Ok(())
}
