//! `qaita estimate` and `qaita classify`: shells over qaita-io's readers and qaita-geostat.
//!
//! Samples (points or drillholes) and the TMF footprint go to one projected CRS; the variogram
//! is fitted (or read); cells over the footprint (columns for 2-D data, layers for 3-D
//! drillhole composites) are estimated, cross-validated, classified and reported; the estimate
//! is stored on the TMF as a versioned analysis.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use comfy_table::Cell as TableCell;
use qaita_geostat::blockmodel::{
    Category, Cell, ClassificationRules, Criteria, ResourceLine, cells, grade_tonnage, layers,
    resource_table,
};
use qaita_geostat::kriging::{
    Block, Estimate, Estimator, KrigingKind, Neighbourhood, Samples, Status, cross_validate_with,
    estimate as run_estimator, idw,
};
use qaita_io::samples::{SamplePolicy, read_samples};
use qaita_model::units::Unit;
use qaita_model::{Commodity, FigureField, StoredTmf};
use qaita_store::Store;
use serde::Serialize;

use crate::commands::{find, not_found};
use crate::exit;
use crate::output::{print_json, right, table};
use crate::sampling::{Prepared, Rejected, SamplingArgs, VariogramArgs, load, variogram};

pub use qaita_app::document::RESOURCE_ESTIMATE;

/// Estimators on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Ordinary kriging.
    Ok,
    /// Simple kriging (mean: --sk-mean, default the declustered mean).
    Sk,
    /// Inverse distance weighting (--idw-power).
    Idw,
    /// Nearest neighbour (polygonal).
    Nn,
}

#[derive(Args, Clone, Debug)]
pub struct SearchArgs {
    /// Neighbourhood: at least / at most this many samples.
    #[arg(long, default_value_t = 4)]
    pub min_samples: usize,
    #[arg(long, default_value_t = 24)]
    pub max_samples: usize,
    /// Search radius, m (default: three times the longest variogram range).
    #[arg(long)]
    pub radius: Option<f64>,
    /// Search in the variogram's anisotropy ellipsoid (radius measured along its major axis).
    #[arg(long)]
    pub search_ellipsoid: bool,
    /// At most this many samples per octant (quadrant for 2-D data).
    #[arg(long)]
    pub octants: Option<usize>,
    /// Global neighbourhood: every sample for every target (small data sets).
    #[arg(long, conflicts_with_all = ["max_samples", "radius", "octants"])]
    pub global: bool,
    /// Simple-kriging mean, in the value's unit (default: the declustered sample mean).
    #[arg(long)]
    pub sk_mean: Option<f64>,
    #[arg(long, default_value_t = 2.0)]
    pub idw_power: f64,
}

impl SearchArgs {
    pub fn neighbourhood(&self, range: f64, samples: usize) -> Result<Neighbourhood> {
        if self.global {
            return Ok(Neighbourhood::global(samples));
        }
        let radius = self.radius.unwrap_or(3.0 * range);
        if radius.is_nan() || radius <= 0.0 {
            bail!("--radius must be positive");
        }
        if self.min_samples > self.max_samples || self.max_samples == 0 {
            bail!("--min-samples must not exceed --max-samples (and that must be positive)");
        }
        Ok(Neighbourhood {
            min: self.min_samples,
            max: self.max_samples,
            radius,
            per_octant: self.octants,
        })
    }

    pub fn estimator(&self, method: Method, data: &Prepared) -> Estimator {
        match method {
            Method::Ok => Estimator::Kriging(KrigingKind::Ordinary),
            Method::Sk => Estimator::Kriging(KrigingKind::Simple {
                mean: self.sk_mean.unwrap_or(data.declustered_mean),
            }),
            Method::Idw => Estimator::Idw {
                power: self.idw_power,
            },
            Method::Nn => Estimator::Nearest,
        }
    }

    /// Index the samples, with the variogram's ellipsoid when asked.
    pub fn samples(
        &self,
        data: &Prepared,
        model: &qaita_geostat::variogram::VariogramModel,
    ) -> Result<Samples> {
        let ellipsoid = if self.search_ellipsoid {
            Some(
                model
                    .structures
                    .first()
                    .ok_or_else(|| anyhow!("--search-ellipsoid: the model has no structure"))?
                    .anisotropy,
            )
        } else {
            None
        };
        Samples::with_search(data.points.clone(), data.values.clone(), ellipsoid)
            .map_err(|e| anyhow!(e))
    }
}

