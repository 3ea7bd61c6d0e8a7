//! `qaita estimate` and `qaita classify`, and the sampling, variogram and search flags
//! `qaita variogram` and `qaita crossval` share: argument parsing, file reading and printing
//! over `qaita_app::estimate`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use comfy_table::Cell as TableCell;
use qaita_app::estimate::{
    self as app, BLOCK_COLUMNS, EstimateError, EstimateRequest, Inputs, Named, Variogram,
    direction_vector, parse_rules, resources_json,
};
use qaita_geostat::blockmodel::{Category, ClassificationRules, ResourceLine};
use qaita_model::units::Unit;
use qaita_store::Store;
use serde::Serialize;

use crate::exit;
use crate::output::{print_json, right, table};
use crate::util::{find, not_found};

/// How drillhole intervals become samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HolesAs {
    /// One composite over the whole sampled length of each hole, at its collar: 2-D estimation
    /// of the grade averaged over depth (the usual case for thin, well-mixed tailings).
    Hole,
    /// Fixed-length composites (`--composite`) at their 3-D positions: 3-D estimation in layers.
    #[value(name = "3d")]
    ThreeD,
}

#[derive(Args, Clone, Debug)]
pub struct SamplingArgs {
    /// Point samples CSV: x/y (projected, with --epsg) or lon/lat (WGS84), optional z, value columns.
    #[arg(long, required_unless_present = "collars", conflicts_with_all = ["collars", "surveys", "intervals"])]
    pub samples: Option<PathBuf>,
    /// Drillhole collars CSV: HOLEID, X, Y, Z (projected, with --epsg) or HOLEID, LON, LAT, Z.
    #[arg(long, requires = "intervals")]
    pub collars: Option<PathBuf>,
    /// Downhole surveys CSV: HOLEID, AT, AZM, DIP (dip negative down); holes without one are vertical.
    #[arg(long, requires = "collars")]
    pub surveys: Option<PathBuf>,
    /// Sampled intervals CSV: HOLEID, FROM, TO and value columns.
    #[arg(long, requires = "collars")]
    pub intervals: Option<PathBuf>,
    /// Drillholes as one composite per hole (2-D) or fixed-length composites in 3-D.
    #[arg(long, value_enum, default_value = "hole")]
    pub holes_as: HolesAs,
    /// Composite length along the hole, m (with --holes-as 3d).
    #[arg(long, default_value_t = 1.5)]
    pub composite: f64,
    /// Keep a composite if at least this share of it was sampled (gaps are never zeros).
    #[arg(long, default_value_t = 0.5)]
    pub min_coverage: f64,
    /// Value column, with its unit in the header (`Cr2O3 [%]`) or in the cells; its name is the commodity.
    #[arg(long)]
    pub value: String,
    /// EPSG code of projected coordinates (lon/lat go to the UTM zone of the TMF or of the data).
    #[arg(long)]
    pub epsg: Option<u16>,
    /// Treat negative grades (below detection) as zero instead of rejecting the file.
    #[arg(long)]
    pub negative_to_zero: bool,
    /// Cap values above this (in the value's unit) before estimation.
    #[arg(long)]
    pub top_cut: Option<f64>,
    /// Cell size for declustered statistics, m (default: twice the mean sample spacing).
    #[arg(long)]
    pub decluster: Option<f64>,
}

#[derive(Args, Clone, Debug)]
pub struct VariogramArgs {
    /// Use this saved model (JSON, as `qaita variogram --save` writes; nested and anisotropic
    /// models allowed) instead of fitting one.
    #[arg(long)]
    pub variogram: Option<PathBuf>,
    /// Model shape to fit: spherical, exponential, gaussian.
    #[arg(long, default_value = "spherical")]
    pub model: String,
    /// Lag width, m (default: 1/20 of the sampled extent).
    #[arg(long)]
    pub lag: Option<f64>,
    #[arg(long, default_value_t = 12)]
    pub lags: usize,
    /// Fit a 2-D geometric anisotropy: directional variograms along this azimuth (degrees from
    /// north) and across it.
    #[arg(long)]
    pub azimuth: Option<f64>,
    /// Half-angle tolerance of directional variograms, degrees.
    #[arg(long, default_value_t = 22.5)]
    pub tolerance: f64,
    /// Bandwidth of directional variograms, m (default: 3 lags).
    #[arg(long)]
    pub bandwidth: Option<f64>,
    /// Vertical lag for the downhole variogram of 3-D data, m (default: the composite length).
    #[arg(long)]
    pub vertical_lag: Option<f64>,
}

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

