//! Environments (the type is the shared vocabulary's, `entente_types::environment`): which
//! clients a partner may have at each stage.

pub use entente_types::environment::{Environment, SANDBOX_PATH};

use crate::lifecycle::Stage;

/// A partner may have production clients only once it is in production (promotion is a change
/// request an administrator approves); sandbox clients at any stage before the end.
pub fn check_client_environment(stage: Stage, env: Environment) -> Result<(), String> {
    match (env, stage) {
        (_, Stage::Offboarded) => Err("an offboarded partner cannot have new clients".into()),
        (Environment::Production, Stage::Production) | (Environment::Sandbox, _) => Ok(()),
        (Environment::Production, other) => Err(format!(
            "the partner is in {}: it can have sandbox clients only until it is promoted to production",
            other.as_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_environment_has_its_own_issuer() {
        let base = "https://id.example.com";
        assert_eq!(Environment::Production.issuer(base), base);
        assert_eq!(
            Environment::Sandbox.issuer(base),
            "https://id.example.com/sandbox"
        );
        for e in Environment::ALL {
            assert_eq!(Environment::of_issuer(base, &e.issuer(base)), Some(e));
            assert_eq!(e.as_str().parse::<Environment>(), Ok(e));
        }
        assert_eq!(
            Environment::of_issuer(base, "https://id.example.com/sandboxes"),
            None
        );
        assert_eq!(Environment::of_issuer(base, "https://other.example"), None);
        assert!("staging".parse::<Environment>().is_err());
    }

    #[test]
    fn production_tokens_need_a_partner_in_production() {
        use Stage::*;
        assert!(Environment::Production.issues_at(Production));
        assert!(!Environment::Production.issues_at(Sandbox));
        assert!(Environment::Sandbox.issues_at(Sandbox));
        assert!(Environment::Sandbox.issues_at(Production));
        for s in [Applied, InReview, Suspended, Offboarded] {
            assert!(!Environment::Sandbox.issues_at(s) && !Environment::Production.issues_at(s));
        }
    }

    #[test]
    fn sandbox_partners_have_sandbox_clients_only() {
        use Stage::*;
        assert!(check_client_environment(Sandbox, Environment::Sandbox).is_ok());
        assert!(check_client_environment(Applied, Environment::Sandbox).is_ok());
        assert!(check_client_environment(Sandbox, Environment::Production).is_err());
        assert!(check_client_environment(Production, Environment::Production).is_ok());
        assert!(check_client_environment(Production, Environment::Sandbox).is_ok());
        assert!(check_client_environment(Offboarded, Environment::Sandbox).is_err());
        assert_eq!(Environment::default_for(Sandbox), Environment::Sandbox);
        assert_eq!(
            Environment::default_for(Production),
            Environment::Production
        );
    }
}
