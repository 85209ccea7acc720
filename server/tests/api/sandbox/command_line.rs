//! Environments from the command line: `--environment` on audiences, clients and key rotation,
//! and `entente admin api-client` setting up the admin API's client in one step.

use super::*;

crate::on_both!(
    the_command_line_names_environments,
    the_host_sets_up_an_admin_api_client_in_one_step,
);

/// `--environment` on audiences, clients and key rotation; lists say each one's environment.
async fn the_command_line_names_environments(s: &TestServer) {
    use crate::cli::{entente, entente_raw};
    tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner", "create", "--slug", "initech", "--name", "Initech", "--stage", "sandbox",
            ],
        );
        let a = entente(
            s,
            &[
                "audience",
                "create",
                "--identifier",
                SANDBOX_API,
                "--scopes",
                "orders:read",
                "--environment",
                "sandbox",
            ],
        );
        assert_eq!(a["environment"], "sandbox");
        let c = entente(
            s,
            &[
                "client",
                "create",
                "--partner",
                "initech",
                "--name",
                "trial",
                "--scopes",
                "orders:read",
            ],
        );
        assert_eq!(c["environment"], "sandbox", "{c}");
        let refused = entente_raw(
            s,
            &[
                "client",
                "create",
                "--partner",
                "initech",
                "--name",
                "live",
                "--scopes",
                "orders:read",
                "--environment",
                "production",
            ],
        );
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("sandbox clients only"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
        let bad = entente_raw(
            s,
            &[
                "audience",
                "create",
                "--identifier",
                "https://x.test",
                "--scopes",
                "x",
                "--environment",
                "staging",
            ],
        );
        assert!(!bad.status.success());
        let listed = entente(s, &["client", "list", "--partner", "initech"]);
        assert_eq!(listed[0]["environment"], "sandbox");
        let r = entente(
            s,
            &["key", "rotate", "--environment", "sandbox", "--immediate"],
        );
        assert_eq!(r["environment"], "sandbox");
        let keys = entente(s, &["key", "list"]);
        let envs: Vec<&str> = keys
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["environment"].as_str().unwrap())
            .collect();
        assert!(
            envs.contains(&"production") && envs.iter().filter(|e| **e == "sandbox").count() >= 2,
            "{envs:?}"
        );
    });
}

/// The admin API is a production audience: `entente admin api-client` makes its audience, the
/// `operations` partner (in production) and a client in one step, and the token works.
async fn the_host_sets_up_an_admin_api_client_in_one_step(s: &TestServer) {
    use crate::cli::entente_raw;
    let run = |args: &[&str]| {
        let out = tokio::task::block_in_place(|| entente_raw(s, args));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // Every API client has an owner: the console user who answers for it.
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "owner@example.test",
            entente_domain::password::hash_password("correct horse battery staple").unwrap(),
            entente_store::enums::Role::Admin,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let bot = run(&[
        "admin",
        "api-client",
        "--name",
        "deploy-bot",
        "--role",
        "auditor",
        "--owner",
        "owner@example.test",
    ]);
    // Twice: the audience, partner and grant are reused.
    run(&[
        "admin",
        "api-client",
        "--name",
        "deploy-bot-2",
        "--owner",
        "owner@example.test",
    ]);
    s.refresh().await;
    let creds = Creds {
        id: bot["client_id"].as_str().unwrap().to_owned(),
        secret: bot["client_secret"].as_str().unwrap().to_owned(),
    };
    let audience = format!("{}/admin/api/v1", s.base);
    assert_eq!(bot["audience"], audience.as_str());
    let t = s
        .token(
            &creds,
            &[("resource", &audience), ("scope", "entente:auditor")],
        )
        .await;
    let r = s
        .http
        .get(s.url("/admin/api/v1/partners"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let partners: Value = r.json().await.unwrap();
    assert_eq!(partners["items"][0]["slug"], "operations", "{partners}");
    assert_eq!(partners["items"][0]["stage"], "production");
}
