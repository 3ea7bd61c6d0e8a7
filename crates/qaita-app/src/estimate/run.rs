//! The full estimate of one TMF: block model over the footprint, estimation, cross-validation,
//! classification, grade-tonnage, the resource table, the JSON document and the stored version.

use std::path::PathBuf;

use anyhow::anyhow;
use qaita_geostat::blockmodel::{
    Category, Cell, ClassificationRules, Criteria, GradeTonnage, ResourceLine, cells,
    grade_tonnage, layers, resource_table,
};
use qaita_geostat::kriging::{
    Block, CrossValidation, Estimate, Estimator, Neighbourhood, Samples, Status,
    cross_validate_with, estimate as run_estimator, idw,
};
use qaita_geostat::variogram::VariogramModel;
use qaita_io::samples::{Coordinates, SamplePolicy, read_samples};
use qaita_model::{Commodity, FigureField, StoredTmf};
use qaita_store::Store;
use serde_json::json;

use super::blocks::resources_json;
use super::sampling::Prepared;
use super::variogram::{Variogram, variogram};
use super::{
    EstimateError, EstimateRequest, HolesAs, Inputs, Named, RESOURCE_ESTIMATE, invalid, load,
    parse_rules,
};

/// Steps reported to the progress callback.
pub const STEPS: u64 = 5;

/// A finished estimate: the document (`qaita estimate --json`), what the block outputs and the
/// charts need, and the stored analysis (id, version) when it was stored.
#[derive(Debug)]
pub struct Estimated {
    /// The result document, as stored and as `qaita estimate --json` prints it.
    pub document: serde_json::Value,
    pub commodity: Commodity,
    pub data: Prepared,
    pub variogram: Variogram,
    pub neighbourhood: Neighbourhood,
    pub estimator: Estimator,
    pub cross_validation: CrossValidation,
    pub cells: Vec<Cell>,
    pub estimates: Vec<Estimate>,
    pub categories: Vec<Category>,
    /// The model's sill (relative variances are variance / sill).
    pub sill: f64,
    /// Block size, m.
    pub cell: f64,
    pub layer: f64,
    pub thickness_source: String,
    pub density: f64,
    pub estimated: usize,
    pub curve: Vec<GradeTonnage>,
    pub resources: Vec<ResourceLine>,
    /// The value's unit as a mass fraction (contained tonnes = tonnes x grade x this).
    pub unit_factor: f64,
    pub truth: Option<serde_json::Value>,
    /// The stored analysis: (id, version).
    pub analysis: Option<(i64, i64)>,
}

impl Estimated {
    /// Block-model rows in [`super::BLOCK_COLUMNS`] order, for CSV and GSLIB.
    pub fn rows(&self) -> impl Iterator<Item = [f64; 13]> + '_ {
        self.cells
            .iter()
            .zip(&self.estimates)
            .map(|(c, e)| super::block_row(c, e, self.sill))
    }

    /// The estimate's blocks as GeoJSON in WGS84 (see [`super::blocks::blocks_geojson`]).
    pub fn blocks_geojson(&self) -> Result<serde_json::Value, EstimateError> {
        super::blocks::blocks_geojson(self)
    }

    /// What the server's estimate job answers: the document, the blocks as GeoJSON and the
    /// stored analysis (null for a dry run).
    pub fn job_document(&self) -> Result<serde_json::Value, EstimateError> {
        let mut doc = self.document.clone();
        doc["blocks_geojson"] = self.blocks_geojson()?;
        doc["analysis"] = match self.analysis {
            Some((id, version)) => json!({"id": id, "version": version}),
            None => serde_json::Value::Null,
        };
        Ok(doc)
    }
}

