//! Resource estimation as one use case for the CLI (`qaita estimate`, `variogram`, `crossval`,
//! `classify`) and the server (`/tmfs/{id}/estimate-preview`, `estimate-crossval`,
//! `resource-estimates`).
//!
//! Samples (points or drillholes) and the TMF footprint go to one projected CRS; the variogram
//! is fitted (or given); cells over the footprint (columns for 2-D data, layers for 3-D
//! drillhole composites) are estimated, cross-validated, classified and reported; the estimate
//! is stored on the TMF as a versioned `resource_estimate` analysis. Options arrive as an
//! [`EstimateRequest`] (serde, the CLI's flags in snake_case with the CLI's defaults), files as
//! named byte buffers ([`Inputs`]): the CLI reads them from disk, the server from uploads.

mod blocks;
mod job;
mod run;
mod sampling;
mod variogram;

pub use blocks::{BLOCK_COLUMNS, ClassifyOutcome, block_row, classify, resources_json};
pub use job::{EstimateJob, JOB_KINDS};
pub use run::{Estimated, STEPS, run};
pub use sampling::{HoleColumn, Prepared, load};
pub use variogram::{Variogram, direction_vector, variogram};

use anyhow::anyhow;
use qaita_geostat::blockmodel::ClassificationRules;
use qaita_geostat::kriging::{
    CrossValidation, Estimator, KrigingKind, Neighbourhood, Samples, cross_validate_with,
};
use qaita_geostat::variogram::VariogramModel;
use qaita_model::{Commodity, Problem, StoredTmf};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The kind of analysis a resource estimate is stored as.
pub const RESOURCE_ESTIMATE: &str = "resource_estimate";

/// How drillhole intervals become samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HolesAs {
    /// One composite over the whole sampled length of each hole, at its collar: 2-D estimation
    /// of the grade averaged over depth (the usual case for thin, well-mixed tailings).
    #[default]
    Hole,
    /// Fixed-length composites at their 3-D positions: 3-D estimation in layers.
    #[serde(rename = "3d")]
    ThreeD,
}

/// Estimators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Ordinary kriging.
    #[default]
    Ok,
    /// Simple kriging (mean: `sk_mean`, default the declustered mean).
    Sk,
    /// Inverse distance weighting (`idw_power`).
    Idw,
    /// Nearest neighbour (polygonal).
    Nn,
}

impl Method {
    pub const ALL: [Method; 4] = [Method::Ok, Method::Sk, Method::Idw, Method::Nn];

    /// The name in the stored method text.
    pub fn describe(self) -> &'static str {
        match self {
            Method::Ok => "ordinary kriging",
            Method::Sk => "simple kriging",
            Method::Idw => "inverse distance weighting",
            Method::Nn => "nearest neighbour",
        }
    }
}

/// Everything an estimate (or its preview, or cross-validation) is asked with: the `qaita
/// estimate` flags in snake_case, with the same defaults. File inputs are upload ids here (the
/// server resolves them); their bytes reach the app as [`Inputs`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EstimateRequest {
    /// Upload id of a point-samples CSV.
    pub samples: Option<i64>,
    /// Upload ids of drillhole tables.
    pub collars: Option<i64>,
    pub surveys: Option<i64>,
    pub intervals: Option<i64>,
    pub holes_as: HolesAs,
    /// Composite length along the hole, m (3-D).
    pub composite: f64,
    /// Keep a composite if at least this share of it was sampled.
    pub min_coverage: f64,
    /// Value column; its name is the commodity.
    pub value: String,
    /// EPSG code of projected coordinates.
    pub epsg: Option<u16>,
    pub negative_to_zero: bool,
    pub top_cut: Option<f64>,
    /// Cell size for declustered statistics, m (default: twice the mean sample spacing).
    pub decluster: Option<f64>,
    /// A model to use instead of fitting one (as `qaita variogram --save` writes).
    pub variogram: Option<VariogramModel>,
    /// Shape to fit: spherical, exponential, gaussian.
    pub model: String,
    pub lag: Option<f64>,
    pub lags: usize,
    pub azimuth: Option<f64>,
    pub tolerance: f64,
    pub bandwidth: Option<f64>,
    pub vertical_lag: Option<f64>,
    pub method: Method,
    pub min_samples: usize,
    pub max_samples: usize,
    pub radius: Option<f64>,
    pub search_ellipsoid: bool,
    pub octants: Option<usize>,
    pub global: bool,
    pub sk_mean: Option<f64>,
    pub idw_power: f64,
    /// Block size, m.
    pub cell: f64,
    /// Layer height of a 3-D model, m (default: the composite length).
    pub layer: Option<f64>,
    /// Block discretisation: nodes per axis, 2 or 3 numbers.
    pub discretise: Vec<usize>,
    pub thickness: Option<f64>,
    pub density: Option<f64>,
    /// Cut-offs for the grade-tonnage table (empty: 0 and the quartiles).
    pub cutoffs: Vec<f64>,
    /// Classification rules (null: the defaults, distances scaled to the variogram range).
    pub rules: Option<ClassificationRules>,
    /// Store the estimate as a new analysis version (false: a dry run).
    pub store: bool,
}

