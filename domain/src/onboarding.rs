//! A partner's record (legal name, agreement, contacts, escalation path) and its onboarding
//! checklist. Promotion to production waits until every item is done.

use serde::{Deserialize, Serialize};

/// How sensitive the data a partner handles is, as the agreement classifies it.
pub const DATA_CLASSES: [&str; 4] = ["public", "internal", "confidential", "restricted"];
/// Contact kinds every partner names.
pub const CONTACT_KINDS: [&str; 3] = ["technical", "security", "business"];
const MAX_ESCALATION: usize = entente_types::escalation::MAX_STEPS;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// A misspelt key is refused, never read as "empty" (which would erase what it names).
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// A misspelt key is refused, never read as "empty" (which would erase what it names).
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contacts {
    pub technical: Contact,
    pub security: Contact,
    pub business: Contact,
}

impl Contacts {
    pub fn by_kind(&self) -> [(&'static str, &Contact); 3] {
        [
            ("technical", &self.technical),
            ("security", &self.security),
            ("business", &self.business),
        ]
    }
}

/// One step of the escalation path, in order: who, how to reach them, when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// A misspelt key is refused, never read as "empty" (which would erase what it names).
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationStep {
    pub name: String,
    pub contact: String,
    /// e.g. "24x7" or "Mon–Fri 08:00–18:00 CET".
    pub hours: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// A misspelt key is refused, never read as "empty" (which would erase what it names).
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agreement {
    pub reference: String,
    /// `YYYY-MM-DD`.
    pub signed_on: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
    /// What the partner may do under it, in the agreement's words.
    pub permitted_operations: String,
    /// One of `DATA_CLASSES`.
    pub data_class: String,
}

/// What an administrator records about a partner. Filled in progressively: empty fields are
/// allowed, filled ones must be well-formed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// A misspelt key is refused, never read as "empty" (which would erase what it names).
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerRecord {
    pub legal_name: String,
    pub agreement: Agreement,
    pub contacts: Contacts,
    pub escalation: Vec<EscalationStep>,
}

pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(format!(
            "{field}: at most {max} characters, without control characters"
        ));
    }
    Ok(())
}

pub(crate) fn email(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let ok = value.len() <= 254
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(format!("{field}: {value:?} is not an e-mail address"))
    }
}

fn phone(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let ok = (6..=20).contains(&digits)
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field}: a phone number is 6–20 digits, with + - ( ) . and spaces allowed"
        ))
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn parse_date(field: &str, value: &str) -> Result<i64, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &fmt)
        // 2 440 588 is the Julian day of 1970-01-01.
        .map(|d| i64::from(d.to_julian_day()) - 2_440_588)
        .map_err(|_| format!("{field}: {value:?} is not a date (YYYY-MM-DD)"))
}

impl PartnerRecord {
    /// Shape checks of what is filled in (completeness is the checklist's business).
    pub fn check(&self) -> Result<(), String> {
        text("legal name", &self.legal_name, 200)?;
        let a = &self.agreement;
        text("agreement reference", &a.reference, 100)?;
        text("permitted operations", &a.permitted_operations, 2000)?;
        let signed = (!a.signed_on.is_empty())
            .then(|| parse_date("signed on", &a.signed_on))
            .transpose()?;
        let expires = (!a.expires_on.is_empty())
            .then(|| parse_date("expires on", &a.expires_on))
            .transpose()?;
        if let (Some(s), Some(e)) = (signed, expires)
            && e <= s
        {
            return Err("the agreement must expire after it was signed".into());
        }
        if !a.data_class.is_empty() && !DATA_CLASSES.contains(&a.data_class.as_str()) {
            return Err(format!(
                "data-handling class is one of {}",
                DATA_CLASSES.join(", ")
            ));
        }
        for (kind, c) in self.contacts.by_kind() {
            text(&format!("{kind} contact name"), &c.name, 200)?;
            email(&format!("{kind} contact e-mail"), &c.email)?;
            phone(&format!("{kind} contact phone"), &c.phone)?;
        }
        if self.escalation.len() > MAX_ESCALATION {
            return Err(format!(
                "the escalation path has at most {MAX_ESCALATION} steps"
            ));
        }
        for (i, s) in self.escalation.iter().enumerate() {
            let n = i + 1;
            if s.name.trim().is_empty() || s.contact.trim().is_empty() || s.hours.trim().is_empty()
            {
                return Err(format!(
                    "escalation step {n} needs a name, a contact and hours"
                ));
            }
            text(&format!("escalation step {n} name"), &s.name, 200)?;
            text(&format!("escalation step {n} contact"), &s.contact, 200)?;
            text(&format!("escalation step {n} hours"), &s.hours, 100)?;
        }
        Ok(())
    }
}

