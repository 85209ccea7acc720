//! Reading change requests: one by id, the pages a filter selects, and how many wait.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::RequestFilter;
use crate::entities::{change_request, partner};
use crate::enums::RequestStatusColumn;
use crate::{Result, Store, StoreError};

impl Store {
    pub async fn change_request(&self, id: i64) -> Result<change_request::Model> {
        request_in(self.db(), id).await
    }

    /// The requests a filter selects, newest first (not yet paged).
    async fn requests_matching(
        &self,
        f: &RequestFilter,
    ) -> Result<sea_orm::Select<change_request::Entity>> {
        let mut q = change_request::Entity::find().order_by_desc(change_request::Column::Id);
        if let Some(s) = f.status {
            q = q.filter(change_request::Column::Status.eq(RequestStatusColumn::from(s)));
        }
        if let Some(id) = f.id {
            q = q.filter(change_request::Column::Id.eq(id));
        }
        if let Some(slug) = &f.partner {
            let p = self.partner_by_slug(slug).await?;
            q = q.filter(change_request::Column::PartnerId.eq(p.id));
        }
        Ok(q)
    }

    /// How many requests the filter selects (all pages).
    pub async fn count_change_requests(&self, f: &RequestFilter) -> Result<u64> {
        Ok(self.requests_matching(f).await?.count(self.db()).await?)
    }

    /// Newest first, with each request's partner slug.
    pub async fn list_change_requests(
        &self,
        f: &RequestFilter,
    ) -> Result<Vec<(change_request::Model, String)>> {
        let q = self.requests_matching(f).await?;
        let rows = q
            .offset(crate::bounded(f.offset))
            .limit(f.limit.clamp(1, 500))
            .all(self.db())
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.partner_id.clone()).collect();
        let slugs: std::collections::HashMap<String, String> = partner::Entity::find()
            .filter(partner::Column::Id.is_in(ids))
            .all(self.db())
            .await?
            .into_iter()
            .map(|p| (p.id, p.slug))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let slug = slugs.get(&r.partner_id).cloned().unwrap_or_default();
                (r, slug)
            })
            .collect())
    }

    pub async fn pending_change_requests(&self) -> Result<u64> {
        Ok(change_request::Entity::find()
            .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
            .count(self.db())
            .await?)
    }
}

pub(super) async fn request_in(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<change_request::Model> {
    change_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("change request #{id}")))
}
