//! Correctness of the valuation engine: numpy-financial reference values, a hand-computed tax
//! example, Monte Carlo with zero variance, and the policy sweep's direction.

use qaita_econ::data::{PriceDeck, Route, Scenario, TaxRegime, bundled, parse_routes};
use qaita_econ::finance::{irr_all, npv};
use qaita_econ::montecarlo::{McConfig, simulate};
use qaita_econ::policy::sweep;
use qaita_econ::valuation::{Assumptions, Model, Project, tornado, value_all_routes};
use qaita_model::{Kind, LegalClass};

#[derive(serde::Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    flows: Vec<f64>,
    rate: f64,
    npv: f64,
    irr: Option<f64>,
}

#[test]
fn npv_and_irr_agree_with_numpy_financial() {
    let reference: Reference =
        serde_json::from_str(include_str!("data/npf_reference.json")).unwrap();
    assert_eq!(reference.cases.len(), 200);
    let mut compared_irr = 0;
    for (i, case) in reference.cases.iter().enumerate() {
        let ours = npv(case.rate, &case.flows);
        let scale = case.flows.iter().map(|f| f.abs()).fold(1.0, f64::max);
        assert!(
            (ours - case.npv).abs() <= 1e-9 * scale,
            "case {i}: npv {ours} vs {}",
            case.npv
        );
        let roots = irr_all(&case.flows);
        for r in &roots {
            // Relative to the size of the discounted terms, which explode for rates near -100%.
            let magnitude: f64 = case
                .flows
                .iter()
                .enumerate()
                .map(|(t, f)| f.abs() / (1.0 + r).powi(t as i32))
                .sum();
            assert!(
                npv(*r, &case.flows).abs() <= 1e-9 * magnitude,
                "case {i}: {r} is not a root"
            );
        }
        if let Some(expected) = case.irr
            && expected > -0.99
            && expected < 10.0
        {
            assert!(
                roots.iter().any(|r| (r - expected).abs() < 1e-7),
                "case {i}: numpy-financial {expected}, ours {roots:?}"
            );
            compared_irr += 1;
        }
    }
    assert!(compared_irr > 100, "only {compared_irr} IRRs compared");
}

fn test_data() -> (PriceDeck, TaxRegime, Route) {
    let deck = PriceDeck::parse(
        "commodity,unit,low,base,high,volatility,date,source\nCu,USD/t,8000,10000,12000,0.2,2026-11-01,test\n",
        "pair,low,base,high,date,source\nKZT/USD,500,500,500,2026-11-01,test\n",
    )
    .unwrap();
    let tax = TaxRegime::parse(
        "commodity,rate,valid_from,source\nCu,0.1,2026-01-01,test\n",
        "commodity,price_from_usd_per_oz,rate,valid_from,source\n",
    )
    .unwrap();
    let routes = parse_routes(
        "route,kinds,opex_usd_per_t,capex_usd_per_tpa,reference_capacity_tpa,scale_exponent,sustaining_capex_share,closure_usd_per_t,water_m3_per_t,material_price_usd_per_t,material_payable_share,source\n\
         test,tailings,10,50,100000,1.0,0,0,0.5,0,0,test\n",
        "route,commodity,recovery,payability,source\ntest,Cu,0.8,1.0,test\n",
    )
    .unwrap();
    (deck, tax, routes.into_iter().next().unwrap())
}

fn test_project(legal_class: LegalClass) -> Project {
    Project {
        tonnage_t: 1_000_000.0,
        grades: vec![("Cu".parse().unwrap(), 0.005)],
        kind: Kind::Tailings,
        legal_class,
        grade_relative_sd: 0.3,
    }
}

fn test_assumptions() -> Assumptions {
    Assumptions {
        capacity_tpa: Some(100_000.0),
        ramp_up: vec![],
        ..Assumptions::default()
    }
}

