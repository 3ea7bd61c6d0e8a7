//! `qaita estimate`: a shell over qaita-io's sample reader and qaita-geostat.
//!
//! 2-D estimation over the footprint (z is ignored: composite layered data to one value per
//! hole first): samples and footprint go to one projected CRS, an experimental variogram is fitted,
//! blocks are ordinary-kriged (2 x 2 discretisation), cross-validated, classified and reported.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use comfy_table::Cell;
use qaita_geostat::blockmodel::{ClassificationRules, cells, grade_tonnage, resource_table};
use qaita_geostat::crs::Projection;
use qaita_geostat::kriging::{
    Block, KrigingKind, Neighbourhood, Samples, Status, cross_validate, krige,
};
use qaita_geostat::variogram::{Shape, experimental, fit};
use qaita_io::samples::{Coordinates, SamplePolicy, read_samples};
use qaita_model::{Commodity, FigureField, StoredTmf};
use qaita_store::Store;

use crate::commands::{find, not_found};
use crate::output::{print_json, right, table};
use crate::{EstimateArgs, exit};

/// Kind of the stored analysis.
pub const RESOURCE_ESTIMATE: &str = "resource_estimate";
const METHOD: &str = "qaita-geostat: WLS-fitted variogram, 2-D ordinary block kriging (2x2 discretisation) over the footprint";

/// The headline of a stored estimate, for `show --json`.
pub fn summary(e: &qaita_store::Analysis) -> serde_json::Value {
    serde_json::json!({
        "version": e.version, "created_at": e.created_at, "actor": e.actor, "method": e.method,
        "commodity": e.result["commodity"], "unit": e.result["unit"], "crs": e.result["crs"],
        "resources": e.result["resources"], "grade_tonnage": e.result["grade_tonnage"],
    })
}

