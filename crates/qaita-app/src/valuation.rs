//! Valuation of one TMF under Kazakhstan's tax regime, as the CLI and the server run and
//! store it: the project from registry figures or the latest resource estimate, the best
//! fitting route, Monte Carlo, tornado.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use qaita_econ::data::{PriceDeck, Route, Scenario, TaxRegime, bundled, parse_routes};
use qaita_econ::montecarlo::{McConfig, McResult, simulate};
use qaita_econ::valuation::{
    Assumptions, Model, Project, TornadoBar, Valuation, route_fits, tornado,
};
use qaita_model::{Commodity, FigureField, StoredTmf};
use qaita_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::jobs::{self, JobContext, JobError, JobKind, JobOutput};

/// Kind of the stored analysis.
pub const VALUATION: &str = "valuation";
pub const METHOD: &str = "qaita-econ: yearly cash flow under Kazakhstan MET (coefficient by legal class) and 20% CIT; correlated GBM price Monte Carlo";

/// Prices, tax rates and processing routes a valuation uses.
pub struct EconData {
    pub deck: PriceDeck,
    pub tax: TaxRegime,
    pub routes: Vec<Route>,
    /// Where the data came from, as stored with each valuation.
    pub source: String,
}

/// The bundled illustrative data, with any of its files replaced by those in `econ_data`.
pub fn load(econ_data: Option<&Path>) -> Result<EconData> {
    let read = |name: &str, bundled: &'static str| -> Result<String> {
        match econ_data {
            Some(dir) if dir.join(name).exists() => std::fs::read_to_string(dir.join(name))
                .with_context(|| format!("cannot read {}", dir.join(name).display())),
            _ => Ok(bundled.to_string()),
        }
    };
    let deck = PriceDeck::parse(
        &read("prices.csv", bundled::PRICES)?,
        &read("fx.csv", bundled::FX)?,
    )?;
    let tax = TaxRegime::parse(
        &read("met-rates.csv", bundled::MET_RATES)?,
        &read("met-precious.csv", bundled::MET_PRECIOUS)?,
    )?;
    let routes = parse_routes(
        &read("routes.csv", bundled::ROUTES)?,
        &read("route-recoveries.csv", bundled::ROUTE_RECOVERIES)?,
    )?;
    let source = match econ_data {
        Some(dir) => format!(
            "{} (files present there replace the bundled ones)",
            dir.display()
        ),
        None => "bundled illustrative deck and routes, data/econ (2026-11-01)".to_string(),
    };
    Ok(EconData {
        deck,
        tax,
        routes,
        source,
    })
}

/// The project a TMF's registry figures describe; grades from registry figures are uncertain
/// (relative SD 30%) until a resource estimate replaces them.
pub fn project_of(stored: &StoredTmf) -> Option<Project> {
    let tmf = &stored.tmf;
    let tonnage_t = tmf.tonnage_t()?;
    let grades = tmf
        .commodities()
        .into_iter()
        .filter_map(|c| {
            Some((
                c.clone(),
                tmf.current(&FigureField::Grade(c.clone()))?.canonical(),
            ))
        })
        .collect();
    Some(Project {
        tonnage_t,
        grades,
        kind: tmf.kind,
        legal_class: tmf.legal_class,
        grade_relative_sd: 0.3,
    })
}

/// The project of a TMF, from its latest resource estimate when there is one: the estimate's
/// tonnes (all classes) and grade replace the registry's, and its kriging uncertainty replaces
/// the 30% assumed for registry grades. Returns the project and where its figures come from.
pub fn project_with_estimate(
    stored: &StoredTmf,
    estimate: Option<&qaita_store::Analysis>,
) -> Option<(Project, String)> {
    let mut project = project_of(stored);
    let Some(e) = estimate else {
        return project.map(|p| (p, "registry figures".to_string()));
    };
    let lines = e.result["resources"].as_array()?;
    let pick = |class: &str| lines.iter().find(|l| l["class"] == class);
    let (mut tonnes, mut contained) = (0.0, 0.0);
    for class in ["Measured + Indicated", "Inferred"] {
        if let Some(l) = pick(class) {
            tonnes += l["tonnes"].as_f64().unwrap_or(0.0);
            contained += l["contained_t"].as_f64().unwrap_or(0.0);
        }
    }
    let commodity: Commodity = e.result["commodity"].as_str()?.parse().ok()?;
    if tonnes <= 0.0 {
        return project.map(|p| {
            (
                p,
                "registry figures (the resource estimate has no tonnes)".to_string(),
            )
        });
    }
    let p = project.get_or_insert_with(|| Project {
        tonnage_t: tonnes,
        grades: Vec::new(),
        kind: stored.tmf.kind,
        legal_class: stored.tmf.legal_class,
        grade_relative_sd: 0.3,
    });
    p.tonnage_t = tonnes;
    let grade = contained / tonnes;
    match p.grades.iter_mut().find(|(c, _)| *c == commodity) {
        Some(g) => g.1 = grade,
        None => p.grades.push((commodity, grade)),
    }
    if let Some(sd) = e.result["grade_relative_sd"]
        .as_f64()
        .filter(|v| v.is_finite())
    {
        p.grade_relative_sd = sd;
    }
    project.map(|p| {
        (
            p,
            format!("resource estimate v{} ({})", e.version, e.created_at),
        )
    })
}

