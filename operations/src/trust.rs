//! Trust: the identity providers whose tokens a partner brings (trusted issuers) and the rules
//! saying what those tokens may be exchanged for. Turning one off applies at once; turning it
//! back on restores access, so it is submitted for approval.

use std::collections::{HashMap, HashSet};

use entente_domain::ScopeSet;
use entente_domain::federation::rules::{TokenKind, parse_claim_passes};
use entente_store::entities::trusted_issuer;
use entente_store::enums::EnvironmentColumn;
use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
use entente_store::governance::Change;

use crate::actor::{Actor, Kind};
use crate::error::OpError;
use crate::governance::Outcome;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

impl Operations {
    /// Registers a partner's identity provider (`partner`: its slug; `None`, the acting
    /// partner user's own). Its keys: exactly one of a JWKS URL (checked against the SSRF
    /// rules now) and a pasted JWKS.
    pub async fn add_trusted_issuer(
        &self,
        actor: &Actor,
        partner: Option<&str>,
        mut new: NewTrustedIssuer,
        now: i64,
    ) -> Result<trusted_issuer::Model, OpError> {
        let p = self.partner_named(actor, partner).await?;
        authorize(actor, Operation::AddTrustedIssuer, Target::Partner(&p))?;
        new.issuer = new.issuer.trim().to_owned();
        if matches!(actor.kind(), Kind::Partner { .. }) && new.issuer == self.test_idp_issuer {
            return Err(OpError::Invalid(
                "that is the sandbox test IdP: use \"Trust the sandbox test IdP\"".into(),
            ));
        }
        let blank = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        match (blank(new.jwks_uri.take()), blank(new.jwks.take())) {
            (Some(u), None) => {
                new.jwks_uri = Some(
                    self.check_jwks_uri(&u)
                        .await
                        .map_err(|e| OpError::Invalid(format!("jwks_uri: {e}")))?,
                );
            }
            (None, Some(j)) => new.jwks = Some(j),
            (None, None) => {
                return Err(OpError::Invalid(
                    "give a JWKS URL or paste the issuer's JWKS".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(OpError::Invalid(
                    "give either a JWKS URL or a pasted JWKS, not both".into(),
                ));
            }
        }
        let m = self
            .store
            .create_trusted_issuer(actor.audit(), &p.slug, new, now)
            .await?;
        self.publish().await;
        Ok(m)
    }

    /// Whether a trusted issuer's access tokens are typed `JWT` rather than `at+jwt`.
    pub async fn set_issuer_typed_jwt(
        &self,
        actor: &Actor,
        partner: &str,
        issuer: &str,
        typed_jwt: bool,
        now: i64,
    ) -> Result<trusted_issuer::Model, OpError> {
        let p = self.store.partner_by_slug(partner).await?;
        authorize(actor, Operation::UpdateTrustedIssuer, Target::Partner(&p))?;
        let m = self
            .store
            .set_issuer_access_tokens_typed_jwt(actor.audit(), partner, issuer, typed_jwt, now)
            .await?;
        self.publish().await;
        Ok(m)
    }

    /// Turns a partner's trusted issuer off (at once) or on (submitted for approval).
    pub async fn set_issuer_enabled(
        &self,
        actor: &Actor,
        partner: &str,
        issuer: &str,
        enabled: bool,
        reason: &str,
        now: i64,
    ) -> Result<Outcome, OpError> {
        if enabled {
            let change = Change::EnableIssuer {
                partner: partner.to_owned(),
                issuer: issuer.to_owned(),
            };
            return self.submit(actor, change, reason, true, now).await;
        }
        let p = self.store.partner_by_slug(partner).await?;
        authorize(actor, Operation::SetIssuerEnabled, Target::Partner(&p))?;
        self.store
            .set_trusted_issuer_enabled(actor.audit(), partner, issuer, false, now)
            .await?;
        self.publish().await;
        Ok(Outcome::Applied { id: None })
    }

    /// Turns a trust rule off (at once) or on (submitted for approval).
    pub async fn set_trust_rule_enabled(
        &self,
        actor: &Actor,
        rule_id: &str,
        enabled: bool,
        reason: &str,
        now: i64,
    ) -> Result<Outcome, OpError> {
        let change = Change::EnableTrustRule {
            rule_id: rule_id.to_owned(),
        };
        if enabled {
            return self.submit(actor, change, reason, true, now).await;
        }
        let p = self.partner_of_change(&change).await?;
        authorize(actor, Operation::SetTrustRuleEnabled, Target::Partner(&p))?;
        self.store
            .set_trust_rule_enabled(actor.audit(), rule_id, false, now)
            .await?;
        self.publish().await;
        Ok(Outcome::Applied {
            id: Some(rule_id.to_owned()),
        })
    }

    /// Registers the sandbox test IdP (whose public keys are `jwks`) for the acting partner
    /// user's partner, with a rule on each sandbox API it holds scopes on: its tokens (for
    /// made-up users) may be exchanged there for those scopes, passing `email`. Sandbox only.
    /// Rules that exist stay as they are. The number of rules added.
    pub async fn trust_test_idp(
        &self,
        actor: &Actor,
        jwks: String,
        now: i64,
    ) -> Result<usize, OpError> {
        let p = self.partner_named(actor, None).await?;
        authorize(actor, Operation::TrustTestIdp, Target::Partner(&p))?;
        let issuer = self.test_idp_issuer.clone();
        // Checked before anything is written: no half-done trust on a refusal.
        let grants = self.grants_in(&p.id, EnvironmentColumn::Sandbox).await?;
        if grants.is_empty() {
            return Err(OpError::Invalid(
                "you hold no scopes on a sandbox API yet: ask for some under Requests".into(),
            ));
        }
        let registered = self
            .store
            .list_trusted_issuers(Some(&p.id))
            .await?
            .into_iter()
            .find(|i| i.issuer == issuer);
        if registered.is_none() {
            let mut new = NewTrustedIssuer::new(issuer.clone(), self.issuer.clone());
            new.jwks = Some(jwks);
            new.kinds = vec![TokenKind::AccessToken, TokenKind::Assertion];
            self.store
                .create_trusted_issuer(actor.audit(), &p.slug, new, now)
                .await?;
        }
        let ruled: HashSet<String> = match &registered {
            Some(i) => self
                .store
                .list_trust_rules(Some(&p.id))
                .await?
                .into_iter()
                .filter(|r| r.issuer_id == i.id)
                .map(|r| r.audience_id)
                .collect(),
            None => HashSet::new(),
        };
        let audience_ids: HashMap<String, String> = self
            .store
            .list_audiences()
            .await?
            .into_iter()
            .map(|(a, _)| (a.identifier, a.id))
            .collect();
        let mut added = 0;
        for (audience, scopes) in &grants {
            if audience_ids
                .get(audience)
                .is_some_and(|id| ruled.contains(id))
            {
                continue;
            }
            added += 1;
            let mut rule = NewTrustRule::new(ScopeSet::from_tokens(scopes.split_whitespace()));
            rule.claims = parse_claim_passes("email").map_err(OpError::Invalid)?;
            self.store
                .set_trust_rule(actor.audit(), &p.slug, &issuer, audience, rule, now)
                .await?;
        }
        self.publish().await;
        Ok(added)
    }
}
