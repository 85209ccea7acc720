//! The federation verbs (issuers, trust rules, federation clients, explain, revoke) driving a
//! running server.

use super::*;

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
