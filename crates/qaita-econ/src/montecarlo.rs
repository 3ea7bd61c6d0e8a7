//! Monte Carlo valuation: correlated metal-price paths (geometric Brownian motion without drift
//! in real terms, correlated through a Cholesky factor), grade uncertainty, triangular recovery
//! and PERT cost uncertainty. Seeded and reproducible whatever the thread count; NPVs are
//! computed path by path (no TMF x path x year array).

use nalgebra::DMatrix;
use qaita_model::Commodity;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Beta, Distribution, StandardNormal, Triangular};
use rayon::prelude::*;
use serde::Serialize;

use crate::valuation::Model;

/// Uncertainty settings.
#[derive(Debug, Clone, Serialize)]
pub struct McConfig {
    pub paths: usize,
    pub seed: u64,
    /// Recovery varies triangularly within ± this share of its value.
    pub recovery_spread: f64,
    /// Opex and capex multipliers: PERT (min, mode, max).
    pub opex_pert: (f64, f64, f64),
    pub capex_pert: (f64, f64, f64),
    /// Multiplier on every price volatility (0 switches price uncertainty off).
    pub volatility_scale: f64,
    /// Multiplier on the project's grade relative SD (0 switches grade uncertainty off).
    pub grade_sd_scale: f64,
}

impl Default for McConfig {
    fn default() -> Self {
        McConfig {
            paths: 10_000,
            seed: 1,
            recovery_spread: 0.1,
            opex_pert: (0.9, 1.0, 1.3),
            capex_pert: (0.9, 1.0, 1.4),
            volatility_scale: 1.0,
            grade_sd_scale: 1.0,
        }
    }
}

impl McConfig {
    /// No uncertainty at all: every path equals the deterministic valuation.
    pub fn deterministic(paths: usize) -> Self {
        McConfig {
            paths,
            seed: 1,
            recovery_spread: 0.0,
            opex_pert: (1.0, 1.0, 1.0),
            capex_pert: (1.0, 1.0, 1.0),
            volatility_scale: 0.0,
            grade_sd_scale: 0.0,
        }
    }
}

/// Distribution of NPV over the paths.
#[derive(Debug, Clone, Serialize)]
pub struct McResult {
    pub paths: usize,
    pub seed: u64,
    pub mean_usd: f64,
    pub p10_usd: f64,
    pub p50_usd: f64,
    pub p90_usd: f64,
    pub probability_positive: f64,
    /// 30 equal-width bins: (lower edge, count).
    pub histogram: Vec<(f64, usize)>,
}

/// Correlation of log-price shocks: 0.8 within precious metals, 0.6 within base metals,
/// 0.3 otherwise (illustrative, from the co-movement of LME/LBMA prices).
pub fn default_correlation(a: &Commodity, b: &Commodity) -> f64 {
    if a == b {
        return 1.0;
    }
    let group = |c: &Commodity| match c.code() {
        "Au" | "Ag" | "Pt" | "Pd" => 1,
        "Cu" | "Zn" | "Pb" | "Ni" => 2,
        _ => 3,
    };
    match (group(a), group(b)) {
        (1, 1) => 0.8,
        (2, 2) => 0.6,
        _ => 0.3,
    }
}

/// Draw from PERT(min, mode, max) via Beta(α, β) with the usual λ = 4.
fn pert(rng: &mut StdRng, (min, mode, max): (f64, f64, f64)) -> f64 {
    if max <= min {
        return mode;
    }
    let alpha = 1.0 + 4.0 * (mode - min) / (max - min);
    let beta = 1.0 + 4.0 * (max - mode) / (max - min);
    min + Beta::new(alpha, beta).map_or(0.5, |d| d.sample(rng)) * (max - min)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = p * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + frac * (next - sorted[i])
}

