//! `qaita rank`, `roadmap`, `scenario`, `schedule` and `report`: shells over qaita-plan. This
//! file turns the registry (TMFs, their latest valuations and resource estimates, proximity to
//! settlements) into the planner's plain inputs, and prints or writes what comes back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use comfy_table::Cell;
use qaita_app::valuation::{EconOptions, ValueOptions, assumptions, load, value_one};
use qaita_econ::data::Scenario;
use qaita_model::units::format_tonnes;
use qaita_model::{FigureField, Region, StoredTmf};
use qaita_plan::config::RankingConfig;
use qaita_plan::rank::Ranking;
use qaita_plan::removal::{RemovalConfig, RemovalProgramme};
use qaita_plan::report::Document;
use qaita_plan::roadmap::{Roadmap, RoadmapConfig};
use qaita_plan::scenario::{NationalStockConfig, ScenarioKind, Scenarios};
use qaita_plan::schedule::{Comparison, Objective, ScheduleSettings, SolverChoice};
use qaita_plan::{EstimateClass, PlanTmf, ProximityFacts, ValuationFacts};
use qaita_risk::proximity::{Proximity, ProximityConfig, Site};
use qaita_store::Store;

use crate::commands::{filter, find, not_found};
use crate::output::{print_json, right, table};
use crate::{EconArgs, FilterArgs, exit};

/// Which registry TMFs to plan over and how to value those without a stored valuation.
#[derive(Args, Clone)]
pub(crate) struct PlanDataArgs {
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    #[command(flatten)]
    pub(crate) econ: EconArgs,
    /// Monte Carlo paths for TMFs valued on the fly (those without a stored valuation).
    #[arg(long, default_value_t = 2000)]
    pub(crate) paths: usize,
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Use stored valuations only; TMFs without one get no economic score.
    #[arg(long)]
    pub(crate) stored_only: bool,
    /// Ranking criteria, weights, normalisation and hazard rules (JSON, as data/plan/ranking.json).
    #[arg(long)]
    pub(crate) ranking: Option<PathBuf>,
}

