//! Server functions of a partner's onboarding page: its record and its checklist.
// A server function's arguments are its form fields; the record form has many.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
use crate::pages::partners::api::PartnerRow;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistRow {
    pub key: String,
    pub label: String,
    pub done: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFields {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// The record as the form shows it; the escalation path is one step per line,
/// `name | contact | hours`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFields {
    pub legal_name: String,
    pub agreement_reference: String,
    pub signed_on: String,
    pub expires_on: String,
    pub permitted_operations: String,
    pub data_class: String,
    pub technical: ContactFields,
    pub security: ContactFields,
    pub business: ContactFields,
    pub escalation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardingView {
    pub partner: PartnerRow,
    pub record: RecordFields,
    pub checklist: Vec<ChecklistRow>,
    /// Who accepted the security questionnaire, and when.
    pub questionnaire: Option<String>,
    /// What the partner wrote when it applied through the public form.
    pub application: Option<ApplicationView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub organisation: String,
    pub website: String,
    pub contact: String,
    pub use_case: String,
    /// When, and from which address.
    pub submitted: String,
}

#[cfg(feature = "ssr")]
fn fields(r: &entente_domain::onboarding::PartnerRecord) -> RecordFields {
    let c = |c: &entente_domain::onboarding::Contact| ContactFields {
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
    };
    RecordFields {
        legal_name: r.legal_name.clone(),
        agreement_reference: r.agreement.reference.clone(),
        signed_on: r.agreement.signed_on.clone(),
        expires_on: r.agreement.expires_on.clone(),
        permitted_operations: r.agreement.permitted_operations.clone(),
        data_class: r.agreement.data_class.clone(),
        technical: c(&r.contacts.technical),
        security: c(&r.contacts.security),
        business: c(&r.contacts.business),
        escalation: r
            .escalation
            .iter()
            .map(|s| format!("{} | {} | {}", s.name, s.contact, s.hours))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Parses the escalation text (one `name | contact | hours` step per line), by the rule the
/// form's rows check as they are typed.
#[cfg(feature = "ssr")]
fn escalation_steps(text: &str) -> Result<Vec<entente_domain::onboarding::EscalationStep>, String> {
    Ok(entente_types::escalation::parse(text)?
        .into_iter()
        .map(|s| entente_domain::onboarding::EscalationStep {
            name: s.name,
            contact: s.contact,
            hours: s.hours,
        })
        .collect())
}

#[server]
pub async fn onboarding(partner: String) -> Result<OnboardingView, ConsoleError> {
    authorize("onboarding").await?;
    let c = console()?;
    let o = c
        .store
        .onboarding(&partner, crate::ssr::now())
        .await
        .map_err(user_error)?;
    let application = c
        .store
        .application_of(&o.partner.id)
        .await
        .map_err(user_error)?
        .map(|a| ApplicationView {
            organisation: a.organisation,
            website: a.website,
            contact: format!("{} <{}>", a.contact_name, a.contact_email),
            use_case: a.use_case,
            submitted: format!(
                "{}{}",
                crate::ssr::format_time(a.submitted_at),
                a.source.map(|s| format!(" from {s}")).unwrap_or_default()
            ),
        });
    Ok(OnboardingView {
        application,
        record: fields(&o.record),
        checklist: o
            .checklist
            .into_iter()
            .map(|i| ChecklistRow {
                key: i.key,
                label: i.label,
                done: i.done,
                detail: i.detail,
            })
            .collect(),
        questionnaire: o.facts.questionnaire_accepted_at.map(|at| {
            format!(
                "accepted by {} on {}",
                o.questionnaire_accepted_by
                    .as_deref()
                    .map(|a| a.strip_prefix("admin:").unwrap_or(a))
                    .unwrap_or("?"),
                crate::ssr::format_time(at)
            )
        }),
        partner: PartnerRow::from(o.partner),
    })
}

#[server]
pub async fn save_partner_record(
    partner: String,
    legal_name: String,
    agreement_reference: String,
    signed_on: String,
    expires_on: String,
    permitted_operations: String,
    data_class: String,
    technical: ContactFields,
    security: ContactFields,
    business: ContactFields,
    escalation: String,
) -> Result<String, ConsoleError> {
    use entente_domain::onboarding::{Agreement, Contact, Contacts, PartnerRecord};
    let admin = authorize("save_partner_record").await?;
    let c = |f: ContactFields| Contact {
        name: f.name.trim().into(),
        email: f.email.trim().into(),
        phone: f.phone.trim().into(),
    };
    let record = PartnerRecord {
        legal_name: legal_name.trim().into(),
        agreement: Agreement {
            reference: agreement_reference.trim().into(),
            signed_on: signed_on.trim().into(),
            expires_on: expires_on.trim().into(),
            permitted_operations: permitted_operations.trim().into(),
            data_class: data_class.trim().into(),
        },
        contacts: Contacts {
            technical: c(technical),
            security: c(security),
            business: c(business),
        },
        escalation: escalation_steps(&escalation).map_err(bad_request)?,
    };
    console()?
        .ops
        .save_partner_record(&admin.acting(), &partner, record, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok("Record saved.".into())
}

#[server]
pub async fn accept_questionnaire(partner: String) -> Result<String, ConsoleError> {
    let admin = authorize("accept_questionnaire").await?;
    console()?
        .ops
        .accept_questionnaire(&admin.acting(), &partner, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok("Security questionnaire accepted.".into())
}

/// The server fetches every enabled trusted issuer's keys now and records the result.
#[server]
pub async fn check_issuer_keys(partner: String) -> Result<String, ConsoleError> {
    let admin = authorize("check_issuer_keys").await?;
    let check = console()?
        .ops
        .check_issuer_keys(&admin.acting(), &partner, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    let (ok, detail) = (check.passed, check.detail);
    Ok(if ok {
        format!("Every issuer answered: {detail}.")
    } else {
        format!("Not every issuer answered: {detail}.")
    })
}
