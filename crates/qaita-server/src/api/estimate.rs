//! Resource estimation from the web: sample files uploaded into the store, a synchronous
//! preview (samples and variogram) and cross-validation, and the estimate itself as a job that
//! stores a new `resource_estimate` version. Everything computed is `qaita_app::estimate`, the
//! same code `qaita estimate` runs.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use qaita_app::estimate::{self as app, EstimateError, EstimateRequest, Inputs, Named};
use qaita_model::StoredTmf;
use qaita_store::{Role, Store, StoreError, UploadInfo};
use utoipa::{IntoParams, ToSchema};

use super::jobs::accepted;
use super::{Params, json};
use crate::AppState;
use crate::auth::Caller;
use crate::jobs::JobView;
use crate::problem::{FieldProblem, Problem, ProblemDetails};

/// Uploads older than this may be pruned (each upload prunes them).
const UPLOAD_DAYS: i64 = 7;

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct UploadQuery {
    /// The file's name as the user knows it (errors name it), e.g. `donskoy-auger.csv`.
    name: Option<String>,
}

/// An upload as stored (without its bytes).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = UploadInfo)]
pub struct UploadView {
    id: i64,
    name: String,
    /// Size in bytes.
    bytes: i64,
    /// SHA-256 of the content, hex.
    sha256: String,
    owner: String,
    created_at: String,
}

/// The estimate request as documented (the members of `qaita_app::estimate::EstimateRequest`,
/// which parses it: the flags of `qaita estimate` in snake_case, with the same defaults).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EstimateBody {
    /// Upload id of a point-samples CSV (or give collars + intervals).
    samples: Option<i64>,
    /// Upload id of drillhole collars.
    collars: Option<i64>,
    /// Upload id of downhole surveys.
    surveys: Option<i64>,
    /// Upload id of sampled intervals.
    intervals: Option<i64>,
    /// hole (one composite per hole, 2-D; default) or 3d.
    #[schema(pattern = "^(hole|3d)$")]
    holes_as: Option<String>,
    /// Composite length, m (default 1.5).
    composite: Option<f64>,
    /// Least sampled share of a composite (default 0.5).
    min_coverage: Option<f64>,
    /// Value column; its name is the commodity (required).
    value: String,
    /// EPSG code of projected x/y.
    epsg: Option<u16>,
    negative_to_zero: Option<bool>,
    top_cut: Option<f64>,
    /// Declustering cell, m (default twice the mean spacing).
    decluster: Option<f64>,
    /// A variogram model to use instead of fitting (as `qaita variogram --save` writes).
    #[schema(value_type = Option<Object>)]
    variogram: Option<serde_json::Value>,
    /// Shape to fit: spherical (default), exponential, gaussian.
    model: Option<String>,
    lag: Option<f64>,
    /// Number of lags (default 12).
    lags: Option<usize>,
    azimuth: Option<f64>,
    /// Directional tolerance, degrees (default 22.5).
    tolerance: Option<f64>,
    bandwidth: Option<f64>,
    vertical_lag: Option<f64>,
    /// ok (default), sk, idw, nn.
    #[schema(pattern = "^(ok|sk|idw|nn)$")]
    method: Option<String>,
    /// Default 4.
    min_samples: Option<usize>,
    /// Default 24.
    max_samples: Option<usize>,
    radius: Option<f64>,
    search_ellipsoid: Option<bool>,
    octants: Option<usize>,
    global: Option<bool>,
    sk_mean: Option<f64>,
    /// Default 2.
    idw_power: Option<f64>,
    /// Block size, m (default 25).
    cell: Option<f64>,
    layer: Option<f64>,
    /// Nodes per axis (default [2, 2]).
    discretise: Option<Vec<usize>>,
    thickness: Option<f64>,
    density: Option<f64>,
    /// Grade-tonnage cut-offs (default: 0 and the quartiles).
    cutoffs: Option<Vec<f64>>,
    /// Classification rules as `--rules` reads them.
    #[schema(value_type = Option<Object>)]
    rules: Option<serde_json::Value>,
    /// Store the estimate (default true; only the estimate job reads it).
    store: Option<bool>,
}