/// The headline of a stored estimate, for `show`.
pub fn summary_line(e: &qaita_store::Analysis) -> String {
    let unit = e.result["unit"].as_str().unwrap_or("");
    let lines: Vec<String> = e.result["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["tonnes"].as_f64().unwrap_or(0.0) > 0.0)
        .map(|l| {
            format!(
                "{} {:.3} Mt @ {:.3} {unit}",
                l["class"].as_str().unwrap_or("?"),
                l["tonnes"].as_f64().unwrap_or(0.0) / 1e6,
                l["mean_grade"].as_f64().unwrap_or(f64::NAN)
            )
        })
        .collect();
    format!(
        "resource estimate v{} ({} by {}), {}: {}",
        e.version,
        e.created_at,
        e.actor,
        e.result["commodity"].as_str().unwrap_or("?"),
        lines.join("; ")
    )
}

fn registry_default(stored: &StoredTmf, field: FigureField) -> Option<f64> {
    stored.tmf.current(&field).map(|f| f.canonical())
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
    let commodity: Commodity = args.value.parse().map_err(|e| anyhow!("--value: {e}"))?;
    let shape: Shape = args
        .model
        .parse()
        .map_err(|e: String| anyhow!("--model: {e}"))?;
    let file = args.samples.display().to_string();
    let bytes = std::fs::read(&args.samples).with_context(|| format!("cannot read {file}"))?;
    let set = match read_samples(
        &file,
        &bytes,
        &args.value,
        SamplePolicy {
            negative_to_zero: args.negative_to_zero,
        },
    ) {
        Ok(set) => set,
        Err(problems) => {
            eprintln!("{file}: cannot use the samples:");
            problems.iter().for_each(|p| eprintln!("  {p}"));
            return Ok(exit::INVALID_INPUT);
        }
    };
    let projection = match (set.coordinates, args.epsg) {
        (Coordinates::Wgs84, None) => {
            Projection::utm_for(tmf.location.lon, tmf.location.lat).map_err(|e| anyhow!(e))?
        }
        (Coordinates::Wgs84, Some(_)) => {
            bail!("{file} has lon/lat: --epsg is only for projected x/y")
        }
        (Coordinates::Projected, Some(code)) => {
            Projection::from_epsg(code).map_err(|e| anyhow!(e))?
        }
        (Coordinates::Projected, None) => bail!(
            "{file} has projected x/y: name their CRS with --epsg (e.g. 32641 for WGS 84 / UTM 41N)"
        ),
    };
    let unit_factor = set.unit.factor(); // display unit -> mass fraction
    let mut points = Vec::with_capacity(set.samples.len());
    for s in &set.samples {
        let (x, y) = match set.coordinates {
            Coordinates::Wgs84 => projection
                .from_wgs84(s.location[0], s.location[1])
                .map_err(|e| anyhow!("row {}: {e}", s.row))?,
            Coordinates::Projected => (s.location[0], s.location[1]),
        };
        points.push([x, y, 0.0]);
    }
    // Work in the unit of the file (e.g. %), so that variances and cut-offs read naturally.
    let values: Vec<f64> = set.samples.iter().map(|s| s.value / unit_factor).collect();
    let area_footprint = projection.footprint(footprint).map_err(|e| anyhow!(e))?;
    let thickness = match args.thickness.or_else(|| {
        Some(
            registry_default(&stored, FigureField::Volume)?
                / registry_default(&stored, FigureField::Area)?,
        )
    }) {
        Some(t) if t > 0.0 => t,
        _ => bail!("no thickness: give --thickness (the registry lacks a current volume and area)"),
    };
    let density = match args
        .density
        .or_else(|| registry_default(&stored, FigureField::Density))
    {
        Some(d) if d > 0.0 => d,
        _ => bail!("no density: give --density (the registry has no current density)"),
    };

    // Variogram.
    let (min_x, max_x, min_y, max_y) = points.iter().fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |a, p| (a.0.min(p[0]), a.1.max(p[0]), a.2.min(p[1]), a.3.max(p[1])),
    );
    let extent = ((max_x - min_x).powi(2) + (max_y - min_y).powi(2)).sqrt();
    let lag = args.lag.unwrap_or(extent / 20.0);
    if lag.is_nan() || lag <= 0.0 {
        bail!("--lag must be positive");
    }
    let bins = experimental(&points, &values, lag, args.lags, None);
    let fitted = fit(&bins, shape).map_err(|e| anyhow!("variogram: {e}"))?;
    let model = fitted.model.clone();
    model
        .validate()
        .map_err(|e| anyhow!("fitted variogram: {e}"))?;
    let range = model
        .structures
        .first()
        .map_or(lag, |s| s.anisotropy.range_major);

    // Blocks and kriging.
    let samples = Samples::new(points.clone(), values.clone()).map_err(|e| anyhow!(e))?;
    let nb = Neighbourhood {
        min: args.min_samples,
        max: args.max_samples,
        radius: 3.0 * range,
        per_octant: None,
    };
    let block_cells = cells(
        &area_footprint,
        [args.cell, args.cell],
        |_, _| thickness,
        |_, _| density,
    )
    .map_err(|e| anyhow!(e))?;
    let centres: Vec<[f64; 3]> = block_cells
        .iter()
        .map(|c| [c.centre[0], c.centre[1], 0.0])
        .collect();
    let block = Block {
        size: [args.cell, args.cell, 1.0],
        nodes: [2, 2, 1],
    };
    let estimates = krige(
        &samples,
        &model,
        KrigingKind::Ordinary,
        &nb,
        &centres,
        Some(&block),
    );
    let cv = cross_validate(&samples, &model, KrigingKind::Ordinary, &nb);
    let rules = ClassificationRules {
        measured: qaita_geostat::blockmodel::Criteria {
            max_mean_distance: range * 0.5,
            ..ClassificationRules::default().measured
        },
        indicated: qaita_geostat::blockmodel::Criteria {
            max_mean_distance: range,
            ..ClassificationRules::default().indicated
        },
    };
    let categories: Vec<_> = estimates
        .iter()
        .map(|e| rules.classify(e, model.sill()))
        .collect();
    let mut ok: Vec<f64> = estimates
        .iter()
        .filter(|e| e.status == Status::Ok)
        .map(|e| e.value)
        .collect();
    ok.sort_by(f64::total_cmp);
    let cutoffs = if args.cutoffs.is_empty() {
        // Quartiles of the block estimates, rounded to 2 decimals for a readable table.
        let q = |p: f64| {
            (ok.get(((ok.len().saturating_sub(1)) as f64 * p) as usize)
                .copied()
                .unwrap_or(0.0)
                * 100.0)
                .round()
                / 100.0
        };
        vec![0.0, q(0.25), q(0.5), q(0.75)]
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
    let relative_sd = if sum_grade > 0.0 {
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
    // Contained commodity in tonnes: tonnes x grade (in the file's unit) x unit factor.
    let contained_t = |tonnes_times_grade: f64| tonnes_times_grade * unit_factor;
    let truth = match &args.truth {
        Some(path) => Some(check_truth(
            path,
            &args.value,
            &projection,
            &samples,
            &model,
            &nb,
            args.negative_to_zero,
            set.coordinates,
        )?),
        None => None,
    };

    let result = serde_json::json!({
        "tmf": tmf.external_id,
        "commodity": commodity.code(),
        "unit": set.unit.symbol(),
        "crs": format!("EPSG:{}", projection.epsg),
        "samples": {"used": set.samples.len(), "missing": set.missing, "zeroed": set.zeroed, "merged_duplicates": set.merged_duplicates, "file": file},
        "variogram": {"experimental": bins, "model": model, "weighted_sse": fitted.weighted_sse},
        "neighbourhood": nb,
        "cross_validation": cv,
        "blocks": {"count": block_cells.len(), "size_m": args.cell, "thickness_m": thickness, "density_t_m3": density, "estimated": ok.len(), "tonnes": block_cells.iter().map(|c| c.tonnes).sum::<f64>()},
        "grade_relative_sd": relative_sd,
        "grade_tonnage": curve.iter().map(|g| serde_json::json!({"cutoff": g.cutoff, "tonnes": g.tonnes, "mean_grade": g.mean_grade, "contained_t": contained_t(g.contained)})).collect::<Vec<_>>(),
        "resources": resources.iter().map(|l| serde_json::json!({"class": l.class, "tonnes": l.tonnes, "mean_grade": l.mean_grade, "contained_t": contained_t(l.contained)})).collect::<Vec<_>>(),
        "classification_rules": rules,
        "truth_check": truth,
    });
    if let Some(path) = &args.blocks {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        w.write_record([
            "x", "y", "fraction", "tonnes", "estimate", "variance", "slope", "samples", "category",
        ])?;
        for ((c, e), cat) in block_cells.iter().zip(&estimates).zip(&categories) {
            w.write_record([
                c.centre[0].to_string(),
                c.centre[1].to_string(),
                c.fraction.to_string(),
                c.tonnes.to_string(),
                e.value.to_string(),
                e.variance.to_string(),
                e.slope.to_string(),
                e.samples.to_string(),
                format!("{cat:?}").to_lowercase(),
            ])?;
        }
        w.flush()?;
    }
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir)?;
        let model_curve: Vec<(f64, f64)> = (0..=100)
            .map(|i| {
                let h = lag * args.lags as f64 * i as f64 / 100.0;
                (h, model.gamma([h, 0.0, 0.0]))
            })
            .collect();
        let series = [
            qaita_charts::Series {
                name: "experimental".into(),
                points: bins.iter().map(|b| (b.distance, b.gamma)).collect(),
                markers: true,
            },
            qaita_charts::Series {
                name: format!("{} model", args.model),
                points: model_curve,
                markers: false,
            },
        ];
        let svg = qaita_charts::xy_svg(
            &format!("{} {}: variogram", tmf.external_id, commodity),
            "lag, m",
            "semivariance",
            &series,
        )?;
        std::fs::write(dir.join(format!("{}-variogram.svg", tmf.external_id)), svg)?;
        let gt = [qaita_charts::Series {
            name: "tonnes above cut-off (Mt)".into(),
            points: curve.iter().map(|g| (g.cutoff, g.tonnes / 1e6)).collect(),
            markers: false,
        }];
        let svg = qaita_charts::xy_svg(
            &format!("{} {}: grade-tonnage", tmf.external_id, commodity),
            &format!("cut-off, {}", set.unit),
            "Mt",
            &gt,
        )?;
        std::fs::write(
            dir.join(format!("{}-grade-tonnage.svg", tmf.external_id)),
            svg,
        )?;
    }
    if !args.no_store {
        let parameters = serde_json::json!({"samples": file, "value": args.value, "model": args.model, "lag": lag, "lags": args.lags, "cell": args.cell, "thickness": thickness, "density": density, "min_samples": args.min_samples, "max_samples": args.max_samples, "crs": projection.epsg});
        store.add_analysis(
            stored.id,
            RESOURCE_ESTIMATE,
            actor,
            METHOD,
            &parameters,
            &result,
        )?;
    }
    if args.json {
        print_json(&result)?;
        return Ok(exit::OK);
    }
    let s = &model.structures[0];
    println!(
        "{} — {}: {} from {} samples ({} missing skipped, {} duplicate groups averaged), EPSG:{}",
        tmf.external_id,
        tmf.names.name,
        commodity,
        set.samples.len(),
        set.missing.len(),
        set.merged_duplicates.len(),
        projection.epsg
    );
    println!(
        "variogram: {} nugget {:.4} + sill {:.4}, range {:.0} m (fitted by WLS on {} lags of {:.0} m)",
        args.model,
        model.nugget,
        s.sill,
        s.anisotropy.range_major,
        bins.len(),
        lag
    );
    println!(
        "cross-validation: mean error {:.4}, RMSE {:.4}, mean standardised squared error {:.2} ({} of {} samples)",
        cv.mean_error,
        cv.rmse,
        cv.mean_standardised_squared_error,
        cv.estimated,
        set.samples.len()
    );
    println!(
        "blocks: {} of {} m, thickness {:.2} m, density {:.2} t/m3, {} estimated",
        block_cells.len(),
        args.cell,
        thickness,
        density,
        ok.len()
    );
    let mut t = table(&["cut-off", "tonnes (Mt)", "mean grade", "contained"]);
    for g in &curve {
        t.add_row(vec![
            right(format!("{:.2} {}", g.cutoff, set.unit)),
            right(format!("{:.3}", g.tonnes / 1e6)),
            right(format!("{:.3} {}", g.mean_grade, set.unit)),
            right(qaita_model::units::format_tonnes(contained_t(g.contained))),
        ]);
    }
    println!("{t}");
    let mut r = table(&["class", "tonnes (Mt)", "grade", "contained"]);
    for l in &resources {
        r.add_row(vec![
            Cell::new(&l.class),
            right(format!("{:.3}", l.tonnes / 1e6)),
            right(if l.tonnes > 0.0 {
                format!("{:.3} {}", l.mean_grade, set.unit)
            } else {
                "-".into()
            }),
            right(qaita_model::units::format_tonnes(contained_t(l.contained))),
        ]);
    }
    println!("{r}");
    if let Some(t) = &truth {
        println!(
            "against the truth: {} points, bias {:.4}, RMSE {:.4} {}",
            t["points"],
            t["bias"].as_f64().unwrap_or(f64::NAN),
            t["rmse"].as_f64().unwrap_or(f64::NAN),
            set.unit
        );
    }
    Ok(exit::OK)
}

/// Point estimates at the truth locations, and their bias and RMSE.
#[allow(clippy::too_many_arguments)]
fn check_truth(
    path: &Path,
    column: &str,
    projection: &Projection,
    samples: &Samples,
    model: &qaita_geostat::variogram::VariogramModel,
    nb: &Neighbourhood,
    negative_to_zero: bool,
    coordinates: Coordinates,
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
        let (x, y) = match (truth.coordinates, coordinates) {
            (Coordinates::Wgs84, _) => projection
                .from_wgs84(s.location[0], s.location[1])
                .map_err(|e| anyhow!(e))?,
            (Coordinates::Projected, _) => (s.location[0], s.location[1]),
        };
        targets.push([x, y, 0.0]);
    }
    let estimates = krige(samples, model, KrigingKind::Ordinary, nb, &targets, None);
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
