//! One function per subcommand. Each returns the process exit code.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use qaita_io::{Format, ReadOptions, TextEncoding};
use qaita_model::geometry::Footprint;
use qaita_model::{CurrentPolicy, DecimalSeparator, Problem, StoredTmf};
use qaita_risk::proximity::{ProximityConfig, Site, worst_first};
use qaita_store::{ImportOptions, ImportReport, Store, TmfFilter};
use serde::Serialize;

use crate::output::{self, print_json};
use crate::util::{filter, find, not_found};
use crate::{
    Cli, Command, EncodingArg, ExportArgs, GenerateArgs, ImportArgs, InFormat, OutFormat,
    ProximityArgs, exit,
};

/// The bundled demo inventory (illustrative) and a second source's conflicting figures.
const DEMO_INVENTORY: &str = include_str!("../../../data/demo/inventory.csv");
const DEMO_ALTERNATIVES: &str =
    include_str!("../../../data/demo/inventory-alternative-figures.csv");

pub fn run(cli: Cli, actor: String) -> Result<u8> {
    let db = cli.db;
    let open = || Store::open(&db).with_context(|| format!("cannot open database {}", redact(&db)));
    match cli.command {
        Command::Init(args) => {
            let mut store = open()?;
            let version = store.schema_version()?;
            let objects = store.count(&TmfFilter::default())?;
            if args.json {
                print_json(
                    &serde_json::json!({"database": redact(&db), "backend": store.backend(), "schema_version": version, "objects": objects}),
                )?;
            } else {
                println!(
                    "{} database {} ready (schema version {version}, {objects} objects)",
                    backend_name(&store),
                    redact(&db)
                );
            }
            Ok(exit::OK)
        }
        Command::Demo(args) => demo(&mut open()?, &actor, args.json),
        Command::Import(args) => import(&mut open()?, &actor, args),
        Command::Export(args) => export(&mut open()?, args),
        Command::List(args) => {
            let mut filter = filter(&args.filter)?;
            filter.limit = args.limit;
            filter.offset = args.offset;
            let tmfs = open()?.list(&filter)?;
            if args.json {
                print_json(&tmfs)?
            } else {
                output::print_list(&tmfs)
            }
            Ok(exit::OK)
        }
        Command::Show(args) => {
            let mut store = open()?;
            let Some(stored) = find(&mut store, &args.id)? else {
                return Ok(not_found(&args.id));
            };
            let index = settlement_index(None, ProximityConfig::default())?;
            let document = qaita_app::document::TmfDocument::load(&mut store, stored, &index)?;
            if args.json {
                print_json(&document)?;
            } else {
                output::print_show(&document.stored, &document.derived.proximity);
                if let Some(v) = &document.derived.valuation {
                    println!(
                        "{v} ({} version(s); `qaita value {}` recomputes)",
                        document.derived.valuation_versions, document.stored.tmf.external_id
                    );
                }
                if let Some(e) = &document.derived.resource_estimate {
                    println!("{}", qaita_app::document::estimate_line(e));
                }
            }
            Ok(exit::OK)
        }
        Command::History(args) => {
            let mut store = open()?;
            let Some(stored) = find(&mut store, &args.id)? else {
                return Ok(not_found(&args.id));
            };
            let history = store.history(stored.id)?;
            if args.json {
                print_json(&history)?
            } else {
                output::print_history(&stored, &history)
            }
            Ok(exit::OK)
        }
        Command::Stats(args) => {
            let tmfs = open()?.list(&filter(&args.filter)?)?;
            let stats = qaita_model::stats::summarize(tmfs.iter().map(|s| &s.tmf));
            if args.json {
                print_json(&stats)?
            } else {
                output::print_stats(&stats)
            }
            Ok(exit::OK)
        }
        Command::Proximity(args) => proximity(&mut open()?, args),
        Command::Generate(args) => generate(args),
        Command::Value(args) => crate::valuation::value(&mut open()?, &actor, args),
        Command::Policy(args) => crate::valuation::policy(&mut open()?, args),
        Command::Estimate(args) => crate::estimate::estimate(&mut open()?, &actor, *args),
        Command::Variogram(args) => crate::variography::variogram_cmd(*args),
        Command::Crossval(args) => crate::variography::crossval(*args),
        Command::Classify(args) => crate::estimate::classify(args),
        Command::Rank(args) => crate::plan::rank(&mut open()?, args),
        Command::Roadmap(args) => crate::plan::roadmap(&mut open()?, args),
        Command::Scenario(args) => crate::plan::scenario(&mut open()?, args),
        Command::Schedule(args) => crate::plan::schedule(&mut open()?, args),
        Command::Report(args) => crate::plan::report(&mut open()?, args),
        Command::Serve(args) => crate::serve::serve(&db, args),
        Command::User(command) => crate::serve::user(&mut open()?, &actor, command),
        Command::Worker(args) => crate::jobs::worker(&db, args),
        Command::Job(command) => crate::jobs::job(&mut open()?, &actor, command),
    }
}