/// An estimate error as the client sees it: rejected files 422 with file, row, field and
/// reason; a bad option 400 naming the member.
fn problem(e: EstimateError) -> Problem {
    match e {
        EstimateError::Rejected(problems) => {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Sampling data rejected",
                format!("{} problem(s) in the sampling data", problems.len()),
            );
            p.errors = problems.iter().map(FieldProblem::from).collect();
            p
        }
        EstimateError::Invalid { field, message } => Problem::invalid(
            "invalid estimate options",
            vec![FieldProblem::new(field, message)],
        ),
        EstimateError::Other(e) => match e.downcast::<StoreError>() {
            Ok(store) => store.into(),
            Err(other) => Problem::bad_request(format!("{other:#}")),
        },
    }
}

/// Parse the body, naming the member at fault as the field (an unknown one, or one whose
/// value does not fit: `{"method": "magic"}` names `method`).
fn parse_request(body: &[u8]) -> Result<EstimateRequest, Problem> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let text = e.inner().to_string();
        let path = e.path().to_string();
        let field = text
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
            .or_else(|| {
                let first = path.split(['.', '[']).next().unwrap_or_default();
                (!first.is_empty() && first != "?").then(|| first.to_string())
            })
            .unwrap_or_else(|| "body".into());
        Problem::invalid(
            "the JSON body does not fit",
            vec![FieldProblem::new(field, text)],
        )
    })
}

/// The TMF and the request's uploads, each the caller's own (or any, for an admin).
fn load(
    s: &mut Store,
    key: &str,
    request: &EstimateRequest,
    user: &str,
    admin: bool,
) -> Result<(StoredTmf, Inputs), Problem> {
    let stored = s
        .find(key)?
        .ok_or_else(|| Problem::not_found(format!("no TMF {key}")))?;
    let mut get = |field: &str, id: Option<i64>| -> Result<Option<Named>, Problem> {
        let Some(id) = id else { return Ok(None) };
        let refuse = |reason: String| {
            Problem::invalid(
                "unusable upload",
                vec![FieldProblem::new(field.to_string(), reason)],
            )
        };
        let upload = s.upload(id)?.ok_or_else(|| {
            refuse(format!(
                "no upload {id} (uploads are kept {UPLOAD_DAYS} days)"
            ))
        })?;
        if upload.info.owner != user && !admin {
            return Err(refuse(format!("upload {id} belongs to another user")));
        }
        Ok(Some(Named {
            name: upload.info.name,
            bytes: upload.bytes,
        }))
    };
    let inputs = Inputs {
        samples: get("samples", request.samples)?,
        collars: get("collars", request.collars)?,
        surveys: get("surveys", request.surveys)?,
        intervals: get("intervals", request.intervals)?,
        ..Inputs::default()
    };
    Ok((stored, inputs))
}

/// Check the caller (analyst), parse the body and fetch the TMF and uploads.
async fn prepare(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    id: String,
    body: &[u8],
) -> Result<(String, EstimateRequest, StoredTmf, Inputs), Problem> {
    let user = caller.require(headers, Role::Analyst)?;
    let (name, admin) = (user.username.clone(), user.role >= Role::Admin);
    let request = parse_request(body)?;
    let (req, owner) = (request.clone(), name.clone());
    let (stored, inputs) = state.db(move |s| load(s, &id, &req, &owner, admin)).await?;
    Ok((name, request, stored, inputs))
}

/// Run computation off the async workers.
async fn compute<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, EstimateError> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Problem::internal(format!("estimate task: {e}")))?
        .map_err(problem)
}

