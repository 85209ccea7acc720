//! Usage rollups: each replica writes its own per-minute rows (absolute values, so a retried or
//! repeated flush of an open minute never double-counts), every reader sums all replicas.

use std::collections::{BTreeMap, HashMap};

use entente_domain::usage::{self, Cell, Kind, Latency, PointBuilder, Report, Top};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult,
    QuerySelect, Select, Set, TransactionTrait,
};

use crate::entities::{client, partner, usage_minute};
use crate::{Result, Store};

/// Who asked what of which endpoint, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Group {
    /// Empty for a caller that was not authenticated.
    pub partner_id: String,
    pub client_id: String,
    /// Empty when no audience was decided.
    pub audience: String,
    pub kind: Kind,
    /// `ok` or the refusal's reason (`usage::result_of`).
    pub result: String,
}

/// One minute of one group as this replica counted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteRow {
    pub minute: i64,
    pub group: Group,
    pub cell: Cell,
}

/// Whose usage a report covers (both empty: everyone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub partner_id: Option<String>,
    pub client_id: Option<String>,
    /// The clients of one environment only (sandbox trial tokens apart from production's).
    /// Clients never change environment, so this is exact for authenticated requests.
    pub environment: Option<entente_domain::environment::Environment>,
}

impl Filter {
    pub fn in_environment(
        self,
        environment: Option<entente_domain::environment::Environment>,
    ) -> Self {
        Self {
            environment,
            ..self
        }
    }
}

/// Rows per statement: 26 values each stays far below SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 200;

fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn model(replica: &str, row: &MinuteRow) -> usage_minute::ActiveModel {
    let l = &row.cell.latency.0;
    usage_minute::ActiveModel {
        minute: Set(row.minute),
        replica: Set(replica.to_owned()),
        partner_id: Set(row.group.partner_id.clone()),
        client_id: Set(row.group.client_id.clone()),
        audience: Set(row.group.audience.clone()),
        kind: Set(row.group.kind.as_str().to_owned()),
        result: Set(row.group.result.clone()),
        count: Set(n(row.cell.count)),
        lat_0: Set(n(l[0])),
        lat_1: Set(n(l[1])),
        lat_2: Set(n(l[2])),
        lat_3: Set(n(l[3])),
        lat_4: Set(n(l[4])),
        lat_5: Set(n(l[5])),
        lat_6: Set(n(l[6])),
        lat_7: Set(n(l[7])),
        lat_8: Set(n(l[8])),
        lat_9: Set(n(l[9])),
        lat_10: Set(n(l[10])),
        lat_11: Set(n(l[11])),
        lat_12: Set(n(l[12])),
        lat_13: Set(n(l[13])),
        lat_14: Set(n(l[14])),
        lat_15: Set(n(l[15])),
    }
}

/// Sums of one grouped query row: the grouping columns it selected, the count and latency.
struct Summed {
    t: i64,
    partner_id: String,
    client_id: String,
    kind: String,
    result: String,
    cell: Cell,
}

fn sum_of(res: &QueryResult, pre: &str, c: &str) -> std::result::Result<u64, DbErr> {
    // SUM over no rows is NULL; counts are never negative.
    Ok(u64::try_from(res.try_get::<Option<i64>>(pre, c)?.unwrap_or(0)).unwrap_or(0))
}

/// A row of the series query: step, kind, result, count, latency.
struct SeriesRow(Summed);

impl FromQueryResult for SeriesRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        let mut latency = Latency::default();
        for (i, slot) in latency.0.iter_mut().enumerate() {
            *slot = sum_of(res, pre, &format!("lat_{i}"))?;
        }
        Ok(SeriesRow(Summed {
            t: res.try_get(pre, "t")?,
            partner_id: String::new(),
            client_id: String::new(),
            kind: res.try_get(pre, "kind")?,
            result: res.try_get(pre, "result")?,
            cell: Cell {
                count: sum_of(res, pre, "count")?,
                latency,
            },
        }))
    }
}

/// A row of the callers query: partner, client, kind, result, count.
struct CallerRow(Summed);

impl FromQueryResult for CallerRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        Ok(CallerRow(Summed {
            t: 0,
            partner_id: res.try_get(pre, "partner_id")?,
            client_id: res.try_get(pre, "client_id")?,
            kind: res.try_get(pre, "kind")?,
            result: res.try_get(pre, "result")?,
            cell: Cell {
                count: sum_of(res, pre, "count")?,
                latency: Latency::default(),
            },
        }))
    }
}

