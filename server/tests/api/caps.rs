//! Issue 23, defect 6 (caps): the public form's applications are capped per hour in the
//! database, so two replicas share one budget (the in-memory throttle alone gave each replica
//! its own); a partner's clients are capped (ENTENTE_MAX_CLIENTS_PER_PARTNER), for every door
//! but the host's CLI.

use crate::cli::entente_raw;
use crate::common::{Backend, TestDb, TestServer};
use crate::console::{call, path_of, session};
use entente_store::enums::{PartnerStage, Role};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partners_clients_are_capped_for_every_door_but_the_host_sqlite() {
    a_partners_clients_are_capped_for_every_door_but_the_host(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partners_clients_are_capped_for_every_door_but_the_host_postgres() {
    a_partners_clients_are_capped_for_every_door_but_the_host(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_are_capped_across_replicas_sqlite() {
    applications_are_capped_across_replicas(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_are_capped_across_replicas_postgres() {
    applications_are_capped_across_replicas(Backend::Postgres).await;
}

async fn apply_at(base: &str, organisation: &str, email: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}{}", path_of("apply_partner")))
        .header("origin", base)
        .form(&[
            ("organisation", organisation),
            ("website", "https://wonka.example"),
            ("contact_name", "Charlie Bucket"),
            ("contact_email", email),
            (
                "use_case",
                "Our shops' ordering app reads orders through your orders API.",
            ),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn applications_are_capped_across_replicas(backend: Backend) {
    let s = TestServer::start_with(
        TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| c.caps.applications_per_hour = 2,
    )
    .await;
    // A second replica, the real binary, on the same database.
    let other = crate::startup::Binary::start(&[
        ("ENTENTE_DATABASE_URL", s.db.url.as_str()),
        ("ENTENTE_MASTER_KEY", s.master_b64.as_str()),
        ("ENTENTE_APPLICATIONS_PER_HOUR", "2"),
    ])
    .await;
    assert_eq!(
        apply_at(&s.base, "Wonka", "charlie@wonka.example").await,
        200
    );
    assert_eq!(
        apply_at(&other.base, "Slugworth", "arthur@slugworth.example").await,
        200
    );
    // The hour's budget is spent on both replicas together.
    assert_eq!(
        apply_at(&s.base, "Fickelgruber", "f@fickel.example").await,
        429
    );
    assert_eq!(
        apply_at(&other.base, "Prodnose", "p@prodnose.example").await,
        429
    );
    let applied = s
        .state
        .store
        .list_partners()
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.stage == PartnerStage::Applied)
        .count();
    assert_eq!(applied, 2, "a refused application writes nothing");
    drop(other);
    s.stop().await;
}

async fn a_partners_clients_are_capped_for_every_door_but_the_host(backend: Backend) {
    let s = &TestServer::start_with(
        TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| c.caps.clients_per_partner = 3,
    )
    .await;
    s.seed().await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let create = |name: &'static str| {
        [
            ("partner", "acme"),
            ("name", name),
            ("scopes", "orders:read"),
        ]
    };
    for name in ["one", "two", "three"] {
        let (code, answer) = call(s, &olga, "create_client", &create(name)).await;
        assert_eq!(code, 200, "{answer}");
    }
    let (code, answer) = call(s, &olga, "create_client", &create("one too many")).await;
    assert_eq!(code, 429, "{answer}");
    assert!(
        answer
            .to_string()
            .contains("ENTENTE_MAX_CLIENTS_PER_PARTNER"),
        "{answer}"
    );
    // The admin API says the same.
    let bot = crate::host_only::api_client(s, "bot", "operator", "olga@example.test");
    s.refresh().await;
    let token = crate::host_only::api_token(s, &bot, "entente:operator").await;
    let r = s
        .http
        .post(s.url("/admin/api/v1/partners/acme/clients"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "api's", "scopes": "orders:read"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let acme = s.state.store.partner_by_slug("acme").await.unwrap();
    assert_eq!(
        s.state
            .store
            .list_clients(Some(&acme.id))
            .await
            .unwrap()
            .len(),
        3
    );
    // The host still can.
    let out = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &[
                "client",
                "create",
                "--partner",
                "acme",
                "--name",
                "host's",
                "--scopes",
                "orders:read",
            ],
        )
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        s.state
            .store
            .list_clients(Some(&acme.id))
            .await
            .unwrap()
            .len(),
        4
    );
}
