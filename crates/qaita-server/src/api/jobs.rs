//! `/jobs`: background jobs, their results and files, for their owner (or an admin). Jobs are
//! rows of the database, so any server sharing it answers for a job another server queued.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qaita_store::{JobRecord, JobStatus, Role};
use serde::Deserialize;
use serde_json::json as j;
use utoipa::{IntoParams, ToSchema};

use super::json;
use crate::AppState;
use crate::auth::Caller;
use crate::jobs::JobView;
use crate::problem::{FieldProblem, Problem, ProblemDetails};

/// 202 Accepted with the job and `Location: /api/v1/jobs/{id}`.
pub(crate) fn accepted(view: &JobView) -> Response {
    let mut response = json(view);
    *response.status_mut() = StatusCode::ACCEPTED;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", view.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn job_id(text: &str) -> Result<i64, Problem> {
    text.parse().map_err(|_| {
        Problem::invalid(
            "invalid path",
            vec![FieldProblem::new("id", "expected a job number")],
        )
    })
}

/// The job `id` if the caller may see it: its owner, or an admin (others get 404, so job
/// numbers reveal nothing).
async fn visible_job(state: &AppState, caller: &Caller, id: &str) -> Result<JobRecord, Problem> {
    let id = job_id(id)?;
    let user = caller
        .user
        .as_ref()
        .ok_or_else(|| Problem::unauthorized("log in to see jobs"))?
        .clone();
    state
        .db_quick(move |s| Ok(s.job(id)?))
        .await?
        .filter(|r| r.owner == user.username || user.role >= Role::Admin)
        .ok_or_else(|| Problem::not_found(format!("no job {id}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// Everyone's jobs (admins only); default the caller's own.
    #[serde(default)]
    all: bool,
    /// At most this many, newest first (default 50, at most 1000).
    limit: Option<i64>,
}

/// The caller's jobs, newest first (admins: `?all=true` for everyone's).
#[utoipa::path(
    get, path = "/jobs", tag = "jobs",
    params(JobsQuery),
    responses(
        (status = 200, description = "Jobs, newest first", body = Vec<JobView>),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "all=true below admin", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<JobsQuery>,
) -> Result<Response, Problem> {
    let user = caller
        .user
        .as_ref()
        .ok_or_else(|| Problem::unauthorized("log in to see jobs"))?;
    if query.all && user.role < Role::Admin {
        return Err(Problem::forbidden("only admins see everyone's jobs"));
    }
    let owner = (!query.all).then(|| user.username.clone());
    let limit = query.limit.unwrap_or(50).clamp(1, 1000);
    let jobs = state
        .db_quick(move |s| Ok(s.jobs(owner.as_deref(), limit)?))
        .await?;
    Ok(json(&jobs.iter().map(JobView::from).collect::<Vec<_>>()))
}

/// A background job's state and progress.
#[utoipa::path(
    get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "The id is not a number", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such job (or it expired)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let record = visible_job(&state, &caller, &id).await?;
    Ok(json(&JobView::from(&record)))
}

/// Cancel a job that has not finished (its owner or an admin). A running attempt stops at its
/// next heartbeat and its result is never recorded.
#[utoipa::path(
    delete, path = "/jobs/{id}", tag = "jobs",
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The cancelled job", body = JobView),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "It had already finished", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.require(&headers, Role::Viewer)?;
    let record = visible_job(&state, &caller, &id).await?;
    let id = record.id;
    let (cancelled, after) = state
        .db(move |s| {
            let cancelled = s.cancel_job(id)?;
            Ok((cancelled, s.job(id)?))
        })
        .await?;
    if !cancelled {
        return Err(Problem::conflict(format!(
            "job {id} had already finished ({})",
            j!(record.status).as_str().unwrap_or_default()
        )));
    }
    let after = after.ok_or_else(|| Problem::not_found(format!("no job {id}")))?;
    Ok(json(&JobView::from(&after)))
}

/// The result of a succeeded job (409 while it runs, with the job's state).
#[utoipa::path(
    get, path = "/jobs/{id}/result", tag = "jobs",
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The result (a valuation as GET /tmfs/{id}/valuation, a policy table, a schedule, ...)", body = Object),
        (status = 400, description = "The id is not a number", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not finished, or failed (detail says which)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let record = visible_job(&state, &caller, &id).await?;
    let id = record.id;
    match (&record.result, record.status) {
        (Some(result), JobStatus::Succeeded) => Ok(json(result)),
        (_, JobStatus::Failed) => Err(Problem::conflict(format!(
            "job {id} failed: {}",
            record.error.as_deref().unwrap_or("no reason recorded")
        ))),
        (_, status) => Err(Problem::conflict(format!(
            "job {id} is {}; poll /api/v1/jobs/{id}",
            j!(status).as_str().unwrap_or_default()
        ))),
    }
}

/// A file made by a job (a report's HTML or PDF); only its owner or an admin may fetch it.
#[utoipa::path(
    get, path = "/jobs/{id}/files/{name}", tag = "jobs",
    params(
        ("id" = i64, Path, description = "Job id"),
        ("name" = String, Path, description = "File name from the job's result", example = "national.pdf"),
    ),
    responses(
        (status = 200, description = "The file (PDF as an attachment, HTML inline)", content((String = "application/pdf"), (String = "text/html"))),
        (status = 400, description = "The id is not a number", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such job or file", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let record = visible_job(&state, &caller, &id).await?;
    let id = record.id;
    let wanted = name.clone();
    let file = state
        .db(move |s| Ok(s.job_file(id, &wanted)?))
        .await?
        .ok_or_else(|| Problem::not_found(format!("job {id} has no file '{name}'")))?;
    let pdf = file.content_type == "application/pdf";
    let html = file.content_type.starts_with("text/html");
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let mut response = file.bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = if pdf { "attachment" } else { "inline" };
    // Names are made by the job from file_stem (ASCII letters, digits, - and _).
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{}\"", file.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if html {
        // The report is self-contained: inline styles and SVG, no scripts, nothing fetched.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
            ),
        );
    }
    Ok(response)
}

/// A probe job: sleeps and reports which worker ran it; for checking that workers run.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProbeRequest {
    /// How long it runs, ms (default 0, at most 600000).
    pub millis: u64,
    /// Progress steps (default 1).
    pub steps: Option<u64>,
    /// Any label, returned in the result.
    pub tag: Option<String>,
}

/// Queue a probe job (admin): checks that workers take and finish jobs.
#[utoipa::path(
    post, path = "/jobs/probes", tag = "jobs",
    request_body(content = ProbeRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Job queued; Location is the job; its result is `{job, attempt, tag, worker_pid}`", body = JobView),
        (status = 400, description = "An option is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below admin, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn probe(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Admin)?.username.clone();
    let request: ProbeRequest = super::analyses::parse_body(&body)?;
    if request.millis > 600_000 {
        return Err(Problem::invalid(
            "invalid probe",
            vec![FieldProblem::new("millis", "at most 600000")],
        ));
    }
    let steps = request.steps.unwrap_or(1).clamp(1, 10_000);
    let input = j!({"millis": request.millis, "steps": steps, "tag": request.tag});
    let view = state.enqueue("probe", &user, input, steps as i64).await?;
    Ok(accepted(&view))
}
