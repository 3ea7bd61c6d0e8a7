//! The variogram the estimate uses: fitted by weighted least squares to experimental
//! variograms of the prepared samples, or a given model.

use anyhow::anyhow;
use qaita_geostat::variogram::{
    Anisotropy, Direction, LagBin, Shape, VariogramModel, experimental, experimental_horizontal,
    fit, fit_anisotropic, fit_range,
};
use serde::Serialize;

use super::sampling::Prepared;
use super::{EstimateError, EstimateRequest, Inputs, invalid};

/// The variogram used, and the experimental bins it was fitted to (none for a saved model).
#[derive(Debug, Serialize)]
pub struct Variogram {
    pub model: VariogramModel,
    pub source: String,
    pub lag: f64,
    pub experimental: Vec<(String, Vec<LagBin>)>,
    pub weighted_sse: Option<f64>,
}

impl Variogram {
    /// The longest range of the first structure: the scale for search radii and distances.
    pub fn range(&self) -> f64 {
        self.model.structures.first().map_or(self.lag, |s| {
            s.anisotropy.range_major.max(s.anisotropy.range_minor)
        })
    }

    /// One line for people: shape, nugget, sill, ranges and angle.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .model
            .structures
            .iter()
            .map(|s| {
                let a = &s.anisotropy;
                if a.range_major == a.range_minor && a.range_minor == a.range_vertical {
                    format!("{:?} sill {:.4} range {:.0} m", s.shape, s.sill, a.range_major)
                } else {
                    format!(
                        "{:?} sill {:.4} ranges {:.0}/{:.0}/{:.0} m (azimuth {:.0}, dip {:.0}, rake {:.0})",
                        s.shape, s.sill, a.range_major, a.range_minor, a.range_vertical, a.azimuth, a.dip, a.rake
                    )
                }
                .to_lowercase()
            })
            .collect();
        format!(
            "nugget {:.4} + {} [{}]",
            self.model.nugget,
            parts.join(" + "),
            self.source
        )
    }
}