#[derive(Args)]
pub struct EstimateArgs {
    /// Registry id or external id of the TMF (it needs a footprint).
    id: String,
    #[command(flatten)]
    sampling: SamplingArgs,
    #[command(flatten)]
    variogram: VariogramArgs,
    #[command(flatten)]
    search: SearchArgs,
    /// Estimator.
    #[arg(long, value_enum, default_value = "ok")]
    method: Method,
    /// Block size, m.
    #[arg(long, default_value_t = 25.0)]
    cell: f64,
    /// Layer height of a 3-D model, m (default: the composite length).
    #[arg(long)]
    layer: Option<f64>,
    /// Block discretisation for block kriging: nodes per axis, `2,2` or `2,2,2`.
    #[arg(long, value_delimiter = ',', default_value = "2,2")]
    discretise: Vec<usize>,
    /// Thickness, m (default: hole depths interpolated between drillholes, else the registry's
    /// current volume / area).
    #[arg(long)]
    thickness: Option<f64>,
    /// Dry bulk density, t/m3 (default: the registry's current density).
    #[arg(long)]
    density: Option<f64>,
    /// Cut-offs for the grade-tonnage table, in the value's unit (default: 0 and quartiles).
    #[arg(long, value_delimiter = ',')]
    cutoffs: Vec<f64>,
    /// Classification rules (JSON: {"measured": {...}, "indicated": {...}} with min_slope,
    /// min_samples, max_mean_distance, max_relative_variance, min_octants).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// CSV of true values (lon,lat or x,y and the value column) to report the estimation error.
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Write the variogram and grade-tonnage charts (SVG) into this directory.
    #[arg(long)]
    charts: Option<PathBuf>,
    /// Write the block model as CSV.
    #[arg(long)]
    blocks: Option<PathBuf>,
    /// Write the block model in GSLIB (Geo-EAS) format.
    #[arg(long)]
    gslib: Option<PathBuf>,
    #[arg(long)]
    no_store: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// Block model CSV written by `qaita estimate --blocks`.
    blocks: PathBuf,
    /// Classification rules (JSON, as for `estimate --rules`; default: the built-in rules).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Report resources above this cut-off, in the estimate's unit.
    #[arg(long, default_value_t = 0.0)]
    cutoff: f64,
    /// Write the block model with the new categories here.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

/// Print rejected input and give the exit code for it.
pub fn rejected(Rejected(problems): Rejected) -> u8 {
    eprintln!("cannot use the sampling data:");
    problems.iter().for_each(|p| eprintln!("  {p}"));
    exit::INVALID_INPUT
}

fn read_rules(path: &Path) -> Result<ClassificationRules> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rules: ClassificationRules = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not classification rules: {e}", path.display()))?;
    for (name, c) in [("measured", rules.measured), ("indicated", rules.indicated)] {
        if c.min_slope.is_nan() || c.max_mean_distance.is_nan() || c.max_relative_variance.is_nan()
        {
            bail!("{}: {name}: thresholds must be numbers", path.display());
        }
    }
    Ok(rules)
}

fn registry_default(stored: &StoredTmf, field: FigureField) -> Option<f64> {
    stored.tmf.current(&field).map(|f| f.canonical())
}

/// Block-model columns as rows of numbers for the CSV and GSLIB outputs.
const BLOCK_COLUMNS: [&str; 13] = [
    "x",
    "y",
    "z",
    "fraction",
    "thickness",
    "tonnes",
    "estimate",
    "variance",
    "relative_variance",
    "slope",
    "samples",
    "mean_distance",
    "octants",
];

fn block_row(c: &Cell, e: &Estimate, sill: f64) -> [f64; 13] {
    [
        c.centre[0],
        c.centre[1],
        c.z,
        c.fraction,
        c.thickness,
        c.tonnes,
        e.value,
        e.variance,
        e.variance / sill,
        e.slope,
        e.samples as f64,
        e.mean_distance,
        e.octants as f64,
    ]
}