/// Upload a file (analyst): the raw bytes as the body, any content type. Kept in the database
/// (so every server process sees it) for an estimate request to name by id; uploads older than
/// 7 days may be pruned.
#[utoipa::path(
    post, path = "/uploads", tag = "analyses",
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses(
        (status = 201, description = "Stored", body = UploadView),
        (status = 400, description = "The name is empty or too long", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the server accepts", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Analyst)?.username.clone();
    let name = params.get("name").unwrap_or("upload").trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Problem::invalid(
            "invalid query parameters",
            vec![FieldProblem::new(
                "name",
                "1 to 200 characters, no control characters",
            )],
        ));
    }
    let info: UploadInfo = state
        .db(move |s| {
            let week_ago = qaita_store::timestamp_in(-chrono::Duration::days(UPLOAD_DAYS));
            s.prune_uploads(&week_ago)?;
            Ok(s.add_upload(&name, &user, &body)?)
        })
        .await?;
    let mut response = json(&info);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// Prepare an estimate (analyst): read the uploads, composite, decluster and fit (or take) the
/// variogram. Synchronous; the answer has the samples' report, the projected points (at most
/// 5000) and the variogram with its experimental bins and model curves.
#[utoipa::path(
    post, path = "/tmfs/{id}/estimate-preview", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    request_body(content = EstimateBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Samples and variogram", body = Object),
        (status = 400, description = "An option is invalid, or an upload is not the caller's (the member is named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The sampling data are rejected: errors name file, row, field and reason", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (_, request, stored, inputs) = prepare(&state, &caller, &headers, id, &body).await?;
    let doc = compute(move || app::preview(&stored, &request, &inputs)).await?;
    Ok(json(&doc))
}

/// Cross-validate an estimate (analyst): leave-one-out for the requested method, then the
/// other three, with the given variogram (as edited) or a fitted one. Synchronous.
#[utoipa::path(
    post, path = "/tmfs/{id}/estimate-crossval", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    request_body(content = EstimateBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The variogram and one row per method", body = Object),
        (status = 400, description = "An option is invalid, or an upload is not the caller's (the member is named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The sampling data are rejected: errors name file, row, field and reason", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn crossval(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (_, request, stored, inputs) = prepare(&state, &caller, &headers, id, &body).await?;
    let doc = compute(move || app::crossval(&stored, &request, &inputs)).await?;
    Ok(json(&doc))
}

/// Estimate a TMF's resource (analyst): a background job. Its result is the document `qaita
/// estimate --json` prints, plus the blocks as GeoJSON (WGS84) and the stored analysis (with
/// `store: false`, null: nothing is stored).
#[utoipa::path(
    post, path = "/tmfs/{id}/resource-estimates", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    request_body(content = EstimateBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Job queued; Location is the job", body = JobView),
        (status = 400, description = "An option is invalid, or an upload is not the caller's (the member is named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn start_estimate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    // The uploads are read here to check they are the caller's (and the files at all: a
    // rejected file is answered 422 at once by the preview; here the job fails with it).
    let (user, request, stored, _) = prepare(&state, &caller, &headers, id, &body).await?;
    let input = serde_json::to_value(app::EstimateJob {
        tmf_id: stored.id,
        request,
    })
    .map_err(|e| Problem::internal(e.to_string()))?;
    let view = state
        .enqueue("estimate", &user, input, app::STEPS as i64)
        .await?;
    Ok(accepted(&view))
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    /// The documented body has exactly the members the app parses.
    #[test]
    fn documented_body_matches_the_request() {
        let schema = serde_json::to_value(super::EstimateBody::schema()).unwrap();
        let mut documented: Vec<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let request =
            serde_json::to_value(qaita_app::estimate::EstimateRequest::default()).unwrap();
        let mut parsed: Vec<String> = request.as_object().unwrap().keys().cloned().collect();
        documented.sort();
        parsed.sort();
        assert_eq!(documented, parsed);
    }
}
