//! `qaita rank`, `roadmap`, `scenario`, `schedule` and `report`: shells over
//! `qaita_app::plan` (which turns the registry into the planner's inputs, as the server does).
//! This file parses the options, and prints or writes what comes back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use comfy_table::Cell;
use qaita_app::plan::{
    self as app, DataOptions, PlanConfig, PlanData, ReportTarget, ScheduleRequest,
};
use qaita_app::valuation::EconOptions;
use qaita_model::Region;
use qaita_model::units::format_tonnes;
use qaita_plan::config::RankingConfig;
use qaita_plan::rank::Ranking;
use qaita_plan::removal::{RemovalConfig, RemovalProgramme};
use qaita_plan::report::Document;
use qaita_plan::roadmap::{Roadmap, RoadmapConfig};
use qaita_plan::scenario::{NationalStockConfig, Scenarios};
use qaita_plan::schedule::{Comparison, Objective, ScheduleSettings, SolverChoice};
use qaita_store::Store;

use crate::output::{print_json, right, table};
use crate::util::{filter, find, not_found};
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

fn econ_options(e: &EconArgs) -> EconOptions {
    EconOptions {
        discount_rate: e.discount_rate,
        capacity: e.capacity,
        avoided_payment: e.avoided_payment,
    }
}

/// Read the registry as the planner sees it (valuing TMFs without a stored valuation unless
/// `--stored-only`; nothing is stored).
fn load_plan(store: &mut Store, args: &PlanDataArgs) -> Result<PlanData> {
    let index = qaita_app::settlements::index(None, Default::default())?;
    let data = qaita_app::valuation::load(args.econ.econ_data.as_deref())?;
    app::load(store, &index, &data, &data_options(args)?)
}

fn data_options(args: &PlanDataArgs) -> Result<DataOptions> {
    Ok(DataOptions {
        filter: filter(&args.filter)?,
        econ: econ_options(&args.econ),
        paths: args.paths,
        seed: args.seed,
        stored_only: args.stored_only,
    })
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
    let ranking = app::rank(&plan, &config, !args.no_stability);
    if let Some(dir) = &args.charts {
        write_charts(dir, &qaita_plan::rank::charts(&ranking, args.top.min(20))?)?;
    }
    if args.json {
        print_json(&app::ranking_document(&plan, &ranking))?;
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
    let ranking = app::rank(&plan, &config, false);
    let part = match args.part {
        RoadmapPart::All => app::RoadmapPart::All,
        RoadmapPart::Residential => app::RoadmapPart::Residential,
        RoadmapPart::RareMetals => app::RoadmapPart::RareMetals,
    };
    let (residential, rare) = app::roadmap(&plan, &ranking, part, &removal_cfg, &roadmap_cfg);
    if let Some(dir) = &args.charts {
        if let Some(p) = &residential {
            write_charts(dir, &qaita_plan::removal::charts(p)?)?;
        }
        if let Some(r) = &rare {
            write_charts(dir, &qaita_plan::roadmap::charts(r)?)?;
        }
    }
    if args.json {
        print_json(&app::roadmap_document(
            &plan,
            residential.as_ref(),
            rare.as_ref(),
        ))?;
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

/// The schedule request from the options; region names and pairs are checked (ids are
/// checked against the plan by `ScheduleRequest::settings`).
fn schedule_request(o: &ScheduleOptions) -> Result<ScheduleRequest> {
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
    let precedence = o
        .precedence
        .iter()
        .map(|pair| {
            let (b, a) = pair
                .split_once(':')
                .ok_or_else(|| anyhow!("--precedence '{pair}': write BEFORE:AFTER"))?;
            Ok((b.trim().to_string(), a.trim().to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ScheduleRequest {
        objective: match o.objective {
            ObjectiveArg::Npv => Objective::Npv,
            ObjectiveArg::Tonnes => Objective::Tonnes,
            ObjectiveArg::Exposure => Objective::Exposure,
        },
        budget_usd: o.budget_musd * 1e6,
        capacity_tpa: o.capacity_mt * 1e6,
        region_capacity_tpa: regional,
        first_year: o.first_year,
        last_year: o.last_year,
        residential_first: o.residential_first,
        precedence,
        solver: match o.solver {
            SolverArg::Highs => SolverChoice::Highs,
            SolverArg::Microlp => SolverChoice::Microlp,
        },
        time_limit_s: o.time_limit,
        gap: o.gap,
        include_ongoing: o.include_ongoing,
        solver_log: o.solver_log,
    })
}

/// An option error as the command line names it (`--precedence: ...`).
fn option_error(e: app::OptionError) -> anyhow::Error {
    anyhow!("--{}: {}", e.field.replace('_', "-"), e.reason)
}

/// The schedule, with `--precedence` named in the error when an id is not planned.
fn plan_schedule(
    plan: &PlanData,
    ranking: &Ranking,
    o: &ScheduleOptions,
) -> Result<app::ScheduleRun> {
    let request = schedule_request(o)?;
    request.settings(plan).map_err(option_error)?;
    app::schedule(plan, ranking, &request)
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

pub(crate) fn schedule(store: &mut Store, args: ScheduleArgs) -> Result<u8> {
    let config = ranking_config(&args.data)?;
    let plan = load_plan(store, &args.data)?;
    let ranking = app::rank(&plan, &config, false);
    let run = plan_schedule(&plan, &ranking, &args.schedule)?;
    if let Some(dir) = &args.charts {
        write_charts(
            dir,
            &qaita_plan::schedule::charts(&run.comparison, &run.settings)?,
        )?;
    }
    if args.json {
        print_json(&app::schedule_document(&plan, &run))?;
    } else {
        println!("{}", plan.label());
        print_schedule(&run.comparison, &run.settings, run.projects, args.top);
    }
    Ok(if run.comparison.violations.is_empty() {
        exit::OK
    } else {
        exit::FAILURE
    })
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
    let ranking = app::rank(&plan, &config, false);
    let data = qaita_app::valuation::load(args.data.econ.econ_data.as_deref())?;
    let request = schedule_request(&args.schedule)?;
    let s = app::scenarios(&plan, &data, &ranking, &request, &stock, || ())?;
    if let Some(dir) = &args.charts {
        write_charts(dir, &qaita_plan::scenario::charts(&s)?)?;
    }
    if args.json {
        print_json(&app::scenarios_document(&plan, &s))?;
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
    let data = qaita_app::valuation::load(args.data.econ.econ_data.as_deref())?;
    let request = schedule_request(&args.schedule)?;
    request.settings(&plan).map_err(option_error)?;
    let target = match target {
        None => ReportTarget::National,
        Some(stored) => {
            if plan.find(&stored.id.to_string()).is_none() {
                bail!(
                    "{} is not among the TMFs planned (check the filters)",
                    stored.tmf.external_id
                );
            }
            ReportTarget::Tmf(stored.id)
        }
    };
    let plan_config = PlanConfig {
        ranking: config,
        removal: removal_cfg,
        routes: roadmap_cfg,
        stock,
    };
    let (stem, doc) = app::report(
        &plan,
        &data,
        &plan_config,
        &request,
        &target,
        args.top,
        || (),
    )?;
    write_document(&args.out, &stem, &doc)?;
    Ok(exit::OK)
}