fn registry_default(stored: &StoredTmf, field: FigureField) -> Option<f64> {
    stored.tmf.current(&field).map(|f| f.canonical())
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

// The options as the stored `parameters` have always recorded them (the Debug form of the
// CLI's argument groups).
#[derive(Debug)]
#[allow(dead_code)]
struct SamplingArgs {
    samples: Option<PathBuf>,
    collars: Option<PathBuf>,
    surveys: Option<PathBuf>,
    intervals: Option<PathBuf>,
    holes_as: HolesAs,
    composite: f64,
    min_coverage: f64,
    value: String,
    epsg: Option<u16>,
    negative_to_zero: bool,
    top_cut: Option<f64>,
    decluster: Option<f64>,
}

#[derive(Debug)]
#[allow(dead_code)]
struct VariogramArgs {
    variogram: Option<PathBuf>,
    model: String,
    lag: Option<f64>,
    lags: usize,
    azimuth: Option<f64>,
    tolerance: f64,
    bandwidth: Option<f64>,
    vertical_lag: Option<f64>,
}

#[derive(Debug)]
#[allow(dead_code)]
struct SearchArgs {
    min_samples: usize,
    max_samples: usize,
    radius: Option<f64>,
    search_ellipsoid: bool,
    octants: Option<usize>,
    global: bool,
    sk_mean: Option<f64>,
    idw_power: f64,
}

fn name(file: &Option<Named>) -> Option<PathBuf> {
    file.as_ref().map(|f| PathBuf::from(&f.name))
}

fn parameters(
    r: &EstimateRequest,
    files: &Inputs,
    layer: f64,
    nodes: [usize; 3],
    thickness: &str,
    density: f64,
    epsg: u16,
) -> serde_json::Value {
    let sampling = SamplingArgs {
        samples: name(&files.samples),
        collars: name(&files.collars),
        surveys: name(&files.surveys),
        intervals: name(&files.intervals),
        holes_as: r.holes_as,
        composite: r.composite,
        min_coverage: r.min_coverage,
        value: r.value.clone(),
        epsg: r.epsg,
        negative_to_zero: r.negative_to_zero,
        top_cut: r.top_cut,
        decluster: r.decluster,
    };
    let variogram = VariogramArgs {
        variogram: name(&files.variogram),
        model: r.model.clone(),
        lag: r.lag,
        lags: r.lags,
        azimuth: r.azimuth,
        tolerance: r.tolerance,
        bandwidth: r.bandwidth,
        vertical_lag: r.vertical_lag,
    };
    let search = SearchArgs {
        min_samples: r.min_samples,
        max_samples: r.max_samples,
        radius: r.radius,
        search_ellipsoid: r.search_ellipsoid,
        octants: r.octants,
        global: r.global,
        sk_mean: r.sk_mean,
        idw_power: r.idw_power,
    };
    json!({
        "sampling": format!("{sampling:?}"), "variogram": format!("{variogram:?}"),
        "search": format!("{search:?}"), "method": r.method, "cell": r.cell,
        "layer": layer, "discretise": nodes, "thickness": thickness, "density": density,
        "rules": name(&files.rules), "crs": epsg,
    })
}

/// Estimate `stored`'s resource and, when `request.store`, store it as a new version of its
/// `resource_estimate` analysis by `actor`. `progress(done, total)` is called after each of
/// [`STEPS`] steps (samples, variogram, blocks, cross-validation, stored). `job` is the
/// background job running it, kept in the stored parameters (a retried job finds its work).
#[allow(clippy::too_many_arguments)]
pub fn run(
    store: &mut Store,
    stored: &StoredTmf,
    request: &EstimateRequest,
    files: &Inputs,
    actor: &str,
    job: Option<i64>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Estimated, EstimateError> {
    let args = request;
    let tmf = &stored.tmf;
    let footprint = tmf.footprint.as_ref().ok_or_else(|| {
        invalid(
            "id",
            format!(
                "{} has no footprint: the block model needs one (import a footprint polygon)",
                tmf.external_id
            ),
        )
    })?;
    let commodity = args.commodity()?;
    let data = load(args, files, Some((tmf.location.lon, tmf.location.lat)))?;
    if data.three_d && data.holes.is_empty() {
        return Err(invalid(
            "samples",
            format!(
                "{} has samples at several elevations: 3-D estimation needs drillholes (--collars, --intervals, --holes-as 3d), whose collars give the top surface; for 2-D give one value per location",
                data.label
            ),
        ));
    }
    progress(1, STEPS);
    let unit_factor = data.unit.factor(); // the file's unit -> mass fraction
    let projection = &data.projection;
    let area_footprint = projection
        .footprint(footprint)
        .map_err(|e| EstimateError::Other(anyhow!(e)))?;
    let fitted = variogram(&data, args, files)?;
    let model = &fitted.model;
    let range = fitted.range();
    let nb = args.neighbourhood(range, data.points.len())?;
    let samples = args.samples(&data, model)?;
    let estimator = args.estimator(args.method, &data);
    progress(2, STEPS);

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
    let registry_thickness = registry_default(stored, FigureField::Volume)
        .zip(registry_default(stored, FigureField::Area))
        .map(|(v, a)| v / a);
    let thickness_source = match (args.thickness, &hole_depth_index, registry_thickness) {
        (Some(t), _, _) => format!("{t} m (given)"),
        (None, Some(_), _) => "hole depths, interpolated (IDW, 8 nearest holes)".to_string(),
        (None, None, Some(t)) => format!("{t:.2} m (registry volume / area)"),
        (None, None, None) => {
            return Err(invalid(
                "thickness",
                "no thickness: give --thickness (the registry lacks a current volume and area)",
            ));
        }
    };
    let thickness = |x: f64, y: f64| match (args.thickness, &hole_depth_index) {
        (Some(t), _) => t,
        (None, Some(index)) => idw_at(index, x, y),
        (None, None) => registry_thickness.unwrap_or(f64::NAN),
    };
    let density = match args
        .density
        .or_else(|| registry_default(stored, FigureField::Density))
    {
        Some(d) if d > 0.0 => d,
        _ => {
            return Err(invalid(
                "density",
                "no density: give --density (the registry has no current density)",
            ));
        }
    };
    let columns = cells(
        &area_footprint,
        [args.cell, args.cell],
        thickness,
        |_, _| density,
    )
    .map_err(|e| invalid("cell", e))?;
    let layer = args.layer.unwrap_or(args.composite);
    let block_cells = match (&hole_tops, data.three_d) {
        (Some(tops), true) => {
            layers(&columns, layer, |x, y| idw_at(tops, x, y)).map_err(|e| invalid("layer", e))?
        }
        _ => columns,
    };
    let nodes = match args.discretise.as_slice() {
        [a, b] => [*a, *b, 1],
        [a, b, c] => [*a, *b, *c],
        _ => {
            return Err(invalid(
                "discretise",
                "--discretise takes 2 or 3 node counts, e.g. 2,2 or 2,2,2",
            ));
        }
    };
    if nodes.contains(&0) {
        return Err(invalid(
            "discretise",
            "--discretise: node counts must be positive",
        ));
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
    progress(3, STEPS);
    let cv = cross_validate_with(&samples, model, estimator, &nb);
    progress(4, STEPS);
    let rules = match (&args.rules, &files.rules) {
        (Some(rules), _) => *rules,
        (None, Some(file)) => parse_rules(file)?,
        // Distances scale with the variogram range.
        (None, None) => ClassificationRules {
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
    let truth = match &files.truth {
        Some(file) => Some(check_truth(
            file,
            &args.value,
            &data,
            &samples,
            model,
            estimator,
            &nb,
            args.negative_to_zero,
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
        args.method.describe(),
        if data.three_d { "3-D" } else { "2-D" },
        if data.three_d {
            format!("{}x{} m cells in {layer} m layers", args.cell, args.cell)
        } else {
            format!("{}x{} m columns", args.cell, args.cell)
        },
        nodes.map(|n| n.to_string()).join("x"),
    );
    let contained_t = |tonnes_times_grade: f64| tonnes_times_grade * unit_factor;
    let document = json!({
        "tmf": tmf.external_id,
        "commodity": commodity.code(),
        "unit": data.unit.symbol(),
        "crs": format!("EPSG:{}", projection.epsg),
        "dimension": if data.three_d { 3 } else { 2 },
        "samples": data.report,
        "variogram": {"model": model, "source": fitted.source, "experimental": fitted.experimental, "weighted_sse": fitted.weighted_sse},
        "estimator": estimator,
        "neighbourhood": nb,
        "search_ellipsoid": args.search_ellipsoid,
        "cross_validation": cv,
        "blocks": {"count": block_cells.len(), "size_m": args.cell, "layer_m": if data.three_d { Some(layer) } else { None }, "discretisation": nodes, "thickness": thickness_source, "density_t_m3": density, "estimated": estimated, "not_estimated": failures, "tonnes": block_cells.iter().map(|c| c.tonnes).sum::<f64>()},
        "grade_relative_sd": relative_sd,
        "grade_tonnage": curve.iter().map(|g| json!({"cutoff": g.cutoff, "tonnes": g.tonnes, "mean_grade": g.mean_grade, "contained_t": contained_t(g.contained)})).collect::<Vec<_>>(),
        "resources": resources_json(&resources, unit_factor),
        "classification_rules": rules,
        "truth_check": truth,
    });
    let analysis = if args.store {
        let mut parameters = parameters(
            args,
            files,
            layer,
            nodes,
            &thickness_source,
            density,
            projection.epsg,
        );
        if let Some(job) = job {
            parameters["job"] = job.into();
        }
        let id = store.add_analysis(
            stored.id,
            RESOURCE_ESTIMATE,
            actor,
            &method,
            &parameters,
            &document,
            None,
        )?;
        let version = store
            .analyses(stored.id, RESOURCE_ESTIMATE)?
            .iter()
            .find(|a| a.id == id)
            .map_or(0, |a| a.version);
        Some((id, version))
    } else {
        None
    };
    progress(5, STEPS);
    let cross_validation = cv;
    Ok(Estimated {
        document,
        commodity,
        variogram: fitted,
        neighbourhood: nb,
        estimator,
        cross_validation,
        cells: block_cells,
        estimates,
        categories,
        sill,
        cell: args.cell,
        layer,
        thickness_source,
        density,
        estimated,
        curve,
        resources,
        unit_factor,
        truth,
        analysis,
        data,
    })
}

/// Point estimates at the truth locations, and their bias and RMSE.
#[allow(clippy::too_many_arguments)]
fn check_truth(
    file: &Named,
    column: &str,
    data: &Prepared,
    samples: &Samples,
    model: &VariogramModel,
    estimator: Estimator,
    nb: &Neighbourhood,
    negative_to_zero: bool,
) -> Result<serde_json::Value, EstimateError> {
    let name = &file.name;
    let truth = read_samples(name, &file.bytes, column, SamplePolicy { negative_to_zero })
        .map_err(|p| {
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
            Coordinates::Wgs84 => data
                .projection
                .from_wgs84(s.location[0], s.location[1])
                .map_err(|e| anyhow!(e))?,
            Coordinates::Projected => (s.location[0], s.location[1]),
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
    Ok(json!({
        "file": name,
        "points": errors.len(),
        "bias": errors.iter().sum::<f64>() / n,
        "rmse": (errors.iter().map(|e| e * e).sum::<f64>() / n).sqrt(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_the_cli_debug_form() {
        let r = EstimateRequest {
            value: "Cr2O3".into(),
            ..EstimateRequest::default()
        };
        let files = Inputs {
            samples: Some(Named {
                name: "a.csv".into(),
                bytes: Vec::new(),
            }),
            ..Inputs::default()
        };
        let p = parameters(&r, &files, 1.5, [2, 2, 1], "t", 1.6, 32641);
        assert_eq!(
            p["sampling"],
            "SamplingArgs { samples: Some(\"a.csv\"), collars: None, surveys: None, intervals: None, holes_as: Hole, composite: 1.5, min_coverage: 0.5, value: \"Cr2O3\", epsg: None, negative_to_zero: false, top_cut: None, decluster: None }"
        );
        assert_eq!(p["method"], "ok");
    }

    #[test]
    fn requests_default_to_the_cli_defaults_and_refuse_unknown_members() {
        let r: EstimateRequest = serde_json::from_str(r#"{"value": "Cr2O3"}"#).unwrap();
        assert_eq!(r.cell, 25.0);
        assert_eq!(r.discretise, [2, 2]);
        assert!(r.store);
        let e = serde_json::from_str::<EstimateRequest>(r#"{"value": "Cu", "cel": 5}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cel"), "{e}");
        let r: EstimateRequest =
            serde_json::from_str(r#"{"value": "Cu", "holes_as": "3d", "method": "idw"}"#).unwrap();
        assert_eq!(
            (r.holes_as, r.method),
            (HolesAs::ThreeD, super::super::Method::Idw)
        );
    }
}
