//! National prioritisation: the ranking and the roadmap (read at once), and schedules,
//! scenarios and reports (background jobs, as they may run a MILP for up to a minute). Each
//! answers the document `qaita rank|roadmap|schedule|scenario --json` prints: both call
//! `qaita_app::plan`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use qaita_app::plan::{
    self as app, DataOptions, PlanData, PlanJob, ReportJob, ReportTarget, RoadmapPart,
    ScheduleRequest,
};
use qaita_app::valuation::EconOptions;
use qaita_model::Region;
use qaita_plan::schedule::{Objective, SolverChoice};
use qaita_store::{Role, TmfFilter};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::analyses::{body_problem, parse_body};
use super::jobs::accepted;
use super::tmfs::{FilterQuery, parse_filter, vocab};
use super::{Params, json};
use crate::AppState;
use crate::auth::Caller;
use crate::jobs::JobView;
use crate::problem::{FieldProblem, Problem, ProblemDetails};

/// Most Monte Carlo paths per TMF valued on the fly for a plan.
const MAX_PATHS: usize = 20_000;
/// Longest MILP time limit a request may ask for, s (a job holds a worker that long).
const MAX_TIME_LIMIT_S: f64 = 600.0;
/// Longest schedule horizon, years.
const MAX_HORIZON: i32 = 60;

/// How TMFs without a stored valuation are valued for the plan (nothing is stored).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DataQuery {
    /// Use stored valuations only: TMFs without one get no economic score (default false).
    stored_only: Option<bool>,
    /// Monte Carlo paths for TMFs valued on the fly, 0..20000 (default 2000; 0: deterministic).
    #[param(minimum = 0, maximum = 20000)]
    paths: Option<usize>,
    /// Random seed of those valuations (default 1).
    seed: Option<u64>,
}

/// The ranking's options.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RankingQuery {
    /// Rank stability under perturbed weights (default true).
    stability: Option<bool>,
}

/// Which programme of the roadmap.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RoadmapQuery {
    /// all (default), residential (removal from residential areas) or rare_metals.
    #[param(pattern = "^(all|residential|rare_metals)$")]
    part: Option<String>,
}

fn data_options(
    filter: TmfFilter,
    stored_only: Option<bool>,
    paths: Option<usize>,
    seed: Option<u64>,
    errors: &mut Vec<FieldProblem>,
) -> DataOptions {
    let defaults = DataOptions::default();
    let paths = paths.unwrap_or(defaults.paths);
    if paths > MAX_PATHS {
        errors.push(FieldProblem::new("paths", format!("at most {MAX_PATHS}")));
    }
    DataOptions {
        filter,
        econ: EconOptions::default(),
        paths,
        seed: seed.unwrap_or(defaults.seed),
        stored_only: stored_only.unwrap_or(defaults.stored_only),
    }
}

fn query_data_options(
    params: &Params,
    errors: &mut Vec<FieldProblem>,
) -> Result<DataOptions, Problem> {
    let filter = parse_filter(params, false)?;
    let stored_only = vocab::<bool>(params, "stored_only", errors);
    let paths = vocab::<usize>(params, "paths", errors);
    let seed = vocab::<u64>(params, "seed", errors);
    Ok(data_options(filter, stored_only, paths, seed, errors))
}

fn load(
    state: &AppState,
    store: &mut qaita_store::Store,
    options: &DataOptions,
) -> Result<PlanData, Problem> {
    Ok(app::load(
        store,
        state.settlements(),
        state.econ(),
        options,
    )?)
}

/// Every TMF ranked on economic value, exposure, hazard, strategic content, resource
/// confidence and legal readiness, each score with its parts, and its stability under
/// perturbed weights (`qaita rank --json`).
#[utoipa::path(
    get, path = "/plan/ranking", tag = "plan",
    params(FilterQuery, DataQuery, RankingQuery),
    responses(
        (status = 200, description = "`{made_from, label, ranking}`: rows with score, group points, parts (indicator, raw, score, weight, points), hazard, stability; weights, notes, provenance", body = Object),
        (status = 400, description = "A parameter is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn ranking(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let mut errors = Vec::new();
    let options = query_data_options(&params, &mut errors)?;
    let stability = vocab::<bool>(&params, "stability", &mut errors).unwrap_or(true);
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid ranking options", errors));
    }
    let s = state.clone();
    let doc = state
        .db(move |store| {
            let plan = load(&s, store, &options)?;
            let ranking = app::rank(&plan, &s.plan_config().ranking, stability);
            Ok(app::ranking_document(&plan, &ranking))
        })
        .await?;
    Ok(json(&doc))
}