impl From<HolesAs> for app::HolesAs {
    fn from(h: HolesAs) -> Self {
        match h {
            HolesAs::Hole => app::HolesAs::Hole,
            HolesAs::ThreeD => app::HolesAs::ThreeD,
        }
    }
}

impl From<Method> for app::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::Ok => app::Method::Ok,
            Method::Sk => app::Method::Sk,
            Method::Idw => app::Method::Idw,
            Method::Nn => app::Method::Nn,
        }
    }
}

/// A file the user named, read whole.
fn read(path: &Path) -> Result<Named> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    Ok(Named { name, bytes })
}

fn read_opt(path: &Option<PathBuf>) -> Result<Option<Named>> {
    path.as_deref().map(read).transpose()
}

/// The request the flags make (`search` absent: its defaults) and the files they name.
pub fn request(
    sampling: &SamplingArgs,
    variogram: &VariogramArgs,
    search: Option<&SearchArgs>,
) -> Result<(EstimateRequest, Inputs)> {
    let mut r = EstimateRequest {
        holes_as: sampling.holes_as.into(),
        composite: sampling.composite,
        min_coverage: sampling.min_coverage,
        value: sampling.value.clone(),
        epsg: sampling.epsg,
        negative_to_zero: sampling.negative_to_zero,
        top_cut: sampling.top_cut,
        decluster: sampling.decluster,
        model: variogram.model.clone(),
        lag: variogram.lag,
        lags: variogram.lags,
        azimuth: variogram.azimuth,
        tolerance: variogram.tolerance,
        bandwidth: variogram.bandwidth,
        vertical_lag: variogram.vertical_lag,
        ..EstimateRequest::default()
    };
    if let Some(s) = search {
        r.min_samples = s.min_samples;
        r.max_samples = s.max_samples;
        r.radius = s.radius;
        r.search_ellipsoid = s.search_ellipsoid;
        r.octants = s.octants;
        r.global = s.global;
        r.sk_mean = s.sk_mean;
        r.idw_power = s.idw_power;
    }
    let inputs = Inputs {
        samples: read_opt(&sampling.samples)?,
        collars: read_opt(&sampling.collars)?,
        surveys: read_opt(&sampling.surveys)?,
        intervals: read_opt(&sampling.intervals)?,
        variogram: read_opt(&variogram.variogram)?,
        ..Inputs::default()
    };
    Ok((r, inputs))
}

/// An app error as the CLI reports it: rejected input printed (exit 3), the rest as errors.
pub fn failed(e: EstimateError) -> Result<u8> {
    match e {
        EstimateError::Rejected(problems) => {
            eprintln!("cannot use the sampling data:");
            problems.iter().for_each(|p| eprintln!("  {p}"));
            Ok(exit::INVALID_INPUT)
        }
        EstimateError::Invalid { message, .. } => Err(anyhow!(message)),
        EstimateError::Other(e) => Err(e),
    }
}

fn read_rules(path: &Path) -> Result<ClassificationRules> {
    parse_rules(&read(path)?).map_err(|e| anyhow!(e.to_string()))
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

/// The variogram chart: experimental points of each direction and the model along it.
pub fn variogram_svg(title: &str, v: &Variogram, lags: usize) -> Result<String> {
    let mut series = Vec::new();
    let max_h = v
        .experimental
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.distance))
        .fold(v.lag * lags as f64, f64::max);
    for (name, bins) in &v.experimental {
        series.push(qaita_charts::Series {
            name: name.clone(),
            points: bins.iter().map(|b| (b.distance, b.gamma)).collect(),
            markers: true,
        });
        let dir = direction_vector(name);
        series.push(qaita_charts::Series {
            name: format!("model, {name}"),
            points: (0..=100)
                .map(|i| {
                    let h = max_h * i as f64 / 100.0;
                    (h, v.model.gamma([h * dir[0], h * dir[1], h * dir[2]]))
                })
                .collect(),
            markers: false,
        });
    }
    Ok(qaita_charts::xy_svg(
        title,
        "lag, m",
        "semivariance",
        &series,
    )?)
}

