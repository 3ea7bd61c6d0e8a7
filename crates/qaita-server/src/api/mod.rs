//! `/api/v1`: handlers, one module per resource. Each handler checks the caller, parses and
//! validates its input into field-level problems, and calls qaita-store / qaita-app.

mod admin;
mod analyses;
mod data;
mod estimate;
pub(crate) mod jobs;
mod plan;
mod session;
mod tmfs;

pub use admin::check_username;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::openapi::ApiDoc;

/// The API routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(
            session::get_session,
            session::login,
            session::logout
        ))
        .routes(routes!(tmfs::list, tmfs::create))
        .routes(routes!(tmfs::geojson))
        .routes(routes!(tmfs::get_one, tmfs::patch, tmfs::delete))
        .routes(routes!(tmfs::history))
        .routes(routes!(analyses::latest_valuation))
        .routes(routes!(analyses::valuations, analyses::start_valuation))
        .routes(routes!(analyses::latest_estimate))
        .routes(routes!(analyses::estimates, estimate::start_estimate))
        .routes(routes!(estimate::upload))
        .routes(routes!(estimate::preview))
        .routes(routes!(estimate::crossval))
        .routes(routes!(analyses::start_policy_run))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::probe))
        .routes(routes!(jobs::job, jobs::cancel))
        .routes(routes!(jobs::result))
        .routes(routes!(jobs::file))
        .routes(routes!(plan::ranking))
        .routes(routes!(plan::roadmap))
        .routes(routes!(plan::start_schedule))
        .routes(routes!(plan::start_scenarios))
        .routes(routes!(plan::start_report))
        .routes(routes!(data::stats))
        .routes(routes!(data::proximity))
        .routes(routes!(data::vocab))
        .routes(routes!(data::import))
        .routes(routes!(data::export))
        .routes(routes!(data::health))
        .routes(routes!(admin::users, admin::add_user))
        .routes(routes!(admin::revoke_user))
        .routes(routes!(admin::tokens))
        .routes(routes!(admin::add_token))
        .routes(routes!(admin::revoke_token))
        .routes(routes!(admin::auth_events));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1)
}

/// JSON with `Cache-Control: no-store` (registry data changes under the client).
pub(crate) fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => raw_json(body, "application/json"),
        Err(e) => crate::Problem::internal(format!("serialising a response: {e}")).into_response(),
    }
}

/// A body already serialised.
pub(crate) fn raw_json(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The query string as name → value (a repeated name: the last wins). Handlers validate each
/// parameter themselves so that problems name the parameter; the OpenAPI document describes
/// them through `IntoParams` structs.
pub(crate) struct Params(pub std::collections::HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = crate::Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, crate::Problem> {
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)?;
        Ok(Params(pairs.into_iter().collect()))
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}
