//! The real `entente` binary: catalog commands with JSON output act on a running server within a
//! second, and bad configuration stops start-up with a sentence naming the variable. This module
//! holds the ways of running the binary that its submodules (and other modules) share.

use crate::common::{self, API, Creds, TestServer};
use crate::fed;
use std::process::Command;

mod audit_chain;
mod catalog;
mod configuration;
mod federation;

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