/// The residential-area removal programme (TMFs in or next to settlements, by urgency, with
/// the net value or cost of removing each) and the rare and rare-earth metals roadmap
/// (`qaita roadmap --json`).
#[utoipa::path(
    get, path = "/plan/roadmap", tag = "plan",
    params(FilterQuery, DataQuery, RoadmapQuery),
    responses(
        (status = 200, description = "`{made_from, label, residential, rare_metals}` (the part not asked for is null)", body = Object),
        (status = 400, description = "A parameter is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Anonymous reading is off", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security((), ("session" = []), ("token" = []))
)]
pub async fn roadmap(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, Problem> {
    caller.read(&state)?;
    let mut errors = Vec::new();
    let options = query_data_options(&params, &mut errors)?;
    let part = match params.get("part").map(str::trim).unwrap_or("all") {
        "" | "all" => RoadmapPart::All,
        "residential" => RoadmapPart::Residential,
        "rare_metals" => RoadmapPart::RareMetals,
        other => {
            errors.push(FieldProblem::new(
                "part",
                format!("'{other}' is not all, residential or rare_metals"),
            ));
            RoadmapPart::All
        }
    };
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid roadmap options", errors));
    }
    let s = state.clone();
    let doc = state
        .db(move |store| {
            let plan = load(&s, store, &options)?;
            let config = s.plan_config();
            let ranking = app::rank(&plan, &config.ranking, false);
            let (residential, rare) =
                app::roadmap(&plan, &ranking, part, &config.removal, &config.routes);
            Ok(app::roadmap_document(
                &plan,
                residential.as_ref(),
                rare.as_ref(),
            ))
        })
        .await?;
    Ok(json(&doc))
}

/// Options of a reprocessing schedule (every member optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleBody {
    /// What to maximise: npv (default), tonnes, exposure (person-years removed).
    pub objective: Option<String>,
    /// Capital that may be committed each year, million USD (default 300).
    pub budget_musd: Option<f64>,
    /// Processing capacity of each region, Mt/yr (default 20).
    pub capacity_mt: Option<f64>,
    /// Capacity of named regions, Mt/yr: `{"karaganda": 40}`.
    pub region_capacity: Option<BTreeMap<String, f64>>,
    /// First start year (default 2026).
    pub first_year: Option<i32>,
    /// Last start year (default 2050).
    pub last_year: Option<i32>,
    /// In each region, TMFs in or next to settlements start before the others (default false).
    pub residential_first: Option<bool>,
    /// Pairs `[before, after]` of registry or external ids.
    pub precedence: Option<Vec<Vec<String>>>,
    /// highs (default) or microlp.
    pub solver: Option<String>,
    /// Solver time limit, s (0 < t <= 600; default 60).
    pub time_limit_s: Option<f64>,
    /// Relative MIP gap at which to stop, 0..1 (default 0.01).
    pub gap: Option<f64>,
    /// Also schedule TMFs already being reprocessed (default false).
    pub include_ongoing: Option<bool>,
    /// Use stored valuations only (default false: TMFs without one are valued, not stored).
    pub stored_only: Option<bool>,
    /// Monte Carlo paths for TMFs valued on the fly, 0..20000 (default 2000).
    pub paths: Option<usize>,
    /// Random seed of those valuations (default 1).
    pub seed: Option<u64>,
}

/// A national report or a TMF's fact sheet, with the schedule options of its plan.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ReportBody {
    /// national or tmf.
    pub report: String,
    /// Registry id or external id of the TMF (for tmf only).
    pub id: Option<String>,
    /// Rows in the report's long tables, 1..500 (default 25).
    pub top: Option<usize>,
    #[serde(flatten)]
    pub schedule: ScheduleBody,
}

