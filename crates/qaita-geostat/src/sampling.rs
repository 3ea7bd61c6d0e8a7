//! Sampling data: drillholes (collar, survey, intervals) desurveyed by minimum curvature and
//! composited to a fixed length; top-cutting; cell declustering. Tailings are usually sampled
//! by auger holes in ~1.5 m runs, so composites are what estimation works on.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::variogram::Point;

/// A hole's collar in projected coordinates (metres), z up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Collar {
    pub hole: String,
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

/// A survey station: depth along the hole, azimuth (degrees clockwise from north) and dip
/// (degrees, negative downwards, as most logging software writes it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Station {
    pub at: f64,
    pub azimuth: f64,
    pub dip: f64,
}

/// A sampled interval with its value (a grade as a mass fraction, or any additive variable).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub from: f64,
    pub to: f64,
    pub value: f64,
}

/// Unit direction of a survey station: east, north, up.
fn direction(s: &Station) -> [f64; 3] {
    let (az, dip) = (s.azimuth.to_radians(), s.dip.to_radians());
    [dip.cos() * az.sin(), dip.cos() * az.cos(), dip.sin()]
}

/// Positions along a hole by the minimum-curvature method: between two stations the path is a
/// circular arc; the ratio factor `RF = 2 / DL * tan(DL / 2)` (1 for a straight segment).
pub struct Trajectory {
    /// (depth, position) at each station, starting at the collar (depth 0).
    stations: Vec<(f64, Point, [f64; 3])>,
}

impl Trajectory {
    /// A vertical hole needs no survey; a missing station at depth 0 takes the first one's direction.
    pub fn new(collar: &Collar, survey: &[Station]) -> Result<Self, String> {
        let mut stations: Vec<Station> = survey.to_vec();
        if let Some(s) = stations.iter().find(|s| {
            !(s.at.is_finite() && s.azimuth.is_finite() && s.dip.is_finite()) || s.at < 0.0
        }) {
            return Err(format!(
                "hole {}: survey station at {} is not valid",
                collar.hole, s.at
            ));
        }
        stations.sort_by(|a, b| a.at.total_cmp(&b.at));
        if stations.windows(2).any(|w| w[0].at == w[1].at) {
            return Err(format!(
                "hole {}: two survey stations at the same depth",
                collar.hole
            ));
        }
        if stations.is_empty() {
            stations.push(Station {
                at: 0.0,
                azimuth: 0.0,
                dip: -90.0,
            });
        }
        if stations[0].at > 0.0 {
            let first = stations[0];
            stations.insert(0, Station { at: 0.0, ..first });
        }
        let mut out = vec![(0.0, [collar.x, collar.y, collar.z], direction(&stations[0]))];
        for pair in stations.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (d1, d2) = (direction(&a), direction(&b));
            let md = b.at - a.at;
            let cos = (d1[0] * d2[0] + d1[1] * d2[1] + d1[2] * d2[2]).clamp(-1.0, 1.0);
            let dogleg = cos.acos();
            let rf = if dogleg.abs() < 1e-9 {
                1.0
            } else {
                2.0 / dogleg * (dogleg / 2.0).tan()
            };
            let p = out
                .last()
                .map(|s| s.1)
                .unwrap_or([collar.x, collar.y, collar.z]);
            let next = [0, 1, 2].map(|i| p[i] + md / 2.0 * (d1[i] + d2[i]) * rf);
            out.push((b.at, next, d2));
        }
        Ok(Trajectory { stations: out })
    }

    /// Position at `depth` along the hole, on the minimum-curvature arc between stations (the
    /// direction at a fraction of the arc is the spherical interpolation of the two station
    /// directions); straight past the last station.
    pub fn at(&self, depth: f64) -> Point {
        let i = self
            .stations
            .partition_point(|s| s.0 <= depth)
            .saturating_sub(1);
        let (d0, p0, dir0) = self.stations[i];
        let Some(&(d1, _, dir1)) = self.stations.get(i + 1) else {
            return [0, 1, 2].map(|k| p0[k] + (depth - d0) * dir0[k]);
        };
        let md = depth - d0;
        let t = if d1 > d0 { md / (d1 - d0) } else { 0.0 };
        let cos = (dir0[0] * dir1[0] + dir0[1] * dir1[1] + dir0[2] * dir1[2]).clamp(-1.0, 1.0);
        let dogleg = cos.acos();
        if dogleg.abs() < 1e-9 {
            return [0, 1, 2].map(|k| p0[k] + md * dir0[k]);
        }
        let part = t * dogleg;
        let (a, b) = (
            ((1.0 - t) * dogleg).sin() / dogleg.sin(),
            part.sin() / dogleg.sin(),
        );
        let dir_t = [0, 1, 2].map(|k| a * dir0[k] + b * dir1[k]);
        let rf = 2.0 / part * (part / 2.0).tan();
        [0, 1, 2].map(|k| p0[k] + md / 2.0 * (dir0[k] + dir_t[k]) * rf)
    }
}

