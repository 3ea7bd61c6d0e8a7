//! National prioritisation as the CLI and the server both run it: the registry (TMFs, their
//! latest valuations and resource estimates, proximity to settlements) turned into
//! qaita-plan's plain inputs, and the schedule, scenarios and reports built over them. What
//! `qaita rank --json` prints and `GET /api/v1/plan/ranking` answers are the same documents.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use qaita_econ::data::Scenario;
use qaita_model::{FigureField, Region, StoredTmf};
use qaita_plan::config::RankingConfig;
use qaita_plan::rank::Ranking;
use qaita_plan::removal::{RemovalConfig, RemovalProgramme};
use qaita_plan::report::Document;
use qaita_plan::roadmap::{Roadmap, RoadmapConfig};
use qaita_plan::scenario::{NationalStockConfig, ScenarioKind, Scenarios};
use qaita_plan::schedule::{Comparison, Objective, ScheduleSettings, SolverChoice};
use qaita_plan::{EstimateClass, PlanTmf, ProximityFacts, ValuationFacts};
use qaita_risk::proximity::{Proximity, SettlementIndex, Site};
use qaita_store::{Analysis, Store, TmfFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::estimate::RESOURCE_ESTIMATE;
use crate::jobs::{self, JobContext, JobError, JobKind, JobOutput};
use crate::valuation::{EconData, EconOptions, VALUATION, ValueOptions, assumptions, value_one};

/// Which TMFs to plan over and how to value those without a stored valuation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DataOptions {
    pub filter: TmfFilter,
    pub econ: EconOptions,
    /// Monte Carlo paths for TMFs valued on the fly (those without a stored valuation).
    pub paths: usize,
    pub seed: u64,
    /// Use stored valuations only; TMFs without one get no economic score.
    pub stored_only: bool,
}

impl Default for DataOptions {
    fn default() -> Self {
        DataOptions {
            filter: TmfFilter::default(),
            econ: EconOptions::default(),
            paths: 2000,
            seed: 1,
            stored_only: false,
        }
    }
}

/// The registry as the planner sees it.
pub struct PlanData {
    pub stored: Vec<StoredTmf>,
    /// The latest resource estimate of each stored TMF.
    pub estimates: Vec<Option<Analysis>>,
    pub tmfs: Vec<PlanTmf>,
    /// Valuations taken from the store and computed for this plan.
    pub from_store: usize,
    pub computed: usize,
    /// Some current figure is illustrative (demo data).
    pub illustrative: bool,
    options: DataOptions,
}

impl PlanData {
    /// The banner every plan output carries.
    pub fn label(&self) -> String {
        if self.illustrative {
            "ILLUSTRATIVE: demo data compiled from public statements, not official figures; planning assumptions illustrative".into()
        } else {
            "Registry figures with their provenance; planning assumptions illustrative (see Sources)".into()
        }
    }

    /// When and from what the plan was made.
    pub fn made_from(&self) -> String {
        format!(
            "{}; {} TMFs; valuations: {} stored, {} computed for this plan (not stored)",
            today(),
            self.tmfs.len(),
            self.from_store,
            self.computed
        )
    }

