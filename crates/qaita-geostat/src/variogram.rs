//! Variogram models (nugget, spherical, exponential, Gaussian; nested; geometric anisotropy with
//! the GSLIB rotation convention), experimental variograms and weighted least-squares fitting.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A point in projected coordinates (metres); z = 0 for 2-D data.
pub type Point = [f64; 3];

/// Shape of one nested structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    Spherical,
    /// Practical range: gamma reaches 95% of the sill at `range` (GSLIB convention, a = range/3).
    Exponential,
    /// Practical range: 95% of the sill at `range` (a = range/sqrt(3)).
    Gaussian,
}

impl Shape {
    /// The shape with unit sill at a lag `r` in range units.
    fn unit(self, r: f64) -> f64 {
        match self {
            Shape::Spherical if r >= 1.0 => 1.0,
            Shape::Spherical => r * (1.5 - 0.5 * r * r),
            Shape::Exponential => 1.0 - (-3.0 * r).exp(),
            Shape::Gaussian => 1.0 - (-3.0 * r * r).exp(),
        }
    }
}

impl std::str::FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "spherical" | "sph" => Ok(Shape::Spherical),
            "exponential" | "exp" => Ok(Shape::Exponential),
            "gaussian" | "gau" => Ok(Shape::Gaussian),
            other => Err(format!(
                "'{other}' is not a variogram model (spherical, exponential, gaussian)"
            )),
        }
    }
}

/// Geometric anisotropy: ranges along the rotated axes and the GSLIB angles (degrees):
/// azimuth of the major axis clockwise from north, dip of the major axis, and rake.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Anisotropy {
    pub range_major: f64,
    pub range_minor: f64,
    pub range_vertical: f64,
    pub azimuth: f64,
    pub dip: f64,
    pub rake: f64,
}

impl Anisotropy {
    pub fn isotropic(range: f64) -> Self {
        Anisotropy {
            range_major: range,
            range_minor: range,
            range_vertical: range,
            azimuth: 0.0,
            dip: 0.0,
            rake: 0.0,
        }
    }

    /// Rotation and scaling (GSLIB `setrot`) taking a lag vector to a space where the range is 1
    /// in every direction.
    fn matrix(&self) -> [[f64; 3]; 3] {
        let (a, b, c) = (self.azimuth, -self.dip, self.rake);
        // GSLIB: alpha = 90 - azimuth (from east, counter-clockwise), beta = -dip, theta = rake.
        let alpha = (90.0 - a).to_radians();
        let (beta, theta) = (b.to_radians(), c.to_radians());
        let (sina, cosa, sinb, cosb, sint, cost) = (
            alpha.sin(),
            alpha.cos(),
            beta.sin(),
            beta.cos(),
            theta.sin(),
            theta.cos(),
        );
        let afac1 = self.range_major / self.range_minor;
        let afac2 = self.range_major / self.range_vertical;
        let r = [
            [cosb * cosa, cosb * sina, -sinb],
            [
                afac1 * (-cost * sina + sint * sinb * cosa),
                afac1 * (cost * cosa + sint * sinb * sina),
                afac1 * (sint * cosb),
            ],
            [
                afac2 * (sint * sina + cost * sinb * cosa),
                afac2 * (-sint * cosa + cost * sinb * sina),
                afac2 * (cost * cosb),
            ],
        ];
        r.map(|row| row.map(|v| v / self.range_major))
    }

    /// The lag vector `h` in the space where this ellipsoid is a sphere of radius
    /// `range_major` (for anisotropic searches: Euclidean distance there is anisotropic
    /// distance in metres along the major axis).
    pub fn to_isotropic(&self, h: &Point) -> Point {
        let m = self.matrix();
        [0, 1, 2].map(|i| (m[i][0] * h[0] + m[i][1] * h[1] + m[i][2] * h[2]) * self.range_major)
    }
}

/// What a saved structure holds; the rotation matrix is rebuilt on reading.
#[derive(Deserialize)]
struct StructureSpec {
    shape: Shape,
    sill: f64,
    anisotropy: Anisotropy,
}

impl From<StructureSpec> for Structure {
    fn from(s: StructureSpec) -> Self {
        Structure::new(s.shape, s.sill, s.anisotropy)
    }
}

