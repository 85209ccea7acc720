//! Issue 23 (security case G49): one test walks every operation (`Operation::ALL`, so a new one
//! cannot be missed) × every kind of caller and role × an ordinary and a reserved target,
//! through every door that offers it — the console's and the portal's server functions, the
//! admin API — and checks the one policy table: allowed where it says (not 401/403, never a
//! 5xx), refused elsewhere (401 signed out, 403 or 404) with nothing written. The CLI is the
//! host's door; every host-only operation must have its command. What each door is sent is in
//! the submodule `requests`.

use std::collections::BTreeSet;

use entente_operations::{Actor as OpActor, Kind, Operation, Target, authorize};
use entente_store::enums::Role;
use serde_json::{Value, json};

use crate::common::{API, Creds, TestServer};
use crate::console::{session, sign_in};
use crate::host_only::{api_client, api_token};
use entente_server::state::now;

mod requests;

use requests::{body, form, ill_formed};

crate::on_both!(every_operation_follows_the_policy_table_through_every_door);

const V1: &str = "/admin/api/v1";
const PASSWORD: &str = "correct horse battery staple";

/// Who calls, as the door sees them and as the policy table does.
struct Caller {
    label: String,
    /// The policy's view (`None`: nobody signed in).
    acting: Option<OpActor>,
    cookie: Option<String>,
    token: Option<String>,
}

/// What a request acts on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carries {
    /// Nothing of one partner's.
    Nothing,
    /// A partner named in the request.
    Partner,
    /// A client named in the request (its partner is the target).
    Client,
}

/// Server functions the portal's door serves (partner users only); the rest are the console's.
fn portal_door(name: &str) -> bool {
    name.starts_with("portal_")
        || matches!(
            name,
            "mint_test_token" | "playground" | "try_token" | "tester_credentials"
        )
}

fn console_carries(name: &str) -> Carries {
    match name {
        "create_client"
        | "move_partner_stage"
        | "suspend_partner"
        | "reactivate_partner"
        | "set_partner_grant"
        | "save_partner_record"
        | "accept_questionnaire"
        | "check_issuer_keys"
        | "invite_partner_user"
        | "set_partner_tester_clients"
        | "add_trusted_issuer"
        | "set_trust_rule"
        | "set_issuer_state"
        | "set_issuer_typed_jwt"
        | "set_limit"
        | "onboarding"
        | "partner_grants"
        | "partner_team"
        | "list_clients" => Carries::Partner,
        "portal_rotate_secret"
        | "client_detail"
        | "console_update_client"
        | "console_rotate_secret"
        | "console_set_client_keys"
        | "console_set_client_enabled"
        | "portal_set_client_keys"
        | "portal_set_client_enabled"
        | "portal_validate_token"
        | "try_token" => Carries::Client,
        _ => Carries::Nothing,
    }
}

fn api_carries(route: &str) -> Carries {
    if route.contains("{partner}") {
        Carries::Partner
    } else if route.contains("{client_id}") {
        Carries::Client
    } else {
        Carries::Nothing
    }
}

async fn audit_count(s: &TestServer) -> usize {
    s.state
        .store
        .recent_audit_events(100_000)
        .await
        .unwrap()
        .len()
}

/// What the policy table says, through this door: the door admits its kind of caller, the
/// table decides the rest.
/// Read at each call: an earlier call may have suspended a partner.
async fn expected(
    s: &TestServer,
    caller: &Caller,
    op: Operation,
    door_admits: impl Fn(&OpActor) -> bool,
    target: Option<&str>,
) -> bool {
    if entente_operations::policy::rule(op).anybody {
        return true;
    }
    let Some(acting) = &caller.acting else {
        return false;
    };
    if !door_admits(acting) || !entente_operations::policy::offers(acting, op) {
        return false;
    }
    let store = &s.state.store;
    let partner = match (target, acting.partner_id()) {
        (Some(slug), _) => Some(store.partner_by_slug(slug).await.unwrap()),
        (None, Some(pid)) => Some(store.partner_by_id(pid).await.unwrap()),
        (None, None) => None,
    };
    let target = partner.as_ref().map_or(Target::Global, Target::Partner);
    authorize(acting, op, target).is_ok()
}

