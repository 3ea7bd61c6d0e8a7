//! Estimators: ordinary and simple kriging (point or block), inverse distance weighting and
//! nearest neighbour, with a moving neighbourhood, plus leave-one-out cross-validation.
//!
//! Neighbourhood: the `max` nearest samples within `radius` (Euclidean, in metres), optionally
//! at most `per_octant` from each octant around the target; at least `min` are required.
//! With a search ellipsoid ([`Samples::with_search`]) distances are anisotropic: metres along
//! the ellipsoid's major axis after scaling the other axes to it.
//! **Tie-break:** samples at exactly the same distance are taken in ascending sample index, so
//! results never depend on tree layout or thread scheduling.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

use crate::variogram::{Point, VariogramModel};

/// Which kriging.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum KrigingKind {
    /// Unknown constant mean, weights sum to 1.
    Ordinary,
    /// Known mean.
    Simple { mean: f64 },
}

/// The search for samples around a target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Neighbourhood {
    pub min: usize,
    pub max: usize,
    pub radius: f64,
    /// At most this many samples per octant (None: no octant limit).
    pub per_octant: Option<usize>,
}

impl Neighbourhood {
    /// Every sample (global neighbourhood) for small data sets.
    pub fn global(n: usize) -> Self {
        Neighbourhood {
            min: 1,
            max: n,
            radius: f64::INFINITY,
            per_octant: None,
        }
    }
}

/// Why a target got no estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Status {
    Ok,
    TooFewSamples(String),
    Singular(String),
}

/// The estimate at one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    /// Kriging variance (NaN for IDW and nearest neighbour).
    pub variance: f64,
    /// Slope of regression of true on estimated value (kriging only).
    pub slope: f64,
    pub samples: usize,
    pub mean_distance: f64,
    /// Octants around the target (quadrants for 2-D data) holding at least one sample used.
    pub octants: usize,
    pub status: Status,
}

impl Estimate {
    fn failed(status: Status, samples: usize) -> Self {
        Estimate {
            value: f64::NAN,
            variance: f64::NAN,
            slope: f64::NAN,
            samples,
            mean_distance: f64::NAN,
            octants: 0,
            status,
        }
    }
}

/// Which estimator: kriging, inverse distance weighting or nearest neighbour.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    Kriging(KrigingKind),
    /// Weights 1 / d^power over the neighbourhood.
    Idw {
        power: f64,
    },
    /// The nearest sample within the search radius (polygonal estimate).
    Nearest,
}

/// The octant of `p` seen from `target` (bit 0: east, 1: north, 2: above).
fn octant(target: &Point, p: &Point) -> usize {
    usize::from(p[0] >= target[0])
        | usize::from(p[1] >= target[1]) << 1
        | usize::from(p[2] >= target[2]) << 2
}

/// How many octants around `target` hold at least one of `near`.
fn occupied_octants(samples: &Samples, target: &Point, near: &[(usize, f64)]) -> usize {
    let mask = near.iter().fold(0u8, |m, (s, _)| {
        m | 1 << octant(target, &samples.points[*s])
    });
    mask.count_ones() as usize
}

/// Block discretisation: the block is a box of `size` around the target, represented by a
/// regular grid of `nodes` points per axis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Block {
    pub size: [f64; 3],
    pub nodes: [usize; 3],
}

impl Block {
    fn points(&self, centre: &Point) -> Vec<Point> {
        let mut out = Vec::new();
        let offset = |axis: usize, i: usize| {
            let n = self.nodes[axis].max(1);
            self.size[axis] * ((i as f64 + 0.5) / n as f64 - 0.5)
        };
        for i in 0..self.nodes[0].max(1) {
            for j in 0..self.nodes[1].max(1) {
                for k in 0..self.nodes[2].max(1) {
                    out.push([
                        centre[0] + offset(0, i),
                        centre[1] + offset(1, j),
                        centre[2] + offset(2, k),
                    ]);
                }
            }
        }
        out
    }
}

/// Samples indexed for neighbourhood searches.
pub struct Samples {
    pub points: Vec<Point>,
    pub values: Vec<f64>,
    /// Search ellipsoid: the trees hold the points in its isotropic space.
    search: Option<crate::variogram::Anisotropy>,
    /// k-d tree for plain k-nearest queries (the common, fast path).
    kd: kiddo::ImmutableKdTree<f64, 3>,
    /// R-tree for incremental nearest-first walks (octant limits, long runs of ties).
    tree: RTree<GeomWithData<Point, usize>>,
}