    /// A TMF of the plan by registry id or external id.
    pub fn find(&self, key: &str) -> Option<&PlanTmf> {
        self.tmfs
            .iter()
            .find(|t| t.external_id == key || t.id.to_string() == key)
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The planner's view of a valuation result, stored or fresh (same JSON shape).
fn valuation_facts(result: &Value, basis: String) -> Option<ValuationFacts> {
    let v = &result["valuation"];
    let mc = &result["montecarlo"];
    Some(ValuationFacts {
        route: v["route"].as_str()?.to_string(),
        npv_usd: v["npv_usd"].as_f64()?,
        npv_p10_usd: mc["p10_usd"].as_f64(),
        npv_p50_usd: mc["p50_usd"].as_f64(),
        npv_p90_usd: mc["p90_usd"].as_f64(),
        probability_positive: mc["probability_positive"].as_f64(),
        capex_usd: v["capex_usd"].as_f64()?,
        capacity_tpa: v["capacity_tpa"].as_f64()?,
        discount_rate: v["discount_rate"].as_f64()?,
        met_coefficient: v["met_coefficient"].as_f64()?,
        processed_t_by_year: v["years"]
            .as_array()?
            .iter()
            .map(|y| y["processed_t"].as_f64().unwrap_or(0.0))
            .collect(),
        basis,
    })
}

fn proximity_facts(p: &Proximity) -> ProximityFacts {
    ProximityFacts {
        nearest_settlement: p.nearest.as_ref().map(|n| n.name.clone()),
        nearest_population: p.nearest.as_ref().map(|n| n.population),
        edge_distance_km: p.nearest.as_ref().map(|n| n.edge_distance_km),
        inside_settlement: p.nearest.as_ref().is_some_and(|n| n.inside),
        near_settlement: p.near_settlement,
        population_within: p
            .population_within
            .iter()
            .map(|w| (w.radius_km, w.population))
            .collect(),
    }
}

/// Read the registry, its analyses and proximity, and value TMFs that have no stored
/// valuation (unless `stored_only`), without storing anything.
pub fn load(
    store: &mut Store,
    index: &SettlementIndex,
    data: &EconData,
    options: &DataOptions,
) -> Result<PlanData> {
    let stored = store.list(&options.filter)?;
    let sites: Vec<Site<'_>> = stored
        .iter()
        .map(|s| Site {
            lon: s.tmf.location.lon,
            lat: s.tmf.location.lat,
            footprint: s.tmf.footprint.as_ref(),
        })
        .collect();
    let proximity = index.assess_all(&sites);
    let a = assumptions(&options.econ, Scenario::Base, None)?;
    let value_options = ValueOptions {
        route: None,
        paths: options.paths,
        seed: options.seed,
    };
    let (mut from_store, mut computed) = (0, 0);
    let mut tmfs = Vec::with_capacity(stored.len());
    let mut estimates = Vec::with_capacity(stored.len());
    for (s, p) in stored.iter().zip(&proximity) {
        let estimate = store.analyses(s.id, RESOURCE_ESTIMATE)?.pop();
        let valuation = match store.analyses(s.id, VALUATION)?.pop() {
            Some(v) => {
                from_store += 1;
                valuation_facts(
                    &v.result,
                    format!("stored valuation v{} ({})", v.version, v.created_at),
                )
            }
            None if options.stored_only => None,
            None => {
                let fresh = value_one(s, estimate.as_ref(), data, &a, &value_options)?;
                computed += usize::from(fresh.is_some());
                fresh.and_then(|r| {
                    valuation_facts(
                        &serde_json::to_value(&r).ok()?,
                        format!(
                            "computed for this plan, not stored ({} paths, seed {})",
                            options.paths, options.seed
                        ),
                    )
                })
            }
        };
        tmfs.push(plan_tmf(s, p, valuation, estimate.as_ref()));
        estimates.push(estimate);
    }
    let illustrative = stored
        .iter()
        .flat_map(|s| &s.tmf.figures)
        .any(|f| f.current && f.provenance.illustrative);
    Ok(PlanData {
        stored,
        estimates,
        tmfs,
        from_store,
        computed,
        illustrative,
        options: options.clone(),
    })
}

fn plan_tmf(
    s: &StoredTmf,
    p: &Proximity,
    valuation: Option<ValuationFacts>,
    estimate: Option<&Analysis>,
) -> PlanTmf {
    let resource_class = estimate.and_then(|e| {
        EstimateClass::dominant(
            e.result["resources"]
                .as_array()?
                .iter()
                .filter_map(|l| Some((l["class"].as_str()?, l["tonnes"].as_f64()?))),
        )
    });
    let tmf = &s.tmf;
    PlanTmf {
        id: s.id,
        external_id: tmf.external_id.clone(),
        name: tmf.names.name.clone(),
        region: tmf.region,
        kind: tmf.kind,
        status: tmf.status,
        legal_class: tmf.legal_class,
        owner_known: tmf.owner_known(),
        tonnage_t: tmf.tonnage_t(),
        tonnage_confidence: tmf
            .current(&FigureField::Tonnage)
            .map(|f| f.provenance.confidence),
        contained_t: tmf
            .commodities()
            .into_iter()
            .filter_map(|c| Some((c.clone(), tmf.contained_t(c)?)))
            .collect(),
        valuation,
        proximity: proximity_facts(p),
        hazard_notes: tmf.hazard_notes.clone(),
        resource_class,
    }
}

/// The ranking with or without its stability analysis.
pub fn rank(plan: &PlanData, config: &RankingConfig, stability: bool) -> Ranking {
    qaita_plan::rank::rank_with(&plan.tmfs, config, stability)
}

/// `qaita rank --json` and `GET /plan/ranking`.
pub fn ranking_document(plan: &PlanData, ranking: &Ranking) -> Value {
    json!({"made_from": plan.made_from(), "label": plan.label(), "ranking": ranking})
}

/// Which programme of the roadmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoadmapPart {
    All,
    Residential,
    RareMetals,
}

/// The residential-area removal programme and the rare-metals roadmap (either or both).
pub fn roadmap(
    plan: &PlanData,
    ranking: &Ranking,
    part: RoadmapPart,
    removal: &RemovalConfig,
    routes: &RoadmapConfig,
) -> (Option<RemovalProgramme>, Option<Roadmap>) {
    let residential = matches!(part, RoadmapPart::All | RoadmapPart::Residential)
        .then(|| qaita_plan::removal::programme(&plan.tmfs, ranking, removal));
    let rare = matches!(part, RoadmapPart::All | RoadmapPart::RareMetals)
        .then(|| qaita_plan::roadmap::roadmap(&plan.tmfs, Some(ranking), routes));
    (residential, rare)
}

/// `qaita roadmap --json` and `GET /plan/roadmap`.
pub fn roadmap_document(
    plan: &PlanData,
    residential: Option<&RemovalProgramme>,
    rare: Option<&Roadmap>,
) -> Value {
    json!({
        "made_from": plan.made_from(),
        "label": plan.label(),
        "residential": residential,
        "rare_metals": rare,
    })
}

/// The options of a reprocessing schedule, in the units users give them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleRequest {
    pub objective: Objective,
    /// Capital that may be committed each year, USD.
    pub budget_usd: f64,
    /// Processing capacity of each region, t/yr, unless named in `region_capacity_tpa`.
    pub capacity_tpa: f64,
    pub region_capacity_tpa: BTreeMap<Region, f64>,
    pub first_year: i32,
    pub last_year: i32,
    /// In each region, TMFs in or next to settlements start before the others.
    pub residential_first: bool,
    /// `(before, after)` pairs of registry or external ids.
    pub precedence: Vec<(String, String)>,
    pub solver: SolverChoice,
    pub time_limit_s: f64,
    /// Relative MIP gap at which to stop (0.01 = 1%).
    pub gap: f64,
    /// Also schedule TMFs already being reprocessed.
    pub include_ongoing: bool,
    /// Let HiGHS print its log to standard output.
    pub solver_log: bool,
}