/// One nested structure: shape, contribution to the sill, anisotropic ranges.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "StructureSpec")]
pub struct Structure {
    pub shape: Shape,
    pub sill: f64,
    pub anisotropy: Anisotropy,
    #[serde(skip)]
    matrix: Option<[[f64; 3]; 3]>,
}

impl Structure {
    pub fn new(shape: Shape, sill: f64, anisotropy: Anisotropy) -> Self {
        Structure {
            shape,
            sill,
            anisotropy,
            matrix: Some(anisotropy.matrix()),
        }
    }

    /// Lag reduced to range units (1.0 = at the range).
    fn reduced(&self, h: Point) -> f64 {
        let a = &self.anisotropy;
        if a.range_major == a.range_minor && a.range_major == a.range_vertical {
            // Isotropic: rotation does not matter.
            return (h[0] * h[0] + h[1] * h[1] + h[2] * h[2]).sqrt() / a.range_major;
        }
        let m = self.matrix.unwrap_or_else(|| self.anisotropy.matrix());
        let v = [0, 1, 2].map(|i| m[i][0] * h[0] + m[i][1] * h[1] + m[i][2] * h[2]);
        (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
    }

    fn gamma(&self, h: Point) -> f64 {
        self.sill * self.shape.unit(self.reduced(h))
    }
}

/// A variogram model: nugget plus nested structures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariogramModel {
    pub nugget: f64,
    pub structures: Vec<Structure>,
}

impl VariogramModel {
    /// One isotropic structure.
    pub fn isotropic(shape: Shape, nugget: f64, sill: f64, range: f64) -> Self {
        VariogramModel {
            nugget,
            structures: vec![Structure::new(shape, sill, Anisotropy::isotropic(range))],
        }
    }

    /// Total sill: nugget + structure sills = C(0).
    pub fn sill(&self) -> f64 {
        self.nugget + self.structures.iter().map(|s| s.sill).sum::<f64>()
    }

    /// gamma(h); gamma(0) = 0 (the nugget is a discontinuity at the origin).
    pub fn gamma(&self, h: Point) -> f64 {
        if h == [0.0; 3] {
            return 0.0;
        }
        self.nugget + self.structures.iter().map(|s| s.gamma(h)).sum::<f64>()
    }

    /// Whether every structure is isotropic, so that covariance depends on distance alone.
    pub fn is_isotropic(&self) -> bool {
        self.structures.iter().all(|s| {
            let a = &s.anisotropy;
            a.range_major == a.range_minor && a.range_major == a.range_vertical
        })
    }

    /// Covariance at a separation `distance` (isotropic models only): the hot path of kriging
    /// with a round search, so it skips the rotation and the square root.
    pub fn covariance_at(&self, distance: f64) -> f64 {
        if distance == 0.0 {
            return self.sill();
        }
        self.structures
            .iter()
            .map(|s| s.sill * (1.0 - s.shape.unit(distance / s.anisotropy.range_major)))
            .sum()
    }

    /// Covariance C(h) = sill - gamma(h).
    pub fn covariance(&self, a: &Point, b: &Point) -> f64 {
        let h = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        if self.is_isotropic() {
            return self.covariance_at((h[0] * h[0] + h[1] * h[1] + h[2] * h[2]).sqrt());
        }
        self.sill() - self.gamma(h)
    }

    /// Models must have non-negative contributions, positive ranges and a positive sill.
    pub fn validate(&self) -> Result<(), String> {
        if self.nugget.is_nan() || self.nugget < 0.0 {
            return Err(format!("nugget {} must be >= 0", self.nugget));
        }
        for s in &self.structures {
            let a = &s.anisotropy;
            if s.sill.is_nan()
                || s.sill < 0.0
                || ![a.range_major, a.range_minor, a.range_vertical]
                    .iter()
                    .all(|r| *r > 0.0 && r.is_finite())
            {
                return Err("each structure needs a sill >= 0 and positive ranges".into());
            }
        }
        if self.sill().is_nan() || self.sill() <= 0.0 {
            return Err("the total sill must be positive".into());
        }
        Ok(())
    }
}

/// Direction and tolerances of a directional experimental variogram (degrees, metres).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Direction {
    pub azimuth: f64,
    pub dip: f64,
    /// Half-angle tolerance around the direction.
    pub tolerance: f64,
    /// Maximum distance of a pair's lag vector from the direction line.
    pub bandwidth: f64,
}

