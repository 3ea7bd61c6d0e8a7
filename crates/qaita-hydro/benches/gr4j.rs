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
    println!(
        "{}",
        serde_json::json!({
            "engine": "qaita-hydro",
            "days": precip.len(),
            "run_seconds": median(runs),
            "calibration_seconds": median(calibrations),
            "calibration_runs": evaluations,
            "checksum": total,
        })
    );
}