impl Default for ScheduleRequest {
    fn default() -> Self {
        ScheduleRequest {
            objective: Objective::Npv,
            budget_usd: 300e6,
            capacity_tpa: 20e6,
            region_capacity_tpa: BTreeMap::new(),
            first_year: 2026,
            last_year: 2050,
            residential_first: false,
            precedence: Vec::new(),
            solver: SolverChoice::Highs,
            time_limit_s: 60.0,
            gap: 0.01,
            include_ongoing: false,
            solver_log: false,
        }
    }
}

/// A schedule option that does not fit the plan (the option's name and why).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct OptionError {
    pub field: &'static str,
    pub reason: String,
}

impl ScheduleRequest {
    /// The planner's settings; precedence ids are resolved among the TMFs planned.
    pub fn settings(&self, plan: &PlanData) -> Result<ScheduleSettings, OptionError> {
        let id_of = |key: &str| -> Result<i64, OptionError> {
            plan.find(key).map(|t| t.id).ok_or_else(|| OptionError {
                field: "precedence",
                reason: format!("no TMF '{key}' among those planned"),
            })
        };
        let precedence = self
            .precedence
            .iter()
            .map(|(b, a)| Ok((id_of(b.trim())?, id_of(a.trim())?)))
            .collect::<Result<Vec<_>, OptionError>>()?;
        Ok(ScheduleSettings {
            first_year: self.first_year,
            last_year: self.last_year,
            annual_budget_usd: self.budget_usd,
            regional_capacity_tpa: self.region_capacity_tpa.clone(),
            default_capacity_tpa: self.capacity_tpa,
            discount_rate: plan_discount_rate(plan),
            objective: self.objective,
            residential_first: self.residential_first,
            precedence,
            solver: self.solver,
            time_limit_s: self.time_limit_s,
            mip_rel_gap: self.gap,
            solver_log: self.solver_log,
        })
    }
}

