//! Bounded, strict parsing of `application/x-www-form-urlencoded` request bodies.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use entente_domain::OAuthError;

/// Token requests are small; anything larger is refused with `invalid_request`, not 413 or 500.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Bodies up to this size are read in full before the refusal, so the client can finish sending
/// and read the 400 (closing on unread data would reset the connection). Larger ones are cut off.
const DRAIN_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Default)]
pub struct Form(HashMap<String, String>);

impl Form {
    /// A parameter's value; empty values count as absent (RFC 6749 §3.1).
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }
}

pub async fn read(headers: &HeaderMap, body: Body) -> Result<Form, OAuthError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the request body must be application/x-www-form-urlencoded",
        ));
    }
    let too_large = || OAuthError::invalid_request("the request body is too large or unreadable");
    let bytes = axum::body::to_bytes(body, DRAIN_LIMIT)
        .await
        .map_err(|_| too_large())?;
    if bytes.len() > MAX_FORM_BYTES {
        return Err(too_large());
    }
    parse(&bytes)
}

/// Parameters must not repeat (RFC 6749 §3.2), except `resource` and `audience` (RFC 8707, RFC 8693).
pub fn parse(bytes: &[u8]) -> Result<Form, OAuthError> {
    let mut map: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(bytes) {
        let repeatable = k == "resource" || k == "audience";
        match map.get_mut(k.as_ref()) {
            Some(existing) if repeatable => {
                existing.push('\u{0}');
                existing.push_str(&v);
            }
            Some(_) => {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {k} is repeated"
                )));
            }
            None => {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
    }
    Ok(Form(map))
}

impl Form {
    /// All values of a repeatable parameter.
    pub fn all(&self, k: &str) -> Vec<String> {
        self.get(k)
            .map(|v| {
                v.split('\u{0}')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_except_targets() {
        assert!(parse(b"grant_type=a&grant_type=b").is_err());
        let f = parse(b"resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&scope=x+y").unwrap();
        assert_eq!(f.all("resource"), ["https://a", "https://b"]);
        assert_eq!(f.get("scope"), Some("x y"));
    }
}