use qaita_app::settlements::index as settlement_index;

/// Hide a password in a database URL before printing it.
fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &db[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &db[..scheme + 3],
                    &userinfo[..colon],
                    &db[at..]
                ),
                None => db.to_string(),
            }
        }
        _ => db.to_string(),
    }
}

fn backend_name(store: &Store) -> &'static str {
    match store.backend() {
        qaita_store::Backend::Sqlite => "SQLite",
        qaita_store::Backend::Postgres => "PostgreSQL",
    }
}

fn encoding(arg: EncodingArg) -> TextEncoding {
    match arg {
        EncodingArg::Auto => TextEncoding::Auto,
        EncodingArg::Utf8 => TextEncoding::Utf8,
        EncodingArg::Windows1251 => TextEncoding::Windows1251,
    }
}

fn single_byte(c: char, what: &str) -> Result<u8> {
    u8::try_from(c)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| anyhow!("{what} must be one ASCII character, got {c:?}"))
}

fn print_problems(problems: &[Problem]) {
    for p in problems {
        eprintln!("  {p}");
    }
}

fn import(store: &mut Store, actor: &str, args: ImportArgs) -> Result<u8> {
    let format = match args.format {
        Some(InFormat::Csv) => Format::Csv,
        Some(InFormat::Xlsx) => Format::Xlsx,
        Some(InFormat::Geojson) => Format::GeoJson,
        None => Format::from_path(&args.file).ok_or_else(|| {
            anyhow!(
                "cannot tell the format of {} from its extension: use --format",
                args.file.display()
            )
        })?,
    };
    let options = ReadOptions {
        encoding: encoding(args.encoding),
        delimiter: args
            .delimiter
            .map(|d| single_byte(d, "--delimiter"))
            .transpose()?,
        decimal: match args.decimal {
            None => None,
            Some('.') => Some(DecimalSeparator::Point),
            Some(',') => Some(DecimalSeparator::Comma),
            Some(other) => bail!("--decimal must be '.' or ',', got {other:?}"),
        },
        sheet: args.sheet.clone(),
    };
    let input = match qaita_io::read(&args.file, format, &options) {
        Ok(input) => input,
        Err(problems) => {
            eprintln!(
                "{}: cannot import, nothing was written:",
                args.file.display()
            );
            print_problems(&problems);
            return Ok(exit::INVALID_INPUT);
        }
    };
    let import_options = ImportOptions {
        policy: if args.keep_current {
            CurrentPolicy::KeepCurrent
        } else {
            CurrentPolicy::ImportedBecomesCurrent
        },
        dry_run: args.dry_run,
        keep_valid: args.rejects.is_some(),
        actor: actor.to_string(),
        context: format!("import {}", args.file.display()),
        ..ImportOptions::default()
    };
    let bar = if args.quiet || args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(input.rows)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let report = store.import(input.records, &import_options, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.rejects
        && !report.problems.is_empty()
    {
        let mut by_row: BTreeMap<usize, Vec<Problem>> = BTreeMap::new();
        for p in &report.problems {
            by_row
                .entry(p.row.unwrap_or(0))
                .or_default()
                .push(p.clone());
        }
        qaita_io::write_rejects(&args.file, format, &options, &by_row, path)
            .with_context(|| format!("cannot write rejects file {}", path.display()))?;
    }
    if args.json {
        print_json(&ImportJson {
            file: args.file.display().to_string(),
            encoding: input.encoding.name(),
            seconds,
            report: &report,
        })?;
    } else {
        print_import_report(&args, input.encoding, &report, seconds);
    }
    Ok(if report.problems.is_empty() {
        exit::OK
    } else {
        exit::INVALID_INPUT
    })
}

#[derive(Serialize)]
struct ImportJson<'a> {
    file: String,
    encoding: &'static str,
    seconds: f64,
    #[serde(flatten)]
    report: &'a ImportReport,
}

