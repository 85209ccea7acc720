//! The HTTP edge: the one mapping of errors to HTTP, the health answers and the middleware
//! every request passes (the routers that use them are `crate::router`'s).

pub mod errors;
pub mod health;
pub mod middleware;

pub use middleware::request_id::{REQUEST_ID, request_id, trace_id};