/// A composite: a fixed-length run with its length-weighted value and centre position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Composite {
    pub hole: String,
    pub from: f64,
    pub to: f64,
    /// Sampled length inside the run (less than `to - from` where intervals are missing).
    pub sampled: f64,
    pub value: f64,
    pub point: Point,
}

/// Composite every hole's intervals to `length` metres from the collar. A run keeps its value if
/// at least `min_fraction` of it was sampled; gaps are never filled with zeros.
pub fn composite(
    collars: &[Collar],
    surveys: &BTreeMap<String, Vec<Station>>,
    intervals: &BTreeMap<String, Vec<Interval>>,
    length: f64,
    min_fraction: f64,
) -> Result<Vec<Composite>, String> {
    if length.is_nan() || length <= 0.0 {
        return Err(format!("composite length {length} must be positive"));
    }
    let mut out = Vec::new();
    for collar in collars {
        let Some(runs) = intervals.get(&collar.hole) else {
            continue;
        };
        let trajectory = Trajectory::new(
            collar,
            surveys.get(&collar.hole).map_or(&[][..], Vec::as_slice),
        )?;
        let mut runs = runs.clone();
        runs.sort_by(|a, b| a.from.total_cmp(&b.from));
        if let Some(bad) = runs
            .iter()
            .find(|r| !(r.to > r.from && r.from >= 0.0 && r.value.is_finite()))
        {
            return Err(format!(
                "hole {}: interval {}-{} is not valid",
                collar.hole, bad.from, bad.to
            ));
        }
        if let Some(w) = runs.windows(2).find(|w| w[1].from < w[0].to - 1e-9) {
            return Err(format!(
                "hole {}: intervals {}-{} and {}-{} overlap",
                collar.hole, w[0].from, w[0].to, w[1].from, w[1].to
            ));
        }
        let end = runs.last().map_or(0.0, |r| r.to);
        let mut start = 0.0;
        while start < end - 1e-9 {
            let stop = start + length;
            let (mut sampled, mut sum) = (0.0, 0.0);
            for r in &runs {
                let overlap = r.to.min(stop) - r.from.max(start);
                if overlap > 0.0 {
                    sampled += overlap;
                    sum += overlap * r.value;
                }
            }
            if sampled >= min_fraction * length && sampled > 0.0 {
                out.push(Composite {
                    hole: collar.hole.clone(),
                    from: start,
                    to: stop,
                    sampled,
                    value: sum / sampled,
                    point: trajectory.at(start + length / 2.0),
                });
            }
            start = stop;
        }
    }
    Ok(out)
}

/// Cap values at `cap`; returns how many were cut.
pub fn top_cut(values: &mut [f64], cap: f64) -> usize {
    let mut cut = 0;
    for v in values.iter_mut() {
        if *v > cap {
            *v = cap;
            cut += 1;
        }
    }
    cut
}

/// Cell-declustering weights (Deutsch): each sample weighs 1 / (samples in its cell), averaged
/// over `offsets` grid origins, normalised to mean 1.
pub fn decluster_weights(points: &[Point], cell: f64, offsets: usize) -> Vec<f64> {
    let n = points.len();
    if n == 0 || cell.is_nan() || cell <= 0.0 {
        return vec![1.0; n];
    }
    let (min_x, min_y) = points
        .iter()
        .fold((f64::INFINITY, f64::INFINITY), |(a, b), p| {
            (a.min(p[0]), b.min(p[1]))
        });
    let offsets = offsets.max(1);
    let mut weights = vec![0.0; n];
    for o in 0..offsets {
        let shift = cell * o as f64 / offsets as f64;
        let key = |p: &Point| {
            (
                ((p[0] - min_x + shift) / cell).floor() as i64,
                ((p[1] - min_y + shift) / cell).floor() as i64,
            )
        };
        let mut counts: BTreeMap<(i64, i64), usize> = BTreeMap::new();
        for p in points {
            *counts.entry(key(p)).or_default() += 1;
        }
        for (w, p) in weights.iter_mut().zip(points) {
            *w += 1.0 / counts[&key(p)] as f64;
        }
    }
    let mean = weights.iter().sum::<f64>() / n as f64;
    weights.iter().map(|w| w / mean).collect()
}

