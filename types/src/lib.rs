//! Entente's shared vocabulary, with no dependency the browser cannot run: roles, partner
//! stages, environments, grant and token types, and the shape rules of names people type. The
//! domain re-exports these; the console's pages use them for their choices and inline checks,
//! so a rule is written once and judged the same in the browser and on the server.

pub mod diff;
pub mod environment;
pub mod escalation;
pub mod grant_type;
pub mod key_policy;
pub mod names;
pub mod role;
pub mod stage;
pub mod words;