/// The schedule request and data options a body describes, or every problem with it.
fn schedule_request(
    body: ScheduleBody,
    filter: TmfFilter,
    errors: &mut Vec<FieldProblem>,
) -> (ScheduleRequest, DataOptions) {
    let d = ScheduleRequest::default();
    let objective = match body.objective.as_deref() {
        None | Some("npv") => Objective::Npv,
        Some("tonnes") => Objective::Tonnes,
        Some("exposure") => Objective::Exposure,
        Some(other) => {
            errors.push(FieldProblem::new(
                "objective",
                format!("'{other}' is not npv, tonnes or exposure"),
            ));
            Objective::Npv
        }
    };
    let solver = match body.solver.as_deref() {
        None | Some("highs") => SolverChoice::Highs,
        Some("microlp") => SolverChoice::Microlp,
        Some(other) => {
            errors.push(FieldProblem::new(
                "solver",
                format!("'{other}' is not highs or microlp"),
            ));
            SolverChoice::Highs
        }
    };
    let mut non_negative = |field: &str, value: Option<f64>, default: f64, scale: f64| {
        let v = value.unwrap_or(default / scale);
        if !(v.is_finite() && v >= 0.0) {
            errors.push(FieldProblem::new(field, "a non-negative number"));
        }
        v * scale
    };
    let budget_usd = non_negative("budget_musd", body.budget_musd, d.budget_usd, 1e6);
    let capacity_tpa = non_negative("capacity_mt", body.capacity_mt, d.capacity_tpa, 1e6);
    let mut region_capacity_tpa = BTreeMap::new();
    for (name, mt) in body.region_capacity.unwrap_or_default() {
        match name.parse::<Region>() {
            Ok(region) if mt.is_finite() && mt >= 0.0 => {
                region_capacity_tpa.insert(region, mt * 1e6);
            }
            Ok(_) => errors.push(FieldProblem::new(
                "region_capacity",
                format!("{name}: a non-negative number of Mt/yr"),
            )),
            Err(e) => errors.push(FieldProblem::new("region_capacity", e.to_string())),
        }
    }
    let first_year = body.first_year.unwrap_or(d.first_year);
    let last_year = body.last_year.unwrap_or(d.last_year);
    if !(2000..=2100).contains(&first_year) {
        errors.push(FieldProblem::new("first_year", "a year from 2000 to 2100"));
    }
    if last_year < first_year || last_year - first_year >= MAX_HORIZON {
        errors.push(FieldProblem::new(
            "last_year",
            format!("from first_year ({first_year}) to {MAX_HORIZON} years later"),
        ));
    }
    let mut precedence = Vec::new();
    for pair in body.precedence.unwrap_or_default() {
        match pair.as_slice() {
            [before, after] => precedence.push((before.clone(), after.clone())),
            _ => errors.push(FieldProblem::new(
                "precedence",
                "each item is a pair [before, after] of TMF ids",
            )),
        }
    }
    let time_limit_s = body.time_limit_s.unwrap_or(d.time_limit_s);
    if !(time_limit_s > 0.0 && time_limit_s <= MAX_TIME_LIMIT_S) {
        errors.push(FieldProblem::new(
            "time_limit_s",
            format!("seconds, more than 0 and at most {MAX_TIME_LIMIT_S}"),
        ));
    }
    let gap = body.gap.unwrap_or(d.gap);
    if !(0.0..1.0).contains(&gap) {
        errors.push(FieldProblem::new(
            "gap",
            "a fraction from 0 to below 1 (0.01 = 1%)",
        ));
    }
    let options = data_options(filter, body.stored_only, body.paths, body.seed, errors);
    (
        ScheduleRequest {
            objective,
            budget_usd,
            capacity_tpa,
            region_capacity_tpa,
            first_year,
            last_year,
            residential_first: body.residential_first.unwrap_or(false),
            precedence,
            solver,
            time_limit_s,
            gap,
            include_ongoing: body.include_ongoing.unwrap_or(false),
            solver_log: false,
        },
        options,
    )
}

/// Every id named in the precedence pairs exists (400 naming the first that does not).
async fn check_precedence(state: &AppState, request: &ScheduleRequest) -> Result<(), Problem> {
    let keys: Vec<String> = request
        .precedence
        .iter()
        .flat_map(|(b, a)| [b.trim().to_string(), a.trim().to_string()])
        .collect();
    let missing = state
        .db_quick(move |s| {
            for key in keys {
                if s.find(&key)?.is_none() {
                    return Ok(Some(key));
                }
            }
            Ok(None)
        })
        .await?;
    match missing {
        Some(key) => Err(Problem::invalid(
            "invalid schedule options",
            vec![FieldProblem::new("precedence", format!("no TMF '{key}'"))],
        )),
        None => Ok(()),
    }
}

/// The caller (an analyst), schedule request and data options of a schedule or scenario job:
/// filters from the query, options from the JSON body, precedence ids checked.
async fn schedule_job_input(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, ScheduleRequest, DataOptions), Problem> {
    let user = caller.require(headers, Role::Analyst)?.username.clone();
    let filter = parse_filter(params, false)?;
    let body: ScheduleBody = parse_body(body)?;
    let mut errors = Vec::new();
    let (request, options) = schedule_request(body, filter, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid schedule options", errors));
    }
    check_precedence(state, &request).await?;
    Ok((user, request, options))
}

