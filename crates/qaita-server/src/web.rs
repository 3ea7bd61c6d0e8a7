//! The web UI (`web/dist`, built by `scripts/build-web.sh`) embedded in the binary, so the
//! server is one file. The build script recompiles this crate when web/dist changes.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::Problem;

#[derive(RustEmbed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct WebDist;

/// Files of the UI; `/` is `index.html`. Unknown API paths get a problem, not the UI.
pub async fn serve(request: Request) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") || path == "/api" {
        return Problem::not_found(format!("no API route {path}")).into_response();
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            format!("{} {path}", request.method()),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        other => other,
    };
    let Some(file) = WebDist::get(name) else {
        if WebDist::get("index.html").is_none() {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "The web UI is not built into this binary: run `bash scripts/run.sh` (or `npm ci && npm run build` in web/, then rebuild).\nThe API is at /api/v1 (docs at /api/v1/docs).\n",
            )
                .into_response();
        }
        return Problem::not_found(format!("no file {path}")).into_response();
    };
    let mime = if name.ends_with(".mjs") || name.ends_with(".js") {
        "text/javascript; charset=utf-8".to_string()
    } else {
        file.metadata.mimetype().to_string()
    };
    // Vite puts content hashes in asset names: those never change; the page itself may.
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let body = if request.method() == Method::HEAD {
        Body::empty()
    } else {
        Body::from(file.data.into_owned())
    };
    Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(header::CACHE_CONTROL, cache)
        .body(body)
        .unwrap_or_else(|e| Problem::internal(e).into_response())
}
