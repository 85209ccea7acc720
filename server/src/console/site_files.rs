//! The console's built files (`/pkg`: the wasm, its JavaScript glue and the stylesheet).
//! The release build precompresses each (`cargo leptos build --release --precompress`: brotli
//! and gzip copies beside it), and the browser gets the smallest it accepts. With `hash-files`
//! every name carries a hash of its content, so a new build is new URLs and each file may be
//! cached for a year; without it, a browser must check again each time.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use leptos::config::LeptosOptions;
use tower_http::services::ServeDir;

const FOR_GOOD: &str = "public, max-age=31536000, immutable";
const CHECK_AGAIN: &str = "no-cache";

/// The `/pkg` routes (mounted by the caller at the site's package path).
pub fn routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let policy = HeaderValue::from_static(if options.hash_files {
        FOR_GOOD
    } else {
        CHECK_AGAIN
    });
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(axum::middleware::map_response(move |res: Response| {
            let policy = policy.clone();
            async move { cached(res, policy) }
        }))
}

/// Only a file found is cached: a missing one may appear with the next build.
fn cached(mut res: Response, policy: HeaderValue) -> Response {
    if res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED {
        res.headers_mut().insert(header::CACHE_CONTROL, policy);
    }
    res
}
