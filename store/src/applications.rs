//! Applications from the public "apply to become a partner" form. Each creates a partner in
//! stage `applied`, with the applicant as its business and technical contact, and keeps what
//! they wrote for the administrators who review it.

use entente_domain::application::{Application, slug_for};
use entente_domain::lifecycle::Stage;
use entente_domain::onboarding::{Contact, Contacts, PartnerRecord};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::catalog::{NewPartner, create_partner_in};
use crate::entities::{partner, partner_application};
use crate::onboarding::set_partner_record_in;
use crate::{Actor, Result, Store, StoreError, audit};

/// A slug no partner has: the organisation's, else with `-2` … `-20`, else with random digits.
/// Applicants never see it, so a taken name reveals nothing.
async fn free_slug(db: &impl ConnectionTrait, organisation: &str) -> Result<String> {
    let base = slug_for(organisation);
    let mut candidates = vec![base.clone()];
    candidates.extend((2..=20).map(|n| format!("{base}-{n}")));
    for slug in candidates {
        let taken = partner::Entity::find()
            .filter(partner::Column::Slug.eq(&slug))
            .one(db)
            .await?
            .is_some();
        if !taken {
            return Ok(slug);
        }
    }
    let digits: String = entente_domain::secret::random_token(8)
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(6)
        .collect();
    Ok(format!("{base}-{digits}"))
}

/// The public form's caps, counted over the last hour in the database (so every replica
/// shares them): from everyone, from one network, and naming one contact address.
async fn check_application_caps(
    txn: &sea_orm::DatabaseTransaction,
    caps: crate::Caps,
    network: Option<&str>,
    email: &str,
    now: i64,
) -> Result<()> {
    use sea_orm::PaginatorTrait;
    let recent = || {
        partner_application::Entity::find()
            .filter(partner_application::Column::SubmittedAt.gt(now - 3600))
    };
    let busy = |why: &str| StoreError::TooMany(format!("{why}; try again in an hour"));
    if recent().count(txn).await? >= caps.applications_per_hour {
        return Err(busy("we receive many applications just now"));
    }
    if let Some(net) = network
        && recent()
            .filter(partner_application::Column::SourceNetwork.eq(net))
            .count(txn)
            .await?
            >= caps.applications_per_network_hour
    {
        return Err(busy("too many applications from here"));
    }
    if recent()
        .filter(partner_application::Column::ContactEmail.eq(email))
        .count(txn)
        .await?
        >= caps.applications_per_email_hour
    {
        return Err(busy("too many applications for this address"));
    }
    Ok(())
}

impl Store {
    /// Files an application: a new partner in stage `applied` (named after the organisation,
    /// its slug made unique), its record with the applicant as contact, and the application,
    /// audited as `partner.apply` by `actor` (the applicant, with their source address).
    pub async fn apply_partner(
        &self,
        actor: &Actor,
        application: Application,
        now: i64,
    ) -> Result<partner::Model> {
        let a = application.normalised();
        a.check().map_err(StoreError::Invalid)?;
        let network = actor
            .source
            .as_deref()
            .and_then(entente_domain::application::source_network);
        let txn = self.write().await?;
        check_application_caps(&txn, self.caps(), network.as_deref(), &a.contact_email, now)
            .await?;
        let slug = free_slug(&txn, &a.organisation).await?;
        let p = create_partner_in(
            &txn,
            actor,
            NewPartner {
                slug: slug.clone(),
                name: a.organisation.clone(),
                stage: Stage::Applied,
            },
            now,
        )
        .await?;
        let contact = Contact {
            name: a.contact_name.clone(),
            email: a.contact_email.clone(),
            phone: String::new(),
        };
        let record = PartnerRecord {
            legal_name: a.organisation.clone(),
            contacts: Contacts {
                technical: contact.clone(),
                security: Contact::default(),
                business: contact,
            },
            ..PartnerRecord::default()
        };
        set_partner_record_in(&txn, actor, &slug, record, now).await?;
        partner_application::ActiveModel {
            partner_id: Set(p.id.clone()),
            organisation: Set(a.organisation.clone()),
            website: Set(a.website.clone()),
            contact_name: Set(a.contact_name.clone()),
            contact_email: Set(a.contact_email.clone()),
            use_case: Set(a.use_case.clone()),
            source: Set(actor.source.clone()),
            submitted_at: Set(now),
            source_network: Set(network),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerApply,
            &format!("partner:{slug}"),
            json!({"organisation": a.organisation, "website": a.website,
                   "contact_name": a.contact_name, "contact_email": a.contact_email}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(p)
    }

    /// The application that created the partner, if it applied through the form.
    pub async fn application_of(
        &self,
        partner_id: &str,
    ) -> Result<Option<partner_application::Model>> {
        Ok(
            partner_application::Entity::find_by_id(partner_id.to_owned())
                .one(self.db())
                .await?,
        )
    }
}
