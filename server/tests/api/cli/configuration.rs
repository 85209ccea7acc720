//! The binary's configuration and help: an invalid setting names its variable, `serve --help`
//! lists every variable, subcommands show only their options, the master key file is private.

use super::*;

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