impl Default for EstimateRequest {
    fn default() -> Self {
        EstimateRequest {
            samples: None,
            collars: None,
            surveys: None,
            intervals: None,
            holes_as: HolesAs::Hole,
            composite: 1.5,
            min_coverage: 0.5,
            value: String::new(),
            epsg: None,
            negative_to_zero: false,
            top_cut: None,
            decluster: None,
            variogram: None,
            model: "spherical".to_string(),
            lag: None,
            lags: 12,
            azimuth: None,
            tolerance: 22.5,
            bandwidth: None,
            vertical_lag: None,
            method: Method::Ok,
            min_samples: 4,
            max_samples: 24,
            radius: None,
            search_ellipsoid: false,
            octants: None,
            global: false,
            sk_mean: None,
            idw_power: 2.0,
            cell: 25.0,
            layer: None,
            discretise: vec![2, 2],
            thickness: None,
            density: None,
            cutoffs: Vec::new(),
            rules: None,
            store: true,
        }
    }
}

/// A file's name (as the user knows it: a path, an upload's name) and its bytes.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The files of an estimate. A `variogram` or `rules` file is used when the request gives no
/// model or rules of its own; `truth` (true values at points) adds a `truth_check`.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub samples: Option<Named>,
    pub collars: Option<Named>,
    pub surveys: Option<Named>,
    pub intervals: Option<Named>,
    pub variogram: Option<Named>,
    pub rules: Option<Named>,
    pub truth: Option<Named>,
}

