//! Issue 23, defect 1: the partner that holds the admin API's clients (`entente admin
//! api-client`) is host-only. No console user, admin API token or partner user can invite
//! anyone into it, suspend it or move its stage, grant it anything, or touch its clients'
//! secrets, keys, limits or state; only the host (the CLI) can. Every refusal leaves nothing
//! written, and the automation keeps working.

use serde_json::{Value, json};

use crate::cli::entente_raw;
use crate::common::{Creds, TestServer};
use crate::console::{call, session, sign_in};
use entente_server::state::now;
use entente_store::Actor;
use entente_store::enums::Role;

crate::on_both!(no_door_but_the_host_reaches_the_admin_api_clients);

const V1: &str = "/admin/api/v1";
const PASSWORD: &str = "correct horse battery staple";

/// `entente admin api-client` as the host runs it; the client's credentials.
pub(crate) fn api_client(s: &TestServer, name: &str, role: &str, owner: &str) -> Creds {
    let out = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &[
                "admin",
                "api-client",
                "--name",
                name,
                "--role",
                role,
                "--owner",
                owner,
            ],
        )
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["owner"], owner);
    Creds {
        id: v["client_id"].as_str().unwrap().to_owned(),
        secret: v["client_secret"].as_str().unwrap().to_owned(),
    }
}

/// An admin API bearer token of `creds` for `scope`.
pub(crate) async fn api_token(s: &TestServer, creds: &Creds, scope: &str) -> String {
    let audience = format!("{}{V1}", s.base);
    let t = s
        .token(creds, &[("resource", &audience), ("scope", scope)])
        .await;
    t["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no admin API token: {t}"))
        .to_owned()
}

async fn api(s: &TestServer, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let r = s
        .http
        .request(method.parse().unwrap(), s.url(&format!("{V1}{path}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

async fn audit_count(s: &TestServer) -> usize {
    s.state
        .store
        .recent_audit_events(10_000)
        .await
        .unwrap()
        .len()
}

async fn no_door_but_the_host_reaches_the_admin_api_clients(s: &TestServer) {
    s.seed().await;
    // The administrator who answers for the automation, and an operator.
    let owner = session(s, "owner@corp.example", Role::Admin).await;
    let olga = session(s, "olga@corp.example", Role::Operator).await;
    let admin_bot = api_client(s, "deploy-bot", "admin", "owner@corp.example");
    let operator_bot = api_client(s, "ops-bot", "operator", "owner@corp.example");
    s.refresh().await;
    let op = api_token(s, &operator_bot, "entente:operator").await;
    let adm = api_token(s, &admin_bot, "entente:admin").await;

    // A partner user of `operations` made before it was host-only (as an upgrade finds one).
    let ops = s.state.store.partner_by_slug("operations").await.unwrap();
    assert!(ops.host_only, "the CLI makes a host-only partner");
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
    s.state
        .store
        .create_partner_user(
            &Actor::host("test-upgrade"),
            &ops,
            "mallory@attacker.example",
            hash,
            Role::PartnerAdmin,
            now(),
        )
        .await
        .unwrap();
    let mallory = sign_in(s, "mallory@attacker.example", PASSWORD).await;

    let before = audit_count(s).await;
    let bot = admin_bot.id.as_str();
    // The admin API, with an operator's and with an administrator's token.
    for token in [&op, &adm] {
        let attempts: [(&str, String, Value); 9] = [
            (
                "POST",
                "/partners/operations/invitations".into(),
                json!({"email": "m@attacker.example", "role": "partner_admin"}),
            ),
            (
                "POST",
                "/partners/operations/suspend".into(),
                json!({"reason": "lock the automation out"}),
            ),
            (
                "POST",
                "/partners/operations/stage".into(),
                json!({"to": "sandbox", "reason": "x"}),
            ),
            (
                "PUT",
                "/partners/operations/grants".into(),
                json!({"grants": [{"audience": crate::common::API, "scopes": "orders:read"}]}),
            ),
            (
                "POST",
                "/partners/operations/clients".into(),
                json!({"name": "mine", "scopes": "orders:read"}),
            ),
            (
                "PUT",
                "/partners/operations/rate-limit".into(),
                json!({"per_second": 1, "burst": 1}),
            ),
            (
                "PUT",
                format!("/clients/{bot}/rate-limit"),
                json!({"per_second": 1, "burst": 1}),
            ),
            ("POST", format!("/clients/{bot}/secret"), json!({})),
            (
                "PUT",
                format!("/clients/{bot}/keys"),
                json!({"jwks_uri": "https://attacker.example/jwks"}),
            ),
        ];
        for (method, path, body) in attempts {
            let (code, answer) = api(s, token, method, &path, body).await;
            assert_eq!(code, 403, "{method} {path} answered {code}: {answer}");
        }
    }
    // The console, as an operator and as an administrator.
    for who in [&olga, &owner] {
        for (name, form) in [
            (
                "invite_partner_user",
                vec![
                    ("partner", "operations"),
                    ("email", "m@attacker.example"),
                    ("role", "partner_admin"),
                ],
            ),
            (
                "suspend_partner",
                vec![("partner", "operations"), ("reason", "x")],
            ),
            (
                "create_client",
                vec![
                    ("partner", "operations"),
                    ("name", "mine"),
                    ("scopes", "orders:read"),
                ],
            ),
            (
                "set_limit",
                vec![
                    ("subject", "partner:operations"),
                    ("tier", ""),
                    ("per_second", "1"),
                    ("burst", "1"),
                ],
            ),
            (
                "set_partner_grant",
                vec![
                    ("partner", "operations"),
                    ("audience", crate::common::API),
                    ("scopes", "orders:read"),
                    ("reason", "x"),
                ],
            ),
        ] {
            let (code, answer) = call(s, who, name, &form).await;
            assert_eq!(code, 403, "console {name} answered {code}: {answer}");
        }
    }
    // The portal, as a partner admin of `operations`: it reaches nothing, reads included.
    for (name, form) in [
        ("portal_clients", vec![]),
        (
            "portal_rotate_secret",
            vec![("client_id", bot), ("overlap", "604800")],
        ),
        (
            "portal_set_client_keys",
            vec![
                ("client_id", bot),
                ("jwks", ""),
                ("jwks_uri", "https://attacker.example/jwks"),
            ],
        ),
        (
            "portal_invite",
            vec![("email", "n@attacker.example"), ("role", "partner_admin")],
        ),
        (
            "portal_request_client",
            vec![("name", "x"), ("scopes", "entente:admin"), ("reason", "x")],
        ),
    ] {
        let (code, answer) = call(s, &mallory, name, &form).await;
        assert_eq!(code, 403, "portal {name} answered {code}: {answer}");
        assert!(!answer.to_string().contains(bot), "{answer}");
    }
    // Trusting an identity provider for it is refused in the store, for every door.
    let mut idp = entente_store::federation::NewTrustedIssuer::new(
        "https://idp.attacker.example".into(),
        "entente".into(),
    );
    idp.jwks = Some(crate::fed::Idp::new(crate::fed::IDP).jwks);
    let refused = s
        .state
        .store
        .create_trusted_issuer(
            &Actor::new("admin:owner@corp.example"),
            "operations",
            idp,
            now(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, entente_store::StoreError::Forbidden(_)),
        "{refused}"
    );
    // Nothing was written, and the automation still works with its own secret.
    assert_eq!(audit_count(s).await, before, "a refusal writes nothing");
    let ops = s.state.store.partner_by_slug("operations").await.unwrap();
    assert_eq!(ops.stage, entente_store::enums::PartnerStage::Production);
    s.refresh().await;
    let (code, _) = api(
        s,
        &api_token(s, &admin_bot, "entente:admin").await,
        "GET",
        "/partners",
        json!(null),
    )
    .await;
    assert_eq!(code, 200);

    // It has a limit of its own, so no tier an operator edits reaches it.
    let limits = s.state.store.partner_limits("operations").await.unwrap();
    assert!(limits.limit.setting.is_some(), "{:?}", limits.limit);

    // The host can: a second client, and a limit on the partner.
    api_client(s, "deploy-bot-2", "auditor", "owner@corp.example");
    let out = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &[
                "limit",
                "set",
                "--partner",
                "operations",
                "--per-second",
                "500",
                "--burst",
                "1000",
            ],
        )
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An owner must be a console user: the CLI refuses anyone else.
    let out = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &[
                "admin",
                "api-client",
                "--name",
                "x",
                "--owner",
                "nobody@corp.example",
            ],
        )
    });
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an enabled console user"));
}