/// Later starts are discounted at the rate the valuations used (the first one found; 8%).
fn plan_discount_rate(plan: &PlanData) -> f64 {
    plan.tmfs
        .iter()
        .find_map(|t| t.valuation.as_ref().map(|v| v.discount_rate))
        .unwrap_or(0.08)
}

/// A schedule with the settings it was made under and how many candidate projects it chose
/// from.
#[derive(Serialize)]
pub struct ScheduleRun {
    pub settings: ScheduleSettings,
    pub projects: usize,
    pub comparison: Comparison,
}

/// Greedy-by-rank and the MILP schedule of the plan's projects.
pub fn schedule(
    plan: &PlanData,
    ranking: &Ranking,
    request: &ScheduleRequest,
) -> Result<ScheduleRun> {
    let settings = request.settings(plan)?;
    let projects = qaita_plan::schedule::projects(&plan.tmfs, ranking, request.include_ongoing);
    let comparison = qaita_plan::schedule::optimise(&projects, &settings)?;
    Ok(ScheduleRun {
        settings,
        projects: projects.len(),
        comparison,
    })
}

/// `qaita schedule --json` and the result of `POST /plan/schedules`.
pub fn schedule_document(plan: &PlanData, run: &ScheduleRun) -> Value {
    json!({
        "made_from": plan.made_from(),
        "label": plan.label(),
        "settings": run.settings,
        "projects": run.projects,
        "comparison": run.comparison,
    })
}

/// The national scenarios; `share_plus_projects` scenarios get a schedule of the projects
/// valued under their MET coefficient (deterministic valuations, not stored). `progress` is
/// called after each scheduled scenario.
pub fn scenarios(
    plan: &PlanData,
    data: &EconData,
    ranking: &Ranking,
    request: &ScheduleRequest,
    config: &NationalStockConfig,
    mut progress: impl FnMut(),
) -> Result<Scenarios> {
    let mut by_scenario = BTreeMap::new();
    for s in config
        .scenarios
        .iter()
        .filter(|s| s.kind == ScenarioKind::SharePlusProjects)
    {
        let a = assumptions(&plan.options.econ, Scenario::Base, s.met_coefficient)?;
        let options = ValueOptions {
            route: None,
            paths: 0,
            seed: plan.options.seed,
        };
        let mut revalued = PlanData {
            stored: Vec::new(),
            estimates: Vec::new(),
            tmfs: plan.tmfs.clone(),
            from_store: 0,
            computed: 0,
            illustrative: plan.illustrative,
            options: plan.options.clone(),
        };
        for ((t, stored), estimate) in revalued
            .tmfs
            .iter_mut()
            .zip(&plan.stored)
            .zip(&plan.estimates)
        {
            t.valuation = value_one(stored, estimate.as_ref(), data, &a, &options)?.and_then(|r| {
                valuation_facts(
                    &serde_json::to_value(&r).ok()?,
                    format!("scenario {} (MET x {:?})", s.name, s.met_coefficient),
                )
            });
        }
        let run = schedule(&revalued, ranking, request)?;
        by_scenario.insert(
            s.name.clone(),
            qaita_plan::schedule::yearly_tonnes(&run.comparison.milp),
        );
        progress();
    }
    Ok(qaita_plan::scenario::run(config, &by_scenario)?)
}

/// How many scenarios [`scenarios`] schedules (for progress reports).
pub fn scheduled_scenarios(config: &NationalStockConfig) -> usize {
    config
        .scenarios
        .iter()
        .filter(|s| s.kind == ScenarioKind::SharePlusProjects)
        .count()
}