/// What the server found when it fetched the keys of the partner's trusted issuers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerCheck {
    /// The partner has no enabled trusted issuer.
    NoIssuer,
    NotChecked,
    /// Checked before the issuers last changed.
    Outdated,
    Failed(String),
    Passed {
        at: i64,
    },
}

/// Everything the checklist looks at, gathered by the caller.
#[derive(Debug, Clone)]
pub struct Facts {
    pub record: PartnerRecord,
    pub questionnaire_accepted_at: Option<i64>,
    pub issuer_check: IssuerCheck,
    pub first_exchange_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    pub key: String,
    pub label: String,
    pub done: bool,
    /// What is missing, or when it was done.
    pub detail: String,
}

fn item(key: &str, label: &str, missing: Vec<String>, done_detail: String) -> ChecklistItem {
    ChecklistItem {
        key: key.into(),
        label: label.into(),
        done: missing.is_empty(),
        detail: if missing.is_empty() {
            done_detail
        } else {
            missing.join("; ")
        },
    }
}

/// The onboarding checklist as of `now` (seconds since the epoch).
pub fn checklist(f: &Facts, now: i64) -> Vec<ChecklistItem> {
    let a = &f.record.agreement;
    let today = now.div_euclid(86_400);
    let mut agreement = vec![];
    if a.reference.trim().is_empty() {
        agreement.push("no agreement reference".to_owned());
    }
    match parse_date("signed on", &a.signed_on) {
        // A day's grace: where the partner signs, it may already be tomorrow in UTC terms.
        Ok(d) if d > today + 1 => agreement.push("signed in the future".into()),
        Ok(_) => {}
        Err(_) => agreement.push("no signing date".into()),
    }
    match parse_date("expires on", &a.expires_on) {
        // Valid through its expiry date.
        Ok(d) if d < today => agreement.push(format!("expired on {}", a.expires_on)),
        Ok(_) => {}
        Err(_) => agreement.push("no expiry date".into()),
    }
    if a.permitted_operations.trim().is_empty() {
        agreement.push("permitted operations not recorded".into());
    }
    if !DATA_CLASSES.contains(&a.data_class.as_str()) {
        agreement.push("no data-handling class".into());
    }
    let mut contacts = vec![];
    for (kind, c) in f.record.contacts.by_kind() {
        if c.name.trim().is_empty() || c.email.is_empty() || c.phone.is_empty() {
            contacts.push(format!("{kind} contact incomplete"));
        }
    }
    if f.record.escalation.is_empty() {
        contacts.push("no escalation path".into());
    }
    let questionnaire = match f.questionnaire_accepted_at {
        Some(_) => vec![],
        None => vec!["not accepted yet".to_owned()],
    };
    let (issuers, issuers_done) = match &f.issuer_check {
        IssuerCheck::Passed { .. } => (
            vec![],
            "every trusted issuer's keys were fetched".to_owned(),
        ),
        IssuerCheck::NoIssuer => (
            vec!["no trusted issuer registered".to_owned()],
            String::new(),
        ),
        IssuerCheck::NotChecked => (vec!["not checked yet".to_owned()], String::new()),
        IssuerCheck::Outdated => (
            vec!["the issuers changed since the last check; check again".to_owned()],
            String::new(),
        ),
        IssuerCheck::Failed(why) => (vec![why.clone()], String::new()),
    };
    let exchange = match f.first_exchange_at {
        Some(_) => vec![],
        None => vec!["no successful token exchange yet (try one from the sandbox)".to_owned()],
    };
    vec![
        item(
            "agreement",
            "Agreement recorded",
            agreement,
            format!("{} · {} data", a.reference, a.data_class),
        ),
        item(
            "questionnaire",
            "Security questionnaire accepted",
            questionnaire,
            "accepted".into(),
        ),
        item(
            "contacts",
            "Contacts and escalation path complete",
            contacts,
            "technical, security and business contacts; escalation path".into(),
        ),
        item(
            "issuer_keys",
            "Trusted issuer keys reachable (checked by the server)",
            issuers,
            issuers_done,
        ),
        item(
            "first_exchange",
            "A successful token exchange seen",
            exchange,
            "seen".into(),
        ),
    ]
}

