//! The one error type of the console's server functions: an HTTP status and a sentence for the
//! user. Database details and causes go to the server's log, never into this.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleError {
    pub status: u16,
    pub message: String,
}

impl ConsoleError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }
    pub fn signed_out() -> Self {
        Self::new(401, "sign in first")
    }
    pub fn forbidden() -> Self {
        Self::new(403, "your role may not do this")
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }
    pub fn too_many(message: impl Into<String>) -> Self {
        Self::new(429, message)
    }
    pub fn unavailable() -> Self {
        Self::new(503, "the database is unavailable; try again shortly")
    }
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConsoleError {}

impl FromServerFnError for ConsoleError {
    type Encoder = JsonEncoding;

    /// Failures of the server-function machinery itself (transport, encoding, missing context).
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let status = match &value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => 400,
            _ => 500,
        };
        let e = Self::new(status, machinery_sentence(&value));
        // On the server this runs while the request is answered: malformed arguments are the
        // caller's mistake (400), never a 500.
        #[cfg(feature = "ssr")]
        let e = fail(e);
        e
    }
}

/// What a user can do about a failure of the machinery: the field a form did not send, a value
/// of the wrong form, or a connection that failed — never a serde or transport message.
fn machinery_sentence(value: &ServerFnErrorErr) -> String {
    let raw = value.to_string();
    let field = raw.split('`').nth(1).filter(|f| {
        !f.is_empty() && f.len() <= 64 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    match value {
        ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_) => {
            match field {
                Some(f) if raw.contains("missing field") => format!(
                    "the form was sent without \"{}\": fill it in (or reload the page if the field is not shown) and send it again",
                    f.replace('_', " ")
                ),
                Some(f) => format!(
                    "\"{}\" is not in the form expected: correct it and send the form again",
                    f.replace('_', " ")
                ),
                None => "the form's values could not be read: correct them, or reload the page, and send it again".into(),
            }
        }
        ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
            "Entente could not be reached: check the connection and try again".into()
        }
        _ => "something went wrong on the server; try again, and reload the page if it persists".into(),
    }
}

/// Results of the console's server functions.
pub type ConsoleResult<T> = Result<T, ConsoleError>;

/// Answers with the error's HTTP status (bad input is never a 500). A plain HTML form post (no
/// JavaScript yet) keeps Leptos' redirect back to the form, which shows the error there; a
/// status set here would replace that redirect.
#[cfg(feature = "ssr")]
pub fn fail(e: ConsoleError) -> ConsoleError {
    use leptos::prelude::use_context;
    let html_form = use_context::<axum::http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    });
    if !html_form
        && let Some(r) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(e.status)
    {
        r.set_status(status);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machinery_failures_read_as_sentences() {
        let missing = ServerFnErrorErr::Args("missing field `per_second`".into());
        assert_eq!(
            machinery_sentence(&missing),
            "the form was sent without \"per second\": fill it in (or reload the page if the field is not shown) and send it again"
        );
        let wrong = ServerFnErrorErr::Args("invalid digit found in string at `burst`".into());
        assert!(machinery_sentence(&wrong).starts_with("\"burst\" is not in the form expected"));
        let opaque = ServerFnErrorErr::Deserialization("EOF while parsing".into());
        assert!(!machinery_sentence(&opaque).contains("EOF"));
        let down = ServerFnErrorErr::Request("error sending request".into());
        assert!(machinery_sentence(&down).starts_with("Entente could not be reached"));
    }
}
