//! Monte Carlo valuation: correlated metal-price paths (geometric Brownian motion without drift
//! in real terms, correlated through a Cholesky factor), lognormal grade uncertainty, and
//! triangular recovery and cost uncertainty.
//!
//! Price paths are national: one set is generated for all commodities and shared by every TMF
//! (a price is the same for every project in a given future). Each TMF then streams through the
//! paths computing one NPV per path; only its NPVs (one number per path) are kept, never a
//! TMF x path x year array. Seeded and reproducible whatever the thread count.

use nalgebra::DMatrix;
use qaita_model::Commodity;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

use crate::data::{PriceDeck, Scenario};
use crate::valuation::{BatchFactors, BatchScratch, Model};

/// Uncertainty settings.
#[derive(Debug, Clone, Serialize)]
pub struct McConfig {
    pub paths: usize,
    pub seed: u64,
    /// Recovery varies triangularly within ± this share of its value.
    pub recovery_spread: f64,
    /// Opex and capex multipliers: triangular (min, mode, max); overruns are likelier than savings.
    pub opex_triangle: (f64, f64, f64),
    pub capex_triangle: (f64, f64, f64),
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
            opex_triangle: (0.9, 1.0, 1.3),
            capex_triangle: (0.9, 1.0, 1.4),
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
            opex_triangle: (1.0, 1.0, 1.0),
            capex_triangle: (1.0, 1.0, 1.0),
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

/// Draw from a triangular distribution (min, mode, max) by inverting its CDF.
fn triangular(rng: &mut SmallRng, (min, mode, max): (f64, f64, f64)) -> f64 {
    if max <= min {
        return mode;
    }
    let u: f64 = rng.random();
    let cut = (mode - min) / (max - min);
    if u < cut {
        min + (u * (max - min) * (mode - min)).sqrt()
    } else {
        max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
    }
}

/// Price levels (USD/t) for every path, year and commodity, correlated across commodities.
pub struct PricePaths {
    pub commodities: Vec<Commodity>,
    pub paths: usize,
    pub years: usize,
    /// Index: (commodity * years + year) * paths + path, so that one commodity-year is a
    /// contiguous run over paths.
    levels: Vec<f64>,
}

impl PricePaths {
    /// Generate paths for `commodities` from the deck's `scenario` prices and volatilities.
    pub fn generate(
        deck: &PriceDeck,
        scenario: Scenario,
        commodities: &[Commodity],
        paths: usize,
        years: usize,
        seed: u64,
        volatility_scale: f64,
    ) -> Self {
        let n = commodities.len();
        let correlation = DMatrix::from_fn(n, n, |i, j| {
            default_correlation(&commodities[i], &commodities[j])
        });
        let l = correlation
            .cholesky()
            .map(|c| c.l())
            .unwrap_or_else(|| DMatrix::identity(n, n));
        let start: Vec<f64> = commodities
            .iter()
            .map(|c| deck.prices.get(c).map_or(0.0, |p| p.usd_per_t(scenario)))
            .collect();
        let vols: Vec<f64> = commodities
            .iter()
            .map(|c| deck.prices.get(c).map_or(0.0, |p| p.volatility) * volatility_scale)
            .collect();
        let mut levels = vec![0.0; n * years * paths];
        // Paths are generated in blocks, each with its own generator: the same numbers whatever
        // the thread count. A block writes its own path columns of the commodity-year rows.
        const BLOCK: usize = 256;
        let blocks: Vec<Vec<f64>> = (0..paths.div_ceil(BLOCK))
            .into_par_iter()
            .map(|block| {
                let mut rng = SmallRng::seed_from_u64(
                    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        ^ (block as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
                );
                let count = BLOCK.min(paths - block * BLOCK);
                let mut out = vec![0.0; n * years * count];
                let mut z = vec![0.0; n];
                let mut log_level = vec![0.0; n];
                for path in 0..count {
                    log_level.iter_mut().for_each(|v| *v = 0.0);
                    for year in 0..years {
                        z.iter_mut()
                            .for_each(|v| *v = StandardNormal.sample(&mut rng));
                        for i in 0..n {
                            let shock: f64 = (0..=i).map(|j| l[(i, j)] * z[j]).sum();
                            log_level[i] += vols[i] * shock - 0.5 * vols[i] * vols[i];
                            out[(i * years + year) * count + path] = start[i] * log_level[i].exp();
                        }
                    }
                }
                out
            })
            .collect();
        for (block, values) in blocks.iter().enumerate() {
            let count = BLOCK.min(paths - block * BLOCK);
            for row in 0..n * years {
                levels[row * paths + block * BLOCK..row * paths + block * BLOCK + count]
                    .copy_from_slice(&values[row * count..(row + 1) * count]);
            }
        }
        PricePaths {
            commodities: commodities.to_vec(),
            paths,
            years,
            levels,
        }
    }

    #[inline]
    pub fn price(&self, path: usize, year: usize, commodity: usize) -> f64 {
        self.levels[(commodity * self.years + year) * self.paths + path]
    }

    /// Prices of one commodity in one year for paths `from..from + count`.
    #[inline]
    pub fn row(&self, commodity: usize, year: usize, from: usize, count: usize) -> &[f64] {
        let start =
            (commodity * self.years + year.min(self.years.saturating_sub(1))) * self.paths + from;
        &self.levels[start..start + count]
    }
}

fn summarize(mut npvs: Vec<f64>, seed: u64) -> McResult {
    // Selection instead of a full sort: three percentiles in linear time.
    let mut percentile = |p: f64| -> f64 {
        if npvs.is_empty() {
            return f64::NAN;
        }
        let pos = p * (npvs.len() - 1) as f64;
        let i = pos.floor() as usize;
        let (_, below, right) = npvs.select_nth_unstable_by(i, f64::total_cmp);
        let below = *below;
        let above = right.iter().copied().fold(f64::INFINITY, f64::min);
        if pos.fract() > 0.0 {
            below + pos.fract() * (above - below)
        } else {
            below
        }
    };
    let (p10_usd, p50_usd, p90_usd) = (percentile(0.1), percentile(0.5), percentile(0.9));
    let count = npvs.len().max(1) as f64;
    let lo = npvs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = npvs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if npvs.is_empty() {
        (0.0, 0.0)
    } else {
        (lo, hi)
    };
    let bins = 30;
    let width = ((hi - lo) / bins as f64).max(f64::MIN_POSITIVE);
    let mut histogram: Vec<(f64, usize)> = (0..bins).map(|b| (lo + b as f64 * width, 0)).collect();
    for v in &npvs {
        histogram[(((v - lo) / width) as usize).min(bins - 1)].1 += 1;
    }
    McResult {
        paths: npvs.len(),
        seed,
        mean_usd: npvs.iter().sum::<f64>() / count,
        p10_usd,
        p50_usd,
        p90_usd,
        probability_positive: npvs.iter().filter(|v| **v > 0.0).count() as f64 / count,
        histogram,
    }
}

/// Simulate one TMF over shared price paths; `stream` separates the project draws of
/// different TMFs (their index in a national run).
pub fn simulate_on(
    model: &Model<'_>,
    prices: &PricePaths,
    config: &McConfig,
    stream: u64,
) -> McResult {
    let index: Vec<Option<usize>> = model
        .project
        .grades
        .iter()
        .map(|(c, _)| prices.commodities.iter().position(|p| p == c))
        .collect();
    let grade_sd = model.project.grade_relative_sd * config.grade_sd_scale;
    // Lognormal grade factor with mean 1 and the given relative SD.
    let grade_sigma = (1.0 + grade_sd * grade_sd).ln().sqrt();
    let spread = config.recovery_spread;
    let mut rng = SmallRng::seed_from_u64(
        config.seed ^ stream.wrapping_add(1).wrapping_mul(0xA076_1D64_78BD_642F),
    );
    let paths = prices.paths;
    let (mut grade, mut recovery, mut opex, mut capex) = (
        vec![0.0; paths],
        vec![0.0; paths],
        vec![0.0; paths],
        vec![0.0; paths],
    );
    for p in 0..paths {
        let g: f64 = StandardNormal.sample(&mut rng);
        grade[p] = (grade_sigma * g - 0.5 * grade_sigma * grade_sigma).exp();
        recovery[p] = triangular(&mut rng, (1.0 - spread, 1.0, 1.0 + spread));
        opex[p] = triangular(&mut rng, config.opex_triangle);
        capex[p] = triangular(&mut rng, config.capex_triangle);
    }
    let zeros = vec![0.0; CHUNK];
    let mut npvs = vec![0.0; paths];
    let mut scratch = BatchScratch::default();
    // Chunks of paths keep the working arrays in cache.
    const CHUNK: usize = 1024;
    for (c, out) in npvs.chunks_mut(CHUNK).enumerate() {
        let (from, count) = (c * CHUNK, out.len());
        let factors = BatchFactors {
            grade: &grade[from..from + count],
            recovery: &recovery[from..from + count],
            opex: &opex[from..from + count],
            capex: &capex[from..from + count],
        };
        let price = |k: usize, year: usize| -> &[f64] {
            match index[k] {
                Some(commodity) => prices.row(commodity, year, from, count),
                None => &zeros[..count],
            }
        };
        model.run_batch(price, &factors, out, &mut scratch);
    }
    summarize(npvs, config.seed)
}

/// Simulate one TMF on its own price paths.
pub fn simulate(model: &Model<'_>, config: &McConfig) -> McResult {
    let commodities: Vec<Commodity> = model
        .project
        .grades
        .iter()
        .map(|(c, _)| c.clone())
        .collect();
    let prices = PricePaths::generate(
        model.deck,
        model.assumptions.scenario,
        &commodities,
        config.paths,
        model.operating_years().max(1),
        config.seed,
        config.volatility_scale,
    );
    simulate_on(model, &prices, config, 0)
}

/// National simulation: one set of price paths for every commodity of every model, then each
/// TMF in parallel. Results in the order of `models`.
pub fn simulate_national(models: &[Model<'_>], config: &McConfig) -> Vec<McResult> {
    let Some(first) = models.first() else {
        return Vec::new();
    };
    let mut commodities: Vec<Commodity> = models
        .iter()
        .flat_map(|m| m.project.grades.iter().map(|(c, _)| c.clone()))
        .collect();
    commodities.sort();
    commodities.dedup();
    let years = models
        .iter()
        .map(Model::operating_years)
        .max()
        .unwrap_or(1)
        .max(1);
    let prices = PricePaths::generate(
        first.deck,
        first.assumptions.scenario,
        &commodities,
        config.paths,
        years,
        config.seed,
        config.volatility_scale,
    );
    models
        .par_iter()
        .enumerate()
        .map(|(i, m)| simulate_on(m, &prices, config, i as u64))
        .collect()
}