/// Promotion to production needs every checklist item done.
pub fn check_ready(items: &[ChecklistItem]) -> Result<(), String> {
    let open: Vec<String> = items
        .iter()
        .filter(|i| !i.done)
        .map(|i| format!("{} ({})", i.label, i.detail))
        .collect();
    if open.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the onboarding checklist is incomplete: {}",
            open.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000; // 2026-09-21

    fn complete() -> Facts {
        let c = |n: &str| Contact {
            name: n.into(),
            email: format!("{n}@acme.test"),
            phone: "+44 20 7946 0000".into(),
        };
        Facts {
            record: PartnerRecord {
                legal_name: "Acme Corporation Ltd".into(),
                agreement: Agreement {
                    reference: "MSA-2026-014".into(),
                    signed_on: "2026-01-15".into(),
                    expires_on: "2028-01-14".into(),
                    permitted_operations: "read orders".into(),
                    data_class: "confidential".into(),
                },
                contacts: Contacts {
                    technical: c("tech"),
                    security: c("sec"),
                    business: c("biz"),
                },
                escalation: vec![EscalationStep {
                    name: "NOC".into(),
                    contact: "+44 20 7946 0001".into(),
                    hours: "24x7".into(),
                }],
            },
            questionnaire_accepted_at: Some(NOW - 10),
            issuer_check: IssuerCheck::Passed { at: NOW - 5 },
            first_exchange_at: Some(NOW - 1),
        }
    }

    #[test]
    fn a_complete_record_passes_and_each_gap_is_named() {
        let f = complete();
        assert!(f.record.check().is_ok());
        assert!(check_ready(&checklist(&f, NOW)).is_ok());

        let mut g = complete();
        g.record.agreement.expires_on = "2026-09-01".into();
        let err = check_ready(&checklist(&g, NOW)).unwrap_err();
        assert!(err.contains("expired on 2026-09-01"), "{err}");

        let mut g = complete();
        g.record.contacts.security.phone.clear();
        g.first_exchange_at = None;
        let err = check_ready(&checklist(&g, NOW)).unwrap_err();
        assert!(err.contains("security contact incomplete"), "{err}");
        assert!(err.contains("no successful token exchange"), "{err}");

        for check in [
            IssuerCheck::NoIssuer,
            IssuerCheck::NotChecked,
            IssuerCheck::Outdated,
            IssuerCheck::Failed("https://idp: timed out".into()),
        ] {
            let mut g = complete();
            g.issuer_check = check;
            let items = checklist(&g, NOW);
            assert!(!items[3].done);
            assert!(check_ready(&items).is_err());
        }
        let mut g = complete();
        g.questionnaire_accepted_at = None;
        assert!(!checklist(&g, NOW)[1].done);
        assert_eq!(
            checklist(&PartnerRecord::default().into_facts(), NOW)
                .iter()
                .filter(|i| i.done)
                .count(),
            0
        );
    }

    #[test]
    fn filled_fields_must_be_well_formed() {
        let bad = |f: &dyn Fn(&mut PartnerRecord)| {
            let mut r = complete().record;
            f(&mut r);
            r.check().unwrap_err()
        };
        assert!(bad(&|r| r.contacts.technical.email = "not-an-email".into()).contains("e-mail"));
        assert!(bad(&|r| r.contacts.business.phone = "call me".into()).contains("phone"));
        assert!(bad(&|r| r.agreement.signed_on = "15/01/2026".into()).contains("YYYY-MM-DD"));
        assert!(bad(&|r| r.agreement.expires_on = "2025-01-01".into()).contains("expire after"));
        assert!(bad(&|r| r.agreement.data_class = "secret".into()).contains("one of"));
        assert!(bad(&|r| r.escalation.push(EscalationStep::default())).contains("step 2"));
        assert!(bad(&|r| r.legal_name = "a\u{0}b".into()).contains("control"));
        assert!(PartnerRecord::default().check().is_ok());
        assert_eq!(parse_date("d", "1970-01-02").unwrap(), 1);
        assert_eq!(parse_date("d", "2026-09-21").unwrap(), NOW / 86_400);
    }

    impl PartnerRecord {
        fn into_facts(self) -> Facts {
            Facts {
                record: self,
                questionnaire_accepted_at: None,
                issuer_check: IssuerCheck::NotChecked,
                first_exchange_at: None,
            }
        }
    }
}