/// Default cut-offs: 0 and the quartiles of the estimates, rounded to 2 decimals.
fn default_cutoffs(estimates: &[Estimate]) -> Vec<f64> {
    let mut ok: Vec<f64> = estimates
        .iter()
        .filter(|e| e.status == Status::Ok)
        .map(|e| e.value)
        .collect();
    ok.sort_by(f64::total_cmp);
    let q = |p: f64| {
        (ok.get(((ok.len().saturating_sub(1)) as f64 * p) as usize)
            .copied()
            .unwrap_or(0.0)
            * 100.0)
            .round()
            / 100.0
    };
    let mut cutoffs = vec![0.0, q(0.25), q(0.5), q(0.75)];
    cutoffs.dedup();
    cutoffs
}

fn print_resources(resources: &[ResourceLine], unit: Unit, factor: f64) {
    let mut r = table(&["class", "tonnes (Mt)", "grade", "contained"]);
    for l in resources {
        r.add_row(vec![
            TableCell::new(&l.class),
            right(format!("{:.3}", l.tonnes / 1e6)),
            right(if l.tonnes > 0.0 {
                format!("{:.3} {}", l.mean_grade, unit)
            } else {
                "-".into()
            }),
            right(qaita_model::units::format_tonnes(l.contained * factor)),
        ]);
    }
    println!("{r}");
}

fn resources_json(resources: &[ResourceLine], factor: f64) -> serde_json::Value {
    resources
        .iter()
        .map(|l| serde_json::json!({"class": l.class, "tonnes": l.tonnes, "mean_grade": l.mean_grade, "contained_t": l.contained * factor}))
        .collect()
}