/// Options of the reprocessing schedule.
#[derive(Args, Clone)]
pub(crate) struct ScheduleOptions {
    /// What to maximise.
    #[arg(long, value_enum, default_value = "npv")]
    pub(crate) objective: ObjectiveArg,
    /// Capital that may be committed each year, million USD.
    #[arg(long, default_value_t = 300.0)]
    pub(crate) budget_musd: f64,
    /// Processing capacity of each region, Mt/yr.
    #[arg(long, default_value_t = 20.0)]
    pub(crate) capacity_mt: f64,
    /// Capacity of named regions, Mt/yr: `karaganda=40,pavlodar=15`.
    #[arg(long, value_delimiter = ',')]
    pub(crate) region_capacity: Vec<String>,
    /// First and last start year.
    #[arg(long, default_value_t = 2026)]
    pub(crate) first_year: i32,
    #[arg(long, default_value_t = 2050)]
    pub(crate) last_year: i32,
    /// In each region, TMFs in or next to settlements start before the others.
    #[arg(long)]
    pub(crate) residential_first: bool,
    /// Precedence pairs `BEFORE:AFTER` (registry or external ids).
    #[arg(long, value_delimiter = ',')]
    pub(crate) precedence: Vec<String>,
    #[arg(long, value_enum, default_value = "highs")]
    pub(crate) solver: SolverArg,
    /// Solver time limit, s.
    #[arg(long, default_value_t = 60.0)]
    pub(crate) time_limit: f64,
    /// Relative MIP gap at which to stop (0.01 = 1%).
    #[arg(long, default_value_t = 0.01)]
    pub(crate) gap: f64,
    /// Also schedule TMFs already being reprocessed.
    #[arg(long)]
    pub(crate) include_ongoing: bool,
    /// Print the MILP solver's log.
    #[arg(long)]
    pub(crate) solver_log: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ObjectiveArg {
    Npv,
    Tonnes,
    Exposure,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SolverArg {
    Highs,
    Microlp,
}

#[derive(Args)]
pub(crate) struct RankArgs {
    #[command(flatten)]
    pub(crate) data: PlanDataArgs,
    /// Rows to print (JSON lists all).
    #[arg(long, default_value_t = 30)]
    pub(crate) top: usize,
    /// Skip the stability analysis under perturbed weights.
    #[arg(long)]
    pub(crate) no_stability: bool,
    /// Show each TMF's score parts (indicator, raw value, score, weight, points).
    #[arg(long)]
    pub(crate) explain: bool,
    /// Write SVG charts into this directory.
    #[arg(long)]
    pub(crate) charts: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RoadmapPart {
    /// Both programmes.
    All,
    /// Removal of TMFs from residential areas.
    Residential,
    /// Rare and rare-earth metals roadmap.
    RareMetals,
}

#[derive(Args)]
pub(crate) struct RoadmapArgs {
    /// Which programme.
    #[arg(value_enum, default_value = "all")]
    pub(crate) part: RoadmapPart,
    #[command(flatten)]
    pub(crate) data: PlanDataArgs,
    /// Relocation costs and urgency weights (JSON, as data/plan/removal.json).
    #[arg(long)]
    pub(crate) removal: Option<PathBuf>,
    /// Rare-metal routes, thresholds and phases (JSON, as data/plan/rare-metal-routes.json).
    #[arg(long)]
    pub(crate) routes: Option<PathBuf>,
    #[arg(long)]
    pub(crate) charts: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct ScenarioArgs {
    #[command(flatten)]
    pub(crate) data: PlanDataArgs,
    #[command(flatten)]
    pub(crate) schedule: ScheduleOptions,
    /// National stock figures and scenarios (JSON, as data/plan/national-stock.json).
    #[arg(long)]
    pub(crate) stock: Option<PathBuf>,
    #[arg(long)]
    pub(crate) charts: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct ScheduleArgs {
    #[command(flatten)]
    pub(crate) data: PlanDataArgs,
    #[command(flatten)]
    pub(crate) schedule: ScheduleOptions,
    /// Rows to print.
    #[arg(long, default_value_t = 40)]
    pub(crate) top: usize,
    #[arg(long)]
    pub(crate) charts: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportKind {
    /// The national report.
    National,
    /// One TMF's fact sheet (give its id).
    Tmf,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// `national` or `tmf`.
    #[arg(value_enum, value_name = "REPORT")]
    pub(crate) report: ReportKind,
    /// Registry id or external id (for `tmf`).
    pub(crate) id: Option<String>,
    /// Output directory for the .html, .pdf and charts.
    #[arg(long)]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) data: PlanDataArgs,
    #[command(flatten)]
    pub(crate) schedule: ScheduleOptions,
    #[arg(long)]
    pub(crate) removal: Option<PathBuf>,
    #[arg(long)]
    pub(crate) routes: Option<PathBuf>,
    #[arg(long)]
    pub(crate) stock: Option<PathBuf>,
    /// Rows in the report's long tables.
    #[arg(long, default_value_t = 25)]
    pub(crate) top: usize,
}

/// The registry as the planner sees it.
struct PlanData {
    stored: Vec<StoredTmf>,
    /// The latest resource estimate of each stored TMF.
    estimates: Vec<Option<qaita_store::Analysis>>,
    tmfs: Vec<PlanTmf>,
    /// Valuations taken from the store and computed here.
    from_store: usize,
    computed: usize,
    illustrative: bool,
}

impl PlanData {
    fn label(&self) -> String {
        if self.illustrative {
            "ILLUSTRATIVE: demo data compiled from public statements, not official figures; planning assumptions illustrative".into()
        } else {
            "Registry figures with their provenance; planning assumptions illustrative (see Sources)".into()
        }
    }

    fn made_from(&self) -> String {
        format!(
            "{}; {} TMFs; valuations: {} stored, {} computed for this plan (not stored)",
            chrono::Utc::now().format("%Y-%m-%d"),
            self.tmfs.len(),
            self.from_store,
            self.computed
        )
    }
}

fn econ_options(e: &EconArgs) -> EconOptions {
    EconOptions {
        discount_rate: e.discount_rate,
        capacity: e.capacity,
        avoided_payment: e.avoided_payment,
    }
}

/// The planner's view of a valuation result, stored or fresh (same JSON shape).
fn valuation_facts(result: &serde_json::Value, basis: String) -> Option<ValuationFacts> {
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

fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn ranking_config(args: &PlanDataArgs) -> Result<RankingConfig> {
    Ok(match &args.ranking {
        Some(p) => RankingConfig::parse(&p.display().to_string(), &read_file(p)?)?,
        None => RankingConfig::bundled(),
    })
}

/// Read the registry, its analyses and proximity, and value TMFs that have no stored
/// valuation (unless `--stored-only`), without storing anything.
fn load_plan(store: &mut Store, args: &PlanDataArgs) -> Result<PlanData> {
    let stored = store.list(&filter(&args.filter)?)?;
    let config = ProximityConfig::default();
    let index = qaita_app::settlements::index(None, config)?;
    let sites: Vec<Site<'_>> = stored
        .iter()
        .map(|s| Site {
            lon: s.tmf.location.lon,
            lat: s.tmf.location.lat,
            footprint: s.tmf.footprint.as_ref(),
        })
        .collect();
    let proximity = index.assess_all(&sites);
    let econ = econ_options(&args.econ);
    let data = load(args.econ.econ_data.as_deref())?;
    let a = assumptions(&econ, Scenario::Base, None)?;
    let options = ValueOptions {
        route: None,
        paths: args.paths,
        seed: args.seed,
    };
    let (mut from_store, mut computed) = (0, 0);
    let mut tmfs = Vec::with_capacity(stored.len());
    let mut estimates = Vec::with_capacity(stored.len());
    for (s, p) in stored.iter().zip(&proximity) {
        let estimate = store
            .analyses(s.id, qaita_app::document::RESOURCE_ESTIMATE)?
            .pop();
        let valuation = match store.analyses(s.id, qaita_app::valuation::VALUATION)?.pop() {
            Some(v) => {
                from_store += 1;
                valuation_facts(
                    &v.result,
                    format!("stored valuation v{} ({})", v.version, v.created_at),
                )
            }
            None if args.stored_only => None,
            None => {
                let fresh = value_one(s, estimate.as_ref(), &data, &a, &options)?;
                computed += usize::from(fresh.is_some());
                fresh.and_then(|r| {
                    valuation_facts(
                        &serde_json::to_value(&r).ok()?,
                        format!(
                            "computed for this plan, not stored ({} paths, seed {})",
                            args.paths, args.seed
                        ),
                    )
                })
            }
        };
        let resource_class = estimate.as_ref().and_then(|e| {
            EstimateClass::dominant(
                e.result["resources"]
                    .as_array()?
                    .iter()
                    .filter_map(|l| Some((l["class"].as_str()?, l["tonnes"].as_f64()?))),
            )
        });
        let tmf = &s.tmf;
        tmfs.push(PlanTmf {
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
        });
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
    })
}

fn write_charts(dir: &Path, charts: &[(String, String)]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, svg) in charts {
        let path = dir.join(name);
        std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("chart: {}", path.display());
    }
    Ok(())
}

fn musd(v: f64) -> String {
    format!("{:.1}", v / 1e6)
}

fn print_ranking(r: &Ranking, top: usize, explain: bool) {
    let mut t = table(&[
        "rank",
        "ID",
        "name",
        "region",
        "score",
        "econ.",
        "expos.",
        "hazard",
        "strat.",
        "conf.",
        "legal",
        "rank P5-P95",
        "P(top)",
    ]);
    for row in r.rows.iter().take(top) {
        let g = |k: &str| right(format!("{:.3}", row.groups.get(k).copied().unwrap_or(0.0)));
        t.add_row(vec![
            right(row.rank),
            Cell::new(&row.external_id),
            Cell::new(&row.name),
            Cell::new(row.region.label_en()),
            right(format!("{:.3}", row.score)),
            g("economic"),
            g("exposure"),
            g("hazard"),
            g("strategic"),
            g("confidence"),
            g("legal"),
            right(
                row.stability
                    .map_or("-".into(), |s| format!("{}-{}", s.rank_p05, s.rank_p95)),
            ),
            right(
                row.stability
                    .map_or("-".into(), |s| format!("{:.0}%", s.top_probability * 100.0)),
            ),
        ]);
    }
    println!("{t}");
    if explain {
        for row in r.rows.iter().take(top) {
            let mut parts = table(&["indicator", "group", "raw", "score", "weight", "points"]);
            for p in &row.parts {
                parts.add_row(vec![
                    Cell::new(&p.indicator),
                    Cell::new(p.group),
                    right(p.raw.map_or("missing".into(), |v| format!("{v:.4}"))),
                    right(format!("{:.3}", p.score)),
                    right(format!("{:.3}", p.weight)),
                    right(format!("{:.4}", p.contribution)),
                ]);
            }
            println!(
                "{} {} (rank {}, score {:.3}); hazard factors: {}",
                row.external_id,
                row.name,
                row.rank,
                row.score,
                row.hazard
                    .factors
                    .iter()
                    .map(|(f, v)| format!("{f} {v:+.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("{parts}");
        }
    }
    if let Some(s) = &r.stability {
        println!(
            "stability: {} draws, weights x U[{:.2}, {:.2}] (seed {}): Spearman mean {:.3}, min {:.3}; {:.0}% of the top {} stay in it on average",
            s.draws,
            1.0 - s.perturbation,
            1.0 + s.perturbation,
            s.seed,
            s.spearman_mean,
            s.spearman_min,
            s.top_overlap_mean * 100.0,
            s.top
        );
    }
    for note in &r.notes {
        println!("note: {note}");
    }
    println!(
        "{} TMFs ranked; group columns are the points each criterion group adds (weights: {}); settings: {} ({})",
        r.rows.len(),
        r.weights
            .iter()
            .map(|(g, i, w, _)| format!("{g}/{i} {w:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        r.provenance.source,
        r.provenance.date
    );
}

pub(crate) fn rank(store: &mut Store, args: RankArgs) -> Result<u8> {
    let config = ranking_config(&args.data)?;
    let plan = load_plan(store, &args.data)?;
    let ranking = qaita_plan::rank::rank_with(&plan.tmfs, &config, !args.no_stability);
    if let Some(dir) = &args.charts {
        write_charts(dir, &qaita_plan::rank::charts(&ranking, args.top.min(20))?)?;
    }
    if args.json {
        print_json(
            &serde_json::json!({"made_from": plan.made_from(), "label": plan.label(), "ranking": ranking}),
        )?;
    } else {
        println!("{}", plan.label());
        print_ranking(&ranking, args.top, args.explain);
        println!("made from: {}", plan.made_from());
    }
    Ok(exit::OK)
}

fn removal_config(path: Option<&Path>) -> Result<RemovalConfig> {
    Ok(match path {
        Some(p) => RemovalConfig::parse(&p.display().to_string(), &read_file(p)?)?,
        None => RemovalConfig::bundled(),
    })
}

fn roadmap_config(path: Option<&Path>) -> Result<RoadmapConfig> {
    Ok(match path {
        Some(p) => RoadmapConfig::parse(&p.display().to_string(), &read_file(p)?)?,
        None => RoadmapConfig::bundled(),
    })
}

fn stock_config(path: Option<&Path>) -> Result<NationalStockConfig> {
    Ok(match path {
        Some(p) => NationalStockConfig::parse(&p.display().to_string(), &read_file(p)?)?,
        None => NationalStockConfig::bundled(),
    })
}

fn print_removal(p: &RemovalProgramme) {
    let mut t = table(&[
        "#",
        "ID",
        "name",
        "settlement",
        "inside / edge km",
        "at risk",
        "hazard",
        "GISTM",
        "urgency",
        "tonnage",
        "reprocess NPV",
        "relocation",
        "option",
        "net (M USD)",
        "rank",
    ]);
    for r in &p.rows {
        t.add_row(vec![
            right(r.order),
            Cell::new(&r.external_id),
            Cell::new(&r.name),
            Cell::new(r.settlement.as_deref().unwrap_or("-")),
            right(if r.inside_settlement {
                "inside".to_string()
            } else {
                r.edge_distance_km.map_or("-".into(), |d| format!("{d:.2}"))
            }),
            right(format!("{:.0}", r.population_at_risk)),
            right(format!("{:.2}", r.hazard_index)),
            Cell::new(r.consequence_class.label()),
            right(format!("{:.2}", r.urgency)),
            right(r.tonnage_t.map_or("-".into(), format_tonnes)),
            right(r.reprocess_npv_usd.map_or("-".into(), musd)),
            right(r.relocation_cost_usd.map_or("-".into(), |c| musd(-c))),
            Cell::new(format!("{:?}", r.option).to_lowercase()),
            right(r.net_usd.map_or("-".into(), musd)),
            right(r.national_rank),
        ]);
    }
    println!("{t}");
    println!(
        "residential-area removal programme: {} TMFs inside or within {} km of a settlement; net {} M USD ({} reprocessed, {} relocated); {:.0} people at risk (per TMF, summed); {}. Relocation costs: {} ({}, {})",
        p.rows.len(),
        p.near_km,
        musd(p.net_total_usd),
        p.reprocess_count,
        p.relocate_count,
        p.population_at_risk_total,
        format_tonnes(p.tonnes_total),
        p.provenance.source,
        p.provenance.date,
        p.provenance.confidence
    );
}

fn print_roadmap(r: &Roadmap) {
    let mut t = table(&["commodity", "rare earth", "contained", "TMFs", "by region"]);
    for total in r.totals.iter().filter(|t| t.contained_t > 0.0) {
        let mut regions: Vec<(&Region, &f64)> = total.by_region.iter().collect();
        regions.sort_by(|a, b| b.1.total_cmp(a.1));
        t.add_row(vec![
            Cell::new(&total.commodity),
            Cell::new(if total.rare_earth { "yes" } else { "no" }),
            right(format_tonnes(total.contained_t)),
            right(total.tmfs),
            Cell::new(
                regions
                    .iter()
                    .map(|(g, v)| format!("{} {}", g.label_en(), format_tonnes(**v)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
    }
    println!("{t}");
    let mut c = table(&[
        "rank",
        "ID",
        "name",
        "region",
        "contained",
        "route",
        "TRL",
        "timeline",
        "production",
    ]);
    for x in &r.candidates {
        let mut steps = x.delay_reasons.clone();
        steps.extend(
            x.phases
                .iter()
                .map(|p| format!("{} {}-{}", p.name, p.from_year, p.to_year)),
        );
        c.add_row(vec![
            right(x.national_rank.map_or("-".into(), |r| r.to_string())),
            Cell::new(&x.external_id),
            Cell::new(&x.name),
            Cell::new(x.region.label_en()),
            Cell::new(
                x.commodities
                    .iter()
                    .map(|(k, v)| format!("{k} {}", format_tonnes(*v)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::new(&x.route),
            right(x.trl),
            Cell::new(steps.join("; ")),
            right(x.production_from),
        ]);
    }
    println!("{c}");
    println!(
        "rare and rare-earth metals roadmap: {} candidate TMFs (contained metal at or above the thresholds); tonnes as reported (oxide for TREO). Routes: {} ({}, {})",
        r.candidates.len(),
        r.provenance.source,
        r.provenance.date,
        r.provenance.confidence
    );
}

pub(crate) fn roadmap(store: &mut Store, args: RoadmapArgs) -> Result<u8> {
    let config = ranking_config(&args.data)?;
    let removal_cfg = removal_config(args.removal.as_deref())?;
    let roadmap_cfg = roadmap_config(args.routes.as_deref())?;
    let plan = load_plan(store, &args.data)?;
    let ranking = qaita_plan::rank::rank_with(&plan.tmfs, &config, false);
    let residential = matches!(args.part, RoadmapPart::All | RoadmapPart::Residential)
        .then(|| qaita_plan::removal::programme(&plan.tmfs, &ranking, &removal_cfg));
    let rare = matches!(args.part, RoadmapPart::All | RoadmapPart::RareMetals)
        .then(|| qaita_plan::roadmap::roadmap(&plan.tmfs, Some(&ranking), &roadmap_cfg));
    if let Some(dir) = &args.charts {
        if let Some(p) = &residential {
            write_charts(dir, &qaita_plan::removal::charts(p)?)?;
        }
        if let Some(r) = &rare {
            write_charts(dir, &qaita_plan::roadmap::charts(r)?)?;
        }
    }
    if args.json {
        print_json(&serde_json::json!({
            "made_from": plan.made_from(),
            "label": plan.label(),
            "residential": residential,
            "rare_metals": rare,
        }))?;
        return Ok(exit::OK);
    }
    println!("{}", plan.label());
    if let Some(p) = &residential {
        print_removal(p);
    }
    if let Some(r) = &rare {
        print_roadmap(r);
    }
    Ok(exit::OK)
}

/// Schedule settings from the options; region names and ids are checked.
fn schedule_settings(o: &ScheduleOptions, plan: &PlanData) -> Result<ScheduleSettings> {
    let mut regional = BTreeMap::new();
    for item in &o.region_capacity {
        let (name, value) = item.split_once('=').ok_or_else(|| {
            anyhow!("--region-capacity '{item}': write REGION=MT, e.g. karaganda=40")
        })?;
        let region: Region = name
            .parse()
            .map_err(|e| anyhow!("--region-capacity: {e}"))?;
        let mt: f64 = value.trim().parse().map_err(|_| {
            anyhow!("--region-capacity '{item}': '{value}' is not a number of Mt/yr")
        })?;
        regional.insert(region, mt * 1e6);
    }
    let id_of = |key: &str| -> Result<i64> {
        plan.tmfs
            .iter()
            .find(|t| t.external_id == key || t.id.to_string() == key)
            .map(|t| t.id)
            .ok_or_else(|| anyhow!("--precedence: no TMF '{key}' among those planned"))
    };
    let precedence = o
        .precedence
        .iter()
        .map(|pair| {
            let (b, a) = pair
                .split_once(':')
                .ok_or_else(|| anyhow!("--precedence '{pair}': write BEFORE:AFTER"))?;
            Ok((id_of(b.trim())?, id_of(a.trim())?))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ScheduleSettings {
        first_year: o.first_year,
        last_year: o.last_year,
        annual_budget_usd: o.budget_musd * 1e6,
        regional_capacity_tpa: regional,
        default_capacity_tpa: o.capacity_mt * 1e6,
        discount_rate: plan_discount_rate(plan),
        objective: match o.objective {
            ObjectiveArg::Npv => Objective::Npv,
            ObjectiveArg::Tonnes => Objective::Tonnes,
            ObjectiveArg::Exposure => Objective::Exposure,
        },
        residential_first: o.residential_first,
        precedence,
        solver: match o.solver {
            SolverArg::Highs => SolverChoice::Highs,
            SolverArg::Microlp => SolverChoice::Microlp,
        },
        time_limit_s: o.time_limit,
        mip_rel_gap: o.gap,
        solver_log: o.solver_log,
    })
}

/// Later starts are discounted at the rate the valuations used (the first one found; 8%).
fn plan_discount_rate(plan: &PlanData) -> f64 {
    plan.tmfs
        .iter()
        .find_map(|t| t.valuation.as_ref().map(|v| v.discount_rate))
        .unwrap_or(0.08)
}

fn objective_text(v: f64, o: Objective) -> String {
    match o {
        Objective::Npv => format!("{} M USD", musd(v)),
        Objective::Tonnes => format_tonnes(v),
        Objective::Exposure => format!("{v:.0} person-years"),
    }
}

fn print_schedule(c: &Comparison, s: &ScheduleSettings, projects: usize, top: usize) {
    let mut t = table(&[
        "start",
        "ID",
        "region",
        "capital (M USD)",
        "objective value",
        "greedy start",
    ]);
    let greedy: BTreeMap<i64, i32> = c.greedy.starts.iter().map(|x| (x.id, x.year)).collect();
    for x in c.milp.starts.iter().take(top) {
        t.add_row(vec![
            right(x.year),
            Cell::new(&x.external_id),
            Cell::new(x.region.label_en()),
            right(musd(x.capex_usd)),
            right(objective_text(x.objective_value, c.milp.objective)),
            right(greedy.get(&x.id).map_or("-".into(), |y| y.to_string())),
        ]);
    }
    println!("{t}");
    let mut cmp = table(&[
        "method",
        "objective",
        "projects",
        "capital",
        "tonnes in horizon",
        "time",
        "gap",
    ]);
    for (sched, secs, gap) in [
        (&c.milp, c.solve_seconds, format!("{:.3}%", c.gap * 100.0)),
        (&c.greedy, c.greedy_seconds, "-".to_string()),
    ] {
        cmp.add_row(vec![
            Cell::new(&sched.method),
            right(objective_text(sched.objective_value, sched.objective)),
            right(sched.starts.len()),
            right(format!(
                "{} M USD",
                musd(sched.capex_by_year.values().sum())
            )),
            right(format_tonnes(sched.tonnes_by_year.values().sum())),
            right(format!("{secs:.2} s")),
            right(gap),
        ]);
    }
    println!("{cmp}");
    println!(
        "{projects} candidate projects; objective {:?}; starts {}-{}; budget {} M USD/yr; capacity {} Mt/yr per region{}; residential first: {}; solver {}: {}; {} variables, {} constraints{}",
        s.objective,
        s.first_year,
        s.last_year,
        musd(s.annual_budget_usd),
        s.default_capacity_tpa / 1e6,
        if s.regional_capacity_tpa.is_empty() {
            ""
        } else {
            " (some regions set)"
        },
        s.residential_first,
        c.solver,
        c.status,
        c.variables,
        c.constraints,
        c.improvement_over_greedy.map_or(String::new(), |d| format!(
            "; MILP vs greedy {:+.2}%",
            d * 100.0
        ))
    );
    for v in &c.violations {
        eprintln!("constraint violated: {v}");
    }
}

fn plan_schedule(
    plan: &PlanData,
    ranking: &Ranking,
    o: &ScheduleOptions,
) -> Result<(Comparison, ScheduleSettings, usize)> {
    let settings = schedule_settings(o, plan)?;
    let projects = qaita_plan::schedule::projects(&plan.tmfs, ranking, o.include_ongoing);
    let comparison = qaita_plan::schedule::optimise(&projects, &settings)?;
    Ok((comparison, settings, projects.len()))
}

pub(crate) fn schedule(store: &mut Store, args: ScheduleArgs) -> Result<u8> {
    let config = ranking_config(&args.data)?;
    let plan = load_plan(store, &args.data)?;
    let ranking = qaita_plan::rank::rank_with(&plan.tmfs, &config, false);
    let (c, settings, n) = plan_schedule(&plan, &ranking, &args.schedule)?;
    if let Some(dir) = &args.charts {
        write_charts(dir, &qaita_plan::schedule::charts(&c, &settings)?)?;
    }
    if args.json {
        print_json(
            &serde_json::json!({"made_from": plan.made_from(), "label": plan.label(), "settings": settings, "projects": n, "comparison": c}),
        )?;
    } else {
        println!("{}", plan.label());
        print_schedule(&c, &settings, n, args.top);
    }
    Ok(if c.violations.is_empty() {
        exit::OK
    } else {
        exit::FAILURE
    })
}

/// Run the national scenarios; `share_plus_projects` scenarios get a schedule of the projects
/// valued under their MET coefficient (deterministic valuations, not stored).
fn plan_scenarios(
    plan: &PlanData,
    data_args: &PlanDataArgs,
    ranking: &Ranking,
    o: &ScheduleOptions,
    config: &NationalStockConfig,
) -> Result<Scenarios> {
    let mut by_scenario = BTreeMap::new();
    for s in config
        .scenarios
        .iter()
        .filter(|s| s.kind == ScenarioKind::SharePlusProjects)
    {
        let econ = econ_options(&data_args.econ);
        let data = load(data_args.econ.econ_data.as_deref())?;
        let a = assumptions(&econ, Scenario::Base, s.met_coefficient)?;
        let options = ValueOptions {
            route: None,
            paths: 0,
            seed: data_args.seed,
        };
        let mut revalued = PlanData {
            stored: Vec::new(),
            estimates: Vec::new(),
            tmfs: plan.tmfs.clone(),
            from_store: 0,
            computed: 0,
            illustrative: plan.illustrative,
        };
        for ((t, stored), estimate) in revalued
            .tmfs
            .iter_mut()
            .zip(&plan.stored)
            .zip(&plan.estimates)
        {
            t.valuation =
                value_one(stored, estimate.as_ref(), &data, &a, &options)?.and_then(|r| {
                    valuation_facts(
                        &serde_json::to_value(&r).ok()?,
                        format!("scenario {} (MET x {:?})", s.name, s.met_coefficient),
                    )
                });
        }
        let (c, _, _) = plan_schedule(&revalued, ranking, o)?;
        by_scenario.insert(s.name.clone(), qaita_plan::schedule::yearly_tonnes(&c.milp));
    }
    Ok(qaita_plan::scenario::run(config, &by_scenario)?)
}

fn print_scenarios(s: &Scenarios) {
    let mut f = table(&[
        "figure",
        "year",
        "source",
        "date",
        "confidence",
        "carried to base year",
    ]);
    for (v, fig) in &s.start_stock_estimates {
        f.add_row(vec![
            right(format!("{} bn t", fig.value_bn_t)),
            right(fig.year),
            Cell::new(&fig.source),
            Cell::new(&fig.date),
            Cell::new(&fig.confidence),
            right(format!("{:.2} bn t", v / 1e9)),
        ]);
    }
    println!("{f}");
    let bn = |t: f64| format!("{:.2}", t / 1e9);
    let mut t = table(&[
        "scenario",
        "year",
        "share",
        "generation (Mt, base)",
        "reprocessed (Mt, base)",
        "of which projects (Mt)",
        "stock bn t: low",
        "base",
        "high",
    ]);
    for r in &s.results {
        for y in r
            .years
            .iter()
            .filter(|y| (y.year - s.base_year) % 5 == 0 || y.year == s.end_year)
        {
            t.add_row(vec![
                Cell::new(&r.name),
                right(y.year),
                right(format!("{:.0}%", y.share * 100.0)),
                right(format!("{:.0}", y.generation_t[1] / 1e6)),
                right(format!("{:.0}", y.reprocessed_t[1] / 1e6)),
                right(format!("{:.1}", y.projects_t / 1e6)),
                right(bn(y.stock_t[0])),
                right(bn(y.stock_t[1])),
                right(bn(y.stock_t[2])),
            ]);
        }
    }
    println!("{t}");
    for r in &s.results {
        println!(
            "{}: {}; reprocessed {}-{}: {} bn t (base), of which registry projects {}",
            r.name,
            r.label,
            s.base_year + 1,
            s.end_year,
            bn(r.reprocessed_total_t),
            format_tonnes(r.projects_total_t)
        );
    }
    println!(
        "start stock {}-{} bn t (base {}); generation {}-{} Mt/yr (base {}): {} ({}, confidence {}); reprocessed today {:.0}%: {} ({})",
        bn(s.start_stock_t[0]),
        bn(s.start_stock_t[2]),
        bn(s.start_stock_t[1]),
        s.generation.low,
        s.generation.high,
        s.generation.base,
        s.generation.source,
        s.generation.date,
        s.generation.confidence,
        s.reprocessed_share.value * 100.0,
        s.reprocessed_share.source,
        s.reprocessed_share.date
    );
}

pub(crate) fn scenario(store: &mut Store, args: ScenarioArgs) -> Result<u8> {
    let config = ranking_config(&args.data)?;
    let stock = stock_config(args.stock.as_deref())?;
    let plan = load_plan(store, &args.data)?;
    let ranking = qaita_plan::rank::rank_with(&plan.tmfs, &config, false);
    let s = plan_scenarios(&plan, &args.data, &ranking, &args.schedule, &stock)?;
    if let Some(dir) = &args.charts {
        write_charts(dir, &qaita_plan::scenario::charts(&s)?)?;
    }
    if args.json {
        print_json(&serde_json::json!({"made_from": plan.made_from(), "scenarios": s}))?;
    } else {
        print_scenarios(&s);
    }
    Ok(exit::OK)
}

fn write_document(dir: &Path, stem: &str, doc: &Document) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let charts: Vec<(String, String)> = doc
        .charts()
        .into_iter()
        .map(|(f, s)| (f.to_string(), s.to_string()))
        .collect();
    write_charts(&dir.join("charts"), &charts)?;
    let html = dir.join(format!("{stem}.html"));
    std::fs::write(&html, doc.to_html())
        .with_context(|| format!("cannot write {}", html.display()))?;
    let pdf = dir.join(format!("{stem}.pdf"));
    std::fs::write(&pdf, doc.to_pdf()?)
        .with_context(|| format!("cannot write {}", pdf.display()))?;
    println!("wrote {} and {}", html.display(), pdf.display());
    Ok(())
}

pub(crate) fn report(store: &mut Store, args: ReportArgs) -> Result<u8> {
    let config = ranking_config(&args.data)?;
    let removal_cfg = removal_config(args.removal.as_deref())?;
    let roadmap_cfg = roadmap_config(args.routes.as_deref())?;
    let stock = stock_config(args.stock.as_deref())?;
    // Resolve the TMF before the (longer) planning work, so a wrong id fails fast.
    let target = match (args.report, &args.id) {
        (ReportKind::Tmf, Some(id)) => match find(store, id)? {
            Some(s) => Some(s),
            None => return Ok(not_found(id)),
        },
        (ReportKind::Tmf, None) => {
            bail!("give the TMF's id: qaita report tmf KZ-TMF-0012 --out DIR")
        }
        (ReportKind::National, Some(id)) => bail!("the national report takes no id (got '{id}')"),
        (ReportKind::National, None) => None,
    };
    let plan = load_plan(store, &args.data)?;
    let ranking = qaita_plan::rank::rank(&plan.tmfs, &config);
    let removal = qaita_plan::removal::programme(&plan.tmfs, &ranking, &removal_cfg);
    let roadmap = qaita_plan::roadmap::roadmap(&plan.tmfs, Some(&ranking), &roadmap_cfg);
    let (comparison, settings, _) = plan_schedule(&plan, &ranking, &args.schedule)?;
    match target {
        None => {
            let scenarios = plan_scenarios(&plan, &args.data, &ranking, &args.schedule, &stock)?;
            let doc = qaita_plan::report::national(&qaita_plan::report::NationalInputs {
                tmfs: &plan.tmfs,
                ranking: &ranking,
                removal: &removal,
                roadmap: &roadmap,
                scenarios: &scenarios,
                schedule: &comparison,
                schedule_settings: &settings,
                made_from: plan.made_from(),
                label: plan.label(),
                top: args.top,
            })?;
            write_document(&args.out, "national", &doc)?;
        }
        Some(stored) => {
            let Some(tmf) = plan.tmfs.iter().find(|t| t.id == stored.id) else {
                bail!(
                    "{} is not among the TMFs planned (check the filters)",
                    stored.tmf.external_id
                );
            };
            let doc = qaita_plan::report::fact_sheet(&qaita_plan::report::FactSheetInputs {
                tmf,
                figures: &stored.tmf.figures,
                ranking: &ranking,
                removal: Some(&removal),
                roadmap: Some(&roadmap),
                schedule: Some(&comparison),
                made_from: plan.made_from(),
                label: plan.label(),
            })?;
            write_document(
                &args.out,
                &qaita_plan::report::file_stem(&tmf.external_id),
                &doc,
            )?;
        }
    }
    Ok(exit::OK)
}
