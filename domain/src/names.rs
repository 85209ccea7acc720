//! Shape rules for names users type — the shared vocabulary's, so that the console checks them
//! in the browser with the same code the server runs.

pub use entente_types::names::*;
