//! GR4J (Perrin, Michel and Andréassian 2003, J. Hydrol. 279:275-289), step for step as airGR's
//! `frun_GR4J` computes it: the 0.9 split between the unit hydrographs as a single-precision
//! constant, unit hydrographs of 20 and 40 ordinates from S-curves with exponent 2.5, initial
//! stores 0.3·X1 and 0.5·X3, and airGR's parameter floors.

use serde::{Deserialize, Serialize};

/// Ordinates of the first unit hydrograph (the second has twice as many).
pub const NH: usize = 20;
/// Share of effective rainfall routed through UH1: airGR writes `0.9` as a Fortran REAL
/// (single precision) literal, 0.899999976158..., and so does this.
pub const B: f64 = 0.9_f32 as f64;
/// Exponent of the S-curves.
const D: f64 = 2.5;

/// The four parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Production store capacity, mm.
    pub x1: f64,
    /// Inter-catchment exchange coefficient, mm/d.
    pub x2: f64,
    /// Routing store capacity, mm.
    pub x3: f64,
    /// Unit hydrograph time base, d.
    pub x4: f64,
}

impl Params {
    pub fn new(x1: f64, x2: f64, x3: f64, x4: f64) -> Params {
        Params { x1, x2, x3, x4 }
    }

    /// With airGR's floors: X1 and X3 at least 0.01 mm, X4 at least 0.5 d.
    pub fn floored(self) -> Params {
        Params {
            x1: self.x1.max(0.01),
            x2: self.x2,
            x3: self.x3.max(0.01),
            x4: self.x4.max(0.5),
        }
    }

    pub fn as_array(&self) -> [f64; 4] {
        [self.x1, self.x2, self.x3, self.x4]
    }
}

/// What GR4J carries from one day to the next: save it to restart a run (a warm state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Production store level, mm.
    pub production: f64,
    /// Routing store level, mm.
    pub routing: f64,
    /// Water still to leave each unit hydrograph, mm (`NH` and `2 NH` values; the first is
    /// the last day's outflow, replaced at the next step).
    pub uh1: Vec<f64>,
    pub uh2: Vec<f64>,
}

impl State {
    /// airGR's default initial state: stores at 30 % and 50 % of capacity, empty hydrographs.
    pub fn initial(params: &Params) -> State {
        let p = params.floored();
        State {
            production: 0.3 * p.x1,
            routing: 0.5 * p.x3,
            uh1: vec![0.0; NH],
            uh2: vec![0.0; 2 * NH],
        }
    }
}

/// x^(-1/4) for x >= 1, by two square roots (each correctly rounded; several times faster
/// than a general power, and within an ulp or two of it).
#[inline]
fn inverse_fourth_root(x: f64) -> f64 {
    1.0 / x.sqrt().sqrt()
}

/// tanh(w) for 0 <= w <= 13 from one exponential, (1 - e^-2w) / (1 + e^-2w): within a few ulps
/// of libm's tanh, at about half its cost (it is the model's one transcendental per day).
#[inline]
fn tanh_positive(w: f64) -> f64 {
    let e = (-2.0 * w).exp();
    (1.0 - e) / (1.0 + e)
}

/// Cumulative share of UH1 at time `t` (days).
fn s_curve1(t: f64, x4: f64) -> f64 {
    if t <= 0.0 {
        0.0
    } else if t < x4 {
        (t / x4).powf(D)
    } else {
        1.0
    }
}

/// Cumulative share of UH2 at time `t` (days).
fn s_curve2(t: f64, x4: f64) -> f64 {
    if t <= 0.0 {
        0.0
    } else if t <= x4 {
        0.5 * (t / x4).powf(D)
    } else if t < 2.0 * x4 {
        1.0 - 0.5 * (2.0 - t / x4).powf(D)
    } else {
        1.0
    }
}

/// The two unit hydrographs' ordinates for time base `x4`.
pub fn ordinates(x4: f64) -> ([f64; NH], [f64; 2 * NH]) {
    let mut uh1 = [0.0; NH];
    let mut uh2 = [0.0; 2 * NH];
    for (i, o) in uh1.iter_mut().enumerate() {
        let t = (i + 1) as f64;
        *o = s_curve1(t, x4) - s_curve1(t - 1.0, x4);
    }
    for (i, o) in uh2.iter_mut().enumerate() {
        let t = (i + 1) as f64;
        *o = s_curve2(t, x4) - s_curve2(t - 1.0, x4);
    }
    (uh1, uh2)
}