pub fn estimate(store: &mut Store, actor: &str, args: EstimateArgs) -> Result<u8> {
    let Some(stored) = find(store, &args.id)? else {
        return Ok(not_found(&args.id));
    };
    let (mut request, mut inputs) = request(&args.sampling, &args.variogram, Some(&args.search))?;
    request.method = args.method.into();
    request.cell = args.cell;
    request.layer = args.layer;
    request.discretise = args.discretise.clone();
    request.thickness = args.thickness;
    request.density = args.density;
    request.cutoffs = args.cutoffs.clone();
    request.store = !args.no_store;
    inputs.rules = read_opt(&args.rules)?;
    inputs.truth = read_opt(&args.truth)?;
    let e = match app::run(
        store,
        &stored,
        &request,
        &inputs,
        actor,
        None,
        &mut |_, _| {},
    ) {
        Ok(e) => e,
        Err(err) => return failed(err),
    };
    let tmf = &stored.tmf;
    let (data, fitted, cv) = (&e.data, &e.variogram, &e.cross_validation);
    let (projection, commodity, unit_factor) = (&data.projection, &e.commodity, e.unit_factor);
    if let Some(path) = &args.blocks {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut header: Vec<String> = BLOCK_COLUMNS.iter().map(|s| s.to_string()).collect();
        header[6] = format!("estimate [{}]", data.unit.symbol());
        header.push("category".into());
        w.write_record(&header)?;
        for (row, cat) in e.rows().zip(&e.categories) {
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
            e.rows().zip(&e.categories).map(|(r, c)| {
                let mut v = r.to_vec();
                v.push(code(c));
                v
            }),
        )?;
    }
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir)?;
        if !fitted.experimental.is_empty() {
            let svg = variogram_svg(
                &format!("{} {}: variogram", tmf.external_id, commodity),
                fitted,
                args.variogram.lags,
            )?;
            std::fs::write(dir.join(format!("{}-variogram.svg", tmf.external_id)), svg)?;
        }
        let gt = [qaita_charts::Series {
            name: "tonnes above cut-off (Mt)".into(),
            points: e.curve.iter().map(|g| (g.cutoff, g.tonnes / 1e6)).collect(),
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
    if args.json {
        print_json(&e.document)?;
        return Ok(exit::OK);
    }
    let contained_t = |tonnes_times_grade: f64| tonnes_times_grade * unit_factor;
    let (curve, resources, truth) = (&e.curve, &e.resources, &e.truth);
    let (thickness_source, density, estimated, layer) =
        (&e.thickness_source, e.density, e.estimated, e.layer);
    let block_cells = &e.cells;
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
    for g in curve {
        t.add_row(vec![
            right(format!("{:.2} {}", g.cutoff, data.unit)),
            right(format!("{:.3}", g.tonnes / 1e6)),
            right(format!("{:.3} {}", g.mean_grade, data.unit)),
            right(qaita_model::units::format_tonnes(contained_t(g.contained))),
        ]);
    }
    println!("{t}");
    print_resources(resources, data.unit, unit_factor);
    if let Some(t) = truth {
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

/// `qaita classify`: re-classify a block model with other rules, without re-estimating.
pub fn classify(args: ClassifyArgs) -> Result<u8> {
    let rules = match &args.rules {
        Some(path) => read_rules(path)?,
        None => ClassificationRules::default(),
    };
    let file = args.blocks.display().to_string();
    let blocks = read(&args.blocks)?;
    let outcome = match app::classify(&blocks, &rules, args.cutoff) {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    if !outcome.problems.is_empty() {
        outcome.problems.iter().for_each(|p| eprintln!("{p}"));
        return Ok(exit::INVALID_INPUT);
    }
    let (headers, categories, resources, unit) = (
        &outcome.headers,
        &outcome.categories,
        &outcome.resources,
        outcome.unit,
    );
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
        for (record, c) in reader.records().zip(categories) {
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
            &serde_json::json!({"blocks": file, "rules": rules, "cutoff": args.cutoff, "unit": unit.symbol(), "resources": resources_json(resources, factor)}),
        )?;
        return Ok(exit::OK);
    }
    println!(
        "{file}: {} blocks, cut-off {} {unit}; rules: measured slope >= {}, >= {} samples, mean distance <= {} m, relative variance <= {}, >= {} octants; indicated slope >= {}, >= {} samples, <= {} m, <= {}, >= {} octants",
        outcome.blocks,
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
    print_resources(resources, unit, factor);
    Ok(exit::OK)
}