/// Run the simulation for one model.
pub fn simulate(model: &Model<'_>, config: &McConfig) -> McResult {
    let base = model.base_drivers();
    let commodities: Vec<&Commodity> = model.project.grades.iter().map(|(c, _)| c).collect();
    let n = commodities.len();
    let correlation = DMatrix::from_fn(n, n, |i, j| {
        default_correlation(commodities[i], commodities[j])
    });
    let cholesky = correlation
        .cholesky()
        .map(|c| c.l())
        .unwrap_or_else(|| DMatrix::identity(n, n));
    let vols: Vec<f64> = commodities
        .iter()
        .map(|c| model.deck.prices.get(*c).map_or(0.0, |p| p.volatility) * config.volatility_scale)
        .collect();
    let grade_sd = model.project.grade_relative_sd * config.grade_sd_scale;
    // Lognormal grade factor with mean 1 and the given relative SD.
    let grade_sigma = (1.0 + grade_sd * grade_sd).ln().sqrt();
    let years = base.prices_usd_t.first().map_or(0, Vec::len);
    const CHUNK: usize = 256;
    let chunks = config.paths.div_ceil(CHUNK);
    let mut npvs: Vec<f64> = (0..chunks)
        .into_par_iter()
        .flat_map_iter(|chunk| {
            // One generator per chunk of paths: the same numbers whatever the thread count.
            let mut rng = StdRng::seed_from_u64(
                config
                    .seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(chunk as u64),
            );
            let mut drivers = base.clone();
            let mut shocks = vec![0.0; n];
            let mut z = vec![0.0; n];
            let mut log_level = vec![0.0; n];
            let count = CHUNK.min(config.paths - chunk * CHUNK);
            (0..count)
                .map(|_| {
                    log_level.iter_mut().for_each(|l| *l = 0.0);
                    for y in 0..years {
                        z.iter_mut()
                            .for_each(|v| *v = StandardNormal.sample(&mut rng));
                        for (i, shock) in shocks.iter_mut().enumerate() {
                            *shock = (0..=i).map(|j| cholesky[(i, j)] * z[j]).sum();
                        }
                        for i in 0..n {
                            let s = vols[i];
                            log_level[i] += -0.5 * s * s + s * shocks[i];
                            drivers.prices_usd_t[i][y] =
                                base.prices_usd_t[i][y] * log_level[i].exp();
                        }
                    }
                    let g: f64 = StandardNormal.sample(&mut rng);
                    drivers.grade = (grade_sigma * g - 0.5 * grade_sigma * grade_sigma).exp();
                    drivers.recovery = if config.recovery_spread > 0.0 {
                        Triangular::new(
                            1.0 - config.recovery_spread,
                            1.0 + config.recovery_spread,
                            1.0,
                        )
                        .map_or(1.0, |t| t.sample(&mut rng))
                    } else {
                        1.0
                    };
                    drivers.opex = pert(&mut rng, config.opex_pert);
                    drivers.capex = pert(&mut rng, config.capex_pert);
                    model.npv(&drivers)
                })
                .collect::<Vec<f64>>()
        })
        .collect();
    npvs.sort_by(f64::total_cmp);
    let mean_usd = npvs.iter().sum::<f64>() / npvs.len().max(1) as f64;
    let (lo, hi) = (
        npvs.first().copied().unwrap_or(0.0),
        npvs.last().copied().unwrap_or(0.0),
    );
    let bins = 30;
    let width = ((hi - lo) / bins as f64).max(f64::MIN_POSITIVE);
    let mut histogram: Vec<(f64, usize)> = (0..bins).map(|b| (lo + b as f64 * width, 0)).collect();
    for v in &npvs {
        let b = (((v - lo) / width) as usize).min(bins - 1);
        histogram[b].1 += 1;
    }
    McResult {
        paths: npvs.len(),
        seed: config.seed,
        mean_usd,
        p10_usd: percentile(&npvs, 0.1),
        p50_usd: percentile(&npvs, 0.5),
        p90_usd: percentile(&npvs, 0.9),
        probability_positive: npvs.iter().filter(|v| **v > 0.0).count() as f64
            / npvs.len().max(1) as f64,
        histogram,
    }
}