/// What a step computed besides the flow (airGR's optional outputs), for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Fluxes {
    /// Actual evapotranspiration, mm.
    pub actual_et: f64,
    /// Percolation from the production store, mm.
    pub percolation: f64,
    /// Effective rainfall entering the unit hydrographs, mm.
    pub effective_rain: f64,
    /// Exchange with neighbouring catchments (positive: gain), mm.
    pub exchange: f64,
    /// Flow from the routing store and from the direct branch, mm.
    pub routed: f64,
    pub direct: f64,
}

/// A GR4J model ready to run: floored parameters and their unit hydrographs.
#[derive(Debug, Clone)]
pub struct Gr4j {
    params: Params,
    uh1: [f64; NH],
    uh2: [f64; 2 * NH],
    /// Ordinates that can be non-zero (the convolution skips the zero tail).
    n1: usize,
    n2: usize,
    /// 1/X1, 1/(2.25 X1) and 1/X3: multiplications in the daily loop instead of divisions.
    inv_x1: f64,
    inv_perc: f64,
    inv_x3: f64,
}

/// The inputs of a run disagree.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("precipitation has {precip} values but evapotranspiration {pet}")]
    Lengths { precip: usize, pet: usize },
    #[error("the state's unit hydrographs have {uh1} and {uh2} values, expected {NH} and {}", 2 * NH)]
    StateShape { uh1: usize, uh2: usize },
}

