//! `qaita`: the command-line shell over the registry libraries. Parses arguments, calls
//! qaita-store / qaita-io / qaita-risk, prints tables or JSON. No domain logic lives here.

mod commands;
mod estimate;
mod jobs;
mod output;
mod plan;
mod serve;
mod util;
mod valuation;
mod variography;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes (also in the README).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Runtime failure: database, file system, unexpected error.
    pub const FAILURE: u8 = 1;
    /// Bad command line (clap's own code).
    pub const USAGE: u8 = 2;
    /// Input data rejected: the import listed its problems and wrote nothing (or only valid rows with --rejects).
    pub const INVALID_INPUT: u8 = 3;
    /// The requested object does not exist.
    pub const NOT_FOUND: u8 = 4;
}

#[derive(Parser)]
#[command(
    name = "qaita",
    version,
    about = "Qaita: national registry of Kazakhstan's technogenic mineral formations (TMFs)"
)]
struct Cli {
    /// Database: a SQLite file path (created if missing) or a postgres:// URL.
    #[arg(long, global = true, env = "QAITA_DB", default_value = "qaita.db")]
    db: String,
    /// Who is making changes, recorded in the audit trail.
    #[arg(long, global = true, env = "QAITA_USER")]
    actor: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database (or bring its schema up to date).
    Init(JsonFlag),
    /// Load the illustrative demo inventory into a fresh database and print the national summary.
    Demo(DemoArgs),
    /// Import TMFs from CSV, XLSX or GeoJSON (upsert by external_id; all or nothing).
    Import(ImportArgs),
    /// Export TMFs to CSV, GeoJSON or GeoPackage.
    Export(ExportArgs),
    /// List TMFs, with filters.
    List(ListArgs),
    /// Show one TMF with all its figures and their provenance.
    Show(ShowArgs),
    /// National and regional summary: objects, tonnage, contained commodity, provenance coverage.
    Stats(StatsArgs),
    /// Audit trail of one TMF.
    History(ShowArgs),
    /// Settlements near each TMF, worst first (removal-from-residential-areas policy).
    Proximity(ProximityArgs),
    /// Write a synthetic national inventory as CSV, for scale tests.
    Generate(GenerateArgs),
    /// Value TMFs under Kazakhstan's tax regime: cash flow, NPV, IRR, Monte Carlo, sensitivity (stored on the TMF).
    Value(ValueArgs),
    /// MET policy simulator: the whole inventory under a sweep of MET coefficients and price scenarios.
    Policy(PolicyArgs),
    /// Experimental variograms of a sampling campaign and the fitted model (chart, saved model).
    Variogram(Box<variography::VariogramCmdArgs>),
    /// Leave-one-out cross-validation of kriging, IDW and nearest neighbour on a campaign.
    Crossval(Box<variography::CrossvalArgs>),
    /// Estimate a TMF's resource from point samples or drillholes: variogram, block kriging over
    /// the footprint, cross-validation, grade-tonnage, classification (stored on the TMF).
    Estimate(Box<estimate::EstimateArgs>),
    /// Re-classify a block model (from `estimate --blocks`) with other rules: Measured /
    /// Indicated / Inferred resource table.
    Classify(estimate::ClassifyArgs),
    /// Multi-criteria ranking of TMFs (economics, exposure, hazard, strategic content, confidence,
    /// legal readiness), each score explained, with rank stability under weight perturbation.
    Rank(plan::RankArgs),
    /// Residential-area removal programme and rare / rare-earth metals roadmap.
    Roadmap(plan::RoadmapArgs),
    /// National stock and flow scenarios, 2025-2050.
    Scenario(plan::ScenarioArgs),
    /// Reprocessing schedule under budget and regional capacity: MILP against greedy-by-rank.
    Schedule(plan::ScheduleArgs),
    /// National report or per-TMF fact sheet as HTML and PDF.
    Report(plan::ReportArgs),
    /// Serve the HTTP API (/api/v1, OpenAPI docs at /api/v1/docs) and the web UI.
    Serve(serve::ServeArgs),
    /// Users and API tokens of the server: add, list, revoke, passwd, token, tokens, revoke-token.
    #[command(subcommand)]
    User(serve::UserCommand),
    /// Run background jobs from the database's queue (beside or instead of the servers' own
    /// workers; any number of worker processes may share one PostgreSQL database).
    Worker(jobs::WorkerArgs),
    /// Background jobs: list, show, add, cancel, kinds, and recurring schedules.
    #[command(subcommand)]
    Job(jobs::JobCommand),
}

#[derive(Args, Clone)]
struct EconArgs {
    /// Directory with prices.csv, fx.csv, met-rates.csv, met-precious.csv, routes.csv and
    /// route-recoveries.csv replacing the bundled illustrative data (any subset).
    #[arg(long)]
    econ_data: Option<PathBuf>,
    /// Real discount rate per year.
    #[arg(long, default_value_t = 0.08)]
    discount_rate: f64,
    /// Plant capacity, t/yr (default: tonnage / 15 years, within 50 kt/yr..10 Mt/yr).
    #[arg(long)]
    capacity: Option<f64>,
    /// Payments for waste placement avoided per tonne reprocessed, USD/t (counted as a benefit).
    #[arg(long, default_value_t = 0.0)]
    avoided_payment: f64,
}