async fn every_operation_follows_the_policy_table_through_every_door(s: &TestServer) {
    s.seed().await;
    let store = &s.state.store;
    // The reserved target: the host-only partner holding the admin API's clients, as the
    // CLI makes it, with a client of each role.
    let owner = session(s, "owner@walk.example", Role::Admin).await;
    let _ = owner;
    let bots: Vec<(Role, Creds)> = [
        (Role::Admin, "admin"),
        (Role::Operator, "operator"),
        (Role::Auditor, "auditor"),
    ]
    .into_iter()
    .map(|(r, name)| {
        (
            r,
            api_client(s, &format!("{name}-bot"), name, "owner@walk.example"),
        )
    })
    .collect();
    s.refresh().await;
    let acme_client = s.secret_client("acme", "orders:read").await;
    let operations = store.partner_by_slug("operations").await.unwrap();
    assert!(operations.host_only);

    let mut callers = vec![Caller {
        label: "signed out".into(),
        acting: None,
        cookie: None,
        token: None,
    }];
    let trail = || entente_store::Actor::new("walk");
    for role in [Role::Admin, Role::Operator, Role::Auditor] {
        let email = format!("{role}@walk.example");
        let cookie = session(s, &email, role).await;
        let id = store.admin_by_email(&email).await.unwrap().unwrap().id;
        callers.push(Caller {
            label: format!("console {role}"),
            acting: Some(OpActor::console(id, email, role, trail())),
            cookie: Some(cookie),
            token: None,
        });
    }
    for (role, creds) in &bots {
        let token = api_token(s, creds, &format!("entente:{role}")).await;
        callers.push(Caller {
            label: format!("API client {role}"),
            acting: Some(OpActor::api_client(creds.id.clone(), *role, trail())),
            cookie: None,
            token: Some(token),
        });
    }
    // A partner's people: acme's, globex's (another partner: G50) and one of `operations`
    // (made before it was host-only, as an upgrade may find one).
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
    for (slug, roles) in [
        (
            "acme",
            vec![Role::PartnerAdmin, Role::PartnerViewer, Role::SandboxTester],
        ),
        ("globex", vec![Role::PartnerAdmin]),
        ("operations", vec![Role::PartnerAdmin]),
    ] {
        let p = store.partner_by_slug(slug).await.unwrap();
        for role in roles {
            let email = format!("{role}@{slug}.example");
            let u = store
                .create_partner_user(
                    &entente_store::Actor::host("walk"),
                    &p,
                    &email,
                    hash.clone(),
                    role,
                    now(),
                )
                .await
                .unwrap();
            let cookie = sign_in(s, &email, PASSWORD).await;
            callers.push(Caller {
                label: format!("{slug} {role}"),
                acting: Some(OpActor::partner(u.id, email, role, p.id.clone(), trail())),
                cookie: Some(cookie),
                token: None,
            });
        }
    }
    let targets = [
        ("acme", acme_client.id.clone()),
        ("operations", bots[0].1.id.clone()),
    ];

    // Every door's routes, each with its operation; every operation has a door.
    let server_fns: Vec<(String, &'static str, Operation)> = crate::console::server_fns()
        .into_iter()
        .map(|(path, _)| {
            let tail = path.trim_start_matches("/api/");
            let (name, op) = app::ssr::routes::SERVER_FNS
                .iter()
                .filter(|(n, _)| {
                    tail.strip_prefix(*n).is_some_and(|rest| {
                        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
                    })
                })
                .max_by_key(|(n, _)| n.len())
                .copied()
                .unwrap_or_else(|| panic!("{path} performs no declared operation (G49)"));
            (path.to_owned(), name, op)
        })
        .collect();
    let api_routes: Vec<(String, Operation)> = entente_server::admin_api::route_keys()
        .into_iter()
        .map(|r| {
            let op = entente_server::admin_api::routes::operation(&r)
                .unwrap_or_else(|| panic!("{r} performs no declared operation (G49)"));
            (r, op)
        })
        .collect();
    let mut doorless = BTreeSet::new();
    for op in Operation::ALL {
        let served = server_fns.iter().any(|(_, _, o)| o == op)
            || api_routes.iter().any(|(_, o)| o == op)
            || entente_server::cli::OPERATIONS.iter().any(|(_, o)| o == op);
        if !served {
            doorless.insert(op.name());
        }
        let rule = entente_operations::policy::rule(*op);
        if rule.staff.is_empty() && rule.partner.is_empty() && !rule.anybody {
            assert!(
                entente_server::cli::OPERATIONS.iter().any(|(_, o)| o == op),
                "{} is the host's: the CLI must offer it",
                op.name()
            );
        }
    }
    assert!(
        doorless.is_empty(),
        "operations no door offers: {doorless:?}"
    );

    let http = reqwest::Client::new();
    let mut calls = 0;
    for (target_slug, target_client) in &targets {
        let reserved = *target_slug == "operations";
        // Server functions.
        for (path, name, op) in &server_fns {
            // Signing in answers 401 to a wrong password, signing out ends the session the
            // walk uses: both are the console tests'.
            if matches!(*name, "logout" | "login") {
                continue;
            }
            let carries = console_carries(name);
            if reserved && carries == Carries::Nothing {
                continue;
            }
            let target = (carries != Carries::Nothing).then_some(*target_slug);
            for c in &callers {
                let portal = portal_door(name);
                let allowed = expected(
                    s,
                    c,
                    *op,
                    |a| {
                        if portal {
                            matches!(a.kind(), Kind::Partner { .. })
                        } else {
                            matches!(a.kind(), Kind::Console { .. })
                        }
                    },
                    target,
                )
                .await;
                let before = audit_count(s).await;
                let mut fields = form(target_slug, target_client);
                if !allowed {
                    // Keys nobody could use, an overlap out of range, scopes and claims that
                    // do not parse: still 403 or 404.
                    for (k, v) in &mut fields {
                        match *k {
                            "jwks" => v.clear(),
                            "overlap" => *v = "99999999".into(),
                            "scopes" => *v = "not a scope!".into(),
                            "claims" => *v = "=".into(),
                            _ => {}
                        }
                    }
                }
                let mut r = http
                    .post(s.url(path))
                    .header("origin", &s.base)
                    .form(&fields);
                if let Some(cookie) = &c.cookie {
                    r = r.header("cookie", cookie);
                }
                let got = r.send().await.unwrap().status().as_u16();
                calls += 1;
                check(
                    s,
                    &format!("{name} as {} on {target_slug}", c.label),
                    *op,
                    c.cookie.is_some(),
                    allowed,
                    got,
                    before,
                )
                .await;
            }
        }
        // The admin API.
        for (route, op) in &api_routes {
            let carries = api_carries(route);
            if reserved && carries == Carries::Nothing {
                continue;
            }
            let target = (carries != Carries::Nothing).then_some(*target_slug);
            let (method, path) = route.split_once(' ').unwrap();
            let url = path
                .replace("{partner}", target_slug)
                .replace("{client_id}", target_client)
                .replace("{id}", "0")
                .replace("{kid}", "k_none")
                .replace("{rule}", "tr_none")
                .replace("{name}", "walk-tier")
                .replace("{email}", "nobody@example.test");
            for c in &callers {
                // The live stream answers 200 and stays open: its refusals are walked, its
                // acceptance is the usage tests'.
                let allowed = expected(
                    s,
                    c,
                    *op,
                    |a| matches!(a.kind(), Kind::Console { .. } | Kind::ApiClient { .. }),
                    target,
                )
                .await;
                if route.ends_with("/usage/live") && allowed {
                    continue;
                }
                let before = audit_count(s).await;
                let mut r = http
                    .request(method.parse().unwrap(), s.url(&url))
                    .header("origin", &s.base);
                if let Some(cookie) = &c.cookie {
                    r = r.header("cookie", cookie);
                }
                if let Some(token) = &c.token {
                    r = r.bearer_auth(token);
                }
                let b = match allowed {
                    true => body(route, target_client),
                    false => ill_formed(route).or_else(|| body(route, target_client)),
                };
                if let Some(b) = b {
                    r = r.json(&b);
                }
                let got = r.send().await.unwrap().status().as_u16();
                calls += 1;
                check(
                    s,
                    &format!("{route} as {} on {target_slug}", c.label),
                    *op,
                    c.cookie.is_some() || c.token.is_some(),
                    allowed,
                    got,
                    before,
                )
                .await;
            }
        }
    }
    assert!(calls > 1_000, "the walk made {calls} calls");
    // The reserved partner is as the host left it.
    let after = store.partner_by_slug("operations").await.unwrap();
    assert_eq!(after.stage, operations.stage);
    assert!(after.host_only);
}

/// `known`: the caller carries what this door reads (a session cookie; for the admin API, a
/// cookie or a bearer token); a door that cannot see who calls answers 401.
async fn check(
    s: &TestServer,
    what: &str,
    op: Operation,
    known: bool,
    allowed: bool,
    got: u16,
    before: usize,
) {
    assert!(got < 500, "{what}: {got}");
    if allowed {
        assert!(
            got != 403 && got != 401,
            "{what} is allowed ({}): {got}",
            op.name()
        );
        return;
    }
    if !known {
        // Public routes (signing in, applying) answer for themselves; the rest ask who calls.
        if !entente_operations::policy::rule(op).anybody {
            assert_eq!(got, 401, "{what} signed out");
        }
    } else {
        assert!(
            got == 403 || got == 404,
            "{what} is refused by the policy ({}): {got}",
            op.name()
        );
    }
    assert_eq!(audit_count(s).await, before, "{what} wrote nothing");
}
