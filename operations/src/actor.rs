//! Who acts: the one description every door builds of its caller before calling an operation.

use entente_store::enums::Role;

/// The kinds of caller the policy table distinguishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Nobody signed in (signing in, the public application form).
    Anonymous,
    /// A console user: an administrator, operator or auditor.
    Console {
        id: String,
        email: String,
        role: Role,
    },
    /// One of a partner's people, acting on their own partner only.
    Partner {
        id: String,
        email: String,
        role: Role,
        partner_id: String,
    },
    /// An admin API client acting with the role its token's scope grants (the administrator who
    /// owns it is looked up where four eyes need a person).
    ApiClient { client_id: String, role: Role },
    /// The host itself: whoever runs the `entente` command on the server's machine.
    Host,
}

/// A caller with the request it came with, for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    kind: Kind,
    audit: entente_store::Actor,
}

impl Actor {
    /// A console user, audited as `admin:<email>`; `trail` carries the request's id, trace and
    /// source (its name is replaced).
    pub fn console(id: String, email: String, role: Role, trail: entente_store::Actor) -> Self {
        let audit = rename(trail, format!("admin:{email}"));
        Self {
            kind: Kind::Console { id, email, role },
            audit,
        }
    }

    /// A partner user of `partner_id`, audited as `portal:<email>`.
    pub fn partner(
        id: String,
        email: String,
        role: Role,
        partner_id: String,
        trail: entente_store::Actor,
    ) -> Self {
        let audit = rename(trail, format!("portal:{email}"));
        Self {
            kind: Kind::Partner {
                id,
                email,
                role,
                partner_id,
            },
            audit,
        }
    }

    /// An admin API client, audited as `api:<client_id>`.
    pub fn api_client(client_id: String, role: Role, trail: entente_store::Actor) -> Self {
        let audit = rename(trail, format!("api:{client_id}"));
        Self {
            kind: Kind::ApiClient { client_id, role },
            audit,
        }
    }

    /// Somebody not signed in, audited under `name` (the e-mail a sign-in tried, an applicant).
    pub fn anonymous(trail: entente_store::Actor) -> Self {
        Self {
            kind: Kind::Anonymous,
            audit: trail,
        }
    }

    /// The host: `audit` must be the store's host actor (only the CLI builds one).
    pub fn host(audit: entente_store::Actor) -> Self {
        let kind = if audit.is_host() {
            Kind::Host
        } else {
            Kind::Anonymous
        };
        Self { kind, audit }
    }

    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The role the caller acts with (`None` signed out or for the host).
    pub fn role(&self) -> Option<Role> {
        match &self.kind {
            Kind::Console { role, .. }
            | Kind::Partner { role, .. }
            | Kind::ApiClient { role, .. } => Some(*role),
            Kind::Anonymous | Kind::Host => None,
        }
    }

    /// The partner a partner user belongs to.
    pub fn partner_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Partner { partner_id, .. } => Some(partner_id),
            _ => None,
        }
    }

    /// The console or partner user's account id (nobody changes their own access).
    pub fn account_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Console { id, .. } | Kind::Partner { id, .. } => Some(id),
            _ => None,
        }
    }

    pub fn is_host(&self) -> bool {
        matches!(self.kind, Kind::Host)
    }

    /// Who the audit trail names, with the request's id, trace and source.
    pub fn audit(&self) -> &entente_store::Actor {
        &self.audit
    }
}

fn rename(trail: entente_store::Actor, name: String) -> entente_store::Actor {
    entente_store::Actor::new(name)
        .with_request_id(trail.request_id)
        .with_trace_id(trail.trace_id)
        .with_source(trail.source)
        .with_caller_request_id(trail.caller_request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_stores_host_actor_makes_a_host() {
        assert!(Actor::host(entente_store::Actor::host("cli:root")).is_host());
        // A name is not enough.
        assert!(!Actor::host(entente_store::Actor::new("cli:root")).is_host());
    }

    #[test]
    fn the_audit_name_says_which_kind_acted() {
        let trail = entente_store::Actor::new("x").with_request_id(Some("r1".into()));
        let a = Actor::console("a1".into(), "a@example.test".into(), Role::Admin, trail);
        assert_eq!(a.audit().name, "admin:a@example.test");
        assert_eq!(a.audit().request_id.as_deref(), Some("r1"));
    }
}