/// Economic options shared by single valuations and policy runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EconOptions {
    /// Real discount rate per year (0.08 = 8%).
    pub discount_rate: f64,
    /// Plant capacity, t/yr (default: tonnage / 15 years, within 50 kt/yr..10 Mt/yr).
    pub capacity: Option<f64>,
    /// Payments for waste placement avoided per tonne reprocessed, USD/t.
    pub avoided_payment: f64,
}

impl Default for EconOptions {
    fn default() -> Self {
        EconOptions {
            discount_rate: 0.08,
            capacity: None,
            avoided_payment: 0.0,
        }
    }
}

/// Checked assumptions; errors name the option.
pub fn assumptions(
    args: &EconOptions,
    scenario: Scenario,
    met_coefficient: Option<f64>,
) -> Result<Assumptions> {
    if !(0.0..=1.0).contains(&args.discount_rate) {
        bail!(
            "--discount-rate {} must be between 0 and 1 (0.08 = 8%)",
            args.discount_rate
        );
    }
    if let Some(c) = met_coefficient
        && !(0.0..=1.0).contains(&c)
    {
        bail!("--met-coefficient {c} must be between 0 and 1");
    }
    if let Some(c) = args.capacity
        && !(c > 0.0 && c.is_finite())
    {
        bail!("--capacity must be a positive number of tonnes per year");
    }
    Ok(Assumptions {
        discount_rate: args.discount_rate,
        capacity_tpa: args.capacity,
        scenario,
        met_coefficient,
        avoided_payment_usd_per_t: args.avoided_payment,
        ..Assumptions::default()
    })
}

/// A TMF's valuation as stored and printed.
#[derive(Serialize)]
pub struct ValueResult {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub valuation: Valuation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub montecarlo: Option<McResult>,
    pub tornado: Vec<TornadoBar>,
    /// NPV of the other fitting routes.
    pub alternatives: Vec<(String, f64)>,
    /// Registry figures or the resource estimate the tonnes and grades come from.
    pub basis: String,
    pub data: String,
}

impl ValueResult {
    /// What listings sort by: the P50 NPV, or the deterministic NPV without Monte Carlo.
    pub fn headline(&self) -> f64 {
        self.montecarlo
            .as_ref()
            .map_or(self.valuation.npv_usd, |mc| mc.p50_usd)
    }
}

/// Route and Monte Carlo choices of one valuation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueOptions {
    /// Processing route (default: the fitting route with the highest NPV).
    pub route: Option<String>,
    /// Monte Carlo paths (0 switches Monte Carlo off).
    pub paths: usize,
    pub seed: u64,
}

impl Default for ValueOptions {
    fn default() -> Self {
        ValueOptions {
            route: None,
            paths: 10_000,
            seed: 42,
        }
    }
}

/// Value one TMF; `None` when it has no tonnage or no route fits it.
pub fn value_one(
    stored: &StoredTmf,
    estimate: Option<&qaita_store::Analysis>,
    data: &EconData,
    a: &Assumptions,
    args: &ValueOptions,
) -> Result<Option<ValueResult>> {
    let Some((project, basis)) = project_with_estimate(stored, estimate) else {
        return Ok(None);
    };
    let fitting: Vec<&Route> = data
        .routes
        .iter()
        .filter(|r| route_fits(r, &project))
        .collect();
    let valuations: Vec<(&Route, Valuation)> = fitting
        .iter()
        .map(|r| {
            (
                *r,
                Model::new(&project, r, &data.deck, &data.tax, a).valuation(),
            )
        })
        .collect();
    let chosen = match &args.route {
        Some(name) => valuations
            .iter()
            .find(|(r, _)| &r.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = fitting.iter().map(|r| r.name.as_str()).collect();
                anyhow!(
                    "route '{name}' does not fit {} (fitting routes: {})",
                    stored.tmf.external_id,
                    names.join(", ")
                )
            })?,
        None => match valuations
            .iter()
            .max_by(|x, y| x.1.npv_usd.total_cmp(&y.1.npv_usd))
        {
            Some(best) => best,
            None => return Ok(None),
        },
    };
    let (route, valuation) = chosen;
    let model = Model::new(&project, route, &data.deck, &data.tax, a);
    let montecarlo = (args.paths > 0).then(|| {
        simulate(
            &model,
            &McConfig {
                paths: args.paths,
                seed: args.seed,
                ..McConfig::default()
            },
        )
    });
    Ok(Some(ValueResult {
        id: stored.id,
        external_id: stored.tmf.external_id.clone(),
        name: stored.tmf.names.name.clone(),
        valuation: valuation.clone(),
        montecarlo,
        tornado: tornado(&project, route, &data.deck, &data.tax, a),
        alternatives: valuations
            .iter()
            .filter(|(r, _)| r.name != route.name)
            .map(|(r, v)| (r.name.clone(), v.npv_usd))
            .collect(),
        basis,
        data: data.source.clone(),
    }))
}