pub fn estimate(store: &mut Store, actor: &str, args: EstimateArgs) -> Result<u8> {
    let Some(stored) = find(store, &args.id)? else {
        return Ok(not_found(&args.id));
    };
    let tmf = &stored.tmf;
    let footprint = tmf.footprint.as_ref().ok_or_else(|| {
        anyhow!(
            "{} has no footprint: the block model needs one (import a footprint polygon)",
            tmf.external_id
        )
    })?;
    let commodity: Commodity = args
        .sampling
        .value
        .parse()
        .map_err(|e| anyhow!("--value: {e}"))?;
    let data = match load(&args.sampling, Some((tmf.location.lon, tmf.location.lat)))? {
        Ok(d) => d,
        Err(r) => return Ok(rejected(r)),
    };
    if data.three_d && data.holes.is_empty() {
        bail!(
            "{} has samples at several elevations: 3-D estimation needs drillholes (--collars, --intervals, --holes-as 3d), whose collars give the top surface; for 2-D give one value per location",
            data.label
        );
    }
    let unit_factor = data.unit.factor(); // the file's unit -> mass fraction
    let projection = &data.projection;
    let area_footprint = projection.footprint(footprint).map_err(|e| anyhow!(e))?;
    let fitted = variogram(&data, &args.variogram, args.sampling.composite)?;
    let model = &fitted.model;
    let range = fitted.range();
    let nb = args.search.neighbourhood(range, data.points.len())?;
    let samples = args.search.samples(&data, model)?;
    let estimator = args.search.estimator(args.method, &data);

    // Thickness: given, else hole depths between drillholes, else the registry.
    let hole_depth_index = data.hole_surface(|h| h.depth)?;
    let hole_tops = data.hole_surface(|h| h.top)?;
    let idw_at = |index: &Samples, x: f64, y: f64| {
        let nb = Neighbourhood {
            min: 1,
            max: 8,
            radius: f64::INFINITY,
            per_octant: None,
        };
        idw(index, &nb, &[[x, y, 0.0]], 2.0)[0].value
    };
    let registry_thickness = registry_default(&stored, FigureField::Volume)
        .zip(registry_default(&stored, FigureField::Area))
        .map(|(v, a)| v / a);
    let thickness_source = match (args.thickness, &hole_depth_index, registry_thickness) {
        (Some(t), _, _) => format!("{t} m (given)"),
        (None, Some(_), _) => "hole depths, interpolated (IDW, 8 nearest holes)".to_string(),
        (None, None, Some(t)) => format!("{t:.2} m (registry volume / area)"),
        (None, None, None) => {
            bail!("no thickness: give --thickness (the registry lacks a current volume and area)")
        }
    };
    let thickness = |x: f64, y: f64| match (args.thickness, &hole_depth_index) {
        (Some(t), _) => t,
        (None, Some(index)) => idw_at(index, x, y),
        (None, None) => registry_thickness.unwrap_or(f64::NAN),
    };
    let density = match args
        .density
        .or_else(|| registry_default(&stored, FigureField::Density))
    {
        Some(d) if d > 0.0 => d,
        _ => bail!("no density: give --density (the registry has no current density)"),
    };
    let columns = cells(
        &area_footprint,
        [args.cell, args.cell],
        thickness,
        |_, _| density,
    )
    .map_err(|e| anyhow!(e))?;
    let layer = args.layer.unwrap_or(args.sampling.composite);
    let block_cells = match (&hole_tops, data.three_d) {
        (Some(tops), true) => {
            layers(&columns, layer, |x, y| idw_at(tops, x, y)).map_err(|e| anyhow!(e))?
        }
        _ => columns,
    };
    let nodes = match args.discretise.as_slice() {
        [a, b] => [*a, *b, 1],
        [a, b, c] => [*a, *b, *c],
        _ => bail!("--discretise takes 2 or 3 node counts, e.g. 2,2 or 2,2,2"),
    };
    if nodes.contains(&0) {
        bail!("--discretise: node counts must be positive");
    }
    let block = Block {
        size: [args.cell, args.cell, if data.three_d { layer } else { 1.0 }],
        nodes,
    };
    let centres: Vec<[f64; 3]> = block_cells
        .iter()
        .map(|c| [c.centre[0], c.centre[1], c.z])
        .collect();
    let estimates = run_estimator(&samples, model, estimator, &nb, &centres, Some(&block));
    let cv = cross_validate_with(&samples, model, estimator, &nb);
    let rules = match &args.rules {
        Some(path) => read_rules(path)?,
        // Distances scale with the variogram range.
        None => ClassificationRules {
            measured: Criteria {
                max_mean_distance: range * 0.5,
                ..ClassificationRules::default().measured
            },
            indicated: Criteria {
                max_mean_distance: range,
                ..ClassificationRules::default().indicated
            },
        },
    };
    let sill = model.sill();
    let categories: Vec<Category> = estimates.iter().map(|e| rules.classify(e, sill)).collect();
    let estimated = estimates.iter().filter(|e| e.status == Status::Ok).count();
    let cutoffs = if args.cutoffs.is_empty() {
        default_cutoffs(&estimates)
    } else {
        args.cutoffs.clone()
    };
    let curve = grade_tonnage(&block_cells, &estimates, &cutoffs);
    // Tonnage-weighted kriging standard deviation relative to the mean grade: the grade
    // uncertainty valuation uses instead of the 30% assumed for registry figures.
    let (sum_t, sum_var, sum_grade) = block_cells
        .iter()
        .zip(&estimates)
        .filter(|(_, e)| e.status == Status::Ok)
        .fold((0.0, 0.0, 0.0), |(t, v, g), (c, e)| {
            (
                t + c.tonnes,
                v + c.tonnes * e.variance,
                g + c.tonnes * e.value,
            )
        });
    let relative_sd = if sum_grade > 0.0 && sum_var.is_finite() {
        (sum_var / sum_t).sqrt() / (sum_grade / sum_t)
    } else {
        f64::NAN
    };
    let resources = resource_table(
        &block_cells,
        &estimates,
        &categories,
        cutoffs.first().copied().unwrap_or(0.0),
    );
    let truth = match &args.truth {
        Some(path) => Some(check_truth(
            path,
            &args.sampling.value,
            &data,
            &samples,
            model,
            estimator,
            &nb,
            args.sampling.negative_to_zero,
        )?),
        None => None,
    };
    let failures: std::collections::BTreeMap<String, usize> = estimates
        .iter()
        .filter_map(|e| match &e.status {
            Status::Ok => None,
            Status::TooFewSamples(_) => Some("too_few_samples".to_string()),
            Status::Singular(r) => Some(format!("singular: {r}")),
        })
        .fold(Default::default(), |mut m, k| {
            *m.entry(k).or_default() += 1;
            m
        });
    let method = format!(
        "qaita-geostat {}: {} {}, {} over the footprint, {} discretisation",
        env!("CARGO_PKG_VERSION"),
        match args.method {
            Method::Ok => "ordinary kriging",
            Method::Sk => "simple kriging",
            Method::Idw => "inverse distance weighting",
            Method::Nn => "nearest neighbour",
        },
        if data.three_d { "3-D" } else { "2-D" },
        if data.three_d {
            format!("{}x{} m cells in {layer} m layers", args.cell, args.cell)
        } else {
            format!("{}x{} m columns", args.cell, args.cell)
        },
        nodes.map(|n| n.to_string()).join("x"),
    );
    let contained_t = |tonnes_times_grade: f64| tonnes_times_grade * unit_factor;
    let result = serde_json::json!({
        "tmf": tmf.external_id,
        "commodity": commodity.code(),
        "unit": data.unit.symbol(),
        "crs": format!("EPSG:{}", projection.epsg),
        "dimension": if data.three_d { 3 } else { 2 },
        "samples": data.report,
        "variogram": {"model": model, "source": fitted.source, "experimental": fitted.experimental, "weighted_sse": fitted.weighted_sse},
        "estimator": estimator,
        "neighbourhood": nb,
        "search_ellipsoid": args.search.search_ellipsoid,
        "cross_validation": cv,
        "blocks": {"count": block_cells.len(), "size_m": args.cell, "layer_m": if data.three_d { Some(layer) } else { None }, "discretisation": nodes, "thickness": thickness_source, "density_t_m3": density, "estimated": estimated, "not_estimated": failures, "tonnes": block_cells.iter().map(|c| c.tonnes).sum::<f64>()},
        "grade_relative_sd": relative_sd,
        "grade_tonnage": curve.iter().map(|g| serde_json::json!({"cutoff": g.cutoff, "tonnes": g.tonnes, "mean_grade": g.mean_grade, "contained_t": contained_t(g.contained)})).collect::<Vec<_>>(),
        "resources": resources_json(&resources, unit_factor),
        "classification_rules": rules,
        "truth_check": truth,
    });
    let rows = || {
        block_cells
            .iter()
            .zip(&estimates)
            .map(|(c, e)| block_row(c, e, sill))
    };
    if let Some(path) = &args.blocks {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut header: Vec<String> = BLOCK_COLUMNS.iter().map(|s| s.to_string()).collect();
        header[6] = format!("estimate [{}]", data.unit.symbol());
        header.push("category".into());
        w.write_record(&header)?;
        for (row, cat) in rows().zip(&categories) {
            let mut record: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            record.push(format!("{cat:?}").to_lowercase());
            w.write_record(&record)?;
        }
        w.flush()?;
    }
    if let Some(path) = &args.gslib {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut names: Vec<&str> = BLOCK_COLUMNS.to_vec();
        names.push("category (1 measured, 2 indicated, 3 inferred, 0 unclassified)");
        let code = |c: &Category| match c {
            Category::Measured => 1.0,
            Category::Indicated => 2.0,
            Category::Inferred => 3.0,
            Category::Unclassified => 0.0,
        };
        qaita_io::write::write_gslib(
            std::io::BufWriter::new(file),
            &format!(
                "{} {} block model ({}), EPSG:{}",
                tmf.external_id,
                commodity,
                data.unit.symbol(),
                projection.epsg
            ),
            &names,
            rows().zip(&categories).map(|(r, c)| {
                let mut v = r.to_vec();
                v.push(code(c));
                v
            }),
        )?;
    }
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir)?;
        if !fitted.experimental.is_empty() {
            let svg = crate::sampling::variogram_svg(
                &format!("{} {}: variogram", tmf.external_id, commodity),
                &fitted,
                args.variogram.lags,
            )?;
            std::fs::write(dir.join(format!("{}-variogram.svg", tmf.external_id)), svg)?;
        }
        let gt = [qaita_charts::Series {
            name: "tonnes above cut-off (Mt)".into(),
            points: curve.iter().map(|g| (g.cutoff, g.tonnes / 1e6)).collect(),
            markers: true,
        }];
        let svg = qaita_charts::xy_svg(
            &format!("{} {}: grade-tonnage", tmf.external_id, commodity),
            &format!("cut-off, {}", data.unit),
            "Mt",
            &gt,
        )?;
        std::fs::write(
            dir.join(format!("{}-grade-tonnage.svg", tmf.external_id)),
            svg,
        )?;
    }
    if !args.no_store {
        let parameters = serde_json::json!({
            "sampling": format!("{:?}", args.sampling), "variogram": format!("{:?}", args.variogram),
            "search": format!("{:?}", args.search), "method": args.method, "cell": args.cell,
            "layer": layer, "discretise": nodes, "thickness": thickness_source, "density": density,
            "rules": args.rules, "crs": projection.epsg,
        });
        store.add_analysis(
            stored.id,
            RESOURCE_ESTIMATE,
            actor,
            &method,
            &parameters,
            &result,
            None,
        )?;
    }
    if args.json {
        print_json(&result)?;
        return Ok(exit::OK);
    }
    let stats = &data.report["statistics"];
    println!(
        "{} — {}: {} from {} {} ({}), EPSG:{}",
        tmf.external_id,
        tmf.names.name,
        commodity,
        data.points.len(),
        data.kind(),
        data.label,
        projection.epsg
    );
    println!(
        "statistics: naive mean {:.4}, declustered mean {:.4} (cell {:.0} m), SD {:.4} {}",
        stats["naive"]["mean"].as_f64().unwrap_or(f64::NAN),
        stats["declustered"]["mean"].as_f64().unwrap_or(f64::NAN),
        stats["declustered"]["cell_m"].as_f64().unwrap_or(f64::NAN),
        stats["declustered"]["sd"].as_f64().unwrap_or(f64::NAN),
        data.unit
    );
    println!("variogram: {}", fitted.describe());
    println!(
        "cross-validation: mean error {:.4}, RMSE {:.4}, mean standardised squared error {:.2} ({} of {} samples)",
        cv.mean_error,
        cv.rmse,
        cv.mean_standardised_squared_error,
        cv.estimated,
        data.points.len()
    );
    println!(
        "blocks: {} of {} m{}, thickness {}, density {:.2} t/m3, {} estimated",
        block_cells.len(),
        args.cell,
        if data.three_d {
            format!(" x {layer} m")
        } else {
            String::new()
        },
        thickness_source,
        density,
        estimated
    );
    let mut t = table(&["cut-off", "tonnes (Mt)", "mean grade", "contained"]);
    for g in &curve {
        t.add_row(vec![
            right(format!("{:.2} {}", g.cutoff, data.unit)),
            right(format!("{:.3}", g.tonnes / 1e6)),
            right(format!("{:.3} {}", g.mean_grade, data.unit)),
            right(qaita_model::units::format_tonnes(contained_t(g.contained))),
        ]);
    }
    println!("{t}");
    print_resources(&resources, data.unit, unit_factor);
    if let Some(t) = &truth {
        println!(
            "against the truth: {} points, bias {:.4}, RMSE {:.4} {}",
            t["points"],
            t["bias"].as_f64().unwrap_or(f64::NAN),
            t["rmse"].as_f64().unwrap_or(f64::NAN),
            data.unit
        );
    }
    Ok(exit::OK)
}

