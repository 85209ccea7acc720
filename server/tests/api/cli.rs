//! The real `entente` binary: catalog commands with JSON output act on a running server within a
//! second, and bad configuration stops start-up with a sentence naming the variable.

use crate::common::{self, API, Creds, TestServer};
use std::process::Command;

/// Runs the real binary on the test server's database; it must succeed and print JSON.
pub(crate) fn entente(s: &TestServer, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .args(["--output", "json"])
        .env("ENTENTE_DATABASE_URL", &s.db.url)
        .env("ENTENTE_MASTER_KEY", &s.master_b64)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "entente {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "entente {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

async fn cli_changes_reach_a_running_server(s: &TestServer) {
    let started = std::time::Instant::now();
    tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner",
                "create",
                "--slug",
                "acme",
                "--name",
                "Acme Corp",
                "--stage",
                "sandbox",
            ],
        );
        entente(
            s,
            &[
                "audience",
                "create",
                "--identifier",
                API,
                "--scopes",
                "orders:read orders:write",
                // acme is in the sandbox stage: its client and this API are the sandbox's.
                "--environment",
                "sandbox",
            ],
        );
        entente(
            s,
            &[
                "grant",
                "set",
                "--partner",
                "acme",
                "--audience",
                API,
                "--scopes",
                "orders:read",
            ],
        );
    });
    let c = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "client",
                "create",
                "--partner",
                "acme",
                "--name",
                "backend",
                "--scopes",
                "orders:read",
            ],
        )
    });
    let creds = Creds {
        id: c["client_id"].as_str().unwrap().into(),
        secret: c["client_secret"].as_str().unwrap().into(),
    };
    let rs = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "resource-server",
                "create",
                "--audience",
                API,
                "--name",
                "orders-api",
            ],
        )
    });
    let rs = Creds {
        id: rs["client_id"].as_str().unwrap().into(),
        secret: rs["client_secret"].as_str().unwrap().into(),
    };
    let created = std::time::Instant::now();
    // No manual refresh: the server's own change-feed poll must pick this up within a second.
    let token = loop {
        let r = s
            .post_form(
                "/sandbox/oauth2/token",
                Some(&creds),
                &[("grant_type", "client_credentials")],
            )
            .await;
        if r.status() == 200 {
            break r.json::<serde_json::Value>().await.unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        assert!(
            created.elapsed() < std::time::Duration::from_secs(1),
            "CLI change not live after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // The resource server was created after the client: it too must be live within a second.
    loop {
        let r = s
            .post_form(
                "/sandbox/oauth2/introspect",
                Some(&rs),
                &[("token", &token)],
            )
            .await;
        if r.status() == 200 {
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["active"], true);
            break;
        }
        assert!(
            created.elapsed() < std::time::Duration::from_secs(1),
            "resource server not live after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let listed =
        tokio::task::block_in_place(|| entente(s, &["client", "list", "--partner", "acme"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        listed.to_string().find(&creds.secret).is_none(),
        "secrets never appear after creation"
    );
    let rotated = tokio::task::block_in_place(|| {
        entente(s, &["client", "rotate-secret", "--client-id", &creds.id])
    });
    let new = Creds {
        id: creds.id.clone(),
        secret: rotated["client_secret"].as_str().unwrap().into(),
    };
    let t0 = std::time::Instant::now();
    loop {
        let old_status = s
            .post_form(
                "/sandbox/oauth2/token",
                Some(&creds),
                &[("grant_type", "client_credentials")],
            )
            .await
            .status();
        let new_status = s
            .post_form(
                "/sandbox/oauth2/token",
                Some(&new),
                &[("grant_type", "client_credentials")],
            )
            .await
            .status();
        if old_status == 401 && new_status == 200 {
            break;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(1),
            "rotation not live after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let keys = tokio::task::block_in_place(|| entente(s, &["key", "list"]));
    assert_eq!(keys[0]["state"], "active");
    let partners = tokio::task::block_in_place(|| entente(s, &["partner", "list"]));
    assert_eq!(partners[0]["slug"], "acme");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

on_both!(cli_changes_reach_a_running_server);

#[test]
fn invalid_configuration_names_the_variable() {
    for (var, value) in [
        ("ENTENTE_LISTEN", "not-an-address"),
        ("ENTENTE_ISSUER", "https://id.example.com/"),
        ("ENTENTE_MASTER_KEY", "c2hvcnQ="),
        ("ENTENTE_LOG_FORMAT", "xml"),
        ("ENTENTE_SIGNING_ALG", "HS256"),
        ("ENTENTE_METRICS_LISTEN", "nowhere"),
        ("ENTENTE_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("ENTENTE_MAX_STALENESS", "0"),
    ] {
        let dir = entente_store::testing::TempDir::new("entente-cli");
        let out = Command::new(env!("CARGO_BIN_EXE_entente"))
            .arg("serve")
            .env("ENTENTE_DATA_DIR", &dir.0)
            .env(var, value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}={value} must stop start-up");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(var), "error for {var} must name it: {err}");
    }
}

#[test]
fn serve_help_lists_every_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "ENTENTE_LISTEN",
        "ENTENTE_ISSUER",
        "ENTENTE_DATA_DIR",
        "ENTENTE_DATABASE_URL",
        "ENTENTE_MASTER_KEY",
        "ENTENTE_LOG",
        "ENTENTE_LOG_FORMAT",
        "ENTENTE_SIGNING_ALG",
        "ENTENTE_METRICS_LISTEN",
        "ENTENTE_TRUSTED_PROXIES",
        "ENTENTE_MAX_STALENESS",
        "ENTENTE_SHUTDOWN_DRAIN",
        "ENTENTE_DEV_INSECURE_ISSUER_URLS",
        "ENTENTE_JWKS_MAX_STALE",
    ] {
        assert!(help.contains(var), "--help lacks {var}");
    }
}

/// Issue 7, defect 7: each command's help shows what it uses; serve settings stay with `serve`.
#[test]
fn subcommands_show_only_their_options() {
    let help = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_entente"))
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let serve_only = [
        "--listen",
        "--signing-alg",
        "--metrics-listen",
        "--trusted-proxies",
        "--max-staleness",
        "--shutdown-drain",
    ];
    for cmd in [
        &["issuer", "add"][..],
        &["partner", "list"],
        &["client", "create"],
        &["trust-rule", "set"],
        &["exchange", "explain"],
    ] {
        let h = help(cmd);
        for opt in serve_only {
            assert!(
                !h.contains(opt),
                "`entente {}` --help lists {opt}:\n{h}",
                cmd.join(" ")
            );
        }
    }
    let add = help(&["issuer", "add"]);
    assert!(add.contains("--access-tokens-typed-jwt"), "{add}");
    assert!(add.contains("--dev-insecure-issuer-urls"), "{add}");
    assert!(!help(&["partner", "list"]).contains("--dev-insecure-issuer-urls"));
    assert!(help(&["serve"]).contains("--listen"));
}

#[test]
fn master_key_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = entente_store::testing::TempDir::new("entente-cli");
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["partner", "list"])
        .env("ENTENTE_DATA_DIR", &dir.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["key", "rotate"])
        .env("ENTENTE_DATA_DIR", &dir.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(dir.0.join("master.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

use crate::fed;

pub(crate) fn entente_raw(s: &TestServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .args(["--output", "json"])
        .env("ENTENTE_DATABASE_URL", &s.db.url)
        .env("ENTENTE_MASTER_KEY", &s.master_b64)
        .env("ENTENTE_ISSUER", &s.base)
        .output()
        .unwrap()
}

fn entente_ok(s: &TestServer, args: &[&str]) -> serde_json::Value {
    let out = entente_raw(s, args);
    assert!(
        out.status.success(),
        "entente {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// issuer add (with the SSRF guard), trust-rule set/disable, client create with federation
/// grants, exchange explain and token revoke, acting on a running server.
/// The sandbox audience the federation verbs are tried on.
const SBX: &str = "https://sandbox.orders.example.test";

async fn federation_verbs_drive_a_running_server(s: &TestServer) {
    use serde_json::json;
    s.seed().await;
    // In sandbox, trust rules apply at once (in production they are change requests); a partner
    // in the sandbox stage has sandbox clients, for sandbox audiences.
    tokio::task::block_in_place(|| {
        entente_ok(
            s,
            &["partner", "stage", "--partner", "acme", "--to", "sandbox"],
        );
        entente_ok(
            s,
            &[
                "audience",
                "create",
                "--identifier",
                SBX,
                "--scopes",
                "orders:read orders:write",
                "--environment",
                "sandbox",
            ],
        );
        entente_ok(
            s,
            &[
                "grant",
                "set",
                "--partner",
                "acme",
                "--audience",
                SBX,
                "--scopes",
                "orders:read orders:write",
            ],
        );
    });
    let idp = fed::Idp::new(fed::IDP);
    let dir = tempfile_dir();
    let jwks_file = format!("{dir}/acme-idp.json");
    std::fs::write(&jwks_file, &idp.jwks).unwrap();
    tokio::task::block_in_place(|| {
        // E40: internal or plain-http JWKS URLs are refused at registration.
        for bad in [
            "http://idp.acme.test/jwks",
            "https://169.254.169.254/latest/meta-data",
            "https://127.0.0.1/jwks",
            "https://[::1]/jwks",
            "https://10.1.2.3/jwks",
            "https://localhost/jwks",
            "file:///etc/passwd",
        ] {
            let out = entente_raw(
                s,
                &[
                    "issuer",
                    "add",
                    "--partner",
                    "acme",
                    "--issuer",
                    fed::IDP,
                    "--jwks-uri",
                    bad,
                ],
            );
            assert!(!out.status.success(), "{bad} was accepted");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("--jwks-uri"),
                "{bad}"
            );
        }
        let i = entente_ok(
            s,
            &[
                "issuer",
                "add",
                "--partner",
                "acme",
                "--issuer",
                fed::IDP,
                "--jwks-file",
                &jwks_file,
            ],
        );
        assert!(i["id"].as_str().unwrap().starts_with("ti_"));
        let r = entente_ok(
            s,
            &[
                "trust-rule",
                "set",
                "--partner",
                "acme",
                "--issuer",
                fed::IDP,
                "--audience",
                SBX,
                "--scopes",
                "orders:read",
                "--claims",
                "email",
            ],
        );
        assert_eq!(r["scopes"], "orders:read");
    });
    let c = tokio::task::block_in_place(|| {
        entente_ok(
            s,
            &[
                "client",
                "create",
                "--partner",
                "acme",
                "--name",
                "gateway",
                "--scopes",
                "orders:read",
                "--grant-types",
                &format!("client_credentials {}", fed::TX),
            ],
        )
    });
    let creds = Creds {
        id: c["client_id"].as_str().unwrap().into(),
        secret: c["client_secret"].as_str().unwrap().into(),
    };
    let rs = s.resource_server(SBX).await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let pt = idp.access_token(&s.base, "alice", json!({"email": "alice@acme.test"}));
    let form = [
        ("subject_token", pt.as_str()),
        ("subject_token_type", fed::AT),
        ("audience", SBX),
    ];
    let issued = fed::exchange_ok_at(s, "/sandbox", &creds, &form).await;
    let at = issued["access_token"].as_str().unwrap().to_owned();
    assert_eq!(s.introspect_at("/sandbox", &rs, &at).await["active"], true);

    // Explain: allowed with a trace, and a denial that says why.
    let request = format!("{dir}/request.json");
    let mut body = json!({"client_id": creds.id, "grant_type": fed::TX, "subject_token": pt,
                          "subject_token_type": fed::AT, "audience": SBX});
    std::fs::write(&request, body.to_string()).unwrap();
    let e =
        tokio::task::block_in_place(|| entente_ok(s, &["exchange", "explain", "--file", &request]));
    assert_eq!(e["allowed"], true, "{e}");
    assert_eq!(e["granted"]["scope"], "orders:read");
    assert!(
        e["trace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["step"] == "trust_rule" && t["outcome"] == "pass")
    );
    body["audience"] = json!(common::OTHER_API);
    std::fs::write(&request, body.to_string()).unwrap();
    let e =
        tokio::task::block_in_place(|| entente_ok(s, &["exchange", "explain", "--file", &request]));
    assert_eq!(e["allowed"], false);
    assert_eq!(e["error"], "invalid_target");

    // The same user under a pairwise rule: the token's lineage key is per audience.
    tokio::task::block_in_place(|| {
        entente_ok(
            s,
            &[
                "trust-rule",
                "set",
                "--partner",
                "acme",
                "--issuer",
                fed::IDP,
                "--audience",
                SBX,
                "--scopes",
                "orders:read",
                "--pairwise-subject",
            ],
        );
    });
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let pairwise = fed::exchange_ok_at(s, "/sandbox", &creds, &form).await;
    let pw_at = pairwise["access_token"].as_str().unwrap().to_owned();
    assert!(
        fed::claims_of(&pw_at)["sub"]
            .as_str()
            .unwrap()
            .starts_with("pw_")
    );
    assert_eq!(
        s.introspect_at("/sandbox", &rs, &pw_at).await["active"],
        true
    );

    // Revoking the partner's user reaches the running server within a second.
    tokio::task::block_in_place(|| {
        entente_ok(
            s,
            &[
                "token",
                "revoke",
                "--subject-issuer",
                fed::IDP,
                "--subject",
                "alice",
            ],
        );
    });
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(
        s.introspect_at("/sandbox", &rs, &at).await,
        json!({"active": false})
    );
    assert_eq!(
        s.introspect_at("/sandbox", &rs, &pw_at).await,
        json!({"active": false})
    );

    // Disabling the issuer stops its tokens under every rule; enabling brings them back.
    let fresh = idp.access_token(&s.base, "bob", json!({}));
    let fresh_form = [
        ("subject_token", fresh.as_str()),
        ("subject_token_type", fed::AT),
        ("audience", SBX),
    ];
    tokio::task::block_in_place(|| {
        entente_ok(
            s,
            &[
                "issuer",
                "disable",
                "--partner",
                "acme",
                "--issuer",
                fed::IDP,
            ],
        )
    });
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(
        fed::exchange_at(s, "/sandbox", &creds, &fresh_form)
            .await
            .status(),
        400
    );
    tokio::task::block_in_place(|| {
        entente_ok(
            s,
            &[
                "issuer",
                "enable",
                "--partner",
                "acme",
                "--issuer",
                fed::IDP,
            ],
        )
    });
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    fed::exchange_ok_at(s, "/sandbox", &creds, &fresh_form).await;

    // Disabling the rule stops exchanges within a second.
    let rules =
        tokio::task::block_in_place(|| entente_ok(s, &["trust-rule", "list", "--partner", "acme"]));
    let id = rules[0]["id"].as_str().unwrap().to_owned();
    tokio::task::block_in_place(|| entente_ok(s, &["trust-rule", "disable", "--id", &id]));
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let r = fed::exchange_at(s, "/sandbox", &creds, &fresh_form).await;
    assert_eq!(r.status(), 400);
}

fn tempfile_dir() -> String {
    let d = std::env::temp_dir().join(format!(
        "entente-cli-{}",
        entente_domain::secret::random_token(6)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d.display().to_string()
}

on_both!(federation_verbs_drive_a_running_server);

/// Issue 8, the kill switch: `entente partner suspend` refuses the partner's clients new tokens
/// and makes every outstanding token inactive at introspection within a second; only allowed
/// stage changes pass; `reactivate` restores issuance while the old tokens stay revoked; each
/// step is audited, with the reason and the notice to the partner's contacts.
async fn suspending_a_partner_stops_its_tokens(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let old = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.introspect(&rs, &old).await["active"], true);

    let refused = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &["partner", "stage", "--partner", "acme", "--to", "applied"],
        )
    });
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("cannot move from production to applied")
    );

    let v = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner",
                "suspend",
                "--partner",
                "acme",
                "--reason",
                "contract breach",
            ],
        )
    });
    assert_eq!(v["stage"], "suspended");
    // The background change feed applies it (no explicit refresh here): within a second.
    let started = std::time::Instant::now();
    loop {
        let inactive = s.introspect(&rs, &old).await["active"] == false;
        let r = s
            .post_form(
                "/oauth2/token",
                Some(&c),
                &[("grant_type", "client_credentials"), ("resource", API)],
            )
            .await;
        if inactive && r.status() == 401 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "suspension not effective within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A token a lagging replica signed after the suspension's mark (its iat is later) is not
    // covered by the mark: the partner's state refuses it all the same, and reactivation marks
    // again, so it never comes back to life.
    let claims = entente_domain::token::client_credentials_claims(
        &s.state.issuer,
        &c.id,
        "acme",
        &entente_domain::grant::Issuance {
            audience: API.into(),
            scope: entente_domain::ScopeSet::parse("orders:read").unwrap(),
            lifetime: 300,
        },
        "lagging-replica-token".into(),
        entente_server::state::now() + 1,
    );
    let lagging = entente_server::oauth::issue::sign(
        &s.state,
        entente_domain::environment::Environment::Production,
        &claims,
    )
    .unwrap();
    assert_eq!(s.introspect(&rs, &lagging).await["active"], false);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Reactivation restores access: it waits for a different administrator.
    let refused = tokio::task::block_in_place(|| {
        entente_raw(s, &["partner", "reactivate", "--partner", "acme"])
    });
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("needs a different administrator"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Filed on behalf of a console user, who then cannot approve it.
    let hash = entente_domain::password::hash_password("correct horse battery staple").unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "olga@example.test",
            hash,
            entente_store::enums::Role::Operator,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let anonymous = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &[
                "partner",
                "reactivate",
                "--partner",
                "acme",
                "--request-approval",
            ],
        )
    });
    assert!(!anonymous.status.success());
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("--as EMAIL"));
    let v = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner",
                "reactivate",
                "--partner",
                "acme",
                "--request-approval",
                "--as",
                "olga@example.test",
                "--reason",
                "breach remedied",
            ],
        )
    });
    assert_eq!(
        v["change_request"]["requested_by"],
        "admin:olga@example.test"
    );
    let id = v["change_request"]["id"].as_i64().unwrap();
    assert_eq!(v["change_request"]["status"], "pending");
    assert_eq!(v["change_request"]["reason"], "breach remedied");
    let listed = tokio::task::block_in_place(|| {
        entente(
            s,
            &["change", "list", "--status", "pending", "--partner", "acme"],
        )
    });
    assert_eq!(listed[0]["id"], id);
    assert_eq!(
        s.state.store.partner_by_slug("acme").await.unwrap().stage,
        entente_store::enums::PartnerStage::Suspended
    );
    s.state
        .store
        .decide_change_request(
            &entente_store::Actor::new("admin:approver@example.test"),
            true,
            id,
            entente_domain::governance::Decision::Approve,
            "remedied",
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let v = tokio::task::block_in_place(|| entente(s, &["partner", "list"]));
    assert_eq!(v[0]["stage"], "production");
    // The audit log from the command line: the suspension with its reason, the request, the
    // approval; and the same as CSV.
    let events = tokio::task::block_in_place(|| {
        entente(s, &["audit", "list", "--partner", "acme", "--since", "1h"])
    });
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "partner.suspend",
        "change_request.file",
        "change_request.approve",
        "partner.reactivate",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let suspend = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "partner.suspend")
        .unwrap();
    assert_eq!(suspend["details"]["reason"], "contract breach");
    let csv = tokio::task::block_in_place(|| {
        entente_raw(s, &["audit", "list", "--partner", "acme", "--csv"])
    });
    assert!(csv.status.success());
    assert!(String::from_utf8_lossy(&csv.stdout).starts_with("id,at,actor,action,target,partner"));
    s.refresh().await;
    // Tokens issued in the suspension's second would still count as revoked: step past it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.introspect(&rs, &fresh).await["active"], true);
    assert_eq!(
        s.introspect(&rs, &old).await["active"],
        false,
        "tokens revoked by the suspension stay revoked"
    );
    assert_eq!(
        s.introspect(&rs, &lagging).await["active"],
        false,
        "a token signed during the suspension stays dead after reactivation"
    );

    use sea_orm::{EntityTrait, QueryOrder};
    let actions: Vec<(String, String)> = entente_store::entities::audit_event::Entity::find()
        .order_by_asc(entente_store::entities::audit_event::Column::Id)
        .all(s.state.store.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.target == "partner:acme")
        .map(|e| (e.action, e.details))
        .collect();
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert!(
        names.ends_with(&["partner.suspend", "partner.notice", "partner.reactivate"]),
        "{names:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "partner.suspend" && d.contains("contract breach"))
    );
}

on_both!(suspending_a_partner_stops_its_tokens);
