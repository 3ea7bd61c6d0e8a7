//! Parameter calibration in the style of airGR's `Calibration_Michel` (Michel 1991): screen a
//! grid of starting points, then a steepest-descent local search in a transformed space where
//! every parameter lives in [-9.99, 9.99], testing each parameter up and down with an adaptive
//! pace and accelerating along the last move's direction. The objective is maximised.

use serde::Serialize;

use crate::gr4j::{Gr4j, Params, State};
use crate::metrics;

/// Bounds of the transformed space.
pub const T_MAX: f64 = 9.99;

/// GR4J parameters from the transformed space (airGR `TransfoParam_GR4J`).
pub fn gr4j_from_t(t: &[f64]) -> Params {
    Params::new(
        t[0].exp(),
        t[1].sinh(),
        t[2].exp(),
        20.0 + 19.5 * (t[3] - 9.99) / 19.98,
    )
}

/// The inverse of [`gr4j_from_t`].
pub fn gr4j_to_t(p: &Params) -> [f64; 4] {
    [
        p.x1.ln(),
        p.x2.asinh(),
        p.x3.ln(),
        9.99 + 19.98 * (p.x4 - 20.0) / 19.5,
    ]
}

/// airGR's starting grid for GR4J (3 values a parameter: 81 starts).
pub const GR4J_GRID: [[f64; 3]; 4] = [
    [169.017, 247.151, 432.681],
    [-2.376, -0.649, -0.024],
    [20.697, 42.098, 83.096],
    [1.417, 1.938, 2.384],
];

/// The outcome of a calibration.
#[derive(Debug, Clone, Serialize)]
pub struct Calibrated {
    /// Best point in the transformed space.
    pub t: Vec<f64>,
    /// Its objective value.
    pub score: f64,
    /// Objective evaluations used (grid included).
    pub runs: usize,
}

fn clamp(t: &mut [f64]) {
    for v in t {
        *v = v.clamp(-T_MAX, T_MAX);
    }
}

/// Maximise `objective` over the transformed space from the best of `grid` (each row one
/// parameter's starting values, already transformed). A NaN objective counts as the worst.
pub fn michel(grid: &[Vec<f64>], objective: impl Fn(&[f64]) -> f64) -> Calibrated {
    let n = grid.len();
    let score = |t: &[f64]| {
        let v = objective(t);
        if v.is_nan() { f64::NEG_INFINITY } else { v }
    };
    let mut runs = 0;
    // Screening: every combination of the grid.
    let combinations: usize = grid.iter().map(Vec::len).product();
    let mut best = vec![0.0; n];
    let mut best_score = f64::NEG_INFINITY;
    for c in 0..combinations {
        let mut index = c;
        let t: Vec<f64> = grid
            .iter()
            .map(|values| {
                let v = values[index % values.len()];
                index /= values.len();
                v
            })
            .collect();
        let s = score(&t);
        runs += 1;
        if s > best_score {
            best_score = s;
            best = t;
        }
    }
    // Local search: the best of the 2n neighbours at the current pace; halve the pace when none
    // improves; after a move, try going on in the same direction (doubling while it helps).
    let mut pace = 0.64;
    let mut previous = best.clone();
    while pace >= 0.01 {
        let mut step_best: Option<(Vec<f64>, f64)> = None;
        for i in 0..n {
            for sign in [1.0, -1.0] {
                let mut t = best.clone();
                t[i] += sign * pace;
                clamp(&mut t);
                if t[i] == best[i] {
                    continue;
                }
                let s = score(&t);
                runs += 1;
                if s > best_score && step_best.as_ref().is_none_or(|(_, b)| s > *b) {
                    step_best = Some((t, s));
                }
            }
        }
        match step_best {
            None => pace /= 2.0,
            Some((t, s)) => {
                previous.clone_from(&best);
                best = t;
                best_score = s;
                // Extrapolate along the move while it keeps improving.
                let direction: Vec<f64> = best.iter().zip(&previous).map(|(a, b)| a - b).collect();
                let mut factor = 1.0;
                loop {
                    let mut t: Vec<f64> = best
                        .iter()
                        .zip(&direction)
                        .map(|(a, d)| a + factor * d)
                        .collect();
                    clamp(&mut t);
                    if t == best {
                        break;
                    }
                    let s = score(&t);
                    runs += 1;
                    if s > best_score {
                        best = t;
                        best_score = s;
                        factor *= 2.0;
                    } else {
                        break;
                    }
                }
            }
        }
    }
    Calibrated {
        t: best,
        score: best_score,
        runs,
    }
}

