//! Valuations, resource estimates, policy runs and the background jobs that compute them.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use qaita_app::document::{RESOURCE_ESTIMATE, estimate_summary};
use qaita_app::valuation::{
    EconOptions, PolicyJob, VALUATION, ValuationJob, ValuationSummary, ValueOptions, assumptions,
    valuation_view,
};
use qaita_econ::data::Scenario;
use qaita_store::{Analysis, Role};
use serde::Deserialize;
use serde_json::json as j;
use utoipa::ToSchema;

use super::jobs::accepted;
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
    // Checked here so the caller hears of a bad option at once; the job checks again.
    if let Err(e) = assumptions(&econ, scenario, request.met_coefficient) {
        {
            let text = e.to_string();
            let field = ["discount-rate", "met-coefficient", "capacity"]
                .into_iter()
                .find(|f| text.contains(f))
                .unwrap_or("body")
                .replace('-', "_");
            errors.push(FieldProblem::new(field, text));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid valuation options", errors));
    }
    let tmf_id = state
        .db(move |s| {
            Ok(s.find(&id)?
                .ok_or_else(|| Problem::not_found(format!("no TMF {id}")))?
                .id)
        })
        .await?;
    let input = ValuationJob {
        tmf_id,
        scenario,
        met_coefficient: request.met_coefficient,
        econ,
        options,
    };
    let input = serde_json::to_value(&input).map_err(|e| Problem::internal(e.to_string()))?;
    let view = state.enqueue("valuation", &user, input, 2).await?;
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
    if let Err(e) = assumptions(&econ, Scenario::Base, None) {
        errors.push(FieldProblem::new("discount_rate", e.to_string()));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid policy options", errors));
    }
    let input = PolicyJob {
        filter,
        coefficients,
        scenarios,
        econ,
    };
    let input = serde_json::to_value(&input).map_err(|e| Problem::internal(e.to_string()))?;
    let view = state.enqueue("policy", &user, input, 2).await?;
    Ok(accepted(&view))
}
