//! GR4J timings on the Fulda fixture (10 years daily): one run from the initial state and a
//! full Michel calibration on KGE (1980-1983). Prints one JSON line; `bench/hydro.sh` runs it
//! beside hydrogr and grsuite on the same inputs.

use std::time::Instant;

use qaita_hydro::calibrate::{Criterion, Fit, calibrate_gr4j};
use qaita_hydro::gr4j::{Gr4j, Params, State};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let f: serde_json::Value =
        serde_json::from_str(include_str!("../tests/data/fulda_gr4j.json")).unwrap();
    let series = |k: &str| -> Vec<f64> {
        f[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let (precip, pet, obs) = (series("precip_mm"), series("pet_mm"), series("qobs_mm"));
    let p = series("params");
    let model = Gr4j::new(Params::new(p[0], p[1], p[2], p[3]));
    let mut total = 0.0;
    let runs: Vec<f64> = (0..2000)
        .map(|_| {
            let start = Instant::now();
            let mut state = State::initial(model.params());
            let q = model.run(&mut state, &precip, &pet).unwrap();
            total += q[q.len() - 1];
            start.elapsed().as_secs_f64()
        })
        .collect();
    let from = f["run_start_index"].as_u64().unwrap() as usize;
    let to = from + 4 * 365 + 1; // 1980-1983 (1980 is a leap year)
    let fit = Fit {
        precip: &precip,
        pet: &pet,
        observed: &obs,
        from,
        to,
    };
    let mut evaluations = 0;
    let calibrations: Vec<f64> = (0..11)
        .map(|_| {
            let start = Instant::now();
            let (_, r) = calibrate_gr4j(&fit, Criterion::Kge);
            evaluations = r.runs;
            start.elapsed().as_secs_f64()
        })
        .collect();
    // 51 members x 30 lead days x 1,000 catchments from warm states (the end of the record),
    // members perturbing the record's last 30 days.
    use qaita_hydro::forecast::{CatchmentForecast, Forcing, ensembles};
    let mut warm = State::initial(model.params());
    let n = precip.len();
    model
        .run(&mut warm, &precip[..n - 30], &pet[..n - 30])
        .unwrap();
    let members: Vec<Forcing> = (0..51)
        .map(|m| Forcing {
            precip: precip[n - 30..]
                .iter()
                .map(|p| p * (0.5 + m as f64 / 50.0))
                .collect(),
            pet: pet[n - 30..].to_vec(),
        })
        .collect();
    let catchments: Vec<CatchmentForecast> = (0..1000)
        .map(|c| {
            let model = Gr4j::new(Params::new(
                p[0] * (0.8 + c as f64 / 2500.0),
                p[1],
                p[2],
                p[3],
            ));
            CatchmentForecast {
                model,
                warm: warm.clone(),
                members: members.clone(),
            }
        })
        .collect();
    let ensemble_runs: Vec<f64> = (0..11)
        .map(|_| {
            let start = Instant::now();
            let flows = ensembles(&catchments).unwrap();
            total += flows[999][50][29];
            start.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "engine": "qaita-hydro",
            "days": precip.len(),
            "run_seconds": median(runs),
            "calibration_seconds": median(calibrations),
            "calibration_runs": evaluations,
            "ensemble_51x30x1000_seconds": median(ensemble_runs),
            "checksum": total,
        })
    );
}