/// Schedule reprocessing projects by year (analyst): greedy by rank and a MILP (HiGHS) under
/// the annual capital budget, regional capacity and precedence, compared; a background job.
#[utoipa::path(
    post, path = "/plan/schedules", tag = "plan",
    params(FilterQuery),
    request_body(content = ScheduleBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Job queued; Location is the job; its result is `{made_from, label, settings, projects, comparison}`", body = JobView),
        (status = 400, description = "An option is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn start_schedule(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (user, request, options) =
        schedule_job_input(&state, &caller, &params, &headers, &body).await?;
    let input = plan_job(PlanJob { options, request })?;
    let view = state.enqueue("schedule", &user, input, 2).await?;
    Ok(accepted(&view))
}

/// National stock and flow 2025-2050 under scenarios (analyst); scenarios built from TMF
/// projects get a schedule under their MET coefficient; a background job.
#[utoipa::path(
    post, path = "/plan/scenarios", tag = "plan",
    params(FilterQuery),
    request_body(content = ScheduleBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Job queued; Location is the job; its result is `{made_from, scenarios}`", body = JobView),
        (status = 400, description = "An option is invalid (named)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn start_scenarios(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let (user, request, options) =
        schedule_job_input(&state, &caller, &params, &headers, &body).await?;
    let steps = 1 + app::scheduled_scenarios(&state.plan_config().stock) as i64;
    let input = plan_job(PlanJob { options, request })?;
    let view = state.enqueue("scenarios", &user, input, steps).await?;
    Ok(accepted(&view))
}

/// Make the national report or a TMF's fact sheet as HTML and PDF (analyst): a background
/// job; the files are downloaded from `/jobs/{id}/files/{name}`.
#[utoipa::path(
    post, path = "/reports", tag = "plan",
    params(FilterQuery),
    request_body(content = ReportBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Job queued; Location is the job; its result is `{report, external_id, made_from, label, files: [{name, content_type, bytes}]}`", body = JobView),
        (status = 400, description = "An option is invalid (named), or the TMF does not exist", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Below analyst, or the CSRF header is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn start_report(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let user = caller.require(&headers, Role::Analyst)?.username.clone();
    let filter = parse_filter(&params, false)?;
    let mut value: Value = parse_body(&body)?;
    let mut errors = Vec::new();
    let mut take = |name: &str| value.as_object_mut().and_then(|o| o.remove(name));
    let report = take("report");
    let id = take("id");
    let top = take("top");
    if !(value.is_object() || value.is_null()) {
        return Err(Problem::invalid(
            "the JSON body does not fit",
            vec![FieldProblem::new("body", "expected an object")],
        ));
    }
    let schedule: ScheduleBody = if value.is_null() {
        ScheduleBody::default()
    } else {
        serde_json::from_value(value).map_err(body_problem)?
    };
    let top = match top {
        None | Some(Value::Null) => 25,
        Some(v) => match v.as_u64().filter(|n| (1..=500).contains(n)) {
            Some(n) => n as usize,
            None => {
                errors.push(FieldProblem::new("top", "a whole number from 1 to 500"));
                25
            }
        },
    };
    let id = match id {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.push(FieldProblem::new("id", "a registry id or external id"));
            None
        }
    };
    // The kind follows from `id`; checked so that a mismatch is named.
    let _report_kind = match report.as_ref().and_then(Value::as_str) {
        Some("national") => {
            if id.is_some() {
                errors.push(FieldProblem::new("id", "the national report takes no id"));
            }
            "national"
        }
        Some("tmf") => {
            if id.is_none() {
                errors.push(FieldProblem::new(
                    "id",
                    "give the TMF's id for a fact sheet",
                ));
            }
            "tmf"
        }
        _ => {
            errors.push(FieldProblem::new("report", "national or tmf"));
            "national"
        }
    };
    let (request, options) = schedule_request(schedule, filter, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::invalid("invalid report options", errors));
    }
    check_precedence(&state, &request).await?;
    let target = match id {
        None => ReportTarget::National,
        Some(key) => {
            let found = state
                .db_quick({
                    let key = key.clone();
                    move |s| Ok(s.find(&key)?)
                })
                .await?;
            match found {
                Some(stored) => ReportTarget::Tmf(stored.id),
                None => {
                    return Err(Problem::invalid(
                        "invalid report options",
                        vec![FieldProblem::new("id", format!("no TMF '{key}'"))],
                    ));
                }
            }
        }
    };
    let input = plan_job(ReportJob {
        options,
        request,
        target,
        top,
    })?;
    let view = state
        .enqueue("report", &user, input, 1 + app::REPORT_STEPS as i64)
        .await?;
    Ok(accepted(&view))
}

/// A job input as JSON.
fn plan_job(input: impl serde::Serialize) -> Result<Value, Problem> {
    serde_json::to_value(input).map_err(|e| Problem::internal(e.to_string()))
}
