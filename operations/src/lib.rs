//! The operations layer: every change a person or a tool makes — from the console, the partner
//! portal, the admin API, the CLI or configuration as code — goes through one function here.
//! Each takes an [`Actor`] and a typed request and, in this order: authorizes the actor against
//! the one policy table ([`policy`]), checks the invariants, lets the store write the change with
//! its audit event in one transaction, and publishes it to this replica's caches. Doors only
//! adapt their input and output; none holds a rule of its own.

pub mod actor;
pub mod api_clients;
pub mod arrivals;
pub mod catalog;
pub mod client_changes;
pub mod clients;
pub mod configuration;
pub mod error;
pub mod governance;
pub mod keys;
pub mod limits;
pub mod matrix;
pub mod onboarding;
pub mod operation;
pub mod partners;
pub mod password;
pub mod people;
pub mod policy;
pub mod ports;
pub mod requests;
pub mod sign_in;
pub mod testers;
pub mod throttle;
pub mod tokens;
pub mod trust;

pub use actor::{Actor, Kind};
pub use error::OpError;
pub use operation::Operation;
pub use policy::{Target, authorize, offers};
pub use ports::{BoxFuture, KeyChecks, Operations, Providers, Publish, Signing, Throttles};
pub use throttle::LoginThrottle;