/// One lag bin of an experimental variogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LagBin {
    /// Mean separation of the pairs in the bin.
    pub distance: f64,
    pub gamma: f64,
    pub pairs: usize,
}

/// Experimental semivariogram: pairs binned by separation into `lags` bins of width `lag`
/// (bin k holds separations in ((k - 0.5) lag, (k + 0.5) lag], k = 1..=lags); omnidirectional
/// unless `direction` is given. Empty bins are omitted. O(n^2) pairs, parallel over samples.
pub fn experimental(
    points: &[Point],
    values: &[f64],
    lag: f64,
    lags: usize,
    direction: Option<Direction>,
) -> Vec<LagBin> {
    let unit = direction.map(|d| {
        let (az, dip) = (d.azimuth.to_radians(), d.dip.to_radians());
        [az.sin() * dip.cos(), az.cos() * dip.cos(), -dip.sin()]
    });
    let cos_tol = direction.map(|d| d.tolerance.to_radians().cos());
    experimental_by(points, values, lag, lags, |h| {
        let d = (h[0] * h[0] + h[1] * h[1] + h[2] * h[2]).sqrt();
        if let (Some(u), Some(ct), Some(dir)) = (unit, cos_tol, direction) {
            let along = (h[0] * u[0] + h[1] * u[1] + h[2] * u[2]).abs();
            let across = (d * d - along * along).max(0.0).sqrt();
            if along / d < ct || across > dir.bandwidth {
                return None;
            }
        }
        Some(d)
    })
}

/// Horizontal experimental semivariogram of 3-D data: pairs whose vertical separation is at
/// most `vertical_tolerance` metres, binned by horizontal separation, all azimuths.
pub fn experimental_horizontal(
    points: &[Point],
    values: &[f64],
    lag: f64,
    lags: usize,
    vertical_tolerance: f64,
) -> Vec<LagBin> {
    experimental_by(points, values, lag, lags, |h| {
        (h[2].abs() <= vertical_tolerance).then(|| (h[0] * h[0] + h[1] * h[1]).sqrt())
    })
}

/// Bin the pairs `separation` accepts (it maps a lag vector to the distance to bin by).
fn experimental_by(
    points: &[Point],
    values: &[f64],
    lag: f64,
    lags: usize,
    separation: impl Fn(&[f64; 3]) -> Option<f64> + Sync,
) -> Vec<LagBin> {
    let max = lag * (lags as f64 + 0.5);
    let empty = || {
        (
            vec![0.0f64; lags + 1],
            vec![0.0f64; lags + 1],
            vec![0usize; lags + 1],
        )
    };
    // Partial sums over fixed blocks of rows, added in block order: the result does not depend
    // on how rayon splits the work (a fold/reduce adds in a varying order, and the fitted model
    // then differed between runs in the 8th digit).
    const ROWS: usize = 32;
    let partials: Vec<_> = (0..points.len().div_ceil(ROWS))
        .into_par_iter()
        .map(|block| {
            let (mut dist, mut semi, mut count) = empty();
            for i in block * ROWS..((block + 1) * ROWS).min(points.len()) {
                for j in (i + 1)..points.len() {
                    let h = [
                        points[j][0] - points[i][0],
                        points[j][1] - points[i][1],
                        points[j][2] - points[i][2],
                    ];
                    let Some(d) = separation(&h) else {
                        continue;
                    };
                    if d == 0.0 || d > max {
                        continue;
                    }
                    let k = (d / lag).round() as usize;
                    if k == 0 || k > lags {
                        continue;
                    }
                    let diff = values[i] - values[j];
                    dist[k] += d;
                    semi[k] += 0.5 * diff * diff;
                    count[k] += 1;
                }
            }
            (dist, semi, count)
        })
        .collect();
    let (mut dist, mut semi, mut count) = empty();
    for (d, g, n) in partials {
        for k in 0..=lags {
            dist[k] += d[k];
            semi[k] += g[k];
            count[k] += n[k];
        }
    }
    (1..=lags)
        .filter(|k| count[*k] > 0)
        .map(|k| LagBin {
            distance: dist[k] / count[k] as f64,
            gamma: semi[k] / count[k] as f64,
            pairs: count[k],
        })
        .collect()
}