impl Samples {
    /// Index samples. Locations and values must be finite (the caller reports bad rows).
    pub fn new(points: Vec<Point>, values: Vec<f64>) -> Result<Self, String> {
        Self::with_search(points, values, None)
    }

    /// Index samples for searches in an ellipsoid (`None`: a sphere). The neighbourhood's
    /// radius is then measured along the ellipsoid's major axis.
    pub fn with_search(
        points: Vec<Point>,
        values: Vec<f64>,
        search: Option<crate::variogram::Anisotropy>,
    ) -> Result<Self, String> {
        if points.len() != values.len() {
            return Err(format!(
                "{} locations but {} values",
                points.len(),
                values.len()
            ));
        }
        if let Some(i) = (0..points.len())
            .find(|&i| !points[i].iter().all(|c| c.is_finite()) || !values[i].is_finite())
        {
            return Err(format!("sample {i} has a non-finite coordinate or value"));
        }
        if let Some(a) = &search
            && ![a.range_major, a.range_minor, a.range_vertical]
                .iter()
                .all(|r| r.is_finite() && *r > 0.0)
        {
            return Err("search ellipsoid radii must be positive".into());
        }
        let searched: Vec<Point> = match &search {
            Some(a) => points.iter().map(|p| a.to_isotropic(p)).collect(),
            None => points.clone(),
        };
        let tree = RTree::bulk_load(
            searched
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(*p, i))
                .collect(),
        );
        let kd = kiddo::ImmutableKdTree::new_from_slice(&searched)
            .map_err(|e| format!("cannot index the samples: {e:?}"))?;
        Ok(Samples {
            points,
            values,
            search,
            kd,
            tree,
        })
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Neighbours of `target`: (sample index, distance), nearest first, ties by index.
    /// `exclude` leaves one sample out (cross-validation).
    pub fn neighbours(
        &self,
        target: &Point,
        nb: &Neighbourhood,
        exclude: Option<usize>,
    ) -> Vec<(usize, f64)> {
        let target = match &self.search {
            Some(a) => a.to_isotropic(target),
            None => *target,
        };
        if nb.per_octant.is_none()
            && let Some(found) = self.nearest_kd(&target, nb, exclude)
        {
            return found;
        }
        self.nearest_walk(&target, nb, exclude)
    }

    /// k nearest from the k-d tree, with a few extra to settle ties by index; `None` when ties
    /// run past the extras (then the exact walk decides).
    fn nearest_kd(
        &self,
        target: &Point,
        nb: &Neighbourhood,
        exclude: Option<usize>,
    ) -> Option<Vec<(usize, f64)>> {
        const EXTRA: usize = 8;
        let want = (nb.max + EXTRA + usize::from(exclude.is_some())).min(self.points.len());
        let count = std::num::NonZero::new(want)?;
        let query = self
            .kd
            .query(target)
            .nearest_n::<kiddo::SquaredEuclidean<f64>>(count);
        let results = if nb.radius.is_finite() {
            query.within(nb.radius * nb.radius).execute()
        } else {
            query.execute()
        };
        let mut found: Vec<(usize, f64)> = results
            .iter()
            .map(|r| (r.item as usize, r.distance))
            .filter(|(i, _)| Some(*i) != exclude)
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        if results.len() == want
            && found.len() > nb.max
            && found.last().map(|l| l.1) == found.get(nb.max.saturating_sub(1)).map(|l| l.1)
        {
            return None;
        }
        found.truncate(nb.max);
        Some(found.into_iter().map(|(i, d2)| (i, d2.sqrt())).collect())
    }

