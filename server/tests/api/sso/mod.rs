//! Federated sign-in of partner users through npm oidc-provider acting as the partner's own
//! OpenID Connect provider (authorization code + PKCE), over real HTTP: the partner admin sets
//! the provider up in the portal; an invited member signs in through it and lands in the
//! portal as themselves; a stranger is refused unless the connection lets their domain join;
//! a console user's address never signs in this way (G51); a forged state is refused. This
//! module holds what its submodules share: a cookie jar, the npm provider, the partner `wonka`.

use entente_domain::lifecycle::Stage;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::catalog::NewPartner;
use entente_store::enums::Role;

use crate::common::TestServer;
use crate::console::{call, session};
use crate::portal::partner_session;

mod oidc_provider;
mod scripted;

const SECRET: &str = "wonka-sso-secret-0123456789abcdef0123456789";

/// A tiny cookie jar: name → value, sent to every path of one host.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let first = v.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

struct Provider {
    _child: tokio::process::Child,
    issuer: String,
}

async fn provider(s: &TestServer) -> Provider {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/partner-sso.mjs");
    assert!(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../interop/node_modules/oidc-provider"
        ))
        .exists(),
        "interop/node_modules is missing: run `make setup` (npm ci in interop/)"
    );
    let child = tokio::process::Command::new("node")
        .args([
            script,
            &port.to_string(),
            &format!("{}/login/sso/callback", s.base),
            SECRET,
        ])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed");
    let issuer = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .is_ok()
        {
            return Provider {
                _child: child,
                issuer,
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("oidc-provider did not start");
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no location on {}", r.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

async fn wonka(s: &TestServer) {
    s.seed().await;
    s.state
        .store
        .create_partner(
            &Actor::new("test"),
            NewPartner {
                slug: "wonka".into(),
                name: "Wonka".into(),
                stage: Stage::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
}