/// The result of fitting a one-structure isotropic model.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub model: VariogramModel,
    /// Weighted sum of squared residuals with weights N_j / h_j^2.
    pub weighted_sse: f64,
}

/// Fit nugget, sill and range of an isotropic model by weighted least squares with the usual
/// N_j / h_j^2 weights (Cressie). For a given range the model is linear in (nugget, sill), so
/// those are solved exactly (non-negative); the range is found by a log-spaced scan refined by
/// golden-section search.
pub fn fit(bins: &[LagBin], shape: Shape) -> Result<Fit, String> {
    if bins.len() < 3 {
        return Err(format!(
            "{} lag bins with pairs: at least 3 are needed to fit a model",
            bins.len()
        ));
    }
    let weights: Vec<f64> = bins
        .iter()
        .map(|b| b.pairs as f64 / (b.distance * b.distance))
        .collect();
    let solve = |range: f64| -> (f64, f64, f64) {
        let shape_at =
            |h: f64| VariogramModel::isotropic(shape, 0.0, 1.0, range).gamma([h, 0.0, 0.0]);
        // Weighted normal equations for gamma ~ c0 + c1 * f(h).
        let (mut sw, mut sf, mut sff, mut sg, mut sfg) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (b, w) in bins.iter().zip(&weights) {
            let f = shape_at(b.distance);
            sw += w;
            sf += w * f;
            sff += w * f * f;
            sg += w * b.gamma;
            sfg += w * f * b.gamma;
        }
        let det = sw * sff - sf * sf;
        let (mut c0, mut c1) = if det.abs() > 1e-300 {
            ((sff * sg - sf * sfg) / det, (sw * sfg - sf * sg) / det)
        } else {
            (0.0, sg / sw)
        };
        if c0 < 0.0 {
            c0 = 0.0;
            c1 = if sff > 0.0 { sfg / sff } else { 0.0 };
        }
        if c1 < 0.0 {
            c1 = 0.0;
            c0 = sg / sw;
        }
        let sse = bins
            .iter()
            .zip(&weights)
            .map(|(b, w)| w * (c0 + c1 * shape_at(b.distance) - b.gamma).powi(2))
            .sum();
        (c0, c1, sse)
    };
    let range = search_range(bins, |range| solve(range).2);
    let (nugget, sill, weighted_sse) = solve(range);
    Ok(Fit {
        model: VariogramModel::isotropic(shape, nugget, sill, range),
        weighted_sse,
    })
}

/// The range minimising `sse`: a log-spaced scan from a quarter of the shortest lag to three
/// times the longest, refined by golden-section search.
fn search_range(bins: &[LagBin], sse: impl Fn(f64) -> f64) -> f64 {
    let h_max = bins.iter().map(|b| b.distance).fold(0.0, f64::max);
    let h_min = bins
        .iter()
        .map(|b| b.distance)
        .fold(f64::INFINITY, f64::min);
    let (lo, hi) = ((h_min * 0.25).ln(), (h_max * 3.0).ln());
    let steps = 200;
    let mut best = (lo, f64::INFINITY);
    for i in 0..=steps {
        let x = lo + (hi - lo) * i as f64 / steps as f64;
        let value = sse(x.exp());
        if value < best.1 {
            best = (x, value);
        }
    }
    let step = (hi - lo) / steps as f64;
    let (mut a, mut b) = ((best.0 - step).max(lo), (best.0 + step).min(hi));
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let c = b - ratio * (b - a);
        let d = a + ratio * (b - a);
        if sse(c.exp()) < sse(d.exp()) {
            b = d
        } else {
            a = c
        }
    }
    (0.5 * (a + b)).exp()
}

