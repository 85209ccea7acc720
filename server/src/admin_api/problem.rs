//! What every admin API handler shares: RFC 9457 problem details for every refusal (including
//! malformed JSON, query strings and paths, which axum would answer in plain text), and the
//! shape of a paged list.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_store::StoreError;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::http::errors::problem;

/// An RFC 9457 problem details object (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[schema(example = "about:blank")]
    pub r#type: String,
    #[schema(example = "Conflict")]
    pub title: String,
    #[schema(example = 409)]
    pub status: u16,
    /// A sentence for people: what went wrong and, where it helps, what to do.
    pub detail: String,
}

/// The refusals every route may answer.
#[allow(dead_code)] // only its documentation is used; the bodies come from `problem`
#[derive(IntoResponses)]
pub enum Refusals {
    /// Malformed or invalid input.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No session and no bearer token, or an invalid token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// What the path names does not exist.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// It already exists, was decided already, or changed meanwhile.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The request body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// JSON of the wrong shape.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
    /// A cap is reached (clients per partner, streams per caller): try later.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(Problem),
    /// The database could not be reached; try again.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// A refusal, answered as problem details.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = problem(self.status, &self.detail);
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = match &e {
            StoreError::Db(db) => {
                tracing::error!(error = %db, "admin API database error");
                return Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database could not be reached; try again",
                );
            }
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Conflict(_) | StoreError::Stale(_) | StoreError::NeedsApproval(_) => {
                StatusCode::CONFLICT
            }
            StoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
            StoreError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        };
        Self::new(status, e.to_string())
    }
}

impl From<entente_operations::OpError> for ApiError {
    fn from(e: entente_operations::OpError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = match r {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::bad_request(r.body_text())
    }
}

/// A JSON request body, always an object: serde would also build a struct from an array (`[]`
/// as every field's default), which must never reach a handler (a record replaced by nothing).
/// Rejections are problem details.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the request body must be a JSON object",
            ));
        }
        serde_json::from_value(value).map(Json).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the request body does not fit: {e}"),
            )
        })
    }
}

/// `axum::extract::Query` whose rejections are problem details.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` whose rejections are problem details.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON answer that is never cached (it may carry partner data or a one-time secret).
pub fn ok<T: Serialize>(status: StatusCode, body: T) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Paging of list endpoints: `offset` (default 0) and `limit` (default 50, at most 200).
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items to skip (at most 1,000,000,000).
    #[param(minimum = 0, maximum = 1000000000)]
    pub offset: Option<u64>,
    /// Items to return (1–200; default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

pub const MAX_LIMIT: u64 = 200;
/// Databases take offsets as signed 64-bit numbers; nobody pages this far.
pub const MAX_OFFSET: u64 = 1_000_000_000;

impl Paging {
    pub fn offset(&self) -> u64 {
        self.offset.unwrap_or(0).min(MAX_OFFSET)
    }
    pub fn limit(&self) -> ApiResult<u64> {
        if self.offset.unwrap_or(0) > MAX_OFFSET {
            return Err(ApiError::bad_request("offset is at most 1000000000"));
        }
        match self.limit.unwrap_or(50) {
            n @ 1..=MAX_LIMIT => Ok(n),
            _ => Err(ApiError::bad_request("limit is between 1 and 200")),
        }
    }
    /// One page of an in-memory list.
    pub fn page<T: Serialize + ToSchema>(&self, all: Vec<T>) -> ApiResult<Page<T>> {
        let limit = self.limit()?;
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            items,
            total,
            offset: self.offset(),
            limit,
        })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Items matching the query, on every page.
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

/// What a change that may need approval became.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outcome {
    /// `applied` (200) or `requested` (202: a change request waits for approval).
    #[schema(example = "requested")]
    pub outcome: String,
    /// The change request filed, when one was.
    pub change_request: Option<i64>,
    pub summary: String,
}

impl Outcome {
    pub fn response(self) -> Response {
        let status = if self.change_request.is_some() {
            StatusCode::ACCEPTED
        } else {
            StatusCode::OK
        };
        ok(status, self)
    }
}
