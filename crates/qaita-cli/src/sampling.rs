//! Sampling input shared by `variogram`, `crossval` and `estimate`: point samples or drillhole
//! tables read by qaita-io, projected to one metric CRS, composited, capped and declustered by
//! qaita-geostat; and the variogram those commands fit (or read from a saved model).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use qaita_geostat::crs::Projection;
use qaita_geostat::kriging::Samples;
use qaita_geostat::sampling::{Collar, composite, decluster_weights, top_cut, weighted_stats};
use qaita_geostat::variogram::{
    Anisotropy, Direction, LagBin, Point, Shape, VariogramModel, experimental,
    experimental_horizontal, fit, fit_anisotropic, fit_range,
};
use qaita_io::drillholes::read_drillholes;
use qaita_io::samples::{Coordinates, SamplePolicy, read_samples};
use qaita_model::Problem;
use qaita_model::units::Unit;
use serde::Serialize;

/// How drillhole intervals become samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
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

/// A hole reduced to what a 2-D block model needs: collar and sampled depth.
#[derive(Debug, Clone, Serialize)]
pub struct HoleColumn {
    pub hole: String,
    pub x: f64,
    pub y: f64,
    pub top: f64,
    pub depth: f64,
}

/// Samples ready for geostatistics: projected metres, values in the file's unit.
#[derive(Debug)]
pub struct Prepared {
    pub label: String,
    pub projection: Projection,
    pub points: Vec<Point>,
    pub values: Vec<f64>,
    pub unit: Unit,
    pub three_d: bool,
    /// Drillhole columns (drillhole input only).
    pub holes: Vec<HoleColumn>,
    /// What the reading, compositing, merging, capping and declustering did.
    pub report: serde_json::Value,
    pub declustered_mean: f64,
}

impl Prepared {
    /// What the points are, for messages: samples, or composites of drillholes.
    pub fn kind(&self) -> &'static str {
        if self.holes.is_empty() {
            "samples"
        } else {
            "composites"
        }
    }

    /// A value of each drillhole (depth, collar elevation) at its collar, for interpolating
    /// surfaces between holes; `None` without drillholes.
    pub fn hole_surface(&self, value: impl Fn(&HoleColumn) -> f64) -> Result<Option<Samples>> {
        if self.holes.is_empty() {
            return Ok(None);
        }
        Samples::new(
            self.holes.iter().map(|h| [h.x, h.y, 0.0]).collect(),
            self.holes.iter().map(value).collect(),
        )
        .map(Some)
        .map_err(|e| anyhow!(e))
    }

    /// Horizontal bounding box: min x, max x, min y, max y.
    fn bounds(&self) -> (f64, f64, f64, f64) {
        self.points.iter().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |a, p| (a.0.min(p[0]), a.1.max(p[0]), a.2.min(p[1]), a.3.max(p[1])),
        )
    }

    /// Diagonal of the samples' horizontal bounding box.
    pub fn extent(&self) -> f64 {
        let (min_x, max_x, min_y, max_y) = self.bounds();
        ((max_x - min_x).powi(2) + (max_y - min_y).powi(2)).sqrt()
    }

    /// Mean spacing of the samples (or of the holes) projected on the plane.
    fn spacing(&self) -> f64 {
        let (min_x, max_x, min_y, max_y) = self.bounds();
        let columns = if self.holes.is_empty() {
            self.points.len()
        } else {
            self.holes.len()
        };
        ((max_x - min_x).max(1.0) * (max_y - min_y).max(1.0) / columns.max(1) as f64).sqrt()
    }
}

/// Input rejected with row-level problems: the caller prints them and exits 3.
pub struct Rejected(pub Vec<Problem>);

fn read(path: &Path) -> Result<(String, Vec<u8>)> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {file}"))?;
    Ok((file, bytes))
}

/// The projection for the data: `--epsg` for projected files, the UTM zone of `anchor` (the
/// TMF) or of the data's mean position for lon/lat.
fn projection_for(
    coordinates: Coordinates,
    epsg: Option<u16>,
    anchor: Option<(f64, f64)>,
    lon_lat: impl Iterator<Item = (f64, f64)>,
    label: &str,
) -> Result<Projection> {
    match (coordinates, epsg) {
        (Coordinates::Wgs84, None) => {
            let (lon, lat) = match anchor {
                Some(a) => a,
                None => {
                    let (n, sx, sy) =
                        lon_lat.fold((0.0, 0.0, 0.0), |(n, x, y), p| (n + 1.0, x + p.0, y + p.1));
                    (sx / n, sy / n)
                }
            };
            Projection::utm_for(lon, lat).map_err(|e| anyhow!(e))
        }
        (Coordinates::Wgs84, Some(_)) => {
            bail!("{label} has lon/lat: --epsg is only for projected x/y")
        }
        (Coordinates::Projected, Some(code)) => Projection::from_epsg(code).map_err(|e| anyhow!(e)),
        (Coordinates::Projected, None) => bail!(
            "{label} has projected x/y: name their CRS with --epsg (e.g. 32641 for WGS 84 / UTM 41N)"
        ),
    }
}