#[derive(Args)]
struct ValueArgs {
    /// Registry id or external id; omit with --all.
    id: Option<String>,
    /// Value every TMF in the registry (with the list filters).
    #[arg(long, conflicts_with = "id")]
    all: bool,
    #[command(flatten)]
    filter: FilterArgs,
    /// Processing route (default: the fitting route with the highest NPV).
    #[arg(long)]
    route: Option<String>,
    /// Price scenario: low, base, high.
    #[arg(long, default_value = "base")]
    scenario: String,
    /// MET coefficient (default: 0.1 for technogenic subsoil, 1.0 otherwise).
    #[arg(long)]
    met_coefficient: Option<f64>,
    #[command(flatten)]
    econ: EconArgs,
    /// Monte Carlo paths (0 switches Monte Carlo off).
    #[arg(long, default_value_t = 10_000)]
    paths: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Do not store the result on the TMF.
    #[arg(long)]
    no_store: bool,
    /// Write SVG charts (NPV distribution, tornado) for each valued TMF into this directory.
    #[arg(long)]
    charts: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct PolicyArgs {
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    econ: EconArgs,
    /// MET coefficients to compare.
    #[arg(long, value_delimiter = ',', default_value = "1,0.5,0.1,0")]
    coefficients: Vec<f64>,
    /// Price scenarios to compare.
    #[arg(long, value_delimiter = ',', default_value = "base")]
    scenarios: Vec<String>,
    /// Also write the table as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write SVG charts (viable TMFs, NPV, taxes by coefficient) into this directory.
    #[arg(long)]
    charts: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct JsonFlag {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DemoArgs {
    /// Keep the existing demo database instead of starting afresh.
    #[arg(long)]
    keep: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum InFormat {
    Csv,
    Xlsx,
    Geojson,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutFormat {
    Csv,
    Geojson,
    Gpkg,
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    Auto,
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    #[value(name = "windows-1251", alias = "cp1251")]
    Windows1251,
}

#[derive(Args)]
struct ImportArgs {
    /// File to import.
    file: PathBuf,
    /// Format; guessed from the extension if omitted.
    #[arg(long, value_enum)]
    format: Option<InFormat>,
    /// Text encoding of a CSV file.
    #[arg(long, value_enum, default_value = "auto")]
    encoding: EncodingArg,
    /// CSV delimiter; detected from the header if omitted.
    #[arg(long)]
    delimiter: Option<char>,
    /// Decimal separator in numbers ('.' or ','); ',' is assumed for ';'-separated CSV.
    #[arg(long)]
    decimal: Option<char>,
    /// XLSX sheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Report what would change without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// Import the valid rows and write the invalid ones, with reasons, to this file.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Keep stored current figures current; imported figures from other sources are kept beside them.
    #[arg(long)]
    keep_current: bool,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args, Clone, Default)]
struct FilterArgs {
    /// Region (code or name in English, Russian or Kazakh).
    #[arg(long)]
    region: Option<String>,
    /// Kind: tailings, slag, ash, waste_rock, off_balance_ore, sludge, phosphogypsum, cake_clinker, other.
    #[arg(long)]
    kind: Option<String>,
    /// Objects with a grade for this commodity (Cu, Au, TREO, ...).
    #[arg(long)]
    commodity: Option<String>,
    /// Status: active, inactive, conserved, abandoned, being_reprocessed, remediated, unknown.
    #[arg(long)]
    status: Option<String>,
    /// Legal class: waste, technogenic_subsoil, undetermined.
    #[arg(long)]
    legal_class: Option<String>,
    /// Only objects whose owner is known (true) or unknown (false).
    #[arg(long)]
    owner_known: Option<bool>,
    /// Text in ids, names (any language), operator, owner or source enterprise (case-insensitive).
    #[arg(long)]
    search: Option<String>,
    /// Only objects located in MIN_LON,MIN_LAT,MAX_LON,MAX_LAT (WGS84 degrees).
    #[arg(long, allow_hyphen_values = true)]
    bbox: Option<String>,
}

#[derive(Args)]
struct ExportArgs {
    /// Output file.
    file: PathBuf,
    /// Format; guessed from the extension if omitted.
    #[arg(long, value_enum)]
    format: Option<OutFormat>,
    /// Text encoding of CSV output.
    #[arg(long, value_enum, default_value = "utf-8")]
    encoding: EncodingArg,
    /// CSV delimiter.
    #[arg(long, default_value = ",")]
    delimiter: char,
    #[command(flatten)]
    filter: FilterArgs,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    #[arg(long)]
    limit: Option<i64>,
    #[arg(long)]
    offset: Option<i64>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ShowArgs {
    /// Registry id or external id.
    id: String,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct StatsArgs {
    #[command(flatten)]
    filter: FilterArgs,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ProximityArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Settlement CSV (geonameid,name,population,lon,lat); default: the bundled GeoNames extract.
    #[arg(long)]
    settlements: Option<PathBuf>,
    /// Radii for population counts, km.
    #[arg(long, value_delimiter = ',', default_value = "1,3,5,10")]
    radii: Vec<f64>,
    /// Flag TMFs within this distance of a settlement's edge, km.
    #[arg(long, default_value_t = 1.0)]
    near_km: f64,
    /// People per km² used to model a settlement's built-up area.
    #[arg(long, default_value_t = 2500.0)]
    urban_density: f64,
    /// Only TMFs flagged near a settlement.
    #[arg(long)]
    only_near: bool,
    /// Show at most this many rows (JSON lists all unless given).
    #[arg(long)]
    limit: Option<usize>,
    /// Print timings to stderr.
    #[arg(long)]
    timings: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct GenerateArgs {
    /// Number of objects.
    #[arg(long)]
    objects: usize,
    /// Random seed; the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output CSV file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes away (`| head`).
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let actor = cli
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "cli".to_string());
    match commands::run(cli, actor) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // `qaita list --json | head` closes the pipe early: not an error worth a message.
            let broken_pipe = error.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::from(exit::OK);
            }
            eprintln!("error: {error:#}");
            ExitCode::from(exit::FAILURE)
        }
    }
}