/// The headline of a stored valuation, for `show`.
#[derive(Debug, Clone, Serialize)]
pub struct ValuationSummary {
    pub version: i64,
    pub created_at: String,
    pub actor: String,
    pub route: Option<String>,
    pub scenario: Option<String>,
    pub npv_usd: Option<f64>,
    pub irr: serde_json::Value,
    pub p10_usd: Option<f64>,
    pub p50_usd: Option<f64>,
    pub p90_usd: Option<f64>,
    pub probability_positive: Option<f64>,
}

impl ValuationSummary {
    pub fn of(a: &qaita_store::Analysis) -> Self {
        let v = &a.result["valuation"];
        let mc = &a.result["montecarlo"];
        ValuationSummary {
            version: a.version,
            created_at: a.created_at.clone(),
            actor: a.actor.clone(),
            route: v["route"].as_str().map(str::to_string),
            scenario: v["scenario"].as_str().map(str::to_string),
            npv_usd: v["npv_usd"].as_f64(),
            irr: v["irr"].clone(),
            p10_usd: mc["p10_usd"].as_f64(),
            p50_usd: mc["p50_usd"].as_f64(),
            p90_usd: mc["p90_usd"].as_f64(),
            probability_positive: mc["probability_positive"].as_f64(),
        }
    }
}

impl std::fmt::Display for ValuationSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = |v: Option<f64>| v.map_or("-".to_string(), musd);
        let irr: Vec<f64> = self
            .irr
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default();
        write!(
            f,
            "valuation v{} ({} by {}): route {}, {} prices, NPV {} M USD, IRR {}, P10/P50/P90 {}/{}/{} M USD",
            self.version,
            self.created_at,
            self.actor,
            self.route.as_deref().unwrap_or("-"),
            self.scenario.as_deref().unwrap_or("-"),
            m(self.npv_usd),
            irr_text(&irr),
            m(self.p10_usd),
            m(self.p50_usd),
            m(self.p90_usd)
        )
    }
}

pub fn musd(v: f64) -> String {
    format!("{:.2}", v / 1e6)
}