/// The outside reproduction, against the real binary: an operator's admin API token asked for a
/// partner_admin invitation into `operations` (201 with a link before) and suspended it (200).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_path_refuses_an_operator_the_operations_partner() {
    let b = crate::startup::Binary::start(&[]).await;
    b.cli_with_input(
        &[
            "admin",
            "create",
            "--email",
            "owner@corp.example",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let bot = b.cli(&[
        "admin",
        "api-client",
        "--name",
        "ops-bot",
        "--role",
        "operator",
        "--owner",
        "owner@corp.example",
    ]);
    let http = reqwest::Client::new();
    // The binary's change feed picks the client up within a poll.
    let mut token = None;
    for _ in 0..50 {
        let r = http
            .post(format!("{}/oauth2/token", b.base))
            .basic_auth(
                bot["client_id"].as_str().unwrap(),
                bot["client_secret"].as_str(),
            )
            .form(&[
                ("grant_type", "client_credentials"),
                ("resource", &format!("{}{V1}", b.base)),
                ("scope", "entente:operator"),
            ])
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            let v: Value = r.json().await.unwrap();
            token = v["access_token"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token = token.expect("an operator token");
    for (path, body) in [
        (
            "/partners/operations/invitations",
            json!({"email": "m@attacker.example", "role": "partner_admin"}),
        ),
        (
            "/partners/operations/suspend",
            json!({"reason": "lock the automation out"}),
        ),
    ] {
        let r = http
            .post(format!("{}{V1}{path}", b.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let code = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(code, 403, "{path}: {text}");
        assert!(!text.contains("setup?token="), "{text}");
    }
    let partners = b.cli(&["partner", "list"]);
    let ops = partners
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "operations")
        .unwrap();
    assert_eq!(ops["stage"], "production", "{ops}");
}