/// Why an estimate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    /// The sampling files were rejected: problems name file, row, field and reason.
    #[error("cannot use the sampling data")]
    Rejected(Vec<Problem>),
    /// An option is invalid: `field` is the request member, `message` says why (in the CLI's
    /// words).
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<qaita_store::StoreError> for EstimateError {
    fn from(e: qaita_store::StoreError) -> Self {
        EstimateError::Other(e.into())
    }
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> EstimateError {
    EstimateError::Invalid {
        field,
        message: message.into(),
    }
}

impl EstimateRequest {
    /// The commodity named by the value column.
    pub fn commodity(&self) -> Result<Commodity, EstimateError> {
        if self.value.trim().is_empty() {
            return Err(invalid(
                "value",
                "--value: give the value column (e.g. Cr2O3)",
            ));
        }
        self.value
            .parse()
            .map_err(|e| invalid("value", format!("--value: {e}")))
    }

    pub fn neighbourhood(
        &self,
        range: f64,
        samples: usize,
    ) -> Result<Neighbourhood, EstimateError> {
        if self.global {
            return Ok(Neighbourhood::global(samples));
        }
        let radius = self.radius.unwrap_or(3.0 * range);
        if radius.is_nan() || radius <= 0.0 {
            return Err(invalid("radius", "--radius must be positive"));
        }
        if self.min_samples > self.max_samples || self.max_samples == 0 {
            return Err(invalid(
                "min_samples",
                "--min-samples must not exceed --max-samples (and that must be positive)",
            ));
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
        model: &VariogramModel,
    ) -> Result<Samples, EstimateError> {
        let ellipsoid = if self.search_ellipsoid {
            Some(
                model
                    .structures
                    .first()
                    .ok_or_else(|| {
                        invalid(
                            "search_ellipsoid",
                            "--search-ellipsoid: the model has no structure",
                        )
                    })?
                    .anisotropy,
            )
        } else {
            None
        };
        Samples::with_search(data.points.clone(), data.values.clone(), ellipsoid)
            .map_err(|e| EstimateError::Other(anyhow!(e)))
    }
}

/// The TMF's location, which picks the UTM zone of lon/lat data.
fn anchor(stored: &StoredTmf) -> (f64, f64) {
    (stored.tmf.location.lon, stored.tmf.location.lat)
}

/// Read the files and fit (or take) the variogram: what the preview, cross-validation and the
/// CLI's `variogram` start from. `stored` (the TMF) anchors the UTM zone of lon/lat data; without
/// it the data's mean position does.
pub fn prepare(
    request: &EstimateRequest,
    files: &Inputs,
    stored: Option<&StoredTmf>,
) -> Result<(Prepared, Variogram), EstimateError> {
    let data = load(request, files, stored.map(anchor))?;
    let fitted = variogram(&data, request, files)?;
    Ok((data, fitted))
}

/// The variogram as the preview and cross-validation answer it: the model, where it came from,
/// the experimental bins and the model's curves along each direction (50 points).
pub fn variogram_json(v: &Variogram, lags: usize) -> serde_json::Value {
    json!({
        "model": v.model, "source": v.source, "lag": v.lag, "experimental": v.experimental,
        "weighted_sse": v.weighted_sse, "curve": v.curves(lags, 50),
    })
}

/// Most points a preview returns for its scatter.
pub const PREVIEW_POINTS: usize = 5000;

/// The preview of an estimate of `stored`: the samples' report, their projected positions and
/// values (at most [`PREVIEW_POINTS`], evenly thinned), and the variogram.
pub fn preview(
    stored: &StoredTmf,
    request: &EstimateRequest,
    files: &Inputs,
) -> Result<serde_json::Value, EstimateError> {
    let commodity = request.commodity()?;
    let (data, v) = prepare(request, files, Some(stored))?;
    let n = data.points.len();
    let step = n.div_ceil(PREVIEW_POINTS).max(1);
    let points: Vec<[f64; 3]> = (0..n)
        .step_by(step)
        .map(|i| [data.points[i][0], data.points[i][1], data.values[i]])
        .collect();
    Ok(json!({
        "tmf": stored.tmf.external_id,
        "commodity": commodity.code(),
        "unit": data.unit.symbol(),
        "crs": format!("EPSG:{}", data.projection.epsg),
        "dimension": if data.three_d { 3 } else { 2 },
        "samples": data.report,
        "points": points,
        "variogram": variogram_json(&v, request.lags),
    }))
}

/// Leave-one-out cross-validation of each of `methods` on prepared data.
pub struct CrossValidated {
    pub neighbourhood: Neighbourhood,
    pub results: Vec<(Method, CrossValidation)>,
}

pub fn cross_validate(
    data: &Prepared,
    v: &Variogram,
    request: &EstimateRequest,
    methods: &[Method],
) -> Result<CrossValidated, EstimateError> {
    let nb = request.neighbourhood(v.range(), data.points.len())?;
    let samples = request.samples(data, &v.model)?;
    let results = methods
        .iter()
        .map(|m| {
            let estimator = request.estimator(*m, data);
            (*m, cross_validate_with(&samples, &v.model, estimator, &nb))
        })
        .collect();
    Ok(CrossValidated {
        neighbourhood: nb,
        results,
    })
}

/// Cross-validation for `stored`'s estimate: the requested method first, then the other three.
pub fn crossval(
    stored: &StoredTmf,
    request: &EstimateRequest,
    files: &Inputs,
) -> Result<serde_json::Value, EstimateError> {
    let (data, v) = prepare(request, files, Some(stored))?;
    let mut methods = vec![request.method];
    methods.extend(Method::ALL.into_iter().filter(|m| *m != request.method));
    let cv = cross_validate(&data, &v, request, &methods)?;
    let rows: Vec<serde_json::Value> = cv
        .results
        .iter()
        .map(|(m, r)| {
            json!({"method": m, "estimated": r.estimated, "failed": r.failed,
                "mean_error": r.mean_error, "rmse": r.rmse,
                "mean_standardised_squared_error": r.mean_standardised_squared_error})
        })
        .collect();
    Ok(json!({
        "tmf": stored.tmf.external_id, "unit": data.unit.symbol(),
        "neighbourhood": cv.neighbourhood,
        "variogram": variogram_json(&v, request.lags), "rows": rows,
    }))
}

/// Parse classification rules (`--rules`), checking the thresholds are numbers.
pub fn parse_rules(file: &Named) -> Result<ClassificationRules, EstimateError> {
    let name = &file.name;
    let text = String::from_utf8_lossy(&file.bytes);
    let rules: ClassificationRules = serde_json::from_str(&text)
        .map_err(|e| invalid("rules", format!("{name}: not classification rules: {e}")))?;
    for (part, c) in [("measured", rules.measured), ("indicated", rules.indicated)] {
        if c.min_slope.is_nan() || c.max_mean_distance.is_nan() || c.max_relative_variance.is_nan()
        {
            return Err(invalid(
                "rules",
                format!("{name}: {part}: thresholds must be numbers"),
            ));
        }
    }
    Ok(rules)
}