/// What to fit GR4J to: forcing, observations, and the days the criterion reads.
#[derive(Debug, Clone, Copy)]
pub struct Fit<'a> {
    pub precip: &'a [f64],
    pub pet: &'a [f64],
    pub observed: &'a [f64],
    /// Days before `from` are warm-up: run, not scored.
    pub from: usize,
    /// Scored days end here (exclusive).
    pub to: usize,
}

/// Which criterion to maximise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    Nse,
    Kge,
    KgePrime,
}

impl Criterion {
    pub fn score(self, sim: &[f64], obs: &[f64]) -> f64 {
        match self {
            Criterion::Nse => metrics::nse(sim, obs),
            Criterion::Kge => metrics::kge(sim, obs).value,
            Criterion::KgePrime => metrics::kge_prime(sim, obs).value,
        }
    }
}

/// GR4J's flows over `fit` with `params`, from airGR's initial state.
pub fn simulate(params: Params, fit: &Fit<'_>) -> Vec<f64> {
    let model = Gr4j::new(params);
    let mut state = State::initial(model.params());
    let end = fit.to.min(fit.precip.len());
    model
        .run(&mut state, &fit.precip[..end], &fit.pet[..end])
        .unwrap_or_default()
}

/// Calibrate GR4J on `fit` by `criterion` with Michel's method from airGR's grid.
pub fn calibrate_gr4j(fit: &Fit<'_>, criterion: Criterion) -> (Params, Calibrated) {
    let grid: Vec<Vec<f64>> = (0..4)
        .map(|i| {
            GR4J_GRID[i]
                .iter()
                .map(|&v| {
                    let mut p = Params::new(300.0, 0.0, 80.0, 2.0);
                    match i {
                        0 => p.x1 = v,
                        1 => p.x2 = v,
                        2 => p.x3 = v,
                        _ => p.x4 = v,
                    }
                    gr4j_to_t(&p)[i]
                })
                .collect()
        })
        .collect();
    let observed = &fit.observed[fit.from..fit.to];
    let result = michel(&grid, |t| {
        let q = simulate(gr4j_from_t(t), fit);
        criterion.score(&q[fit.from..], observed)
    });
    (gr4j_from_t(&result.t), result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_invert() {
        let p = Params::new(357.0, -0.7, 39.0, 2.78);
        let back = gr4j_from_t(&gr4j_to_t(&p));
        for (a, b) in p.as_array().iter().zip(back.as_array()) {
            assert!((a - b).abs() < 1e-12 * a.abs().max(1.0));
        }
    }

    #[test]
    fn michel_finds_the_top_of_a_smooth_hill() {
        let top = [1.3, -2.2, 0.4];
        let grid = vec![vec![-5.0, 0.0, 5.0]; 3];
        let r = michel(&grid, |t| {
            -t.iter()
                .zip(&top)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
        });
        for (a, b) in r.t.iter().zip(&top) {
            assert!((a - b).abs() < 0.02, "{:?}", r.t);
        }
        assert!(r.runs < 400, "{}", r.runs);
    }

    #[test]
    fn recovers_the_parameters_that_made_the_flows() {
        // Synthetic truth: flows from known parameters; calibration on them must find a
        // parameter set scoring NSE ~1.
        let precip: Vec<f64> = (0..1500)
            .map(|d| {
                if d % 6 < 2 {
                    8.0 + (d % 11) as f64
                } else {
                    0.2
                }
            })
            .collect();
        let pet: Vec<f64> = (0..1500)
            .map(|d| 2.0 + 1.5 * (d as f64 * 2.0 * std::f64::consts::PI / 365.25).sin())
            .collect();
        let truth = Params::new(320.0, -0.8, 70.0, 1.9);
        let fit = Fit {
            precip: &precip,
            pet: &pet,
            observed: &[],
            from: 365,
            to: 1500,
        };
        let observed = simulate(truth, &fit);
        let fit = Fit {
            observed: &observed,
            ..fit
        };
        let (params, result) = calibrate_gr4j(&fit, Criterion::Nse);
        assert!(result.score > 0.999, "{result:?} {params:?}");
    }
}
