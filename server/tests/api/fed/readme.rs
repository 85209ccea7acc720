//! Runs the README's "Token exchange patterns" blocks with bash, curl and jq, as written.

use serde_json::json;

use super::*;

crate::on_both!(readme_token_exchange_patterns_run);

fn readme_blocks() -> Vec<String> {
    let text = include_str!("../../../../README.md");
    let start = text
        .find("## Token exchange patterns")
        .expect("README has the section");
    let section = &text[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    section[..end]
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or("").to_owned())
        .collect()
}

pub async fn readme_token_exchange_patterns_run(s: &TestServer) {
    let f = setup(s).await;
    set_rule(s, API, "orders:read orders:write", |r| {
        r.delegation = true;
        r.max_depth = 2;
    })
    .await;
    let blocks = readme_blocks();
    assert_eq!(
        blocks.len(),
        4,
        "impersonation, delegation, down-scoping, jwt-bearer"
    );
    for (i, block) in blocks.iter().enumerate() {
        let n = now();
        let partner = f
            .idp
            .access_token(&s.base, "alice", json!({"groups": ["admins"]}));
        let agent = f.idp.access_token(&s.base, "agent-1", json!({}));
        let assertion = f.idp.sign(None, json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 120, "jti": uuid()}));
        let out = tokio::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", block])
            .env("ENTENTE", &s.base)
            .env("CLIENT_ID", &f.client.id)
            .env("CLIENT_SECRET", &f.client.secret)
            .env("PARTNER_TOKEN", partner)
            .env("AGENT_TOKEN", agent)
            .env("ASSERTION", assertion)
            .output()
            .await
            .expect("bash must be installed");
        assert!(
            out.status.success(),
            "README block {i} failed:\n{block}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