/// Read, project, composite, merge duplicates, cap and decluster.
pub fn load(
    args: &SamplingArgs,
    anchor: Option<(f64, f64)>,
) -> Result<std::result::Result<Prepared, Rejected>> {
    let policy = SamplePolicy {
        negative_to_zero: args.negative_to_zero,
    };
    let (label, projection, unit, mut points, mut values, holes, mut report, three_d) =
        if let Some(path) = &args.samples {
            let (file, bytes) = read(path)?;
            let set = match read_samples(&file, &bytes, &args.value, policy) {
                Ok(set) => set,
                Err(problems) => return Ok(Err(Rejected(problems))),
            };
            let projection = projection_for(
                set.coordinates,
                args.epsg,
                anchor,
                set.samples.iter().map(|s| (s.location[0], s.location[1])),
                &file,
            )?;
            let factor = set.unit.factor();
            let mut points = Vec::with_capacity(set.samples.len());
            for s in &set.samples {
                let (x, y) = project(&projection, set.coordinates, s.location[0], s.location[1])
                    .map_err(|e| anyhow!("{file} row {}: {e}", s.row))?;
                points.push([x, y, s.location[2]]);
            }
            let three_d = points.iter().any(|p| p[2] != points[0][2]);
            let report = serde_json::json!({
                "file": file, "read": set.samples.len(), "missing_rows": set.missing,
                "zeroed_rows": set.zeroed, "duplicate_rows_averaged": set.merged_duplicates,
            });
            // A 2-D estimate ignores z: flatten, so that the search and variogram are planar.
            if !three_d {
                points.iter_mut().for_each(|p| p[2] = 0.0);
            }
            let values = set.samples.iter().map(|s| s.value / factor).collect();
            (
                file,
                projection,
                set.unit,
                points,
                values,
                Vec::new(),
                report,
                three_d,
            )
        } else {
            let (Some(collars), Some(intervals)) = (&args.collars, &args.intervals) else {
                bail!("give --samples, or --collars and --intervals (and optionally --surveys)");
            };
            let (cfile, cbytes) = read(collars)?;
            let (ifile, ibytes) = read(intervals)?;
            let surveys = args.surveys.as_deref().map(read).transpose()?;
            let holes = match read_drillholes(
                (&cfile, &cbytes),
                surveys.as_ref().map(|(f, b)| (f.as_str(), b.as_slice())),
                (&ifile, &ibytes),
                &args.value,
                policy,
            ) {
                Ok(h) => h,
                Err(problems) => return Ok(Err(Rejected(problems))),
            };
            let projection = projection_for(
                holes.coordinates,
                args.epsg,
                anchor,
                holes.collars.iter().map(|c| (c.x, c.y)),
                &cfile,
            )?;
            let mut collars = Vec::with_capacity(holes.collars.len());
            for c in &holes.collars {
                let (x, y) = project(&projection, holes.coordinates, c.x, c.y)
                    .map_err(|e| anyhow!("{cfile}: hole {}: {e}", c.hole))?;
                collars.push(Collar { x, y, ..c.clone() });
            }
            let factor = holes.unit.factor();
            let three_d = args.holes_as == HolesAs::ThreeD;
            let length = if three_d { args.composite } else { f64::MAX };
            let mut columns = Vec::new();
            let mut by_hole: BTreeMap<String, Vec<(f64, f64, Point)>> = BTreeMap::new();
            // Whole-hole composites: one run from the collar as long as the deepest interval.
            for c in &collars {
                let Some(runs) = holes.intervals.get(&c.hole) else {
                    continue;
                };
                let depth = runs.iter().map(|r| r.to).fold(0.0, f64::max);
                columns.push(HoleColumn {
                    hole: c.hole.clone(),
                    x: c.x,
                    y: c.y,
                    top: c.z,
                    depth,
                });
                let one = std::slice::from_ref(c);
                let run = if three_d {
                    args.composite
                } else {
                    depth.min(length)
                };
                let composites = composite(
                    one,
                    &holes.surveys,
                    &holes.intervals,
                    run,
                    args.min_coverage,
                )
                .map_err(|e| anyhow!("{ifile}: {e}"))?;
                for k in composites {
                    let point = if three_d { k.point } else { [c.x, c.y, 0.0] };
                    by_hole.entry(c.hole.clone()).or_default().push((
                        k.sampled,
                        k.value / factor,
                        point,
                    ));
                }
            }
            let (mut points, mut values) = (Vec::new(), Vec::new());
            for entries in by_hole.values() {
                for (_, v, p) in entries {
                    points.push(*p);
                    values.push(*v);
                }
            }
            let report = serde_json::json!({
                "collars": cfile, "surveys": surveys.as_ref().map(|s| &s.0), "intervals": ifile,
                "holes": collars.len(), "unsampled_holes": holes.unsampled,
                "missing_interval_rows": holes.missing, "zeroed_interval_rows": holes.zeroed,
                "composites": points.len(),
                "composite_length_m": if three_d { Some(args.composite) } else { None },
                "min_coverage": args.min_coverage, "holes_as": args.holes_as,
            });
            (
                format!("{cfile} + {ifile}"),
                projection,
                holes.unit,
                points,
                values,
                columns,
                report,
                three_d,
            )
        };
    // Samples at one location make the kriging system singular: average them, and say so.
    let merged = merge_duplicates(&mut points, &mut values);
    report["merged_locations"] = serde_json::json!(merged);
    if points.len() < 3 {
        return Ok(Err(Rejected(vec![Problem::whole_file(
            &label,
            format!("{} usable samples: at least 3 are needed", points.len()),
        )])));
    }
    let naive = weighted_stats(&values, &vec![1.0; values.len()]);
    if let Some(cap) = args.top_cut {
        let capped = top_cut(&mut values, cap);
        report["top_cut"] = serde_json::json!({"cap": cap, "capped": capped});
    }
    let mut prepared = Prepared {
        label,
        projection,
        points,
        values,
        unit,
        three_d,
        holes,
        report,
        declustered_mean: f64::NAN,
    };
    let cell = args.decluster.unwrap_or(2.0 * prepared.spacing());
    let weights = decluster_weights(&prepared.points, cell, 8);
    let (mean, variance) = weighted_stats(&prepared.values, &weights);
    let (capped_mean, capped_variance) =
        weighted_stats(&prepared.values, &vec![1.0; prepared.values.len()]);
    prepared.declustered_mean = mean;
    prepared.report["statistics"] = serde_json::json!({
        "samples": prepared.values.len(),
        "naive": {"mean": naive.0, "sd": naive.1.sqrt()},
        "after_top_cut": {"mean": capped_mean, "sd": capped_variance.sqrt()},
        "declustered": {"mean": mean, "sd": variance.sqrt(), "cell_m": cell},
        "unit": prepared.unit.symbol(),
    });
    Ok(Ok(prepared))
}

