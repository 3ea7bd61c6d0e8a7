//! Sampling input shared by the variogram, cross-validation and the estimate: point samples or
//! drillhole tables read by qaita-io, projected to one metric CRS, composited, capped and
//! declustered by qaita-geostat.

use std::collections::BTreeMap;

use anyhow::anyhow;
use qaita_geostat::crs::Projection;
use qaita_geostat::kriging::Samples;
use qaita_geostat::sampling::{Collar, composite, decluster_weights, top_cut, weighted_stats};
use qaita_geostat::variogram::Point;
use qaita_io::drillholes::read_drillholes;
use qaita_io::samples::{Coordinates, SamplePolicy, read_samples};
use qaita_model::Problem;
use qaita_model::units::Unit;
use serde::Serialize;

use super::{EstimateError, EstimateRequest, HolesAs, Inputs, invalid};

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
    pub fn hole_surface(
        &self,
        value: impl Fn(&HoleColumn) -> f64,
    ) -> anyhow::Result<Option<Samples>> {
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
    pub fn spacing(&self) -> f64 {
        let (min_x, max_x, min_y, max_y) = self.bounds();
        let columns = if self.holes.is_empty() {
            self.points.len()
        } else {
            self.holes.len()
        };
        ((max_x - min_x).max(1.0) * (max_y - min_y).max(1.0) / columns.max(1) as f64).sqrt()
    }
}

/// The projection for the data: `--epsg` for projected files, the UTM zone of `anchor` (the
/// TMF) or of the data's mean position for lon/lat.
fn projection_for(
    coordinates: Coordinates,
    epsg: Option<u16>,
    anchor: Option<(f64, f64)>,
    lon_lat: impl Iterator<Item = (f64, f64)>,
    label: &str,
) -> Result<Projection, EstimateError> {
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
            Projection::utm_for(lon, lat).map_err(|e| EstimateError::Other(anyhow!(e)))
        }
        (Coordinates::Wgs84, Some(_)) => Err(invalid(
            "epsg",
            format!("{label} has lon/lat: --epsg is only for projected x/y"),
        )),
        (Coordinates::Projected, Some(code)) => {
            Projection::from_epsg(code).map_err(|e| invalid("epsg", e))
        }
        (Coordinates::Projected, None) => Err(invalid(
            "epsg",
            format!(
                "{label} has projected x/y: name their CRS with --epsg (e.g. 32641 for WGS 84 / UTM 41N)"
            ),
        )),
    }
}

/// Read, project, composite, merge duplicates, cap and decluster.
pub fn load(
    args: &EstimateRequest,
    files: &Inputs,
    anchor: Option<(f64, f64)>,
) -> Result<Prepared, EstimateError> {
    let policy = SamplePolicy {
        negative_to_zero: args.negative_to_zero,
    };
    let (label, projection, unit, mut points, mut values, holes, mut report, three_d) =
        if let Some(named) = &files.samples {
            let (file, bytes) = (named.name.clone(), &named.bytes);
            let set =
                read_samples(&file, bytes, &args.value, policy).map_err(EstimateError::Rejected)?;
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
            let (Some(collars), Some(intervals)) = (&files.collars, &files.intervals) else {
                return Err(invalid(
                    "samples",
                    "give --samples, or --collars and --intervals (and optionally --surveys)",
                ));
            };
            let (cfile, cbytes) = (collars.name.clone(), &collars.bytes);
            let (ifile, ibytes) = (intervals.name.clone(), &intervals.bytes);
            let surveys = files
                .surveys
                .as_ref()
                .map(|s| (s.name.clone(), s.bytes.as_slice()));
            let holes = read_drillholes(
                (&cfile, cbytes),
                surveys.as_ref().map(|(f, b)| (f.as_str(), *b)),
                (&ifile, ibytes),
                &args.value,
                policy,
            )
            .map_err(EstimateError::Rejected)?;
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
                "min_coverage": args.min_coverage,
                // As the report has always spelled it.
                "holes_as": match args.holes_as { HolesAs::Hole => "hole", HolesAs::ThreeD => "threed" },
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
        return Err(EstimateError::Rejected(vec![Problem::whole_file(
            &label,
            format!("{} usable samples: at least 3 are needed", points.len()),
        )]));
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
    Ok(prepared)
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