/// Fit a geometrically anisotropic 2-D model from directional experimental variograms along
/// `azimuth` and at right angles to it: nugget, sill and range from the first, then the second
/// range with nugget and sill held (geometric anisotropy shares them). If the second range comes
/// out longer, it is the major axis and the azimuth turns by 90 degrees. GSLIB angles.
pub fn fit_anisotropic(
    along: &[LagBin],
    across: &[LagBin],
    shape: Shape,
    azimuth: f64,
) -> Result<Fit, String> {
    let first = fit(along, shape).map_err(|e| format!("along azimuth {azimuth}: {e}"))?;
    if across.len() < 3 {
        return Err(format!(
            "across azimuth {azimuth}: {} lag bins with pairs, at least 3 are needed (widen the tolerance or bandwidth)",
            across.len()
        ));
    }
    let nugget = first.model.nugget;
    let sill = first.model.sill() - nugget;
    let range_along = first.model.structures[0].anisotropy.range_major;
    let (range_across, sse_across) = fit_range(across, shape, nugget, sill);
    let (major, minor, azimuth) = if range_across > range_along {
        (
            range_across,
            range_along,
            (azimuth + 90.0).rem_euclid(180.0),
        )
    } else {
        (range_along, range_across, azimuth.rem_euclid(180.0))
    };
    let model = VariogramModel {
        nugget,
        structures: vec![Structure::new(
            shape,
            sill,
            Anisotropy {
                range_major: major,
                range_minor: minor,
                range_vertical: minor,
                azimuth,
                dip: 0.0,
                rake: 0.0,
            },
        )],
    };
    Ok(Fit {
        weighted_sse: first.weighted_sse + sse_across,
        model,
    })
}