#[test]
fn hand_computed_tax_example() {
    // 100 kt/yr for 10 years; 500 t Cu contained, 400 t recovered at 10,000 USD/t = 4.0 M USD.
    // MET = 10% x 0.1 (technogenic subsoil) x 500 t x 10,000 = 50,000. Opex 1.0 M.
    // Depreciation 5.0 M / 10 = 0.5 M. CIT = 20% x (4.0 - 1.0 - 0.05 - 0.5) M = 490,000.
    // Cash = 4.0 - 1.0 - 0.05 - 0.49 = 2.46 M per year; NPV(8%) = 2.46 M x 6.7100814 - 5 M.
    let (deck, tax, route) = test_data();
    let assumptions = test_assumptions();
    let project = test_project(LegalClass::TechnogenicSubsoil);
    let v = Model::new(&project, &route, &deck, &tax, &assumptions).valuation();
    assert_eq!(v.operating_years, 10);
    assert_eq!(v.met_coefficient, 0.1);
    let year = &v.years[1];
    assert!((year.revenue_usd - 4_000_000.0).abs() < 1e-6);
    assert!((year.met_usd - 50_000.0).abs() < 1e-6);
    assert!((year.cit_usd - 490_000.0).abs() < 1e-6);
    assert!((year.cash_flow_usd - 2_460_000.0).abs() < 1e-6);
    let annuity = (1.0 - 1.08f64.powi(-10)) / 0.08;
    assert!(
        (v.npv_usd - (2_460_000.0 * annuity - 5_000_000.0)).abs() < 1e-3,
        "{}",
        v.npv_usd
    );
    assert!((v.npv_kzt - v.npv_usd * 500.0).abs() < 1e-3);
    assert_eq!(v.payback_years, Some(3));
    assert!((v.produced_t[&"Cu".parse().unwrap()] - 4000.0).abs() < 1e-9);
    // The same material classed as waste pays the full MET: 500,000 a year.
    let waste = Model::new(
        &test_project(LegalClass::Waste),
        &route,
        &deck,
        &tax,
        &assumptions,
    )
    .valuation();
    assert!((waste.years[1].met_usd - 500_000.0).abs() < 1e-6);
    assert!(waste.npv_usd < v.npv_usd);
    // Break-even: NPV is zero when prices are scaled by the reported factor.
    let k = v.break_even_price_factor.unwrap();
    assert!(k > 0.0 && k < 1.0);
}

#[test]
fn losses_are_carried_forward() {
    let (deck, tax, route) = test_data();
    // A low grade makes early years loss-making only through depreciation; CIT must never be
    // negative and must be lower than without the carried losses.
    let mut project = test_project(LegalClass::TechnogenicSubsoil);
    project.grades[0].1 = 0.0016;
    let v = Model::new(&project, &route, &deck, &tax, &test_assumptions()).valuation();
    assert!(v.years.iter().all(|y| y.cit_usd >= 0.0));
    assert!(
        v.years[1].cit_usd == 0.0,
        "year 1 is a tax loss: {:?}",
        v.years[1]
    );
    assert!(v.years[10].cit_usd > v.years[11.min(v.years.len() - 1)].cit_usd - 1.0);
}

#[test]
fn monte_carlo_without_variance_equals_the_deterministic_npv() {
    let (deck, tax, route) = test_data();
    let project = test_project(LegalClass::TechnogenicSubsoil);
    let assumptions = test_assumptions();
    let model = Model::new(&project, &route, &deck, &tax, &assumptions);
    let deterministic = model.valuation().npv_usd;
    let result = simulate(&model, &McConfig::deterministic(500));
    for value in [
        result.p10_usd,
        result.p50_usd,
        result.p90_usd,
        result.mean_usd,
    ] {
        assert!(
            (value - deterministic).abs() < 1e-6 * deterministic.abs(),
            "{value} vs {deterministic}"
        );
    }
}

#[test]
fn monte_carlo_is_reproducible_and_spread() {
    let (deck, tax, route) = test_data();
    let project = test_project(LegalClass::TechnogenicSubsoil);
    let assumptions = test_assumptions();
    let model = Model::new(&project, &route, &deck, &tax, &assumptions);
    let config = McConfig {
        paths: 2000,
        seed: 42,
        ..McConfig::default()
    };
    let a = simulate(&model, &config);
    let b = simulate(&model, &config);
    assert_eq!(a.p50_usd, b.p50_usd);
    assert!(a.p10_usd < a.p50_usd && a.p50_usd < a.p90_usd);
    assert!(a.probability_positive > 0.5 && a.probability_positive <= 1.0);
    assert_eq!(a.histogram.iter().map(|(_, n)| n).sum::<usize>(), 2000);
    let other = simulate(&model, &McConfig { seed: 43, ..config });
    assert_ne!(a.p50_usd, other.p50_usd);
}

#[test]
fn tornado_ranks_drivers() {
    let (deck, tax, route) = test_data();
    let project = test_project(LegalClass::TechnogenicSubsoil);
    let bars = tornado(&project, &route, &deck, &tax, &test_assumptions());
    let swings: Vec<f64> = bars
        .iter()
        .map(|b| (b.npv_high_usd - b.npv_low_usd).abs())
        .collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]));
    assert!(bars.iter().any(|b| b.driver == "Cu price"));
}

