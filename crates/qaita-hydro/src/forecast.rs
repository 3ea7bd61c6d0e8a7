//! Ensemble forecasts: every member's forcing run from the same warm state (the state the
//! model reached on the observed record up to the forecast day), and many catchments at once
//! in parallel (rayon). Calibration over many catchments likewise.

use rayon::prelude::*;

use crate::calibrate::{Calibrated, Criterion, Fit, calibrate_gr4j};
use crate::gr4j::{Gr4j, Params, RunError, State};

/// One member's forcing over the lead days: precipitation and PET, mm/d.
#[derive(Debug, Clone, PartialEq)]
pub struct Forcing {
    pub precip: Vec<f64>,
    pub pet: Vec<f64>,
}

/// The flows of each member (`result[m][d]`: member m, lead day d + 1), each from a copy of
/// `warm`; `warm` itself is left as it was.
pub fn ensemble(
    model: &Gr4j,
    warm: &State,
    members: &[Forcing],
) -> Result<Vec<Vec<f64>>, RunError> {
    members
        .iter()
        .map(|m| {
            let mut state = warm.clone();
            model.run(&mut state, &m.precip, &m.pet)
        })
        .collect()
}

/// A catchment's forecast problem.
#[derive(Debug, Clone)]
pub struct CatchmentForecast {
    pub model: Gr4j,
    pub warm: State,
    pub members: Vec<Forcing>,
}

/// Every catchment's ensemble, in parallel over catchments.
pub fn ensembles(catchments: &[CatchmentForecast]) -> Result<Vec<Vec<Vec<f64>>>, RunError> {
    catchments
        .par_iter()
        .map(|c| ensemble(&c.model, &c.warm, &c.members))
        .collect()
}

/// Calibrate many catchments at once (in parallel over catchments).
pub fn calibrate_many(fits: &[Fit<'_>], criterion: Criterion) -> Vec<(Params, Calibrated)> {
    fits.par_iter()
        .map(|f| calibrate_gr4j(f, criterion))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_with_the_observed_forcing_continues_the_continuous_run() {
        let precip: Vec<f64> = (0..730)
            .map(|d| if d % 4 == 0 { 11.0 } else { 0.5 })
            .collect();
        let pet: Vec<f64> = (0..730)
            .map(|d| 1.0 + (d as f64 / 58.0).sin().abs())
            .collect();
        let model = Gr4j::new(Params::new(300.0, -0.5, 80.0, 2.1));
        let mut whole = State::initial(model.params());
        let continuous = model.run(&mut whole, &precip, &pet).unwrap();
        let day = 700;
        let mut warm = State::initial(model.params());
        model.run(&mut warm, &precip[..day], &pet[..day]).unwrap();
        let observed = Forcing {
            precip: precip[day..].to_vec(),
            pet: pet[day..].to_vec(),
        };
        let wetter = Forcing {
            precip: precip[day..].iter().map(|p| p * 3.0).collect(),
            pet: pet[day..].to_vec(),
        };
        let before = warm.clone();
        let flows = ensemble(&model, &warm, &[observed, wetter]).unwrap();
        assert_eq!(warm, before);
        assert_eq!(flows[0], continuous[day..].to_vec());
        assert!(flows[1].iter().sum::<f64>() > flows[0].iter().sum::<f64>());
        let many = ensembles(&vec![
            CatchmentForecast {
                model: model.clone(),
                warm: warm.clone(),
                members: vec![Forcing {
                    precip: precip[day..].to_vec(),
                    pet: pet[day..].to_vec()
                }]
            };
            3
        ])
        .unwrap();
        assert!(many.iter().all(|c| c[0] == flows[0]));
    }
}
