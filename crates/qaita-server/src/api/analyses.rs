//! Valuations, resource estimates, policy runs and the background jobs that compute them.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use qaita_app::document::{RESOURCE_ESTIMATE, estimate_summary};
use qaita_app::valuation::{
    EconOptions, VALUATION, ValuationSummary, ValueOptions, assumptions, value_and_store,
};
use qaita_econ::data::Scenario;
use qaita_store::{Analysis, Role};
use serde::Deserialize;
use serde_json::{Value, json as j};
use utoipa::ToSchema;

use super::{Params, json};
use crate::AppState;
use crate::auth::Caller;
use crate::jobs::JobView;
use crate::problem::{FieldProblem, Problem, ProblemDetails};

/// Most Monte Carlo paths a request may ask for.
const MAX_PATHS: usize = 200_000;

async fn analyses_of(
    state: &AppState,
    key: String,
    kind: &'static str,
) -> Result<(i64, String, Vec<Analysis>), Problem> {
    state
        .db(move |s| {
            let stored = s
                .find(&key)?
                .ok_or_else(|| Problem::not_found(format!("no TMF {key}")))?;
            let all = s.analyses(stored.id, kind)?;
            Ok((stored.id, stored.tmf.external_id, all))
        })
        .await
}

/// A stored valuation as the UI reads it: headline numbers, the NPV histogram as edges and
/// counts, and the full stored result.
fn valuation_view(tmf_id: i64, external_id: &str, a: &Analysis) -> Value {
    let r = &a.result;
    let mc = &r["montecarlo"];
    let histogram: Vec<(f64, f64)> = mc["histogram"]
        .as_array()
        .map(|bins| {
            bins.iter()
                .filter_map(|b| Some((b[0].as_f64()?, b[1].as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    let npv_histogram = (!histogram.is_empty()).then(|| {
        let width = if histogram.len() > 1 {
            histogram[1].0 - histogram[0].0
        } else {
            0.0
        };
        let mut edges: Vec<f64> = histogram.iter().map(|b| b.0).collect();
        edges.push(histogram[histogram.len() - 1].0 + width);
        j!({"edges": edges, "counts": histogram.iter().map(|b| b.1).collect::<Vec<_>>()})
    });
    let mut valuation = r["valuation"].clone();
    let years = valuation
        .as_object_mut()
        .and_then(|v| v.remove("years"))
        .and_then(|y| y.as_array().map(Vec::len));
    j!({
        "tmf_id": tmf_id, "external_id": external_id,
        "version": a.version, "created_at": a.created_at, "actor": a.actor, "method": a.method,
        "route": valuation["route"], "scenario": valuation["scenario"],
        "npv_usd": valuation["npv_usd"], "irr": valuation["irr"],
        "p10_usd": mc["p10_usd"], "p50_usd": mc["p50_usd"], "p90_usd": mc["p90_usd"],
        "mean_usd": mc["mean_usd"], "probability_positive": mc["probability_positive"],
        "paths": mc["paths"], "seed": mc["seed"], "npv_histogram": npv_histogram,
        "valuation": valuation, "years": years, "alternatives": r["alternatives"],
        "tornado": r["tornado"], "basis": r["basis"], "data": r["data"],
        "parameters": a.parameters,
    })
}

/// The latest valuation of a TMF.
#[utoipa::path(
    get, path = "/tmfs/{id}/valuation", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    responses(
        (status = 200, description = "The latest valuation: NPV, IRR, P10/P50/P90, histogram, tornado, cash-flow summary", body = Object),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF, or it has no valuation", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn latest_valuation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let (tmf_id, external_id, all) = analyses_of(&state, id, VALUATION).await?;
    let latest = all
        .last()
        .ok_or_else(|| Problem::not_found(format!("{external_id} has no stored valuation")))?;
    Ok(json(&valuation_view(tmf_id, &external_id, latest)))
}

/// Every stored valuation of a TMF, oldest first (headlines only).
#[utoipa::path(
    get, path = "/tmfs/{id}/valuations", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    responses(
        (status = 200, description = "Valuation versions", body = Vec<Object>),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn valuations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let (_, _, all) = analyses_of(&state, id, VALUATION).await?;
    let summaries: Vec<ValuationSummary> = all.iter().map(ValuationSummary::of).collect();
    Ok(json(&summaries))
}

/// What to value and how (every member optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ValuationRequest {
    /// Price scenario: low, base (default), high.
    pub scenario: Option<String>,
    /// MET coefficient 0..1 (default: 0.1 for technogenic subsoil, 1.0 otherwise).
    pub met_coefficient: Option<f64>,
    /// Real discount rate (default 0.08).
    pub discount_rate: Option<f64>,
    /// Plant capacity, t/yr.
    pub capacity: Option<f64>,
    /// Avoided waste-placement payments, USD/t.
    pub avoided_payment: Option<f64>,
    /// Processing route (default: the best fitting one).
    pub route: Option<String>,
    /// Monte Carlo paths, 0..200000 (default 10000; 0 switches it off).
    pub paths: Option<usize>,
    /// Random seed (default 42).
    pub seed: Option<u64>,
}

pub(crate) fn parse_body<T: serde::de::DeserializeOwned + Default>(
    body: &[u8],
) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(body_problem)
}

/// A JSON body that does not fit its type: 400 naming the member serde names.
pub(crate) fn body_problem(e: serde_json::Error) -> Problem {
    Problem::invalid(
        "the JSON body does not fit",
        vec![FieldProblem::new("body", e.to_string())],
    )
}

pub(crate) fn accepted(view: &JobView) -> Response {
    let mut response = json(view);
    *response.status_mut() = StatusCode::ACCEPTED;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", view.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Value a TMF under Kazakhstan's tax regime (analyst): a background job; its result is also
/// stored as the TMF's newest valuation.
#[utoipa::path(
    post, path = "/tmfs/{id}/valuations", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    request_body(content = ValuationRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Job queued; Location is the job", body = JobView),
        (status = 400, description = "An option is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn start_valuation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Analyst)?.username.clone();
    let request: ValuationRequest = parse_body(&body)?;
    let mut errors = Vec::new();
    let scenario: Scenario = match request.scenario.as_deref().unwrap_or("base").parse() {
        Ok(s) => s,
        Err(e) => {
            errors.push(FieldProblem::new("scenario", e));
            Scenario::Base
        }
    };
    let econ = EconOptions {
        discount_rate: request.discount_rate.unwrap_or(0.08),
        capacity: request.capacity,
        avoided_payment: request.avoided_payment.unwrap_or(0.0),
    };
    let options = ValueOptions {
        route: request.route.clone(),
        paths: request.paths.unwrap_or(10_000),
        seed: request.seed.unwrap_or(42),
    };
    if options.paths > MAX_PATHS {
        errors.push(FieldProblem::new("paths", format!("at most {MAX_PATHS}")));
    }
    let a = match assumptions(&econ, scenario, request.met_coefficient) {
        Ok(a) => Some(a),
        Err(e) => {
            let text = e.to_string();
            let field = ["discount-rate", "met-coefficient", "capacity"]
                .into_iter()
                .find(|f| text.contains(f))
                .unwrap_or("body")
                .replace('-', "_");
            errors.push(FieldProblem::new(field, text));
            None
        }
    };
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid valuation options", errors));
    }
    let Some(a) = a else {
        return Err(Problem::internal("assumptions missing without an error"));
    };
    let stored = state
        .db(move |s| {
            s.find(&id)?
                .ok_or_else(|| Problem::not_found(format!("no TMF {id}")))
        })
        .await?;
    let job_state = state.clone();
    let owner = user.clone();
    let view = state.jobs().spawn("valuation", &owner, 2, move |progress| {
        let mut store = job_state.open_store()?;
        progress.advance(1);
        let outcome = value_and_store(&mut store, &stored, job_state.econ(), &econ, &a, &options, &user)
            .map_err(|e| Problem::bad_request(format!("{e:#}")))?;
        progress.advance(1);
        let Some((_, analysis_id)) = outcome else {
            return Err(Problem::bad_request(format!(
                "{} cannot be valued: no tonnage, or no processing route fits its kind and commodities",
                stored.tmf.external_id
            )));
        };
        let latest = store
            .analyses(stored.id, VALUATION)?
            .into_iter()
            .find(|x| x.id == analysis_id)
            .ok_or_else(|| Problem::internal("stored valuation not found"))?;
        Ok(valuation_view(stored.id, &stored.tmf.external_id, &latest))
    });
    Ok(accepted(&view))
}

/// The latest resource estimate of a TMF (`qaita estimate`): resources by class, grade-tonnage,
/// variogram, cross-validation.
#[utoipa::path(
    get, path = "/tmfs/{id}/resource-estimate", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    responses(
        (status = 200, description = "The latest resource estimate", body = Object),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF, or no estimate", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn latest_estimate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let (tmf_id, external_id, all) = analyses_of(&state, id, RESOURCE_ESTIMATE).await?;
    let latest = all.last().ok_or_else(|| {
        Problem::not_found(format!("{external_id} has no stored resource estimate"))
    })?;
    let mut view = j!({"tmf_id": tmf_id, "external_id": external_id, "version": latest.version,
        "created_at": latest.created_at, "actor": latest.actor, "method": latest.method,
        "parameters": latest.parameters});
    if let (Some(target), Some(result)) = (view.as_object_mut(), latest.result.as_object()) {
        for (k, v) in result {
            target.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Ok(json(&view))
}

/// Every stored resource estimate of a TMF, oldest first (summaries).
#[utoipa::path(
    get, path = "/tmfs/{id}/resource-estimates", tag = "analyses",
    params(("id" = String, Path, description = "Registry id or external id", example = "KZ-TMF-0012")),
    responses(
        (status = 200, description = "Estimate versions", body = Vec<Object>),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such TMF", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn estimates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let (_, _, all) = analyses_of(&state, id, RESOURCE_ESTIMATE).await?;
    Ok(json(&all.iter().map(estimate_summary).collect::<Vec<_>>()))
}

/// A MET policy run: the registry under a sweep of MET coefficients and price scenarios.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyRequest {
    /// MET coefficients 0..1 (default [1, 0.5, 0.1, 0]).
    pub coefficients: Option<Vec<f64>>,
    /// Price scenarios (default ["base"]).
    pub scenarios: Option<Vec<String>>,
    /// Real discount rate (default 0.08).
    pub discount_rate: Option<f64>,
}

/// Run a MET policy sweep over the registry (analyst; filters as for /tmfs): a background job.
#[utoipa::path(
    post, path = "/policy-runs", tag = "analyses",
    params(super::tmfs::FilterQuery),
    request_body(content = PolicyRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Job queued; Location is the job", body = JobView),
        (status = 400, description = "An option is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn start_policy_run(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Analyst)?.username.clone();
    let filter = super::tmfs::parse_filter(&params, false)?;
    let request: PolicyRequest = parse_body(&body)?;
    let mut errors = Vec::new();
    let coefficients = request
        .coefficients
        .unwrap_or_else(|| vec![1.0, 0.5, 0.1, 0.0]);
    if coefficients.is_empty()
        || coefficients.len() > 50
        || coefficients.iter().any(|c| !(0.0..=1.0).contains(c))
    {
        errors.push(FieldProblem::new(
            "coefficients",
            "1 to 50 numbers, each between 0 and 1",
        ));
    }
    let mut scenarios = Vec::new();
    for name in request.scenarios.unwrap_or_else(|| vec!["base".into()]) {
        match name.parse::<Scenario>() {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(FieldProblem::new("scenarios", e)),
        }
    }
    if scenarios.is_empty() && errors.is_empty() {
        errors.push(FieldProblem::new("scenarios", "give at least one scenario"));
    }
    let econ = EconOptions {
        discount_rate: request.discount_rate.unwrap_or(0.08),
        ..EconOptions::default()
    };
    let a = assumptions(&econ, Scenario::Base, None).map_err(|e| {
        errors.push(FieldProblem::new("discount_rate", e.to_string()));
    });
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid policy options", errors));
    }
    let Ok(a) = a else {
        return Err(Problem::internal("assumptions missing without an error"));
    };
    let job_state = state.clone();
    let view = state.jobs().spawn("policy", &user, 2, move |progress| {
        let mut store = job_state.open_store()?;
        let projects = qaita_app::valuation::projects(&mut store, &filter)?;
        progress.advance(1);
        let data = job_state.econ();
        let rows = qaita_econ::policy::sweep(
            &projects,
            &data.routes,
            &data.deck,
            &data.tax,
            &a,
            &coefficients,
            &scenarios,
        );
        progress.advance(1);
        Ok(j!({"objects": projects.len(), "data": data.source, "rows": rows}))
    });
    Ok(accepted(&view))
}

/// A background job's state and progress.
#[utoipa::path(
    get, path = "/jobs/{id}", tag = "analyses",
    params(("id" = u64, Path, description = "Job id")),
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
    let (_, view) = visible_job(&state, &caller, &id)?;
    Ok(json(&view))
}

/// The job `id` if the caller may see it: its owner, or an admin (others get 404, so job
/// numbers reveal nothing).
pub(crate) fn visible_job(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(u64, JobView), Problem> {
    let id = job_id(id)?;
    let user = caller
        .user
        .as_ref()
        .ok_or_else(|| Problem::unauthorized("log in to see jobs"))?;
    let view = state
        .jobs()
        .view(id)
        .filter(|v| v.owner == user.username || user.role >= Role::Admin)
        .ok_or_else(|| Problem::not_found(format!("no job {id}")))?;
    Ok((id, view))
}

fn job_id(text: &str) -> Result<u64, Problem> {
    text.parse().map_err(|_| {
        Problem::invalid(
            "invalid path",
            vec![FieldProblem::new("id", "expected a job number")],
        )
    })
}

/// The result of a succeeded job (409 while it runs, with the job's state).
#[utoipa::path(
    get, path = "/jobs/{id}/result", tag = "analyses",
    params(("id" = u64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The result (a valuation as GET /tmfs/{id}/valuation, or a policy table)", body = Object),
        (status = 400, description = "The id is not a number", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not finished, or failed (detail says which)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn job_result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let (id, view) = visible_job(&state, &caller, &id)?;
    match state.jobs().result(id) {
        Some(result) => Ok(json(&result)),
        None => Err(Problem::conflict(match &view.error {
            Some(e) => format!("job {id} failed: {e}"),
            None => format!("job {id} is {:?}; poll /api/v1/jobs/{id}", view.status).to_lowercase(),
        })),
    }
}