#[test]
fn lower_met_coefficient_never_makes_fewer_projects_viable() {
    let deck = PriceDeck::parse(bundled::PRICES, bundled::FX).unwrap();
    let tax = TaxRegime::parse(bundled::MET_RATES, bundled::MET_PRECIOUS).unwrap();
    let routes = parse_routes(bundled::ROUTES, bundled::ROUTE_RECOVERIES).unwrap();
    let projects: Vec<Project> = (1..=40)
        .map(|i| Project {
            tonnage_t: 2e5 * i as f64,
            grades: vec![
                ("Cu".parse().unwrap(), 0.0005 * i as f64),
                ("Au".parse().unwrap(), 0.05e-6 * i as f64),
            ],
            kind: Kind::Tailings,
            legal_class: LegalClass::Undetermined,
            grade_relative_sd: 0.3,
        })
        .collect();
    let rows = sweep(
        &projects,
        &routes,
        &deck,
        &tax,
        &Assumptions::default(),
        &[1.0, 0.5, 0.1, 0.0],
        &[Scenario::Base],
    );
    assert_eq!(rows.len(), 4);
    assert!(
        rows.windows(2).all(|w| w[0].viable <= w[1].viable),
        "{:?}",
        rows.iter().map(|r| r.viable).collect::<Vec<_>>()
    );
    assert!(
        rows[0].viable < rows[3].viable,
        "the coefficient should matter for some projects"
    );
    assert_eq!(rows[3].met_usd, 0.0);
    let best = value_all_routes(&projects[10], &routes, &deck, &tax, &Assumptions::default());
    assert!(best.windows(2).all(|w| w[0].npv_usd >= w[1].npv_usd));
}

#[test]
fn batch_model_equals_the_scalar_model_path_by_path() {
    use qaita_econ::valuation::{BatchFactors, BatchScratch, Factors};
    let deck = PriceDeck::parse(bundled::PRICES, bundled::FX).unwrap();
    let tax = TaxRegime::parse(bundled::MET_RATES, bundled::MET_PRECIOUS).unwrap();
    let routes = parse_routes(bundled::ROUTES, bundled::ROUTE_RECOVERIES).unwrap();
    let route = routes.iter().find(|r| r.name == "slag_treatment").unwrap();
    // Low grades so that some paths make tax losses and carry them forward.
    let project = Project {
        tonnage_t: 3e6,
        grades: vec![
            ("Cu".parse().unwrap(), 0.002),
            ("Zn".parse().unwrap(), 0.006),
            ("Fe".parse().unwrap(), 0.3),
        ],
        kind: Kind::Slag,
        legal_class: LegalClass::TechnogenicSubsoil,
        grade_relative_sd: 0.3,
    };
    let assumptions = test_assumptions();
    let model = Model::new(&project, route, &deck, &tax, &assumptions);
    let years = model.operating_years();
    let n = 64;
    let wobble = |seed: usize| 0.5 + ((seed * 7919) % 1000) as f64 / 1000.0;
    let prices: Vec<Vec<Vec<f64>>> = (0..3)
        .map(|k| {
            (0..years)
                .map(|y| {
                    (0..n)
                        .map(|p| 5000.0 * wobble(k * 131 + y * 17 + p))
                        .collect()
                })
                .collect()
        })
        .collect();
    let f: Vec<Factors> = (0..n)
        .map(|p| Factors {
            grade: wobble(p),
            recovery: wobble(p + 3),
            opex: wobble(p + 5),
            capex: wobble(p + 11),
        })
        .collect();
    let column = |get: fn(&Factors) -> f64| f.iter().map(get).collect::<Vec<f64>>();
    let (g, r, o, c) = (
        column(|x| x.grade),
        column(|x| x.recovery),
        column(|x| x.opex),
        column(|x| x.capex),
    );
    let mut out = vec![0.0; n];
    model.run_batch(
        |k, y| &prices[k][y],
        &BatchFactors {
            grade: &g,
            recovery: &r,
            opex: &o,
            capex: &c,
        },
        &mut out,
        &mut BatchScratch::default(),
    );
    let mut losses = Vec::new();
    let mut with_losses = 0;
    for p in 0..n {
        let mut table = Vec::new();
        let scalar = model.run(
            |k, y| prices[k][y][p],
            f[p],
            &mut losses,
            None,
            Some(&mut table),
        );
        with_losses += usize::from(table.iter().any(|y| y.year > 0 && y.cit_usd == 0.0));
        assert!(
            (scalar - out[p]).abs() <= 1e-9 * scalar.abs().max(1.0),
            "path {p}: {scalar} vs {}",
            out[p]
        );
    }
    assert!(
        with_losses > 0,
        "the test should exercise loss carry-forward"
    );
}