fn print_import_report(
    args: &ImportArgs,
    encoding: TextEncoding,
    report: &ImportReport,
    seconds: f64,
) {
    let c = report.counts;
    let file = args.file.display();
    if !report.problems.is_empty() {
        eprintln!(
            "{file}: {} of {} records have problems:",
            c.rejected,
            c.create + c.update + c.unchanged + c.rejected
        );
        print_problems(&report.problems);
    }
    let verb = if report.committed {
        "imported"
    } else if report.dry_run {
        "dry run, would import"
    } else {
        "NOTHING WRITTEN, would have imported"
    };
    println!(
        "{file} ({}): {verb}: {} created, {} updated, {} unchanged, {} rejected in {seconds:.2} s",
        encoding.name(),
        c.create,
        c.update,
        c.unchanged,
        c.rejected
    );
    if report.dry_run {
        for change in report
            .changes
            .iter()
            .filter(|c| c.action != "unchanged")
            .take(50)
        {
            let fields = if change.fields.is_empty() {
                String::new()
            } else {
                format!(" ({})", change.fields.join(", "))
            };
            println!(
                "  row {}: {} {}{fields}",
                change.row, change.action, change.external_id
            );
        }
    }
    if let Some(path) = &args.rejects
        && c.rejected > 0
    {
        println!(
            "rejected rows written to {} with a reject_reason column",
            path.display()
        );
    }
    if !report.committed && !report.dry_run && !report.problems.is_empty() {
        println!(
            "fix the rows above and import again, or use --rejects FILE to import the valid rows"
        );
    }
}

fn export(store: &mut Store, args: ExportArgs) -> Result<u8> {
    let format = match args.format {
        Some(f) => f,
        None => match args
            .file
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("csv") => OutFormat::Csv,
            Some("geojson" | "json") => OutFormat::Geojson,
            Some("gpkg") => OutFormat::Gpkg,
            _ => bail!(
                "cannot tell the format of {} from its extension: use --format csv|geojson|gpkg",
                args.file.display()
            ),
        },
    };
    let stored = store.list(&filter(&args.filter)?)?;
    let tmfs: Vec<&qaita_model::Tmf> = stored.iter().map(|s| &s.tmf).collect();
    let create = |path: &Path| {
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))
    };
    match format {
        OutFormat::Csv => {
            let file = std::io::BufWriter::new(create(&args.file)?);
            qaita_io::write_csv(
                file,
                &tmfs,
                encoding(args.encoding),
                single_byte(args.delimiter, "--delimiter")?,
            )?;
        }
        OutFormat::Geojson => {
            qaita_io::write_geojson(std::io::BufWriter::new(create(&args.file)?), &tmfs)?
        }
        OutFormat::Gpkg => {
            let refs: Vec<&StoredTmf> = stored.iter().collect();
            qaita_io::write_gpkg(&args.file, &refs)?;
        }
    }
    println!("exported {} TMFs to {}", stored.len(), args.file.display());
    Ok(exit::OK)
}

pub use qaita_app::proximity::ProximityRow;

#[derive(Serialize)]
struct ProximityJson<'a> {
    method: &'static str,
    settlements: String,
    config: &'a ProximityConfig,
    tmfs: &'a [ProximityRow],
}

fn proximity(store: &mut Store, args: ProximityArgs) -> Result<u8> {
    let config = ProximityConfig {
        radii_km: args.radii.clone(),
        near_km: args.near_km,
        urban_density_per_km2: args.urban_density,
    };
    let index = settlement_index(args.settlements.as_deref(), config)?;
    let (rows, timings) = qaita_app::proximity::assess(store, &filter(&args.filter)?, &index)?;
    let mut rows: Vec<ProximityRow> = rows
        .into_iter()
        .filter(|r| !args.only_near || r.proximity.near_settlement)
        .collect();
    if args.timings {
        eprintln!(
            "proximity: {} TMFs against {} settlements; read {:.3} s, footprints {:.3} s, assess {:.3} s on {} threads",
            rows.len(),
            index.settlements().len(),
            timings.read.as_secs_f64(),
            timings.footprints.as_secs_f64(),
            timings.assess.as_secs_f64(),
            rayon_threads()
        );
    }
    if let Some(limit) = args.limit {
        rows.truncate(limit);
    }
    let source = match &args.settlements {
        Some(p) => p.display().to_string(),
        None => qaita_app::proximity::BUNDLED_SOURCE.to_string(),
    };
    if args.json {
        print_json(&ProximityJson {
            method: qaita_app::proximity::METHOD,
            settlements: source,
            config: index.config(),
            tmfs: &rows,
        })?;
    } else {
        output::print_proximity(&rows, index.config(), &source);
    }
    Ok(exit::OK)
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn generate(args: GenerateArgs) -> Result<u8> {
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            qaita_io::synthetic::generate_csv(
                std::io::BufWriter::new(file),
                args.objects,
                args.seed,
            )?;
            eprintln!(
                "wrote {} synthetic TMFs (seed {}) to {}",
                args.objects,
                args.seed,
                path.display()
            );
        }
        None => {
            let stdout = std::io::stdout().lock();
            qaita_io::synthetic::generate_csv(
                std::io::BufWriter::new(stdout),
                args.objects,
                args.seed,
            )?;
        }
    }
    Ok(exit::OK)
}

