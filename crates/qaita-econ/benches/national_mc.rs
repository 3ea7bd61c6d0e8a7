//! National Monte Carlo benchmark: N synthetic TMFs x P paths x up to 20 years, all cores.
//! `cargo bench -p qaita-econ --bench national_mc -- [TMFS] [PATHS] [MODELS_JSON]` prints one
//! JSON line; with MODELS_JSON it also writes the resolved models so that
//! `bench/econ_mc.py` runs the same model in numpy (see bench/econ.sh).

use std::time::Instant;

use qaita_econ::data::{PriceDeck, TaxRegime, bundled, parse_routes};
use qaita_econ::montecarlo::{McConfig, simulate_national};
use qaita_econ::valuation::{Assumptions, Model, Project, value_all_routes};
use qaita_model::{Commodity, Kind, LegalClass};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let tmfs: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let paths: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let models_json = args.get(2);
    let deck = PriceDeck::parse(bundled::PRICES, bundled::FX).unwrap();
    let tax = TaxRegime::parse(bundled::MET_RATES, bundled::MET_PRECIOUS).unwrap();
    let routes = parse_routes(bundled::ROUTES, bundled::ROUTE_RECOVERIES).unwrap();
    let assumptions = Assumptions {
        horizon_years: 20,
        ..Assumptions::default()
    };
    let c = |s: &str| -> Commodity { s.parse().unwrap() };
    let mut rng = SmallRng::seed_from_u64(7);
    let kinds = [
        (
            Kind::Tailings,
            vec![("Cu", 0.002), ("Zn", 0.004), ("Au", 0.5e-6)],
        ),
        (Kind::Slag, vec![("Cu", 0.006), ("Zn", 0.03), ("Pb", 0.01)]),
        (Kind::Tailings, vec![("Fe", 0.15)]),
        (
            Kind::Sludge,
            vec![("TREO", 0.0009), ("Sc", 0.00008), ("Ga", 0.00006)],
        ),
    ];
    let projects: Vec<Project> = (0..tmfs)
        .map(|_| {
            let (kind, grades) = &kinds[rng.random_range(0..kinds.len())];
            Project {
                tonnage_t: (rng.random_range(12.0f64..17.5)).exp(),
                grades: grades
                    .iter()
                    .map(|(code, g)| (c(code), g * rng.random_range(0.4..1.6)))
                    .collect(),
                kind: *kind,
                legal_class: [
                    LegalClass::TechnogenicSubsoil,
                    LegalClass::Waste,
                    LegalClass::Undetermined,
                ][rng.random_range(0..3)],
                grade_relative_sd: 0.3,
            }
        })
        .collect();
    let chosen: Vec<_> = projects
        .iter()
        .map(|p| {
            let best = value_all_routes(p, &routes, &deck, &tax, &assumptions)
                .into_iter()
                .next()
                .expect("a route fits");
            routes.iter().find(|r| r.name == best.route).unwrap()
        })
        .collect();
    let models: Vec<Model> = projects
        .iter()
        .zip(&chosen)
        .map(|(p, r)| Model::new(p, r, &deck, &tax, &assumptions))
        .collect();
    if let Some(path) = models_json {
        let resolved: Vec<_> = models.iter().map(Model::resolved).collect();
        std::fs::write(path, serde_json::to_string(&resolved).unwrap()).unwrap();
    }
    let years: usize = models.iter().map(Model::operating_years).max().unwrap_or(0);
    let config = McConfig {
        paths,
        seed: 1,
        ..McConfig::default()
    };
    let started = Instant::now();
    let results = simulate_national(&models, &config);
    let seconds = started.elapsed().as_secs_f64();
    let sum_p50: f64 = results.iter().map(|r| r.p50_usd).sum();
    let sum_mean: f64 = results.iter().map(|r| r.mean_usd).sum();
    println!(
        "{{\"engine\":\"qaita-econ\",\"tmfs\":{tmfs},\"paths\":{paths},\"max_years\":{years},\"threads\":{},\"seconds\":{seconds:.3},\"sum_p50_usd\":{sum_p50:.0},\"sum_mean_usd\":{sum_mean:.0}}}",
        rayon::current_num_threads()
    );
}