/// The range along another axis of a geometrically anisotropic model whose nugget and sill are
/// already known (e.g. the vertical range from a downhole variogram), by weighted least squares;
/// returns the range and the weighted SSE.
pub fn fit_range(bins: &[LagBin], shape: Shape, nugget: f64, sill: f64) -> (f64, f64) {
    let weighted = |range: f64| -> f64 {
        let m = VariogramModel::isotropic(shape, nugget, sill, range);
        bins.iter()
            .map(|b| {
                b.pairs as f64 / (b.distance * b.distance)
                    * (m.gamma([b.distance, 0.0, 0.0]) - b.gamma).powi(2)
            })
            .sum()
    };
    let range = search_range(bins, weighted);
    (range, weighted(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experimental_bins_do_not_depend_on_the_threads() {
        // Irregular points and values, so sums in another order would round differently.
        let points: Vec<Point> = (0..700)
            .map(|i| {
                let t = i as f64;
                [(t * 37.77).sin() * 500.0, (t * 11.13).cos() * 400.0, 0.0]
            })
            .collect();
        let values: Vec<f64> = (0..700)
            .map(|i| ((i * 7919) % 1000) as f64 / 37.0)
            .collect();
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| experimental(&points, &values, 40.0, 12, None))
        };
        let one = on(1);
        for threads in [2, 3, 8] {
            let many = on(threads);
            assert_eq!(one.len(), many.len());
            for (a, b) in one.iter().zip(&many) {
                assert_eq!(a.gamma.to_bits(), b.gamma.to_bits(), "{threads} threads");
                assert_eq!(a.distance.to_bits(), b.distance.to_bits());
                assert_eq!(a.pairs, b.pairs);
            }
        }
    }

    #[test]
    fn model_values() {
        let m = VariogramModel::isotropic(Shape::Spherical, 0.1, 0.9, 100.0);
        assert_eq!(m.gamma([0.0; 3]), 0.0);
        assert!((m.gamma([50.0, 0.0, 0.0]) - (0.1 + 0.9 * (0.75 - 0.0625))).abs() < 1e-12);
        assert!((m.gamma([150.0, 0.0, 0.0]) - 1.0).abs() < 1e-12);
        let e = VariogramModel::isotropic(Shape::Exponential, 0.0, 1.0, 30.0);
        assert!((e.gamma([30.0, 0.0, 0.0]) - 0.95).abs() < 0.001); // practical range
    }

    #[test]
    fn invalid_models_are_rejected() {
        assert!(
            VariogramModel::isotropic(Shape::Spherical, 0.1, 1.0, 50.0)
                .validate()
                .is_ok()
        );
        assert!(
            VariogramModel::isotropic(Shape::Spherical, -0.1, 1.0, 50.0)
                .validate()
                .is_err()
        );
        assert!(
            VariogramModel::isotropic(Shape::Spherical, 0.0, 1.0, 0.0)
                .validate()
                .is_err()
        );
        assert!(
            VariogramModel::isotropic(Shape::Spherical, 0.0, 0.0, 10.0)
                .validate()
                .is_err()
        );
        assert!(
            VariogramModel::isotropic(Shape::Spherical, f64::NAN, 1.0, 10.0)
                .validate()
                .is_err()
        );
    }

    #[test]
    fn anisotropy_follows_the_gslib_convention() {
        // Major axis north-east (azimuth 45), range 200; minor 50.
        let a = Anisotropy {
            range_major: 200.0,
            range_minor: 50.0,
            range_vertical: 50.0,
            azimuth: 45.0,
            dip: 0.0,
            rake: 0.0,
        };
        let s = Structure::new(Shape::Spherical, 1.0, a);
        let ne = [200.0 / 2f64.sqrt(), 200.0 / 2f64.sqrt(), 0.0];
        let nw = [-50.0 / 2f64.sqrt(), 50.0 / 2f64.sqrt(), 0.0];
        assert!((s.reduced(ne) - 1.0).abs() < 1e-12);
        assert!((s.reduced(nw) - 1.0).abs() < 1e-12);
        let north = Structure::new(Shape::Spherical, 1.0, Anisotropy { azimuth: 0.0, ..a });
        assert!((north.reduced([0.0, 200.0, 0.0]) - 1.0).abs() < 1e-12);
        assert!((north.reduced([50.0, 0.0, 0.0]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn fitting_recovers_a_known_model() {
        let truth = VariogramModel::isotropic(Shape::Spherical, 0.2, 1.0, 120.0);
        let bins: Vec<LagBin> = (1..=15)
            .map(|k| {
                let h = k as f64 * 12.0;
                LagBin {
                    distance: h,
                    gamma: truth.gamma([h, 0.0, 0.0]),
                    pairs: 100,
                }
            })
            .collect();
        let fit = fit(&bins, Shape::Spherical).unwrap();
        assert!((fit.model.nugget - 0.2).abs() < 1e-3, "{:?}", fit.model);
        assert!((fit.model.sill() - 1.2).abs() < 1e-3);
        assert!((fit.model.structures[0].anisotropy.range_major - 120.0).abs() < 0.5);
    }

    #[test]
    fn anisotropic_fit_recovers_axes_and_turns_the_azimuth_when_needed() {
        let bins = |range: f64| -> Vec<LagBin> {
            let m = VariogramModel::isotropic(Shape::Spherical, 0.1, 1.0, range);
            (1..=15)
                .map(|k| {
                    let h = k as f64 * 15.0;
                    LagBin {
                        distance: h,
                        gamma: m.gamma([h, 0.0, 0.0]),
                        pairs: 50,
                    }
                })
                .collect()
        };
        let fit = fit_anisotropic(&bins(200.0), &bins(80.0), Shape::Spherical, 30.0).unwrap();
        let a = fit.model.structures[0].anisotropy;
        assert!((a.range_major - 200.0).abs() < 1.0, "{a:?}");
        assert!((a.range_minor - 80.0).abs() < 1.0, "{a:?}");
        assert_eq!(a.azimuth, 30.0);
        assert!((fit.model.nugget - 0.1).abs() < 1e-3);
        let turned = fit_anisotropic(&bins(80.0), &bins(200.0), Shape::Spherical, 30.0).unwrap();
        let t = turned.model.structures[0].anisotropy;
        assert_eq!(t.azimuth, 120.0);
        assert!((t.range_major - 200.0).abs() < 1.0 && (t.range_minor - 80.0).abs() < 1.0);
    }

    #[test]
    fn experimental_variogram_of_a_linear_trend() {
        // z = x on a line: gamma(h) = h^2 / 2.
        let points: Vec<Point> = (0..50).map(|i| [i as f64, 0.0, 0.0]).collect();
        let values: Vec<f64> = (0..50).map(|i| i as f64).collect();
        let bins = experimental(&points, &values, 1.0, 5, None);
        for b in &bins {
            assert!((b.gamma - b.distance * b.distance / 2.0).abs() < 1e-9);
        }
        assert_eq!(bins[0].pairs, 49);
        // Perpendicular direction sees no pairs.
        let across = experimental(
            &points,
            &values,
            1.0,
            5,
            Some(Direction {
                azimuth: 0.0,
                dip: 0.0,
                tolerance: 22.5,
                bandwidth: 10.0,
            }),
        );
        assert!(across.is_empty());
    }
}