/// Fit (or read) the variogram for `data`.
pub fn variogram(
    data: &Prepared,
    args: &EstimateRequest,
    files: &Inputs,
) -> Result<Variogram, EstimateError> {
    let composite = args.composite;
    let lag = args.lag.unwrap_or(data.extent() / 20.0);
    if lag.is_nan() || lag <= 0.0 {
        return Err(invalid("lag", "--lag must be positive"));
    }
    if let Some(given) = &args.variogram {
        given
            .validate()
            .map_err(|e| invalid("variogram", format!("variogram: {e}")))?;
        return Ok(Variogram {
            model: given.clone(),
            source: "given with the request".to_string(),
            lag,
            experimental: Vec::new(),
            weighted_sse: None,
        });
    }
    if let Some(named) = &files.variogram {
        let path = &named.name;
        let text = String::from_utf8_lossy(&named.bytes);
        let model: VariogramModel = serde_json::from_str(&text)
            .or_else(|_| {
                // Also accept the whole `qaita variogram --json` output.
                serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        serde_json::from_value(v["model"].clone()).map_err(|e| e.to_string())
                    })
            })
            .map_err(|e| invalid("variogram", format!("{path}: not a variogram model: {e}")))?;
        model
            .validate()
            .map_err(|e| invalid("variogram", format!("{path}: {e}")))?;
        return Ok(Variogram {
            model,
            source: format!("read from {path}"),
            lag,
            experimental: Vec::new(),
            weighted_sse: None,
        });
    }
    let shape: Shape = args
        .model
        .parse()
        .map_err(|e: String| invalid("model", format!("--model: {e}")))?;
    let bandwidth = args.bandwidth.unwrap_or(3.0 * lag);
    let direction = |azimuth: f64, dip: f64| Direction {
        azimuth,
        dip,
        tolerance: args.tolerance,
        bandwidth,
    };
    let (p, v) = (&data.points, &data.values);
    let horizontal = |dir: Option<Direction>| match (data.three_d, dir) {
        (false, d) => experimental(p, v, lag, args.lags, d),
        (true, None) => experimental_horizontal(p, v, lag, args.lags, composite / 2.0),
        (true, Some(d)) => experimental(p, v, lag, args.lags, Some(d)),
    };
    let mut bins = Vec::new();
    let mut fitted = match args.azimuth {
        None => {
            let omni = horizontal(None);
            let f =
                fit(&omni, shape).map_err(|e| EstimateError::Other(anyhow!("variogram: {e}")))?;
            bins.push(("omnidirectional".to_string(), omni));
            f
        }
        Some(azimuth) => {
            let along = horizontal(Some(direction(azimuth, 0.0)));
            let across = horizontal(Some(direction(azimuth + 90.0, 0.0)));
            let f = fit_anisotropic(&along, &across, shape, azimuth)
                .map_err(|e| EstimateError::Other(anyhow!("variogram: {e}")))?;
            bins.push((format!("azimuth {azimuth}"), along));
            bins.push((format!("azimuth {}", azimuth + 90.0), across));
            f
        }
    };
    let mut source = format!("{} fitted by WLS (N/h^2) on lags of {lag:.0} m", args.model);
    if data.three_d {
        // Geometric anisotropy: the vertical range from the downhole variogram, nugget and
        // sill held from the horizontal fit.
        let vlag = args.vertical_lag.unwrap_or(composite);
        let down = experimental(
            p,
            v,
            vlag,
            args.lags,
            Some(Direction {
                azimuth: 0.0,
                dip: -90.0,
                tolerance: args.tolerance,
                bandwidth: vlag,
            }),
        );
        if down.len() < 3 {
            return Err(invalid(
                "vertical_lag",
                format!(
                    "downhole variogram: {} lag bins with pairs, at least 3 are needed (check --vertical-lag)",
                    down.len()
                ),
            ));
        }
        let nugget = fitted.model.nugget;
        let sill = fitted.model.sill() - nugget;
        let (range_vertical, sse) = fit_range(&down, shape, nugget, sill);
        let a = fitted.model.structures[0].anisotropy;
        fitted.model.structures[0] = qaita_geostat::variogram::Structure::new(
            shape,
            sill,
            Anisotropy {
                range_vertical,
                ..a
            },
        );
        fitted.weighted_sse += sse;
        bins.push(("downhole".to_string(), down));
        source.push_str(&format!(
            "; vertical from a downhole variogram, lag {vlag} m"
        ));
    }
    fitted
        .model
        .validate()
        .map_err(|e| EstimateError::Other(anyhow!("fitted variogram: {e}")))?;
    Ok(Variogram {
        model: fitted.model,
        source,
        lag,
        experimental: bins,
        weighted_sse: Some(fitted.weighted_sse),
    })
}

/// Unit vector of an experimental variogram's label ("azimuth 30", "downhole", else east).
pub fn direction_vector(label: &str) -> [f64; 3] {
    if label == "downhole" {
        return [0.0, 0.0, 1.0];
    }
    match label
        .strip_prefix("azimuth ")
        .and_then(|a| a.parse::<f64>().ok())
    {
        Some(az) => [az.to_radians().sin(), az.to_radians().cos(), 0.0],
        None => [1.0, 0.0, 0.0],
    }
}

impl Variogram {
    /// The model evaluated along each experimental direction (the east axis for a given model),
    /// from 0 to `lags` lags, at `points` distances: the curves a chart draws.
    pub fn curves(&self, lags: usize, points: usize) -> Vec<(String, Vec<[f64; 2]>)> {
        let max_h = self.lag * lags as f64;
        let names: Vec<String> = if self.experimental.is_empty() {
            vec!["omnidirectional".to_string()]
        } else {
            self.experimental.iter().map(|(n, _)| n.clone()).collect()
        };
        let steps = points.max(2) - 1;
        names
            .into_iter()
            .map(|name| {
                let dir = direction_vector(&name);
                let curve = (0..=steps)
                    .map(|i| {
                        let h = max_h * i as f64 / steps as f64;
                        [h, self.model.gamma([h * dir[0], h * dir[1], h * dir[2]])]
                    })
                    .collect();
                (name, curve)
            })
            .collect()
    }
}