/// Weighted mean and variance.
pub fn weighted_stats(values: &[f64], weights: &[f64]) -> (f64, f64) {
    let sw: f64 = weights.iter().sum();
    let mean = values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / sw;
    let var = values
        .iter()
        .zip(weights)
        .map(|(v, w)| w * (v - mean).powi(2))
        .sum::<f64>()
        / sw;
    (mean, var)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collar() -> Collar {
        Collar {
            hole: "H1".into(),
            x: 100.0,
            y: 200.0,
            z: 50.0,
        }
    }

    #[test]
    fn vertical_and_straight_inclined_holes() {
        let t = Trajectory::new(&collar(), &[]).unwrap();
        let p = t.at(10.0);
        assert!(
            (p[0] - 100.0).abs() < 1e-9
                && (p[1] - 200.0).abs() < 1e-9
                && (p[2] - 40.0).abs() < 1e-9
        );
        // Azimuth 90 (east), dip -60, constant: 10 m along = 5 m east, 8.66 m down.
        let s = [
            Station {
                at: 0.0,
                azimuth: 90.0,
                dip: -60.0,
            },
            Station {
                at: 30.0,
                azimuth: 90.0,
                dip: -60.0,
            },
        ];
        let p = Trajectory::new(&collar(), &s).unwrap().at(10.0);
        assert!(
            (p[0] - 105.0).abs() < 1e-9 && (p[2] - (50.0 - 8.660_254_037_844_386)).abs() < 1e-9,
            "{p:?}"
        );
    }

    #[test]
    fn minimum_curvature_follows_a_circular_arc() {
        // From vertical to horizontal (north) over 100 m: a quarter circle of radius 200/pi.
        let s = [
            Station {
                at: 0.0,
                azimuth: 0.0,
                dip: -90.0,
            },
            Station {
                at: 100.0,
                azimuth: 0.0,
                dip: 0.0,
            },
        ];
        let t = Trajectory::new(&collar(), &s).unwrap();
        let r = 200.0 / std::f64::consts::PI;
        let end = t.at(100.0);
        assert!(
            (end[1] - (200.0 + r)).abs() < 1e-9 && (end[2] - (50.0 - r)).abs() < 1e-9,
            "{end:?}"
        );
        // Half-way along the arc: 45 degrees round the circle.
        let mid = t.at(50.0);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!(
            (mid[1] - (200.0 + r * (1.0 - h))).abs() < 1e-9
                && (mid[2] - (50.0 - r * h)).abs() < 1e-9,
            "{mid:?}"
        );
    }

    #[test]
    fn compositing_is_length_weighted_and_leaves_gaps() {
        let collars = vec![collar()];
        let intervals = BTreeMap::from([(
            "H1".to_string(),
            vec![
                Interval {
                    from: 0.0,
                    to: 1.5,
                    value: 1.0,
                },
                Interval {
                    from: 1.5,
                    to: 3.0,
                    value: 3.0,
                },
                Interval {
                    from: 6.0,
                    to: 7.5,
                    value: 2.0,
                },
            ],
        )]);
        let c = composite(&collars, &BTreeMap::new(), &intervals, 2.0, 0.5).unwrap();
        // 0-2: 1.5 m of 1.0 and 0.5 m of 3.0 -> 1.5; 2-4: 1 m of 3.0 -> 3.0 (half sampled);
        // 4-6 unsampled (dropped); 6-8: 1.5 m of 2.0.
        let values: Vec<(f64, f64)> = c.iter().map(|c| (c.from, c.value)).collect();
        assert_eq!(values, [(0.0, 1.5), (2.0, 3.0), (6.0, 2.0)]);
        assert!((c[0].point[2] - 49.0).abs() < 1e-9);
        let overlapping = BTreeMap::from([(
            "H1".to_string(),
            vec![
                Interval {
                    from: 0.0,
                    to: 2.0,
                    value: 1.0,
                },
                Interval {
                    from: 1.0,
                    to: 3.0,
                    value: 1.0,
                },
            ],
        )]);
        assert!(
            composite(&collars, &BTreeMap::new(), &overlapping, 2.0, 0.5)
                .unwrap_err()
                .contains("overlap")
        );
    }

    #[test]
    fn declustering_downweights_clusters() {
        let mut points: Vec<Point> = (0..10).map(|i| [i as f64 * 10.0, 0.0, 0.0]).collect();
        points.extend((0..10).map(|i| [0.5 + i as f64 * 0.01, 0.5, 0.0])); // a tight cluster
        let w = decluster_weights(&points, 10.0, 4);
        assert!((w.iter().sum::<f64>() - 20.0).abs() < 1e-9);
        assert!(w[5] > 3.0 * w[15], "{w:?}");
        let mut v = vec![1.0, 5.0, 10.0];
        assert_eq!(top_cut(&mut v, 6.0), 1);
        assert_eq!(v, [1.0, 5.0, 6.0]);
    }
}