/// `qaita scenario --json` and the result of `POST /plan/scenarios`.
pub fn scenarios_document(plan: &PlanData, scenarios: &Scenarios) -> Value {
    json!({"made_from": plan.made_from(), "label": plan.label(), "scenarios": scenarios})
}

/// Planning data files (bundled unless replaced).
#[derive(Clone)]
pub struct PlanConfig {
    pub ranking: RankingConfig,
    pub removal: RemovalConfig,
    pub routes: RoadmapConfig,
    pub stock: NationalStockConfig,
}

impl PlanConfig {
    pub fn bundled() -> Self {
        PlanConfig {
            ranking: RankingConfig::bundled(),
            removal: RemovalConfig::bundled(),
            routes: RoadmapConfig::bundled(),
            stock: NationalStockConfig::bundled(),
        }
    }

    /// The bundled planning data, with each of `ranking.json`, `removal.json`,
    /// `rare-metal-routes.json` and `national-stock.json` found in `dir` replacing its default.
    pub fn load(dir: Option<&Path>) -> Result<PlanConfig> {
        let mut config = PlanConfig::bundled();
        let Some(dir) = dir else {
            return Ok(config);
        };
        if !dir.is_dir() {
            bail!("planning data directory {} does not exist", dir.display());
        }
        let read = |name: &str| -> Result<Option<(String, String)>> {
            let path = dir.join(name);
            if !path.exists() {
                return Ok(None);
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok(Some((path.display().to_string(), text)))
        };
        if let Some((file, text)) = read("ranking.json")? {
            config.ranking = RankingConfig::parse(&file, &text)?;
        }
        if let Some((file, text)) = read("removal.json")? {
            config.removal = RemovalConfig::parse(&file, &text)?;
        }
        if let Some((file, text)) = read("rare-metal-routes.json")? {
            config.routes = RoadmapConfig::parse(&file, &text)?;
        }
        if let Some((file, text)) = read("national-stock.json")? {
            config.stock = NationalStockConfig::parse(&file, &text)?;
        }
        Ok(config)
    }
}

/// Which report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportTarget {
    National,
    /// One TMF's fact sheet (registry id).
    Tmf(i64),
}

/// Steps [`report`] reports through `progress`.
pub const REPORT_STEPS: u64 = 4;

/// The national report or a TMF's fact sheet, and the file stem to write it under. Runs the
/// whole plan: ranking with stability, removal, roadmap, schedule and (national) scenarios.
pub fn report(
    plan: &PlanData,
    data: &EconData,
    config: &PlanConfig,
    request: &ScheduleRequest,
    target: &ReportTarget,
    top: usize,
    mut progress: impl FnMut(),
) -> Result<(String, Document)> {
    let ranking = qaita_plan::rank::rank(&plan.tmfs, &config.ranking);
    let removal = qaita_plan::removal::programme(&plan.tmfs, &ranking, &config.removal);
    let roadmap = qaita_plan::roadmap::roadmap(&plan.tmfs, Some(&ranking), &config.routes);
    progress();
    let run = schedule(plan, &ranking, request)?;
    progress();
    match target {
        ReportTarget::National => {
            let scenarios = scenarios(plan, data, &ranking, request, &config.stock, || ())?;
            progress();
            let doc = qaita_plan::report::national(&qaita_plan::report::NationalInputs {
                tmfs: &plan.tmfs,
                ranking: &ranking,
                removal: &removal,
                roadmap: &roadmap,
                scenarios: &scenarios,
                schedule: &run.comparison,
                schedule_settings: &run.settings,
                made_from: plan.made_from(),
                label: plan.label(),
                top,
            })?;
            progress();
            Ok(("national".to_string(), doc))
        }
        ReportTarget::Tmf(id) => {
            let position = plan.tmfs.iter().position(|t| t.id == *id).ok_or_else(|| {
                anyhow!("TMF {id} is not among the TMFs planned (check the filters)")
            })?;
            let tmf = &plan.tmfs[position];
            progress();
            let doc = qaita_plan::report::fact_sheet(&qaita_plan::report::FactSheetInputs {
                tmf,
                figures: &plan.stored[position].tmf.figures,
                ranking: &ranking,
                removal: Some(&removal),
                roadmap: Some(&roadmap),
                schedule: Some(&run.comparison),
                made_from: plan.made_from(),
                label: plan.label(),
            })?;
            progress();
            Ok((qaita_plan::report::file_stem(&tmf.external_id), doc))
        }
    }
}