fn demo(store: &mut Store, actor: &str, json: bool) -> Result<u8> {
    let mut reports = Vec::new();
    for (name, text, policy) in [
        (
            "inventory.csv",
            DEMO_INVENTORY,
            CurrentPolicy::ImportedBecomesCurrent,
        ),
        (
            "inventory-alternative-figures.csv",
            DEMO_ALTERNATIVES,
            CurrentPolicy::KeepCurrent,
        ),
    ] {
        let input =
            qaita_io::read::read_bytes(name, text.as_bytes(), Format::Csv, &ReadOptions::default())
                .map_err(|p| anyhow!("bundled demo file {name} is invalid: {}", p[0]))?;
        let options = ImportOptions {
            policy,
            actor: actor.to_string(),
            context: format!("demo data/demo/{name}"),
            ..ImportOptions::default()
        };
        let report = store.import(input.records, &options, &mut |_| {})?;
        if !report.problems.is_empty() {
            print_problems(&report.problems);
            bail!("bundled demo file {name} has invalid rows");
        }
        reports.push((name, report.counts));
    }
    let stored = store.list(&TmfFilter::default())?;
    let stats = qaita_model::stats::summarize(stored.iter().map(|s| &s.tmf));
    let index = settlement_index(None, ProximityConfig::default())?;
    let footprints: Vec<Option<Footprint>> =
        stored.iter().map(|s| s.tmf.footprint.clone()).collect();
    let sites: Vec<Site<'_>> = stored
        .iter()
        .zip(&footprints)
        .map(|(s, f)| Site {
            lon: s.tmf.location.lon,
            lat: s.tmf.location.lat,
            footprint: f.as_ref(),
        })
        .collect();
    let mut rows: Vec<ProximityRow> = stored
        .iter()
        .zip(index.assess_all(&sites))
        .map(|(s, proximity)| ProximityRow {
            id: s.id,
            external_id: s.tmf.external_id.clone(),
            name: s.tmf.names.name.clone(),
            lon: s.tmf.location.lon,
            lat: s.tmf.location.lat,
            has_footprint: s.tmf.footprint.is_some(),
            proximity,
        })
        .collect();
    rows.sort_by(|a, b| worst_first(&a.proximity, &b.proximity).then(a.id.cmp(&b.id)));
    let near: Vec<&ProximityRow> = rows
        .iter()
        .filter(|r| r.proximity.near_settlement)
        .collect();
    if json {
        print_json(&serde_json::json!({
            "label": "ILLUSTRATIVE demo data compiled from public statements; not official figures",
            "imports": reports.iter().map(|(n, c)| serde_json::json!({"file": n, "counts": c})).collect::<Vec<_>>(),
            "stats": stats,
            "near_settlements": near,
        }))?;
        return Ok(exit::OK);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Qaita demo: ILLUSTRATIVE inventory compiled from public statements (not official data)"
    )?;
    for (name, c) in &reports {
        writeln!(
            out,
            "  data/demo/{name}: {} created, {} updated, {} unchanged",
            c.create, c.update, c.unchanged
        )?;
    }
    writeln!(out)?;
    drop(out);
    output::print_stats(&stats);
    println!();
    println!(
        "TMFs within {} km of a settlement (worst first):",
        index.config().near_km
    );
    let near_rows: Vec<ProximityRow> = rows
        .into_iter()
        .filter(|r| r.proximity.near_settlement)
        .collect();
    output::print_proximity(
        &near_rows,
        index.config(),
        "bundled GeoNames extract (CC-BY 4.0)",
    );
    println!();
    println!(
        "Next: qaita list --region shymkent | qaita show KZ-TMF-0034 | qaita proximity | qaita export tmf.gpkg"
    );
    Ok(exit::OK)
}
