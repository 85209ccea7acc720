//! Why a partner's server could not be read, said so that the person reading it knows what to
//! fix: "Could not reach https://idp.acme.example/jwks: DNS lookup failed (is the host name
//! right?)" rather than the resolver's own words.

use std::error::Error as _;

/// The error chain's texts, outermost first.
fn chain(e: &reqwest::Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        out.push(s.to_string());
        next = s.source();
    }
    out
}

/// The cause of a failed request, in words.
pub fn cause(e: &reqwest::Error) -> String {
    let texts = chain(e);
    let all = texts.join(" | ").to_ascii_lowercase();
    let innermost = texts.last().cloned().unwrap_or_default();
    // The guarded resolver's own refusals (case E41) say what they mean already.
    if let Some(guard) = texts.iter().find(|t| t.starts_with("the JWKS host")) {
        guard.clone()
    } else if e.is_timeout() || all.contains("timed out") {
        "it did not answer in time".into()
    } else if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
        || all.contains("no address associated")
    {
        "DNS lookup failed (is the host name right?)".into()
    } else if all.contains("connection refused") {
        "connection refused (is the server listening on that port?)".into()
    } else if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        format!("TLS failed: {innermost}")
    } else if all.contains("connection reset") || all.contains("connection closed") {
        "the connection was closed before it answered".into()
    } else {
        innermost
    }
}

/// The whole sentence for a request to `url` that failed.
pub fn could_not_reach(url: &str, e: &reqwest::Error) -> String {
    format!("Could not reach {url}: {}", cause(e))
}

/// The sentence for a server that answered with an error status.
pub fn answered(url: &str, status: reqwest::StatusCode) -> String {
    format!("{url} answered {status}, not the document")
}