pub fn irr_text(irr: &[f64]) -> String {
    match irr {
        [] => "none".into(),
        [one] => format!("{:.1}%", one * 100.0),
        several => format!(
            "several: {}",
            several
                .iter()
                .map(|r| format!("{:.1}%", r * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Value one TMF and store the result as a new valuation version; `None` when it cannot be
/// valued (no tonnage, or no route fits). Returns the result and the stored analysis id.
#[allow(clippy::too_many_arguments)]
pub fn value_and_store(
    store: &mut Store,
    stored: &StoredTmf,
    data: &EconData,
    econ: &EconOptions,
    assumptions: &Assumptions,
    options: &ValueOptions,
    actor: &str,
    job: Option<i64>,
) -> Result<Option<(ValueResult, i64)>> {
    let estimate = store
        .analyses(stored.id, crate::estimate::RESOURCE_ESTIMATE)?
        .pop();
    let Some(r) = value_one(stored, estimate.as_ref(), data, assumptions, options)? else {
        return Ok(None);
    };
    let id = store_result(store, &r, data, econ, assumptions, options, actor, job)?;
    Ok(Some((r, id)))
}

/// Store a computed valuation as a new version; returns the analysis id. `job` is the
/// background job that made it (kept in the parameters, so a retried job finds its work).
#[allow(clippy::too_many_arguments)]
pub fn store_result(
    store: &mut Store,
    r: &ValueResult,
    data: &EconData,
    econ: &EconOptions,
    assumptions: &Assumptions,
    options: &ValueOptions,
    actor: &str,
    job: Option<i64>,
) -> Result<i64> {
    let mut parameters = serde_json::json!({
        "assumptions": assumptions,
        "econ": econ,
        "route": options.route,
        "montecarlo": {"paths": options.paths, "seed": options.seed},
        "data": data.source,
    });
    if let Some(job) = job {
        parameters["job"] = job.into();
    }
    Ok(store.add_analysis(
        r.id,
        VALUATION,
        actor,
        METHOD,
        &parameters,
        &serde_json::to_value(r)?,
        Some(r.headline()),
    )?)
}

/// The projects of every TMF matching `filter` that can be valued (from its latest resource
/// estimate where there is one), for policy sweeps.
pub fn projects(store: &mut Store, filter: &qaita_store::TmfFilter) -> Result<Vec<Project>> {
    let stored = store.list(filter)?;
    let mut projects = Vec::with_capacity(stored.len());
    for s in &stored {
        let estimate = store
            .analyses(s.id, crate::estimate::RESOURCE_ESTIMATE)?
            .pop();
        projects.extend(project_with_estimate(s, estimate.as_ref()).map(|(p, _)| p));
    }
    Ok(projects)
}

/// A stored valuation as the UI reads it: headline numbers, the NPV histogram as edges and
/// counts, and the full stored result.
pub fn valuation_view(tmf_id: i64, external_id: &str, a: &qaita_store::Analysis) -> Value {
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
        json!({"edges": edges, "counts": histogram.iter().map(|b| b.1).collect::<Vec<_>>()})
    });
    let mut valuation = r["valuation"].clone();
    let years = valuation
        .as_object_mut()
        .and_then(|v| v.remove("years"))
        .and_then(|y| y.as_array().map(Vec::len));
    json!({
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

/// Input of the `valuation` job: one TMF, checked options.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuationJob {
    pub tmf_id: i64,
    pub scenario: Scenario,
    pub met_coefficient: Option<f64>,
    pub econ: EconOptions,
    pub options: ValueOptions,
}

fn run_valuation_job(context: &mut JobContext<'_>, value: Value) -> Result<JobOutput, JobError> {
    let job: ValuationJob = jobs::input(value)?;
    let a = assumptions(&job.econ, job.scenario, job.met_coefficient)?;
    let stored = context
        .store
        .get(job.tmf_id)?
        .ok_or_else(|| JobError::Invalid(format!("TMF {} no longer exists", job.tmf_id)))?;
    context.advance(1);
    // An earlier attempt of this job that stored its valuation before its worker died.
    let mine = |a: &qaita_store::Analysis| a.parameters["job"].as_i64() == Some(context.job_id);
    let earlier = context
        .store
        .analyses(stored.id, VALUATION)?
        .into_iter()
        .find(mine);
    let analysis = match earlier {
        Some(a) => a,
        None => {
            let outcome = value_and_store(
                context.store,
                &stored,
                &context.config.econ,
                &job.econ,
                &a,
                &job.options,
                context.owner,
                Some(context.job_id),
            )?;
            let Some((_, id)) = outcome else {
                return Err(JobError::Invalid(format!(
                    "{} cannot be valued: no tonnage, or no processing route fits its kind and commodities",
                    stored.tmf.external_id
                )));
            };
            context
                .store
                .analyses(stored.id, VALUATION)?
                .into_iter()
                .find(|x| x.id == id)
                .ok_or_else(|| JobError::Transient("stored valuation not found".into()))?
        }
    };
    context.advance(1);
    Ok(valuation_view(stored.id, &stored.tmf.external_id, &analysis).into())
}

/// Input of the `policy` job: a MET sweep over the TMFs a filter selects.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyJob {
    pub filter: qaita_store::TmfFilter,
    pub coefficients: Vec<f64>,
    pub scenarios: Vec<Scenario>,
    pub econ: EconOptions,
}

fn run_policy_job(context: &mut JobContext<'_>, value: Value) -> Result<JobOutput, JobError> {
    let job: PolicyJob = jobs::input(value)?;
    let a = assumptions(&job.econ, Scenario::Base, None)?;
    let projects = projects(context.store, &job.filter)?;
    context.advance(1);
    let data = &context.config.econ;
    let rows = qaita_econ::policy::sweep(
        &projects,
        &data.routes,
        &data.deck,
        &data.tax,
        &a,
        &job.coefficients,
        &job.scenarios,
    );
    context.advance(1);
    Ok(json!({"objects": projects.len(), "data": data.source, "rows": rows}).into())
}

/// This module's job kinds.
pub const JOB_KINDS: &[JobKind] = &[
    JobKind {
        name: "valuation",
        run: run_valuation_job,
    },
    JobKind {
        name: "policy",
        run: run_policy_job,
    },
];