/// Point estimates at the truth locations, and their bias and RMSE.
#[allow(clippy::too_many_arguments)]
fn check_truth(
    path: &Path,
    column: &str,
    data: &Prepared,
    samples: &Samples,
    model: &qaita_geostat::variogram::VariogramModel,
    estimator: Estimator,
    nb: &Neighbourhood,
    negative_to_zero: bool,
) -> Result<serde_json::Value> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {file}"))?;
    let truth =
        read_samples(&file, &bytes, column, SamplePolicy { negative_to_zero }).map_err(|p| {
            anyhow!(
                "{}",
                p.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
    let factor = truth.unit.factor();
    let mut targets = Vec::new();
    for s in &truth.samples {
        let (x, y) = match truth.coordinates {
            qaita_io::samples::Coordinates::Wgs84 => data
                .projection
                .from_wgs84(s.location[0], s.location[1])
                .map_err(|e| anyhow!(e))?,
            qaita_io::samples::Coordinates::Projected => (s.location[0], s.location[1]),
        };
        targets.push([x, y, if data.three_d { s.location[2] } else { 0.0 }]);
    }
    let estimates = run_estimator(samples, model, estimator, nb, &targets, None);
    let errors: Vec<f64> = estimates
        .iter()
        .zip(&truth.samples)
        .filter(|(e, _)| e.status == Status::Ok)
        .map(|(e, t)| e.value - t.value / factor)
        .collect();
    let n = errors.len().max(1) as f64;
    Ok(serde_json::json!({
        "file": file,
        "points": errors.len(),
        "bias": errors.iter().sum::<f64>() / n,
        "rmse": (errors.iter().map(|e| e * e).sum::<f64>() / n).sqrt(),
    }))
}

/// `qaita classify`: re-classify a block model with other rules, without re-estimating.
pub fn classify(args: ClassifyArgs) -> Result<u8> {
    let rules = match &args.rules {
        Some(path) => read_rules(path)?,
        None => ClassificationRules::default(),
    };
    let file = args.blocks.display().to_string();
    let mut reader =
        csv::Reader::from_path(&args.blocks).with_context(|| format!("cannot read {file}"))?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.split('[').next().unwrap_or("").trim() == name)
            .ok_or_else(|| {
                anyhow!("{file}: no column '{name}' (write it with `qaita estimate --blocks`)")
            })
    };
    let unit: Unit = headers
        .iter()
        .find_map(|h| {
            h.strip_prefix("estimate [")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .ok_or_else(|| anyhow!("{file}: the 'estimate [unit]' column names no known unit"))?;
    let idx: Vec<usize> = BLOCK_COLUMNS
        .iter()
        .map(|c| column(c))
        .collect::<Result<_>>()?;
    let (mut block_cells, mut estimates) = (Vec::new(), Vec::new());
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let row = i + 2;
        let mut v = [0.0; 13];
        for (k, c) in idx.iter().enumerate() {
            let text = record.get(*c).unwrap_or("");
            match text.parse::<f64>() {
                Ok(x) => v[k] = x,
                Err(_) => problems.push(format!(
                    "{file}: row {row}, {}: '{text}' is not a number",
                    headers[*c]
                )),
            }
        }
        block_cells.push(Cell {
            centre: [v[0], v[1]],
            z: v[2],
            fraction: v[3],
            area: 0.0,
            thickness: v[4],
            density: 0.0,
            tonnes: v[5],
        });
        // Relative variance is stored; classify against a unit sill.
        estimates.push(Estimate {
            value: v[6],
            variance: v[8],
            slope: v[9],
            samples: v[10] as usize,
            mean_distance: v[11],
            octants: v[12] as usize,
            status: if v[6].is_finite() {
                Status::Ok
            } else {
                Status::TooFewSamples("not estimated".into())
            },
        });
    }
    if !problems.is_empty() {
        problems.iter().for_each(|p| eprintln!("{p}"));
        return Ok(exit::INVALID_INPUT);
    }
    let categories: Vec<Category> = estimates.iter().map(|e| rules.classify(e, 1.0)).collect();
    let resources = resource_table(&block_cells, &estimates, &categories, args.cutoff);
    if let Some(out) = &args.out {
        let mut reader = csv::Reader::from_path(&args.blocks)?;
        let mut w = csv::Writer::from_path(out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let cat = headers.iter().position(|h| h == "category");
        let mut header = headers.clone();
        if cat.is_none() {
            header.push("category".into());
        }
        w.write_record(&header)?;
        for (record, c) in reader.records().zip(&categories) {
            let mut fields: Vec<String> = record?.iter().map(str::to_string).collect();
            let name = format!("{c:?}").to_lowercase();
            match cat {
                Some(i) => fields[i] = name,
                None => fields.push(name),
            }
            w.write_record(&fields)?;
        }
        w.flush()?;
    }
    let factor = unit.factor();
    if args.json {
        print_json(
            &serde_json::json!({"blocks": file, "rules": rules, "cutoff": args.cutoff, "unit": unit.symbol(), "resources": resources_json(&resources, factor)}),
        )?;
        return Ok(exit::OK);
    }
    println!(
        "{file}: {} blocks, cut-off {} {unit}; rules: measured slope >= {}, >= {} samples, mean distance <= {} m, relative variance <= {}, >= {} octants; indicated slope >= {}, >= {} samples, <= {} m, <= {}, >= {} octants",
        block_cells.len(),
        args.cutoff,
        rules.measured.min_slope,
        rules.measured.min_samples,
        rules.measured.max_mean_distance,
        rules.measured.max_relative_variance,
        rules.measured.min_octants,
        rules.indicated.min_slope,
        rules.indicated.min_samples,
        rules.indicated.max_mean_distance,
        rules.indicated.max_relative_variance,
        rules.indicated.min_octants,
    );
    print_resources(&resources, unit, factor);
    Ok(exit::OK)
}