    /// Nearest-first walk on the R-tree (octant limits; ties beyond the k-d tree's extras).
    fn nearest_walk(
        &self,
        target: &Point,
        nb: &Neighbourhood,
        exclude: Option<usize>,
    ) -> Vec<(usize, f64)> {
        let r2 = nb.radius * nb.radius;
        let mut found: Vec<(usize, f64)> = Vec::with_capacity(nb.max + 4);
        let mut octants = [0usize; 8];
        let mut last = f64::NEG_INFINITY;
        for (entry, d2) in self.tree.nearest_neighbor_iter_with_distance_2(target) {
            if d2 > r2 {
                break;
            }
            // Keep collecting samples tied with the last one so the index tie-break is exact.
            if found.len() >= nb.max && d2 > last {
                break;
            }
            if Some(entry.data) == exclude {
                continue;
            }
            if let Some(limit) = nb.per_octant {
                let o = octant(target, entry.geom());
                if octants[o] >= limit {
                    continue;
                }
                octants[o] += 1;
            }
            last = d2;
            found.push((entry.data, d2.sqrt()));
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        found.truncate(nb.max);
        found
    }
}

/// Average covariance between a point and the block points (or the point itself).
fn cov_to_target(model: &VariogramModel, p: &Point, target: &[Point]) -> f64 {
    target.iter().map(|t| model.covariance(p, t)).sum::<f64>() / target.len() as f64
}

/// A factorised left-hand side for one neighbour set: consecutive targets (grid nodes) often
/// share their neighbours, and then only the right-hand side changes.
struct Factorised {
    neighbours: Vec<usize>,
    /// The covariance matrix itself, so that the next neighbour set reuses the entries of the
    /// samples it shares with this one.
    covariance: DMatrix<f64>,
    cholesky: nalgebra::Cholesky<f64, nalgebra::Dyn>,
    /// C^-1 1 and 1' C^-1 1, for the ordinary-kriging constraint.
    c_inv_ones: DVector<f64>,
    ones_c_inv_ones: f64,
}

fn factorise(
    samples: &Samples,
    model: &VariogramModel,
    near: &[(usize, f64)],
    previous: Option<&Factorised>,
) -> Result<Factorised, Status> {
    let n = near.len();
    let mut c = DMatrix::<f64>::zeros(n, n);
    // Where each neighbour sat in the previous set, if it was there.
    let old: Vec<Option<usize>> = near
        .iter()
        .map(|(s, _)| previous.and_then(|p| p.neighbours.iter().position(|o| o == s)))
        .collect();
    for (i, (si, _)) in near.iter().enumerate() {
        for (j, (sj, _)) in near.iter().enumerate().skip(i) {
            let v = match (previous, old[i], old[j]) {
                (Some(p), Some(a), Some(b)) => p.covariance[(a, b)],
                _ => model.covariance(&samples.points[*si], &samples.points[*sj]),
            };
            c[(i, j)] = v;
            c[(j, i)] = v;
        }
    }
    let sill = model.sill();
    let cholesky = c.clone().cholesky().ok_or_else(|| {
        Status::Singular(
            "covariance matrix not positive definite (duplicate sample locations?)".into(),
        )
    })?;
    // A tiny pivot means two samples carry (almost) the same information.
    let smallest = cholesky
        .l_dirty()
        .diagonal()
        .iter()
        .fold(f64::INFINITY, |m, v| m.min(v.abs()));
    if smallest * smallest < 1e-10 * sill {
        return Err(Status::Singular(
            "kriging system ill-conditioned (samples at or near the same location?)".into(),
        ));
    }
    let c_inv_ones = cholesky.solve(&DVector::from_element(n, 1.0));
    let ones_c_inv_ones = c_inv_ones.sum();
    Ok(Factorised {
        neighbours: near.iter().map(|(s, _)| *s).collect(),
        covariance: c,
        cholesky,
        c_inv_ones,
        ones_c_inv_ones,
    })
}

/// Krige one target from its neighbours; `cache` keeps the last factorisation.
#[allow(clippy::too_many_arguments)]
fn krige_cached(
    samples: &Samples,
    model: &VariogramModel,
    kind: KrigingKind,
    nb: &Neighbourhood,
    target: &Point,
    block: Option<&Block>,
    exclude: Option<usize>,
    cache: &mut Option<Factorised>,
) -> Estimate {
    let near = samples.neighbours(target, nb, exclude);
    let n = near.len();
    if n < nb.min.max(1) {
        return Estimate::failed(
            Status::TooFewSamples(format!(
                "{n} samples in the neighbourhood, {} required",
                nb.min.max(1)
            )),
            n,
        );
    }
    let target_points = block.map_or_else(|| vec![*target], |b| b.points(target));
    // Block variance: average covariance within the block (C(0) for a point).
    let block_variance = if target_points.len() == 1 {
        model.sill()
    } else {
        let m = target_points.len() as f64;
        target_points
            .iter()
            .map(|a| {
                target_points
                    .iter()
                    .map(|b| model.covariance(a, b))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / (m * m)
    };
    let same = cache.as_ref().is_some_and(|f| {
        f.neighbours.len() == n && f.neighbours.iter().zip(&near).all(|(a, (b, _))| a == b)
    });
    if !same {
        match factorise(samples, model, &near, cache.as_ref()) {
            Ok(f) => *cache = Some(f),
            Err(status) => {
                *cache = None;
                return Estimate::failed(status, n);
            }
        }
    }
    let Some(f) = cache.as_ref() else {
        return Estimate::failed(Status::Singular("no factorisation".into()), n);
    };
    let c0 = DVector::from_iterator(
        n,
        near.iter()
            .map(|(s, _)| cov_to_target(model, &samples.points[*s], &target_points)),
    );
    let w0 = f.cholesky.solve(&c0);
    let weighted = |w: &DVector<f64>| {
        near.iter()
            .zip(w.iter())
            .map(|((s, _), w)| w * samples.values[*s])
            .sum::<f64>()
    };
    let (value, variance, slope) = match kind {
        KrigingKind::Ordinary => {
            // Weights w = w0 + k C^-1 1 with k such that they sum to 1; mu = -k in the
            // covariance form of the system [C 1; 1' 0][w; mu] = [c0; 1].
            let k = (1.0 - w0.sum()) / f.ones_c_inv_ones;
            let w = &w0 + &f.c_inv_ones * k;
            let mu = -k;
            let variance = block_variance - w.dot(&c0) - mu;
            // Slope of regression (e.g. Krige 1996): (BV - KV + |mu|) / (BV - KV + 2|mu|).
            let slope = (block_variance - variance + mu.abs())
                / (block_variance - variance + 2.0 * mu.abs());
            (weighted(&w), variance, slope)
        }
        KrigingKind::Simple { mean } => {
            let variance = block_variance - w0.dot(&c0);
            (
                weighted(&w0) + (1.0 - w0.sum()) * mean,
                variance,
                if w0.dot(&c0) > 0.0 { 1.0 } else { f64::NAN },
            )
        }
    };
    Estimate {
        value,
        variance: variance.max(0.0),
        slope,
        samples: n,
        mean_distance: near.iter().map(|(_, d)| d).sum::<f64>() / n as f64,
        octants: occupied_octants(samples, target, &near),
        status: Status::Ok,
    }
}

/// Krige one target from its neighbours (`exclude` leaves one sample out).
pub fn krige_one(
    samples: &Samples,
    model: &VariogramModel,
    kind: KrigingKind,
    nb: &Neighbourhood,
    target: &Point,
    block: Option<&Block>,
    exclude: Option<usize>,
) -> Estimate {
    krige_cached(samples, model, kind, nb, target, block, exclude, &mut None)
}

/// Krige every target, in parallel; results in target order. Targets are taken in runs of
/// consecutive ones (give grid nodes in grid order) so that a run sharing its neighbours
/// reuses one factorisation.
pub fn krige(
    samples: &Samples,
    model: &VariogramModel,
    kind: KrigingKind,
    nb: &Neighbourhood,
    targets: &[Point],
    block: Option<&Block>,
) -> Vec<Estimate> {
    targets
        .par_chunks(256)
        .flat_map_iter(|chunk| {
            let mut cache = None;
            chunk
                .iter()
                .map(move |t| krige_cached(samples, model, kind, nb, t, block, None, &mut cache))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Inverse distance weighting with `power` at one target (`exclude` leaves one sample out); a
/// sample at the target gives its value exactly.
fn idw_one(
    samples: &Samples,
    nb: &Neighbourhood,
    target: &Point,
    power: f64,
    exclude: Option<usize>,
) -> Estimate {
    let near = samples.neighbours(target, nb, exclude);
    if near.len() < nb.min.max(1) {
        return Estimate::failed(
            Status::TooFewSamples(format!(
                "{} samples in the neighbourhood, {} required",
                near.len(),
                nb.min.max(1)
            )),
            near.len(),
        );
    }
    let value = match near.iter().find(|(_, d)| *d == 0.0) {
        Some((s, _)) => samples.values[*s],
        None => {
            let w: Vec<f64> = near.iter().map(|(_, d)| d.powf(-power)).collect();
            near.iter()
                .zip(&w)
                .map(|((s, _), w)| w * samples.values[*s])
                .sum::<f64>()
                / w.iter().sum::<f64>()
        }
    };
    Estimate {
        value,
        variance: f64::NAN,
        slope: f64::NAN,
        samples: near.len(),
        mean_distance: near.iter().map(|(_, d)| d).sum::<f64>() / near.len() as f64,
        octants: occupied_octants(samples, target, &near),
        status: Status::Ok,
    }
}

/// The nearest-neighbour search: one sample within the radius.
fn nearest_only(nb: &Neighbourhood) -> Neighbourhood {
    Neighbourhood {
        min: 1,
        max: 1,
        radius: nb.radius,
        per_octant: None,
    }
}

/// Inverse distance weighting with `power`; a sample at the target gives its value exactly.
pub fn idw(samples: &Samples, nb: &Neighbourhood, targets: &[Point], power: f64) -> Vec<Estimate> {
    targets
        .par_iter()
        .map(|t| idw_one(samples, nb, t, power, None))
        .collect()
}

/// Nearest-neighbour (polygonal) estimate; ties by sample index.
pub fn nearest(samples: &Samples, radius: f64, targets: &[Point]) -> Vec<Estimate> {
    let nb = Neighbourhood {
        min: 1,
        max: 1,
        radius,
        per_octant: None,
    };
    idw(samples, &nb, targets, 1.0)
}

/// Estimate every target with `estimator`, in parallel, results in target order. IDW and
/// nearest neighbour estimate at the target point (block discretisation is for kriging).
pub fn estimate(
    samples: &Samples,
    model: &VariogramModel,
    estimator: Estimator,
    nb: &Neighbourhood,
    targets: &[Point],
    block: Option<&Block>,
) -> Vec<Estimate> {
    match estimator {
        Estimator::Kriging(kind) => krige(samples, model, kind, nb, targets, block),
        Estimator::Idw { power } => idw(samples, nb, targets, power),
        Estimator::Nearest => idw(samples, &nearest_only(nb), targets, 1.0),
    }
}

/// Leave-one-out cross-validation statistics.
#[derive(Debug, Clone, Serialize)]
pub struct CrossValidation {
    pub estimated: usize,
    pub failed: usize,
    pub mean_error: f64,
    pub rmse: f64,
    /// Mean of (error^2 / kriging variance); close to 1 when the variance is right.
    pub mean_standardised_squared_error: f64,
}

/// Re-estimate every sample from the others by kriging.
pub fn cross_validate(
    samples: &Samples,
    model: &VariogramModel,
    kind: KrigingKind,
    nb: &Neighbourhood,
) -> CrossValidation {
    cross_validate_with(samples, model, Estimator::Kriging(kind), nb)
}

/// Re-estimate every sample from the others with any estimator (the standardised error needs a
/// kriging variance, so it is NaN for IDW and nearest neighbour).
pub fn cross_validate_with(
    samples: &Samples,
    model: &VariogramModel,
    estimator: Estimator,
    nb: &Neighbourhood,
) -> CrossValidation {
    let results: Vec<(f64, f64)> = (0..samples.len())
        .into_par_iter()
        .filter_map(|i| {
            let target = &samples.points[i];
            let e = match estimator {
                Estimator::Kriging(kind) => {
                    krige_one(samples, model, kind, nb, target, None, Some(i))
                }
                Estimator::Idw { power } => idw_one(samples, nb, target, power, Some(i)),
                Estimator::Nearest => idw_one(samples, &nearest_only(nb), target, 1.0, Some(i)),
            };
            (e.status == Status::Ok).then(|| (e.value - samples.values[i], e.variance))
        })
        .collect();
    let n = results.len().max(1) as f64;
    let standardised = if matches!(estimator, Estimator::Kriging(_)) {
        results
            .iter()
            .filter(|(_, v)| *v > 0.0)
            .map(|(e, v)| e * e / v)
            .sum::<f64>()
            / n
    } else {
        f64::NAN
    };
    CrossValidation {
        estimated: results.len(),
        failed: samples.len() - results.len(),
        mean_error: results.iter().map(|(e, _)| e).sum::<f64>() / n,
        rmse: (results.iter().map(|(e, _)| e * e).sum::<f64>() / n).sqrt(),
        mean_standardised_squared_error: standardised,
    }
}
