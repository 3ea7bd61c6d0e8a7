//! National planning benchmark: a generated registry of N TMFs (default 2,000) ranked with the
//! stability analysis, then scheduled over 25 start years (2026-2050) by greedy-by-rank and by
//! the MILP (HiGHS, 60 s limit, 1% gap). Prints one JSON line.
//! `cargo bench -p qaita-plan --bench plan -- [TMFS] [TIME_LIMIT_S] [GAP]` (see bench/plan.sh).

use std::collections::BTreeMap;
use std::time::Instant;

use qaita_model::{Commodity, Confidence, Kind, LegalClass, Region, Status};
use qaita_plan::config::RankingConfig;
use qaita_plan::schedule::{self, Objective, ScheduleSettings, SolverChoice};
use qaita_plan::{PlanTmf, ProximityFacts, ValuationFacts};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// A plausible national registry: tonnage lognormal (0.2-40 Mt), plant sized to ~15 years
/// (50 kt/yr-10 Mt/yr) with a one-year ramp, capital ~ capacity^0.7, NPV spread around zero,
/// 8% of TMFs next to settlements, critical metals in a fifth of them.
fn registry(n: usize, seed: u64) -> Vec<PlanTmf> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let critical: Vec<Commodity> = ["TREO", "Sc", "Ga", "V"]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    (0..n)
        .map(|i| {
            let tonnage: f64 = rng.random_range(12.2f64..17.5).exp();
            let capacity = (tonnage / 15.0).clamp(5e4, 1e7);
            let life = (tonnage / capacity).ceil() as usize;
            let mut processed = vec![0.0, capacity * 0.6];
            processed.extend(std::iter::repeat_n(capacity, life.saturating_sub(1)));
            let capex = 1.5e3 * capacity.powf(0.7) * rng.random_range(0.7..1.4);
            let npv = capex * rng.random_range(-1.0f64..1.6);
            let near = rng.random_range(0.0..1.0) < 0.08;
            let edge = if near {
                rng.random_range(0.0..1.0)
            } else {
                rng.random_range(1.0..40.0)
            };
            let pop1 = if near {
                rng.random_range(0.0..5000.0)
            } else {
                0.0
            };
            let mut contained = BTreeMap::new();
            if rng.random_range(0.0..1.0) < 0.2 {
                let c = critical[rng.random_range(0..critical.len())].clone();
                contained.insert(c, tonnage * rng.random_range(1e-5..1e-3));
            }
            PlanTmf {
                id: i as i64 + 1,
                external_id: format!("GEN-{:05}", i + 1),
                name: format!("generated TMF {}", i + 1),
                region: Region::ALL[rng.random_range(0..Region::ALL.len())],
                kind: Kind::ALL[rng.random_range(0..Kind::ALL.len())],
                status: [
                    Status::Active,
                    Status::Inactive,
                    Status::Abandoned,
                    Status::Conserved,
                ][rng.random_range(0..4)],
                legal_class: LegalClass::ALL[rng.random_range(0..LegalClass::ALL.len())],
                owner_known: rng.random_range(0.0..1.0) < 0.32,
                tonnage_t: Some(tonnage),
                tonnage_confidence: Some(
                    Confidence::ALL[rng.random_range(0..Confidence::ALL.len())],
                ),
                contained_t: contained,
                valuation: Some(ValuationFacts {
                    route: "generated".into(),
                    npv_usd: npv,
                    npv_p10_usd: Some(npv - capex * 0.5),
                    npv_p50_usd: Some(npv),
                    npv_p90_usd: Some(npv + capex * 0.5),
                    probability_positive: Some((0.5 + npv / capex / 3.0).clamp(0.0, 1.0)),
                    capex_usd: capex,
                    capacity_tpa: capacity,
                    discount_rate: 0.08,
                    met_coefficient: 0.1,
                    processed_t_by_year: processed,
                    basis: "generated".into(),
                }),
                proximity: ProximityFacts {
                    nearest_settlement: Some("town".into()),
                    nearest_population: Some(20_000),
                    edge_distance_km: Some(if near && rng.random_range(0.0..1.0) < 0.3 {
                        0.0
                    } else {
                        edge
                    }),
                    inside_settlement: near && edge < 0.3,
                    near_settlement: near,
                    population_within: vec![
                        (1.0, pop1),
                        (3.0, pop1 * 4.0),
                        (5.0, pop1 * 9.0),
                        (10.0, pop1 * 20.0 + 100.0),
                    ],
                },
                hazard_notes: None,
                resource_class: None,
            }
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let time_limit: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let gap: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.01);
    let tmfs = registry(n, 7);
    let config = RankingConfig::bundled();
    let settings = ScheduleSettings {
        first_year: 2026,
        last_year: 2050,
        // Binding: the positive-NPV projects' capital is several times 25 years of budget.
        annual_budget_usd: 1.5e9,
        regional_capacity_tpa: BTreeMap::new(),
        default_capacity_tpa: 25e6,
        discount_rate: 0.08,
        objective: Objective::Npv,
        residential_first: true,
        precedence: Vec::new(),
        solver: SolverChoice::Highs,
        time_limit_s: time_limit,
        mip_rel_gap: gap,
        solver_log: std::env::var_os("QAITA_SOLVER_LOG").is_some(),
    };

    // Ranking (1,000 perturbed-weight draws) and greedy schedule: best of 5 runs.
    let mut best_rank = f64::INFINITY;
    let mut best_greedy = f64::INFINITY;
    let mut ranking = None;
    let mut greedy = None;
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = qaita_plan::rank::rank(&tmfs, &config);
        let t1 = Instant::now();
        let projects = schedule::projects(&tmfs, &r, false);
        let g = schedule::greedy(&projects, &settings).unwrap();
        let t2 = Instant::now();
        best_rank = best_rank.min((t1 - t0).as_secs_f64());
        best_greedy = best_greedy.min((t2 - t1).as_secs_f64());
        ranking = Some(r);
        greedy = Some(g);
    }
    let ranking = ranking.unwrap();
    let greedy = greedy.unwrap();
    let projects = schedule::projects(&tmfs, &ranking, false);

    let t0 = Instant::now();
    let c = schedule::optimise(&projects, &settings).unwrap();
    let milp_wall = t0.elapsed().as_secs_f64();
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    println!(
        "{}",
        serde_json::json!({
            "tmfs": n,
            "projects": projects.len(),
            "years": 25,
            "threads": rayon::current_num_threads(),
            "rank_seconds": best_rank,
            "rank_draws": config.stability.draws,
            "greedy_seconds": best_greedy,
            "rank_plus_greedy_seconds": best_rank + best_greedy,
            "greedy_npv_usd": greedy.objective_value,
            "milp_npv_usd": c.milp.objective_value,
            "milp_vs_greedy": c.improvement_over_greedy,
            "milp_status": c.status,
            "milp_gap": c.gap,
            "milp_bound_usd": c.bound,
            "milp_solve_seconds": c.solve_seconds,
            "milp_wall_seconds_incl_model_build": milp_wall,
            "variables": c.variables,
            "constraints": c.constraints,
            "milp_projects": c.milp.starts.len(),
            "greedy_projects": c.greedy.starts.len(),
        })
    );
}