/// `SUM(col)` as a 64-bit integer on both databases (PostgreSQL's SUM of BIGINT is NUMERIC).
fn sum(col: usage_minute::Column) -> sea_orm::sea_query::SimpleExpr {
    Func::cast_as(Expr::col(col).sum(), "BIGINT").into()
}

impl Store {
    /// The filter for a partner (by slug) and/or a client; 404 for an unknown one, or for a
    /// client that is not the named partner's.
    pub async fn usage_filter(
        &self,
        partner_slug: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Filter> {
        let partner_id = match partner_slug {
            Some(slug) => Some(self.partner_by_slug(slug).await?.id),
            None => None,
        };
        if let Some(c) = client_id {
            let client = self.client(c).await?;
            if partner_id.is_some() && client.partner_id != partner_id {
                return Err(crate::StoreError::NotFound(format!("client {c}")));
            }
        }
        Ok(Filter {
            partner_id,
            client_id: client_id.map(str::to_owned),
            environment: None,
        })
    }

    /// Writes this replica's rows of these minutes, all or nothing.
    #[tracing::instrument(level = "debug", name = "db.put_usage", skip_all)]
    pub async fn put_usage(&self, replica: &str, rows: &[MinuteRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut update = vec![usage_minute::Column::Count];
        update.extend(usage_minute::LATENCY);
        let txn = self.db().begin().await?;
        for chunk in rows.chunks(CHUNK) {
            usage_minute::Entity::insert_many(chunk.iter().map(|r| model(replica, r)))
                .on_conflict(
                    OnConflict::columns([
                        usage_minute::Column::Minute,
                        usage_minute::Column::Replica,
                        usage_minute::Column::PartnerId,
                        usage_minute::Column::ClientId,
                        usage_minute::Column::Audience,
                        usage_minute::Column::Kind,
                        usage_minute::Column::Result,
                    ])
                    .update_columns(update.clone())
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Deletes rollups of minutes (and alerts) before `before`; how many rollup rows went.
    pub async fn prune_usage(&self, before: i64) -> Result<u64> {
        let r = usage_minute::Entity::delete_many()
            .filter(usage_minute::Column::Minute.lt(before))
            .exec(self.db())
            .await?;
        crate::entities::usage_alert::Entity::delete_many()
            .filter(crate::entities::usage_alert::Column::At.lt(before))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected)
    }

    /// Usage in `[from, to)` cut into steps (checked with `usage::range`), summed over replicas.
    pub async fn usage_report(
        &self,
        filter: &Filter,
        from: i64,
        to: i64,
        step: i64,
    ) -> Result<Report> {
        let (from, to) = usage::range(from, to, step).map_err(crate::StoreError::Invalid)?;
        let series = series_of(self.db(), filter, from, to, step).await?;
        let who = callers_of(self.db(), filter, from, to).await?;

        let mut points: BTreeMap<i64, PointBuilder> = BTreeMap::new();
        let mut total = PointBuilder::default();
        for s in &series {
            let Some(kind) = Kind::parse(&s.kind) else {
                continue;
            };
            points.entry(s.t).or_default().add(kind, &s.result, &s.cell);
            total.add(kind, &s.result, &s.cell);
        }
        let slugs = self.partner_slugs().await?;
        let (partners, clients) = tops_of(&who, &slugs);
        let active_partners = partners.values().filter(|t| t.requests > 0).count() as u64;
        let mut top_clients = usage::top(clients.into_values().collect());
        let ids: Vec<String> = top_clients.iter().map(|t| t.name.clone()).collect();
        let names: HashMap<String, String> = client::Entity::find()
            .filter(client::Column::ClientId.is_in(ids))
            .all(self.db())
            .await?
            .into_iter()
            .map(|c| (c.client_id, c.name))
            .collect();
        usage::label(&mut top_clients, |id| names.get(id).cloned());
        Ok(Report {
            from,
            to,
            step,
            points: usage::dense(
                from,
                to,
                step,
                points.into_iter().map(|(t, p)| p.build(t)).collect(),
            ),
            total: total.build(from),
            active_partners,
            top_partners: usage::top(partners.into_values().collect()),
            top_clients,
        })
    }

    /// Partner id → slug, for naming partners in reports.
    pub async fn partner_slugs(&self) -> Result<HashMap<String, String>> {
        Ok(partner::Entity::find()
            .all(self.db())
            .await?
            .into_iter()
            .map(|p| (p.id, p.slug))
            .collect())
    }
}

/// The filter's minutes in `[from, to)`, selecting their summed count; callers add the columns
/// they group by.
fn scoped(filter: &Filter, from: i64, to: i64) -> Select<usage_minute::Entity> {
    let mut q = usage_minute::Entity::find()
        .select_only()
        .filter(usage_minute::Column::Minute.gte(from))
        .filter(usage_minute::Column::Minute.lt(to));
    if let Some(p) = &filter.partner_id {
        q = q.filter(usage_minute::Column::PartnerId.eq(p.as_str()));
    }
    if let Some(c) = &filter.client_id {
        q = q.filter(usage_minute::Column::ClientId.eq(c.as_str()));
    }
    if let Some(env) = filter.environment {
        q = q.filter(
            usage_minute::Column::ClientId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(client::Column::ClientId)
                    .from(client::Entity)
                    .and_where(
                        client::Column::Environment.eq(crate::enums::EnvironmentColumn::from(env)),
                    )
                    .to_owned(),
            ),
        );
    }
    q.column_as(sum(usage_minute::Column::Count), "count")
}

/// Per step, kind and result: the count and the latency buckets.
async fn series_of(
    db: &DatabaseConnection,
    filter: &Filter,
    from: i64,
    to: i64,
    step: i64,
) -> Result<Vec<Summed>> {
    // The step is one of `usage::STEPS`: an integer, never user text (the same expression,
    // not a bound parameter, in SELECT and GROUP BY, as PostgreSQL requires).
    if !usage::STEPS.contains(&step) {
        return Err(crate::StoreError::Invalid("unknown step".into()));
    }
    let bucket = Expr::cust(format!("(minute / {step}) * {step}"));
    let mut series = scoped(filter, from, to)
        .column_as(bucket.clone(), "t")
        .column(usage_minute::Column::Kind)
        .column(usage_minute::Column::Result)
        .group_by(bucket)
        .group_by(usage_minute::Column::Kind)
        .group_by(usage_minute::Column::Result);
    for (i, c) in usage_minute::LATENCY.into_iter().enumerate() {
        series = series.column_as(sum(c), format!("lat_{i}"));
    }
    Ok(series
        .into_model::<SeriesRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// Per partner, client, kind and result: the count.
async fn callers_of(
    db: &DatabaseConnection,
    filter: &Filter,
    from: i64,
    to: i64,
) -> Result<Vec<Summed>> {
    Ok(scoped(filter, from, to)
        .column(usage_minute::Column::PartnerId)
        .column(usage_minute::Column::ClientId)
        .column(usage_minute::Column::Kind)
        .column(usage_minute::Column::Result)
        .group_by(usage_minute::Column::PartnerId)
        .group_by(usage_minute::Column::ClientId)
        .group_by(usage_minute::Column::Kind)
        .group_by(usage_minute::Column::Result)
        .into_model::<CallerRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// The busiest partners (named by slug) and clients: requests, tokens issued and refusals.
fn tops_of(
    who: &[Summed],
    slugs: &HashMap<String, String>,
) -> (HashMap<String, Top>, HashMap<String, Top>) {
    let mut partners: HashMap<String, Top> = HashMap::new();
    let mut clients: HashMap<String, Top> = HashMap::new();
    for s in who {
        let Some(kind) = Kind::parse(&s.kind) else {
            continue;
        };
        let count = s.cell.count;
        let tally = |t: &mut Top| {
            t.requests += count;
            if s.result == usage::OK {
                if kind.issues() {
                    t.tokens += count;
                }
            } else {
                t.refused += count;
            }
        };
        if !s.partner_id.is_empty() {
            let name = slugs
                .get(&s.partner_id)
                .cloned()
                .unwrap_or_else(|| s.partner_id.clone());
            tally(partners.entry(name.clone()).or_insert(Top {
                name,
                ..Top::default()
            }));
        }
        if !s.client_id.is_empty() {
            tally(clients.entry(s.client_id.clone()).or_insert(Top {
                name: s.client_id.clone(),
                ..Top::default()
            }));
        }
    }
    (partners, clients)
}
