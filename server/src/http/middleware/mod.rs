//! Middleware: request ids, the client's address, staleness refusal, and the console's
//! security headers and cross-site refusal.

pub mod client_address;
pub mod cross_site;
pub mod request_id;
pub mod security_headers;
pub mod staleness;