/// Input of the `schedule` and `scenarios` jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanJob {
    pub options: DataOptions,
    pub request: ScheduleRequest,
}

/// Input of the `report` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportJob {
    pub options: DataOptions,
    pub request: ScheduleRequest,
    pub target: ReportTarget,
    pub top: usize,
}

/// The plan a job works on, with the schedule options checked against it (an id not among
/// the TMFs planned fails the job, naming the option).
fn job_plan(
    context: &mut JobContext<'_>,
    options: &DataOptions,
    request: &ScheduleRequest,
) -> Result<PlanData, JobError> {
    let config = context.config;
    let plan = load(context.store, &config.settlements, &config.econ, options)?;
    request
        .settings(&plan)
        .map_err(|e| JobError::Invalid(e.to_string()))?;
    Ok(plan)
}

fn run_schedule_job(context: &mut JobContext<'_>, value: Value) -> Result<JobOutput, JobError> {
    let job: PlanJob = jobs::input(value)?;
    let plan = job_plan(context, &job.options, &job.request)?;
    let ranking = rank(&plan, &context.config.plan.ranking, false);
    context.advance(1);
    let run = schedule(&plan, &ranking, &job.request)?;
    context.advance(1);
    Ok(schedule_document(&plan, &run).into())
}

fn run_scenarios_job(context: &mut JobContext<'_>, value: Value) -> Result<JobOutput, JobError> {
    let job: PlanJob = jobs::input(value)?;
    let plan = job_plan(context, &job.options, &job.request)?;
    let config = context.config;
    context.set_total(1 + scheduled_scenarios(&config.plan.stock) as u64);
    let ranking = rank(&plan, &config.plan.ranking, false);
    context.advance(1);
    let made = scenarios(
        &plan,
        &config.econ,
        &ranking,
        &job.request,
        &config.plan.stock,
        || context.advance(1),
    )?;
    Ok(scenarios_document(&plan, &made).into())
}

fn run_report_job(context: &mut JobContext<'_>, value: Value) -> Result<JobOutput, JobError> {
    let job: ReportJob = jobs::input(value)?;
    let plan = job_plan(context, &job.options, &job.request)?;
    context.advance(1);
    let config = context.config;
    let (stem, doc) = report(
        &plan,
        &config.econ,
        &config.plan,
        &job.request,
        &job.target,
        job.top,
        || context.advance(1),
    )?;
    let pdf = doc
        .to_pdf()
        .map_err(|e| JobError::Invalid(format!("PDF: {e}")))?;
    let files = vec![
        qaita_store::JobFileData {
            name: format!("{stem}.html"),
            content_type: "text/html; charset=utf-8".into(),
            bytes: doc.to_html().into_bytes(),
        },
        qaita_store::JobFileData {
            name: format!("{stem}.pdf"),
            content_type: "application/pdf".into(),
            bytes: pdf,
        },
    ];
    let (kind, external_id) = match &job.target {
        ReportTarget::Tmf(id) => (
            "tmf",
            plan.tmfs
                .iter()
                .find(|t| t.id == *id)
                .map(|t| t.external_id.clone()),
        ),
        ReportTarget::National => ("national", None),
    };
    let listed: Vec<Value> = files
        .iter()
        .map(|f| json!({"name": f.name, "content_type": f.content_type, "bytes": f.bytes.len()}))
        .collect();
    Ok(JobOutput {
        result: json!({"report": kind, "external_id": external_id, "made_from": plan.made_from(),
            "label": plan.label(), "files": listed}),
        files,
    })
}

/// This module's job kinds.
pub const JOB_KINDS: &[JobKind] = &[
    JobKind {
        name: "schedule",
        run: run_schedule_job,
    },
    JobKind {
        name: "scenarios",
        run: run_scenarios_job,
    },
    JobKind {
        name: "report",
        run: run_report_job,
    },
];