fn project(p: &Projection, c: Coordinates, x: f64, y: f64) -> Result<(f64, f64), String> {
    match c {
        Coordinates::Wgs84 => p.from_wgs84(x, y),
        Coordinates::Projected => Ok((x, y)),
    }
}

/// Replace samples at one location by their mean; returns how many locations were merged.
fn merge_duplicates(points: &mut Vec<Point>, values: &mut Vec<f64>) -> usize {
    let mut groups: BTreeMap<[u64; 3], (usize, f64, usize)> = BTreeMap::new();
    for (i, (p, v)) in points.iter().zip(values.iter()).enumerate() {
        let e = groups.entry(p.map(f64::to_bits)).or_insert((i, 0.0, 0));
        e.1 += v;
        e.2 += 1;
    }
    let merged = groups.values().filter(|g| g.2 > 1).count();
    if merged > 0 {
        let mut kept: Vec<(usize, f64)> = groups
            .values()
            .map(|(first, sum, n)| (*first, sum / *n as f64))
            .collect();
        kept.sort_by_key(|k| k.0);
        *points = kept.iter().map(|(i, _)| points[*i]).collect();
        *values = kept.iter().map(|(_, v)| *v).collect();
    }
    merged
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
pub fn variogram(data: &Prepared, args: &VariogramArgs, composite: f64) -> Result<Variogram> {
    let lag = args.lag.unwrap_or(data.extent() / 20.0);
    if lag.is_nan() || lag <= 0.0 {
        bail!("--lag must be positive");
    }
    if let Some(path) = &args.variogram {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let model: VariogramModel = serde_json::from_str(&text)
            .or_else(|_| {
                // Also accept the whole `qaita variogram --json` output.
                serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        serde_json::from_value(v["model"].clone()).map_err(|e| e.to_string())
                    })
            })
            .map_err(|e| anyhow!("{}: not a variogram model: {e}", path.display()))?;
        model
            .validate()
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        return Ok(Variogram {
            model,
            source: format!("read from {}", path.display()),
            lag,
            experimental: Vec::new(),
            weighted_sse: None,
        });
    }
    let shape: Shape = args
        .model
        .parse()
        .map_err(|e: String| anyhow!("--model: {e}"))?;
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
            let f = fit(&omni, shape).map_err(|e| anyhow!("variogram: {e}"))?;
            bins.push(("omnidirectional".to_string(), omni));
            f
        }
        Some(azimuth) => {
            let along = horizontal(Some(direction(azimuth, 0.0)));
            let across = horizontal(Some(direction(azimuth + 90.0, 0.0)));
            let f = fit_anisotropic(&along, &across, shape, azimuth)
                .map_err(|e| anyhow!("variogram: {e}"))?;
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
            bail!(
                "downhole variogram: {} lag bins with pairs, at least 3 are needed (check --vertical-lag)",
                down.len()
            );
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
        .map_err(|e| anyhow!("fitted variogram: {e}"))?;
    Ok(Variogram {
        model: fitted.model,
        source,
        lag,
        experimental: bins,
        weighted_sse: Some(fitted.weighted_sse),
    })
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