impl Gr4j {
    pub fn new(params: Params) -> Gr4j {
        let params = params.floored();
        let (uh1, uh2) = ordinates(params.x4);
        Gr4j {
            params,
            uh1,
            uh2,
            n1: ((params.x4 + 1.0) as usize).clamp(1, NH - 1),
            n2: (2 * ((params.x4 + 1.0) as usize)).clamp(1, 2 * NH - 1),
            inv_x1: 1.0 / params.x1,
            inv_perc: 1.0 / (2.25 * params.x1),
            inv_x3: 1.0 / params.x3,
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// One day: rain `p` and potential evapotranspiration `e` (mm); returns the flow (mm).
    pub fn step(&self, state: &mut State, p: f64, e: f64) -> (f64, Fluxes) {
        let Params { x1, x2, .. } = self.params;
        let (inv_x1, inv_x3) = (self.inv_x1, self.inv_x3);
        let mut flux = Fluxes::default();
        let mut s = state.production;
        let mut pr;
        if p <= e {
            let en = e - p;
            let tws = tanh_positive((en * inv_x1).min(13.0));
            let sr = s * inv_x1;
            let es = s * (2.0 - sr) * tws / (1.0 + (1.0 - sr) * tws);
            s -= es;
            flux.actual_et = es + p;
            pr = 0.0;
        } else {
            let pn = p - e;
            let tws = tanh_positive((pn * inv_x1).min(13.0));
            let sr = s * inv_x1;
            let ps = x1 * (1.0 - sr * sr) * tws / (1.0 + sr * tws);
            s += ps;
            flux.actual_et = e;
            pr = pn - ps;
        }
        if s < 0.0 {
            s = 0.0;
        }
        let ratio = s * self.inv_perc;
        let ratio2 = ratio * ratio;
        let perc = s * (1.0 - inverse_fourth_root(1.0 + ratio2 * ratio2));
        s -= perc;
        pr += perc;
        state.production = s;
        flux.percolation = perc;
        flux.effective_rain = pr;

        // Convolution: each hydrograph shifts one day and takes today's share. Beyond X4 (UH1)
        // and 2·X4 (UH2) the ordinates are zero, so only the first ones move.
        let to_uh1 = pr * B;
        let to_uh2 = pr * (1.0 - B);
        let (n1, n2) = (self.n1, self.n2);
        for k in 0..n1 {
            state.uh1[k] = state.uh1[k + 1] + self.uh1[k] * to_uh1;
        }
        state.uh1[NH - 1] = self.uh1[NH - 1] * to_uh1;
        for k in 0..n2 {
            state.uh2[k] = state.uh2[k + 1] + self.uh2[k] * to_uh2;
        }
        state.uh2[2 * NH - 1] = self.uh2[2 * NH - 1] * to_uh2;

        let mut r = state.routing;
        let level = r * inv_x3;
        // (R/X3)^3.5 as a cube times a square root: the same value, without a general power.
        let exchange = x2 * level * level * level * level.sqrt();
        r += state.uh1[0] + exchange;
        if r < 0.0 {
            r = 0.0;
        }
        let rr = r * inv_x3;
        let rr2 = rr * rr;
        let qr = r * (1.0 - inverse_fourth_root(1.0 + rr2 * rr2));
        r -= qr;
        state.routing = r;
        let qd = (state.uh2[0] + exchange).max(0.0);
        flux.exchange = exchange;
        flux.routed = qr;
        flux.direct = qd;
        (qr + qd, flux)
    }

    /// Run over `precip` and `pet` from `state` (left at the end of the run); the daily flows.
    pub fn run(
        &self,
        state: &mut State,
        precip: &[f64],
        pet: &[f64],
    ) -> Result<Vec<f64>, RunError> {
        if precip.len() != pet.len() {
            return Err(RunError::Lengths {
                precip: precip.len(),
                pet: pet.len(),
            });
        }
        if state.uh1.len() != NH || state.uh2.len() != 2 * NH {
            return Err(RunError::StateShape {
                uh1: state.uh1.len(),
                uh2: state.uh2.len(),
            });
        }
        Ok(precip
            .iter()
            .zip(pet)
            .map(|(&p, &e)| self.step(state, p, e).0)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinates_sum_to_one_and_vanish_past_the_time_base() {
        for x4 in [0.5, 1.0, 2.208, 7.3, 19.9] {
            let (uh1, uh2) = ordinates(x4);
            assert!((uh1.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{x4}");
            assert!((uh2.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{x4}");
            assert!(uh1.iter().skip(x4.ceil() as usize).all(|&o| o == 0.0));
            assert!(
                uh2.iter()
                    .skip((2.0 * x4).ceil() as usize)
                    .all(|&o| o == 0.0)
            );
        }
    }

    #[test]
    fn the_split_is_the_single_precision_constant() {
        assert_eq!(B, 0.8999999761581421);
    }

    #[test]
    fn water_balance_closes_without_exchange() {
        // X2 = 0: rain = ET + flow + change in storage.
        let model = Gr4j::new(Params::new(350.0, 0.0, 90.0, 1.7));
        let mut state = State::initial(model.params());
        // The first ordinate of each hydrograph is today's outflow, already counted as flow.
        let stored = |s: &State| {
            s.production
                + s.routing
                + s.uh1[1..].iter().sum::<f64>()
                + s.uh2[1..].iter().sum::<f64>()
        };
        let before = stored(&state);
        let (mut rain, mut et, mut flow) = (0.0, 0.0, 0.0);
        for day in 0..2000 {
            let p = if day % 7 < 2 {
                12.0 + (day % 5) as f64
            } else {
                0.0
            };
            let e = 2.0 + (day as f64 / 58.0).sin();
            let (q, f) = model.step(&mut state, p, e);
            rain += p;
            et += f.actual_et;
            flow += q;
        }
        let change = stored(&state) - before;
        assert!(
            (rain - et - flow - change).abs() < 1e-9,
            "{rain} {et} {flow} {change}"
        );
    }

    proptest! {
        #[test]
        fn a_warm_restart_equals_a_continuous_run(
            split in 1usize..400,
            x1 in 50.0f64..1500.0, x2 in -5.0f64..3.0, x3 in 10.0f64..400.0, x4 in 0.5f64..15.0,
        ) {
            let precip: Vec<f64> = (0..400).map(|d| if d % 5 == 0 { 15.0 } else { (d % 3) as f64 * 0.7 }).collect();
            let pet: Vec<f64> = (0..400).map(|d| 1.5 + (d as f64 / 40.0).sin()).collect();
            let model = Gr4j::new(Params::new(x1, x2, x3, x4));
            let mut whole = State::initial(model.params());
            let continuous = model.run(&mut whole, &precip, &pet).unwrap();
            let mut state = State::initial(model.params());
            let mut parts = model.run(&mut state, &precip[..split], &pet[..split]).unwrap();
            // Saved and read back, as a stored warm state is.
            let saved: State = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
            let mut state = saved;
            parts.extend(model.run(&mut state, &precip[split..], &pet[split..]).unwrap());
            for (a, b) in continuous.iter().zip(&parts) {
                prop_assert!((a - b).abs() <= 1e-12, "{a} vs {b}");
            }
            prop_assert_eq!(whole, state);
        }
    }
}
