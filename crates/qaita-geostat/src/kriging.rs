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
    /// The failed estimate when `found` samples fall short of the neighbourhood's minimum.
    fn too_few(found: usize, nb: &Neighbourhood) -> Option<Self> {
        let required = nb.min.max(1);
        (found < required).then(|| {
            Estimate::failed(
                Status::TooFewSamples(format!(
                    "{found} samples in the neighbourhood, {required} required"
                )),
                found,
            )
        })
    }

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
    /// The points in the search space (the points themselves without an ellipsoid).
    searched: Vec<Point>,
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
            searched,
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

    /// Neighbours of consecutive, nearby targets (a run of grid nodes): one k-d tree query
    /// fetches about twice the samples needed around the first target, and the following
    /// targets select theirs from those candidates as long as that is provably exact (the k-th
    /// distance stays inside what the candidates cover). The same samples as
    /// [`Self::neighbours`], in no particular order.
    pub fn neighbours_in_run(
        &self,
        target: &Point,
        nb: &Neighbourhood,
        candidates: &mut Option<Candidates>,
    ) -> Vec<(usize, f64)> {
        if nb.per_octant.is_some() {
            return self.neighbours(target, nb, None);
        }
        let t = match &self.search {
            Some(a) => a.to_isotropic(target),
            None => *target,
        };
        for refreshed in [false, true] {
            if refreshed || candidates.is_none() {
                let count = (2 * nb.max + 16).min(self.points.len());
                let Some(k) = std::num::NonZero::new(count) else {
                    return Vec::new();
                };
                let found = self
                    .kd
                    .query(&t)
                    .nearest_n::<kiddo::SquaredEuclidean<f64>>(k)
                    .execute();
                *candidates = Some(Candidates {
                    centre: t,
                    reach: found.iter().map(|r| r.distance).fold(0.0, f64::max).sqrt(),
                    complete: count == self.points.len(),
                    indices: found.iter().map(|r| r.item as usize).collect(),
                    scratch: Vec::with_capacity(count),
                });
            }
            let Some(c) = candidates.as_mut() else {
                break;
            };
            if let Some(found) = c.select(&t, &self.searched, nb) {
                return found;
            }
        }
        self.neighbours(target, nb, None)
    }

    /// k nearest from the k-d tree, with a few extra to settle ties by index; `None` when ties
    /// run past the extras (then the exact walk decides).
    fn nearest_kd(
        &self,
        target: &Point,
        nb: &Neighbourhood,
        exclude: Option<usize>,
    ) -> Option<Vec<(usize, f64)>> {
        // One more than asked: a tie between the k-th and (k+1)-th is handed to the exact walk.
        const EXTRA: usize = 1;
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
        found.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
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

/// Samples around an earlier target of a run, for [`Samples::neighbours_in_run`].
pub struct Candidates {
    centre: Point,
    indices: Vec<usize>,
    /// Distance from the centre to the farthest candidate: every other sample is at least
    /// this far from the centre.
    reach: f64,
    /// The candidates are all the samples.
    complete: bool,
    scratch: Vec<(f64, usize)>,
}

impl Candidates {
    /// The neighbours of `t` (search space) among the candidates, or `None` when they might
    /// miss a nearer sample or a tie at the k-th place needs the exact walk.
    fn select(
        &mut self,
        t: &Point,
        searched: &[Point],
        nb: &Neighbourhood,
    ) -> Option<Vec<(usize, f64)>> {
        let k = nb.max;
        let d2 = |p: &Point| (p[0] - t[0]).powi(2) + (p[1] - t[1]).powi(2) + (p[2] - t[2]).powi(2);
        self.scratch.clear();
        self.scratch
            .extend(self.indices.iter().map(|&i| (d2(&searched[i]), i)));
        let order = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        // Partition only: the k nearest in front (unordered), the (k+1)-th at index k.
        let next = if self.scratch.len() > k {
            self.scratch.select_nth_unstable_by(k, order);
            Some(self.scratch[k].0)
        } else {
            None
        };
        self.scratch.truncate(k);
        let kth = self
            .scratch
            .iter()
            .map(|s| s.0)
            .fold(f64::NEG_INFINITY, f64::max);
        if !self.complete {
            // Samples outside the candidates are at least reach - shift from t.
            let shift = d2(&self.centre).sqrt();
            if self.scratch.len() < k || kth.sqrt() >= self.reach - shift {
                return None;
            }
        }
        if next == Some(kth) {
            return None;
        }
        let r2 = nb.radius * nb.radius;
        Some(
            self.scratch
                .iter()
                .filter(|(d2, _)| *d2 <= r2)
                .map(|(d2, i)| (*i, d2.sqrt()))
                .collect(),
        )
    }
}

/// Average covariance between a point and the block points (or the point itself).
fn cov_to_target(model: &VariogramModel, p: &Point, target: &[Point]) -> f64 {
    target.iter().map(|t| model.covariance(p, t)).sum::<f64>() / target.len() as f64
}

/// The factorised left-hand side for one neighbour set. Consecutive targets (grid nodes) mostly
/// share their neighbours or differ by one or two samples, so the Cholesky factor is updated
/// (rows removed and appended, O(n^2) each) rather than rebuilt (O(n^3)).
struct Factorised {
    /// Sample indices in the factor's row order.
    members: Vec<usize>,
    cholesky: nalgebra::Cholesky<f64, nalgebra::Dyn>,
    /// L^-1 z and L^-1 1 (C = L L'): with y = L^-1 c0 every quantity of the system is a dot
    /// product, so each target costs one triangular solve.
    values_l: DVector<f64>,
    ones_l: DVector<f64>,
    /// Updates since the last full factorisation (rounding grows with them).
    updates: usize,
}

/// Solve L y = b in place for the lower-triangular factor L (column-major, as nalgebra keeps
/// it): the per-target hot loop, kept to contiguous column sweeps.
fn forward_substitute(l: &DMatrix<f64>, y: &mut [f64]) {
    let n = y.len();
    let data = l.as_slice();
    for j in 0..n {
        let column = &data[j * n..(j + 1) * n];
        let yj = y[j] / column[j];
        y[j] = yj;
        for (yi, lij) in y[j + 1..].iter_mut().zip(&column[j + 1..]) {
            *yi -= lij * yj;
        }
    }
}

/// Updates allowed before the factor is rebuilt from scratch, bounding accumulated rounding.
const MAX_UPDATES: usize = 64;

fn singular_pivots(cholesky: &nalgebra::Cholesky<f64, nalgebra::Dyn>, sill: f64) -> bool {
    let smallest = cholesky
        .l_dirty()
        .diagonal()
        .iter()
        .fold(f64::INFINITY, |m, v| m.min(v.abs()));
    // NaN (a negative pivot after an update) also counts as singular.
    smallest.is_nan() || smallest * smallest < 1e-10 * sill
}

impl Factorised {
    fn build(
        samples: &Samples,
        model: &VariogramModel,
        members: Vec<usize>,
    ) -> Result<Factorised, Status> {
        let n = members.len();
        let mut c = DMatrix::<f64>::zeros(n, n);
        for i in 0..n {
            for j in i..n {
                let v = model.covariance(&samples.points[members[i]], &samples.points[members[j]]);
                c[(i, j)] = v;
                c[(j, i)] = v;
            }
        }
        let cholesky = c.cholesky().ok_or_else(|| {
            Status::Singular(
                "covariance matrix not positive definite (duplicate sample locations?)".into(),
            )
        })?;
        // A tiny pivot means two samples carry (almost) the same information.
        if singular_pivots(&cholesky, model.sill()) {
            return Err(Status::Singular(
                "kriging system ill-conditioned (samples at or near the same location?)".into(),
            ));
        }
        let mut f = Factorised {
            members,
            cholesky,
            values_l: DVector::zeros(0),
            ones_l: DVector::zeros(0),
            updates: 0,
        };
        f.project(samples);
        Ok(f)
    }

    /// Recompute L^-1 z and L^-1 1 after the factor changed.
    fn project(&mut self, samples: &Samples) {
        let l = self.cholesky.l_dirty();
        let n = self.members.len();
        self.values_l = DVector::from_iterator(n, self.members.iter().map(|s| samples.values[*s]));
        self.ones_l = DVector::from_element(n, 1.0);
        forward_substitute(l, self.values_l.as_mut_slice());
        forward_substitute(l, self.ones_l.as_mut_slice());
    }

    /// Turn the factor into that of `near`'s samples by removing the members not in it and
    /// appending the new ones, keeping `rows` in step. `false` when a rebuild is due (too many
    /// changes or updates, or a pivot became too small: the rebuild then decides whether the
    /// system is singular).
    fn update(
        &mut self,
        samples: &Samples,
        model: &VariogramModel,
        near: &[(usize, f64)],
        rows: &mut RowIndex,
    ) -> bool {
        rows.seen.clear();
        rows.seen.resize(self.members.len(), false);
        let mut add = Vec::new();
        for (s, _) in near {
            match rows.row_of[*s] {
                0 => add.push(*s),
                r => rows.seen[r as usize - 1] = true,
            }
        }
        let drop: Vec<usize> = (0..self.members.len())
            .rev()
            .filter(|r| !rows.seen[*r])
            .collect();
        if drop.is_empty() && add.is_empty() {
            return true;
        }
        let changes = drop.len() + add.len();
        if self.updates + changes > MAX_UPDATES || changes > near.len() / 4 + 1 {
            return false;
        }
        // From the highest row down, so that lower rows stay valid.
        for row in drop {
            self.cholesky = self.cholesky.remove_column(row);
            rows.row_of[self.members.remove(row)] = 0;
            for m in &self.members[row..] {
                rows.row_of[*m] -= 1;
            }
        }
        for s in add {
            if self.members.is_empty() {
                return false;
            }
            let p = &samples.points[s];
            let column = DVector::from_iterator(
                self.members.len() + 1,
                self.members
                    .iter()
                    .map(|m| model.covariance(&samples.points[*m], p))
                    .chain(std::iter::once(model.sill())),
            );
            let row = self.members.len();
            self.cholesky = self.cholesky.insert_column(row, column);
            self.members.push(s);
            rows.row_of[s] = row as u32 + 1;
        }
        if singular_pivots(&self.cholesky, model.sill()) {
            return false;
        }
        self.updates += changes;
        self.project(samples);
        true
    }
}

/// Which row of the current factor holds each sample (0: none; else row + 1), one per worker
/// thread, so that comparing a neighbour set with the factor's members costs O(n).
struct RowIndex {
    row_of: Vec<u32>,
    seen: Vec<bool>,
}

impl RowIndex {
    fn new(samples: usize) -> Self {
        RowIndex {
            row_of: vec![0; samples],
            seen: Vec::new(),
        }
    }

    fn set(&mut self, members: &[usize]) {
        for (row, m) in members.iter().enumerate() {
            self.row_of[*m] = row as u32 + 1;
        }
    }

    fn clear(&mut self, members: &[usize]) {
        for m in members {
            self.row_of[*m] = 0;
        }
    }
}

/// Krige one target from its neighbours `near`; `cache` carries the factorisation between
/// targets, with `rows` (when given) locating samples in it.
#[allow(clippy::too_many_arguments)]
fn krige_cached(
    samples: &Samples,
    model: &VariogramModel,
    kind: KrigingKind,
    nb: &Neighbourhood,
    target: &Point,
    block: Option<&Block>,
    near: Vec<(usize, f64)>,
    cache: &mut Option<Factorised>,
    mut rows: Option<&mut RowIndex>,
) -> Estimate {
    let n = near.len();
    if let Some(failed) = Estimate::too_few(n, nb) {
        return failed;
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
    let updated = match (cache.as_mut(), rows.as_deref_mut()) {
        (Some(f), Some(r)) => f.update(samples, model, &near, r),
        _ => false,
    };
    if !updated {
        if let (Some(old), Some(r)) = (cache.take(), rows.as_deref_mut()) {
            r.clear(&old.members);
        }
        match Factorised::build(samples, model, near.iter().map(|(s, _)| *s).collect()) {
            Ok(f) => {
                if let Some(r) = rows.as_deref_mut() {
                    r.set(&f.members);
                }
                *cache = Some(f);
            }
            Err(status) => return Estimate::failed(status, n),
        }
    }
    let Some(f) = cache.as_ref() else {
        return Estimate::failed(Status::Singular("no factorisation".into()), n);
    };
    // The factor's row of each neighbour: `near`'s order after a rebuild.
    let row = |i: usize| match (&rows, updated) {
        (Some(r), true) => r.row_of[near[i].0] as usize - 1,
        _ => i,
    };
    // Right-hand side in the factor's order. For a point target, an isotropic model and a
    // round search, the covariance follows from the distances the search already measured.
    let by_distance = target_points.len() == 1 && samples.search.is_none() && model.is_isotropic();
    let c0 = if by_distance {
        let mut c0 = DVector::zeros(n);
        for (i, (_, d)) in near.iter().enumerate() {
            c0[row(i)] = model.covariance_at(*d);
        }
        c0
    } else {
        DVector::from_iterator(
            n,
            f.members
                .iter()
                .map(|s| cov_to_target(model, &samples.points[*s], &target_points)),
        )
    };
    // y = L^-1 c0; then w0 = C^-1 c0 gives w0'z = (L^-1 z)'y, 1'w0 = (L^-1 1)'y, w0'c0 = y'y.
    let mut y = c0;
    forward_substitute(f.cholesky.l_dirty(), y.as_mut_slice());
    let (wz, w1, wc) = (f.values_l.dot(&y), f.ones_l.dot(&y), y.dot(&y));
    let (value, variance, slope) = match kind {
        KrigingKind::Ordinary => {
            // Weights w = w0 + k C^-1 1 with k such that they sum to 1; mu = -k in the
            // covariance form of the system [C 1; 1' 0][w; mu] = [c0; 1].
            let ones_c_inv_ones = f.ones_l.dot(&f.ones_l);
            let k = (1.0 - w1) / ones_c_inv_ones;
            let value = wz + k * f.ones_l.dot(&f.values_l);
            let mu = -k;
            // w'c0 = w0'c0 + k 1'C^-1 c0.
            let variance = block_variance - (wc + k * w1) - mu;
            // Slope of regression (e.g. Krige 1996): (BV - KV + |mu|) / (BV - KV + 2|mu|).
            let slope = (block_variance - variance + mu.abs())
                / (block_variance - variance + 2.0 * mu.abs());
            (value, variance, slope)
        }
        KrigingKind::Simple { mean } => {
            let variance = block_variance - wc;
            (
                wz + (1.0 - w1) * mean,
                variance,
                if wc > 0.0 { 1.0 } else { f64::NAN },
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
    let near = samples.neighbours(target, nb, exclude);
    krige_cached(
        samples, model, kind, nb, target, block, near, &mut None, None,
    )
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
        .map_init(
            || RowIndex::new(samples.len()),
            |rows, chunk| {
                let (mut cache, mut candidates) = (None, None);
                let out: Vec<Estimate> = chunk
                    .iter()
                    .map(|t| {
                        let near = samples.neighbours_in_run(t, nb, &mut candidates);
                        krige_cached(
                            samples,
                            model,
                            kind,
                            nb,
                            t,
                            block,
                            near,
                            &mut cache,
                            Some(&mut *rows),
                        )
                    })
                    .collect();
                if let Some(f) = cache {
                    rows.clear(&f.members);
                }
                out
            },
        )
        .flat_map_iter(|chunk| chunk)
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
    if let Some(failed) = Estimate::too_few(near.len(), nb) {
        return failed;
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
