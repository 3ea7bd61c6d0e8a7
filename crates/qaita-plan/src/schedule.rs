//! Reprocessing schedule: which projects start in which year, to maximise total NPV, tonnes
//! reprocessed or exposure removed, under an annual capital budget, regional processing capacity
//! and precedence (explicit pairs, and optionally "residential first": in a region, no other
//! project starts before every residential one has).
//!
//! Two methods on the same rules: greedy by national rank (each project, best rank first, at its
//! earliest feasible start year) and a MILP. The MILP uses "started by year s" binaries
//! `y[i][s]` (non-decreasing in s), so precedence is `y[a][s] <= y[b][s]` and a plant's
//! constant throughput enters the capacity rows only where it changes (start, ramp, end).
//!
//! With HiGHS the time limit covers: greedy schedules by value per capital and per resource
//! share, each improved by moving single projects; the LP relaxation (its bound, and a greedy
//! from its start years); a RINS sub-MIP that frees only the columns where the LP and the best
//! schedule disagree; and, unless the LP bound already proves the best schedule within the gap,
//! the full MILP started from it. The result is never worse than greedy by rank (its starting
//! point is at least as good) and comes with its gap to the best bound; microlp is the
//! pure-Rust fallback (no time limit, solved to optimality).

use std::collections::BTreeMap;
use std::time::Instant;

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, variable};
use qaita_model::{Region, Status};
use serde::{Deserialize, Serialize};

use crate::PlanError;
use crate::input::PlanTmf;
use crate::rank::Ranking;

/// A reprocessing project: one TMF's plant as valued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub external_id: String,
    pub region: Region,
    /// Initial capital, USD, spent in the start (construction) year.
    pub capex_usd: f64,
    /// Tonnes processed in each year from the start year (index 0 = construction, usually 0).
    pub processed_t_by_year: Vec<f64>,
    /// NPV if started in the first year of the horizon, USD (later starts are discounted).
    pub npv_usd: f64,
    /// People exposed (population at risk) until the TMF is removed.
    pub exposure_people: f64,
    /// Inside or next to a settlement (for the residential-first rule).
    pub residential: bool,
    /// National rank (1 = first): the greedy order.
    pub rank: usize,
}

impl Project {
    /// Throughput in the `k`-th year after the start (0 outside the plant's life).
    fn processed(&self, k: i64) -> f64 {
        usize::try_from(k)
            .ok()
            .and_then(|k| self.processed_t_by_year.get(k))
            .copied()
            .unwrap_or(0.0)
    }
}

/// What the schedule maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Sum of NPVs discounted to the first year of the horizon, USD.
    Npv,
    /// Tonnes processed within the horizon.
    Tonnes,
    /// Person-years of exposure removed by the end of the horizon (exposure falls linearly as
    /// the TMF is processed).
    Exposure,
}

impl Objective {
    pub fn unit(self) -> &'static str {
        match self {
            Objective::Npv => "USD",
            Objective::Tonnes => "t",
            Objective::Exposure => "person-years",
        }
    }
}

/// Projects from ranked TMFs: each valued TMF with capital and throughput that is not
/// remediated (nor already being reprocessed, unless `include_ongoing`). NPV is the Monte Carlo
/// P50 when there is one; exposure is the population at risk of the hazard assessment;
/// residential means within the flagging distance of a settlement.
pub fn projects(tmfs: &[PlanTmf], ranking: &Ranking, include_ongoing: bool) -> Vec<Project> {
    tmfs.iter()
        .filter(|t| t.status != Status::Remediated)
        .filter(|t| include_ongoing || t.status != Status::BeingReprocessed)
        .filter_map(|t| {
            let v = t.valuation.as_ref()?;
            let row = ranking.row(t.id)?;
            Some(Project {
                id: t.id,
                external_id: t.external_id.clone(),
                region: t.region,
                capex_usd: v.capex_usd,
                processed_t_by_year: v.processed_t_by_year.clone(),
                npv_usd: v.npv_p50_or_deterministic(),
                exposure_people: row.hazard.population_at_risk,
                residential: t.proximity.near_settlement,
                rank: row.rank,
            })
        })
        .collect()
}

/// Which MILP solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolverChoice {
    Highs,
    Microlp,
}

/// The rules of the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSettings {
    /// Start years allowed: `first_year..=last_year`; constraints are checked up to `last_year`.
    pub first_year: i32,
    pub last_year: i32,
    /// Capital that may be committed each year, USD.
    pub annual_budget_usd: f64,
    /// Processing capacity by region, t/yr; regions not listed get `default_capacity_tpa`.
    pub regional_capacity_tpa: BTreeMap<Region, f64>,
    pub default_capacity_tpa: f64,
    /// Real discount rate for the NPV of later starts.
    pub discount_rate: f64,
    pub objective: Objective,
    /// In each region, residential projects start before (or with) every other project.
    pub residential_first: bool,
    /// `(before, after)` registry ids: `after` may start only once `before` has started.
    pub precedence: Vec<(i64, i64)>,
    pub solver: SolverChoice,
    pub time_limit_s: f64,
    /// Stop when the relative gap is at most this (0.01 = 1%).
    pub mip_rel_gap: f64,
    /// Let the solver print its log to standard output (HiGHS only).
    #[serde(default)]
    pub solver_log: bool,
}

impl ScheduleSettings {
    fn validate(&self) -> Result<(), PlanError> {
        let fail = |m: String| Err(PlanError::Setting(m));
        if self.last_year < self.first_year {
            return fail(format!(
                "last year {} is before first year {}",
                self.last_year, self.first_year
            ));
        }
        if !(self.annual_budget_usd.is_finite() && self.annual_budget_usd >= 0.0) {
            return fail(format!(
                "annual budget {} USD must be a non-negative number",
                self.annual_budget_usd
            ));
        }
        if let Some((r, c)) = self
            .regional_capacity_tpa
            .iter()
            .find(|(_, c)| !(c.is_finite() && **c >= 0.0))
        {
            return fail(format!("capacity of {r} ({c} t/yr) must be non-negative"));
        }
        if !(self.default_capacity_tpa.is_finite() && self.default_capacity_tpa >= 0.0) {
            return fail("default regional capacity must be non-negative".into());
        }
        if !(0.0..1.0).contains(&self.discount_rate) {
            return fail(format!(
                "discount rate {} must be in 0..1",
                self.discount_rate
            ));
        }
        if !(self.time_limit_s > 0.0 && self.mip_rel_gap >= 0.0) {
            return fail("time limit must be positive and the gap non-negative".into());
        }
        Ok(())
    }

    pub fn capacity(&self, region: Region) -> f64 {
        self.regional_capacity_tpa
            .get(&region)
            .copied()
            .unwrap_or(self.default_capacity_tpa)
    }

    fn years(&self) -> std::ops::RangeInclusive<i32> {
        self.first_year..=self.last_year
    }
}

/// The value of starting project `p` in `year` under the objective.
pub fn objective_value(p: &Project, year: i32, s: &ScheduleSettings) -> f64 {
    let offset = i64::from(year - s.first_year);
    let remaining = i64::from(s.last_year - year);
    match s.objective {
        Objective::Npv => p.npv_usd / (1.0 + s.discount_rate).powi(offset as i32),
        Objective::Tonnes => (0..=remaining).map(|k| p.processed(k)).sum(),
        Objective::Exposure => {
            let total: f64 = p.processed_t_by_year.iter().sum();
            if total <= 0.0 {
                return 0.0;
            }
            // Share of the TMF gone by the end of each remaining year, summed: years of exposure
            // avoided for each person.
            let mut done = 0.0;
            let mut avoided = 0.0;
            for k in 0..=remaining {
                done += p.processed(k);
                avoided += (done / total).min(1.0);
            }
            p.exposure_people * avoided
        }
    }
}

/// One project in a schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Start {
    pub id: i64,
    pub external_id: String,
    pub region: Region,
    pub year: i32,
    pub capex_usd: f64,
    pub objective_value: f64,
}

/// A schedule and what it uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub method: String,
    /// By start year, then rank.
    pub starts: Vec<Start>,
    pub objective: Objective,
    pub objective_value: f64,
    /// Capital committed by year, USD.
    pub capex_by_year: BTreeMap<i32, f64>,
    /// Tonnes processed by year within the horizon.
    pub tonnes_by_year: BTreeMap<i32, f64>,
    /// Throughput by region and year, t.
    pub regional_tonnes: BTreeMap<Region, BTreeMap<i32, f64>>,
}

/// The MILP schedule beside greedy-by-rank.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub greedy: Schedule,
    pub milp: Schedule,
    pub solver: &'static str,
    /// Solver status: optimal, gap limit reached, time limit reached.
    pub status: String,
    /// Relative gap between the MILP's incumbent and its bound (HiGHS's `mip_gap`); 0 when
    /// proved optimal.
    pub gap: f64,
    /// Best bound on the objective, in the objective's unit.
    pub bound: Option<f64>,
    pub solve_seconds: f64,
    pub greedy_seconds: f64,
    pub variables: usize,
    pub constraints: usize,
    /// (MILP - greedy) / |greedy|; `None` when greedy is 0.
    pub improvement_over_greedy: Option<f64>,
    /// Violations found by re-checking both schedules (should be empty).
    pub violations: Vec<String>,
}

/// Precedence pairs as project indices, `(before, after)`; with `residential_first`, every
/// residential project precedes every other project of its region.
fn precedence_indices(projects: &[Project], s: &ScheduleSettings) -> Vec<(usize, usize)> {
    let index: BTreeMap<i64, usize> = projects
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    let mut pairs: Vec<(usize, usize)> = s
        .precedence
        .iter()
        .filter_map(|(b, a)| Some((*index.get(b)?, *index.get(a)?)))
        .collect();
    if s.residential_first {
        for (i, r) in projects.iter().enumerate().filter(|(_, p)| p.residential) {
            for (j, o) in projects.iter().enumerate() {
                if !o.residential && o.region == r.region {
                    pairs.push((i, j));
                }
            }
        }
    }
    pairs
}

/// Values by year.
type ByYear = BTreeMap<i32, f64>;

/// Usage of a set of starts: capex by year, tonnes by year and by region-year.
fn usage(
    projects: &[Project],
    starts: &[(usize, i32)],
    s: &ScheduleSettings,
) -> (ByYear, ByYear, BTreeMap<Region, ByYear>) {
    let mut capex = BTreeMap::new();
    let mut tonnes = BTreeMap::new();
    let mut regional: BTreeMap<Region, BTreeMap<i32, f64>> = BTreeMap::new();
    for &(i, year) in starts {
        let p = &projects[i];
        *capex.entry(year).or_insert(0.0) += p.capex_usd;
        for t in year..=s.last_year {
            let q = p.processed(i64::from(t - year));
            if q > 0.0 {
                *tonnes.entry(t).or_insert(0.0) += q;
                *regional
                    .entry(p.region)
                    .or_default()
                    .entry(t)
                    .or_insert(0.0) += q;
            }
        }
    }
    (capex, tonnes, regional)
}

fn build_schedule(
    method: &str,
    projects: &[Project],
    mut starts: Vec<(usize, i32)>,
    s: &ScheduleSettings,
) -> Schedule {
    starts.sort_by_key(|&(i, y)| (y, projects[i].rank, projects[i].id));
    let (capex_by_year, tonnes_by_year, regional_tonnes) = usage(projects, &starts, s);
    let starts: Vec<Start> = starts
        .iter()
        .map(|&(i, year)| {
            let p = &projects[i];
            Start {
                id: p.id,
                external_id: p.external_id.clone(),
                region: p.region,
                year,
                capex_usd: p.capex_usd,
                objective_value: objective_value(p, year, s),
            }
        })
        .collect();
    Schedule {
        method: method.to_string(),
        objective: s.objective,
        objective_value: starts.iter().map(|x| x.objective_value).sum(),
        starts,
        capex_by_year,
        tonnes_by_year,
        regional_tonnes,
    }
}

/// Every budget, capacity and precedence violation of a schedule (empty when it is feasible).
pub fn violations(projects: &[Project], schedule: &Schedule, s: &ScheduleSettings) -> Vec<String> {
    // Rounding slack: a millionth of the limit, at least a unit.
    let over = |used: f64, limit: f64| used > limit + (limit.abs() * 1e-6).max(1.0);
    let mut out = Vec::new();
    for (year, used) in &schedule.capex_by_year {
        if over(*used, s.annual_budget_usd) {
            out.push(format!(
                "{year}: capital {used:.0} USD over the budget {:.0} USD",
                s.annual_budget_usd
            ));
        }
    }
    for (region, years) in &schedule.regional_tonnes {
        for (year, used) in years {
            if over(*used, s.capacity(*region)) {
                out.push(format!(
                    "{year}: {region} processes {used:.0} t over its capacity {:.0} t/yr",
                    s.capacity(*region)
                ));
            }
        }
    }
    let start: BTreeMap<i64, i32> = schedule.starts.iter().map(|x| (x.id, x.year)).collect();
    for (b, a) in precedence_indices(projects, s) {
        let (before, after) = (&projects[b], &projects[a]);
        if let Some(ya) = start.get(&after.id) {
            match start.get(&before.id) {
                Some(yb) if yb <= ya => {}
                _ => out.push(format!(
                    "{} starts in {ya} before its predecessor {}",
                    after.external_id, before.external_id
                )),
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for x in &schedule.starts {
        if !seen.insert(x.id) {
            out.push(format!("{} starts twice", x.external_id));
        }
        if !s.years().contains(&x.year) {
            out.push(format!(
                "{} starts in {} outside the horizon",
                x.external_id, x.year
            ));
        }
    }
    out
}

/// Greedy by rank: best-ranked first, each at its earliest feasible start year; a project is
/// taken when it adds to the objective or another project waits for it. Passes repeat until no
/// project can be added (a successor may become feasible once its predecessor is placed).
pub fn greedy(projects: &[Project], s: &ScheduleSettings) -> Result<Schedule, PlanError> {
    s.validate()?;
    let mut order: Vec<usize> = (0..projects.len()).collect();
    order.sort_by_key(|&i| (projects[i].rank, projects[i].id));
    Ok(greedy_in_order(projects, s, &order, "greedy by rank"))
}

/// Projects by value per unit of capital (objective value at the first year / capex), best
/// first: the order that packs a binding budget well, unlike the rank, which is not made for
/// one objective.
fn density_order(projects: &[Project], s: &ScheduleSettings) -> Vec<usize> {
    let density: Vec<f64> = projects
        .iter()
        .map(|p| objective_value(p, s.first_year, s) / p.capex_usd.max(1.0))
        .collect();
    let mut order: Vec<usize> = (0..projects.len()).collect();
    order.sort_by(|&a, &b| {
        density[b]
            .total_cmp(&density[a])
            .then(projects[a].id.cmp(&projects[b].id))
    });
    order
}

/// Projects by value per share of the scarce resources they take (the budget of their start
/// year, and their region's capacity over the horizon), best first: better than value per
/// capital when capacity binds more than the budget.
fn resource_order(projects: &[Project], s: &ScheduleSettings) -> Vec<usize> {
    let horizon = s.years().count() as f64;
    let share: Vec<f64> = projects
        .iter()
        .map(|p| {
            let tonnes: f64 = (0..horizon as i64).map(|k| p.processed(k)).sum();
            let budget = p.capex_usd / s.annual_budget_usd.max(1.0);
            let capacity = tonnes / (s.capacity(p.region) * horizon).max(1.0);
            objective_value(p, s.first_year, s) / (budget + capacity).max(1e-12)
        })
        .collect();
    let mut order: Vec<usize> = (0..projects.len()).collect();
    order.sort_by(|&a, &b| {
        share[b]
            .total_cmp(&share[a])
            .then(projects[a].id.cmp(&projects[b].id))
    });
    order
}

/// Passes of the improvement step (each is cheap; it usually settles in a few).
const IMPROVE_PASSES: usize = 30;

/// Budget and capacity in use, year by year, as projects are placed: what the greedy rules
/// and the improvement pass share.
struct Packing<'a> {
    projects: &'a [Project],
    s: &'a ScheduleSettings,
    predecessors: Vec<Vec<usize>>,
    is_predecessor: Vec<bool>,
    budget_used: Vec<f64>,
    /// Throughput in use by region (`region_of[i]` is project i's row) and year.
    regional: Vec<Vec<f64>>,
    region_of: Vec<usize>,
    start: Vec<Option<i32>>,
}

impl<'a> Packing<'a> {
    fn new(projects: &'a [Project], s: &'a ScheduleSettings) -> Self {
        let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); projects.len()];
        let mut is_predecessor = vec![false; projects.len()];
        for (b, a) in precedence_indices(projects, s) {
            predecessors[a].push(b);
            is_predecessor[b] = true;
        }
        let horizon = s.years().count();
        let mut regions: Vec<Region> = projects.iter().map(|p| p.region).collect();
        regions.sort();
        regions.dedup();
        let region_of = projects
            .iter()
            .map(|p| regions.binary_search(&p.region).unwrap_or_default())
            .collect();
        Packing {
            projects,
            s,
            predecessors,
            is_predecessor,
            budget_used: vec![0.0; horizon],
            regional: vec![vec![0.0; horizon]; regions.len()],
            region_of,
            start: vec![None; projects.len()],
        }
    }

    /// The first year `i` may start: once every predecessor has (`None` while one is unplaced).
    fn earliest(&self, i: usize) -> Option<i32> {
        self.predecessors[i]
            .iter()
            .map(|&b| self.start[b])
            .try_fold(self.s.first_year, |acc, y| y.map(|y| acc.max(y)))
    }

    /// The latest year `i` may start without passing a placed successor.
    fn latest(&self, i: usize, successors: &[Vec<usize>]) -> i32 {
        successors[i]
            .iter()
            .filter_map(|&a| self.start[a])
            .fold(self.s.last_year, i32::min)
    }

    fn fits(&self, i: usize, year: i32) -> bool {
        let (p, s) = (&self.projects[i], self.s);
        let used = &self.regional[self.region_of[i]];
        let capacity = s.capacity(p.region);
        self.budget_used[(year - s.first_year) as usize] + p.capex_usd <= s.annual_budget_usd
            && (year..=s.last_year).all(|t| {
                used[(t - s.first_year) as usize] + p.processed(i64::from(t - year)) <= capacity
            })
    }

    fn add(&mut self, i: usize, year: i32, sign: f64) {
        let (p, s) = (&self.projects[i], self.s);
        self.budget_used[(year - s.first_year) as usize] += sign * p.capex_usd;
        let used = &mut self.regional[self.region_of[i]];
        for t in year..=s.last_year {
            used[(t - s.first_year) as usize] += sign * p.processed(i64::from(t - year));
        }
    }

    fn place(&mut self, i: usize, year: i32) {
        self.add(i, year, 1.0);
        self.start[i] = Some(year);
    }

    fn unplace(&mut self, i: usize) {
        if let Some(year) = self.start[i].take() {
            self.add(i, year, -1.0);
        }
    }

    /// Worth placing in `year`: it adds to the objective, or another project waits for it.
    fn worth(&self, i: usize, year: i32) -> bool {
        self.is_predecessor[i] || objective_value(&self.projects[i], year, self.s) > 0.0
    }

    /// Greedy: projects taken in `order`, each at its earliest feasible year not before
    /// `not_before[i]`; repeated while a pass places something (predecessors come late in
    /// `order`).
    fn greedy(&mut self, order: &[usize], not_before: Option<&[i32]>) {
        let mut changed = true;
        while changed {
            changed = false;
            for &i in order {
                if self.start[i].is_some() {
                    continue;
                }
                let Some(earliest) = self.earliest(i) else {
                    continue; // a predecessor is not placed yet
                };
                let from = not_before.map_or(earliest, |n| earliest.max(n[i]));
                let Some(year) = (from..=self.s.last_year).find(|&y| self.fits(i, y)) else {
                    continue;
                };
                if !self.worth(i, year) {
                    continue;
                }
                self.place(i, year);
                changed = true;
            }
        }
    }

    /// Improvement: move each project (in `order`) to the year that adds the most to the
    /// objective among those it fits in, and place any left out that now fit; until a pass
    /// changes nothing (or `passes` passes). Never lowers the objective.
    fn improve(&mut self, order: &[usize], passes: usize) {
        let mut successors: Vec<Vec<usize>> = vec![Vec::new(); self.projects.len()];
        for (a, before) in self.predecessors.iter().enumerate() {
            for &b in before {
                successors[b].push(a);
            }
        }
        for _ in 0..passes {
            let mut changed = false;
            for &i in order {
                let current = self.start[i];
                let Some(earliest) = self.earliest(i) else {
                    continue;
                };
                let latest = self.latest(i, &successors);
                self.unplace(i);
                let value = |y: i32| objective_value(&self.projects[i], y, self.s);
                let best = (earliest..=latest)
                    .filter(|&y| self.fits(i, y))
                    .max_by(|&a, &b| value(a).total_cmp(&value(b)).then(b.cmp(&a)));
                let chosen = match (best, current) {
                    (Some(y), Some(c)) if value(y) > value(c) => Some(y),
                    (_, Some(c)) => Some(c),
                    (Some(y), None) if self.worth(i, y) && value(y) > 0.0 => Some(y),
                    _ => None,
                };
                if let Some(y) = chosen {
                    self.place(i, y);
                }
                changed |= chosen != current;
            }
            if !changed {
                break;
            }
        }
    }

    fn schedule(&self, method: &str) -> Schedule {
        let starts = self
            .start
            .iter()
            .enumerate()
            .filter_map(|(i, y)| y.map(|y| (i, y)))
            .collect();
        build_schedule(method, self.projects, starts, self.s)
    }
}

/// The greedy rule over projects taken in `order`.
fn greedy_in_order(
    projects: &[Project],
    s: &ScheduleSettings,
    order: &[usize],
    method: &str,
) -> Schedule {
    let mut packing = Packing::new(projects, s);
    packing.greedy(order, None);
    packing.schedule(method)
}

/// Scale of the objective and the rows, so that the solver works with numbers near 1.
fn objective_scale(o: Objective) -> f64 {
    match o {
        Objective::Npv => 1e-6,
        Objective::Tonnes => 1e-6,
        Objective::Exposure => 1e-3,
    }
}

/// The schedule as a (MI)LP: "started by year" variables per project and year, then one
/// "every residential project has started" variable per region with the rule and year.
struct MilpModel {
    vars: ProblemVariables,
    objective: Expression,
    constraints: Vec<good_lp::Constraint>,
    variables: usize,
    started: Vec<Vec<Variable>>,
    regions_with_rule: BTreeMap<Region, (Vec<usize>, Vec<usize>)>,
}

/// Build the model; `relax` makes every variable continuous in [0, 1] (the LP relaxation).
/// Columns are in creation order: project i's year k is column i x years + k.
/// `fixed` holds "started by" columns (`i x years + k`) at a value (a sub-MIP).
fn build_model(
    projects: &[Project],
    s: &ScheduleSettings,
    relax: bool,
    fixed: Option<&[Option<f64>]>,
) -> MilpModel {
    let years: Vec<i32> = s.years().collect();
    let h = years.len();
    let scale = objective_scale(s.objective);

    let mut vars = ProblemVariables::new();
    // started[i][k]: project i has started by year first_year + k.
    let started: Vec<Vec<Variable>> = projects
        .iter()
        .enumerate()
        .map(|(i, _)| {
            (0..h)
                .map(|k| {
                    let v = if relax {
                        variable().min(0).max(1)
                    } else {
                        variable().binary()
                    };
                    vars.add(
                        match fixed.and_then(|f| f.get(i * h + k).copied().flatten()) {
                            Some(on) => v.min(on).max(on),
                            None => v,
                        },
                    )
                })
                .collect()
        })
        .collect();
    let pairs = precedence_indices(projects, s);
    // Residential first through one variable per region and year ("every residential project
    // of the region has started"), so the rows grow with projects, not with pairs of them.
    let mut regions_with_rule: BTreeMap<Region, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    if s.residential_first {
        for (i, p) in projects.iter().enumerate() {
            let e = regions_with_rule.entry(p.region).or_default();
            if p.residential {
                e.0.push(i)
            } else {
                e.1.push(i)
            }
        }
        regions_with_rule.retain(|_, (r, o)| !r.is_empty() && !o.is_empty());
    }
    let all_residential_started: BTreeMap<Region, Vec<Variable>> = regions_with_rule
        .keys()
        .map(|g| {
            (
                *g,
                (0..h).map(|_| vars.add(variable().min(0).max(1))).collect(),
            )
        })
        .collect();
    let variables = vars.len();

    // Objective: sum over start years of value(start in k) x (started[k] - started[k-1]),
    // rewritten per variable as started[k] x (value(k) - value(k+1)).
    let mut objective = Expression::with_capacity(projects.len() * h);
    for (i, p) in projects.iter().enumerate() {
        let values: Vec<f64> = years
            .iter()
            .map(|&y| objective_value(p, y, s) * scale)
            .collect();
        for k in 0..h {
            let next = if k + 1 < h { values[k + 1] } else { 0.0 };
            let c = values[k] - next;
            if c != 0.0 {
                objective.add_mul(c, started[i][k]);
            }
        }
    }
    let mut constraints = Vec::new();
    for row in &started {
        for k in 1..h {
            constraints.push(Expression::from(row[k - 1]).leq(row[k]));
        }
    }
    // Budget: capital of the projects starting in year k.
    let budget = s.annual_budget_usd * 1e-6;
    for k in 0..h {
        let mut e = Expression::with_capacity(projects.len() * 2);
        for (i, p) in projects.iter().enumerate() {
            if p.capex_usd != 0.0 {
                e.add_mul(p.capex_usd * 1e-6, started[i][k]);
                if k > 0 {
                    e.add_mul(-p.capex_usd * 1e-6, started[i][k - 1]);
                }
            }
        }
        constraints.push(e.leq(budget));
    }
    // Capacity: throughput in year t of a project started by s is processed(t - s) minus what a
    // start one year later would give, so only changes in throughput enter the row.
    let mut by_region: BTreeMap<Region, Vec<usize>> = BTreeMap::new();
    for (i, p) in projects.iter().enumerate() {
        by_region.entry(p.region).or_default().push(i);
    }
    for (region, members) in &by_region {
        let capacity = s.capacity(*region) * 1e-6;
        for t in 0..h {
            let mut e = Expression::with_capacity(members.len() * 4);
            for &i in members {
                let p = &projects[i];
                for (k, by_k) in started[i].iter().enumerate().take(t + 1) {
                    let age = (t - k) as i64;
                    let delta = p.processed(age) - p.processed(age - 1);
                    if delta != 0.0 {
                        e.add_mul(delta * 1e-6, *by_k);
                    }
                }
            }
            constraints.push(e.leq(capacity));
        }
    }
    for &(b, a) in &pairs {
        if s.residential_first && projects[b].residential && !projects[a].residential {
            continue; // through the regional variables below
        }
        for (after, before) in started[a].iter().zip(&started[b]) {
            constraints.push(Expression::from(*after).leq(*before));
        }
    }
    for (region, (residential, others)) in &regions_with_rule {
        let z = &all_residential_started[region];
        for k in 0..h {
            for &r in residential {
                constraints.push(Expression::from(z[k]).leq(started[r][k]));
            }
            for &o in others {
                constraints.push(Expression::from(started[o][k]).leq(z[k]));
            }
        }
    }
    MilpModel {
        vars,
        objective,
        constraints,
        variables,
        started,
        regions_with_rule,
    }
}

/// The LP relaxation's columns and optimum (a bound on the MILP, in the model's units), or
/// `None` when it is not solved within `time_limit_s`.
fn solve_lp(
    projects: &[Project],
    s: &ScheduleSettings,
    time_limit_s: f64,
) -> Result<Option<(Vec<f64>, f64)>, PlanError> {
    let model = build_model(projects, s, true, None);
    let run = highs_solve(model, None, time_limit_s, s)?;
    if !run.optimal || run.values.len() < projects.len() * s.years().count() {
        return Ok(None);
    }
    Ok(Some((run.values, run.objective)))
}

/// Greedy from the LP relaxation: each project no earlier than the first year by which the LP
/// has started at least half of it, taken by that year and then in `order`.
fn lp_guided(projects: &[Project], s: &ScheduleSettings, order: &[usize], x: &[f64]) -> Schedule {
    let h = s.years().count();
    let targets: Vec<i32> = (0..projects.len())
        .map(|i| {
            let k = x[i * h..(i + 1) * h].iter().position(|&v| v >= 0.5);
            // A project the LP leaves out may still be placed, in the last year at the earliest.
            s.first_year + k.unwrap_or(h - 1) as i32
        })
        .collect();
    let mut position = vec![0; projects.len()];
    for (n, &i) in order.iter().enumerate() {
        position[i] = n;
    }
    let mut by_year: Vec<usize> = (0..projects.len()).collect();
    by_year.sort_by_key(|&i| (targets[i], position[i]));
    let mut packing = Packing::new(projects, s);
    packing.greedy(&by_year, Some(&targets));
    packing.improve(order, IMPROVE_PASSES);
    packing.schedule("greedy from the LP relaxation")
}

/// The columns a RINS sub-MIP (relaxation induced neighbourhood search) holds: those on which
/// the LP relaxation and the incumbent agree, at that value; the others stay free, so each
/// project may start only between where the two put it.
fn agreement(x: &[f64], incumbent: &[f64]) -> Vec<Option<f64>> {
    x.iter()
        .zip(incumbent)
        .map(|(lp, inc)| ((lp - inc).abs() < 1e-6).then_some(*inc))
        .collect()
}

/// A HiGHS run: the columns of its best solution, and how it ended.
struct HighsRun {
    values: Vec<f64>,
    optimal: bool,
    status: &'static str,
    gap: f64,
    /// Best bound, in the model's (scaled) units.
    bound: Option<f64>,
    /// The objective of the solution found (the optimum of an LP).
    objective: f64,
}

fn highs_solve(
    model: MilpModel,
    initial: Option<&[f64]>,
    time_limit_s: f64,
    s: &ScheduleSettings,
) -> Result<HighsRun, PlanError> {
    let MilpModel {
        vars,
        objective,
        constraints,
        ..
    } = model;
    let mut problem = good_lp::highs(vars.maximise(objective));
    for c in constraints {
        problem.add_constraint(c);
    }
    let mut model = problem.into_inner();
    let option = |name: &str| PlanError::Solver {
        solver: "HiGHS",
        reason: format!("cannot set option {name}"),
    };
    model
        .try_set_option("output_flag", s.solver_log)
        .map_err(|_| option("output_flag"))?;
    model
        .try_set_option("log_to_console", s.solver_log)
        .map_err(|_| option("log_to_console"))?;
    model
        .try_set_option("time_limit", time_limit_s.max(0.5))
        .map_err(|_| option("time_limit"))?;
    model
        .try_set_option("mip_rel_gap", s.mip_rel_gap)
        .map_err(|_| option("mip_rel_gap"))?;
    model
        .try_set_option("random_seed", 1)
        .map_err(|_| option("random_seed"))?;
    // MIP presolve probes every implication of the "started by" chains: tens of seconds at
    // national scale for a few removed rows.
    model
        .try_set_option("presolve", "off")
        .map_err(|_| option("presolve"))?;
    if let Some(initial) = initial {
        model.set_solution(Some(initial), None, None, None);
    }
    let solved = model.try_solve().map_err(|e| PlanError::Solver {
        solver: "HiGHS",
        reason: format!("{e:?}"),
    })?;
    use highs::HighsModelStatus as M;
    let (optimal, status) = match solved.status() {
        M::Optimal => (true, "optimal within the gap tolerance"),
        M::ReachedTimeLimit => (false, "time limit reached"),
        M::ObjectiveBound | M::ObjectiveTarget => (false, "objective bound reached"),
        M::ReachedSolutionLimit | M::ReachedIterationLimit => (false, "iteration limit reached"),
        other => {
            return Err(PlanError::Solver {
                solver: "HiGHS",
                reason: format!("finished with status {other:?}"),
            });
        }
    };
    let gap = solved.mip_gap();
    Ok(HighsRun {
        bound: solved
            .double_info_value(c"mip_dual_bound")
            .ok()
            .filter(|b| b.is_finite()),
        objective: solved.objective_value(),
        values: solved.get_solution().columns().to_vec(),
        optimal,
        status,
        gap: if gap.is_finite() {
            gap.max(0.0)
        } else {
            f64::INFINITY
        },
    })
}

/// A schedule's "started by" columns (column order = creation order in [`build_model`]).
fn start_vector(
    projects: &[Project],
    s: &ScheduleSettings,
    schedule: &Schedule,
    regions_with_rule: &BTreeMap<Region, (Vec<usize>, Vec<usize>)>,
) -> Vec<f64> {
    let years: Vec<i32> = s.years().collect();
    let start: BTreeMap<i64, i32> = schedule.starts.iter().map(|x| (x.id, x.year)).collect();
    let mut initial = Vec::with_capacity(projects.len() * years.len());
    for p in projects {
        let y = start.get(&p.id);
        initial.extend(
            years
                .iter()
                .map(|year| f64::from(u8::from(y.is_some_and(|y| y <= year)))),
        );
    }
    for (residential, _) in regions_with_rule.values() {
        for year in &years {
            let all = residential
                .iter()
                .all(|&r| start.get(&projects[r].id).is_some_and(|y| y <= year));
            initial.push(f64::from(u8::from(all)));
        }
    }
    initial
}

/// The schedule in a solution's columns.
fn schedule_of(
    projects: &[Project],
    s: &ScheduleSettings,
    values: &[f64],
    method: &str,
) -> Schedule {
    let years: Vec<i32> = s.years().collect();
    let h = years.len();
    let starts: Vec<(usize, i32)> = (0..projects.len())
        .filter_map(|i| {
            let k = (0..h).find(|&k| values.get(i * h + k).is_some_and(|v| *v > 0.5))?;
            Some((i, years[k]))
        })
        .collect();
    build_schedule(method, projects, starts, s)
}

/// Solve the MILP and compare it with greedy on the same rules.
///
/// With HiGHS, within `time_limit_s` in all: greedy by value per capital or per resource share
/// (each improved by moving single projects) is the first incumbent; the LP relaxation (a fifth of the time at most) gives a second, greedy from
/// its start years, and a RINS sub-MIP over the projects the LP and the incumbent disagree on
/// (two fifths of what is left) a third; the full MILP starts from the best of them and greedy
/// by rank, so it is never worse than any.
pub fn optimise(projects: &[Project], s: &ScheduleSettings) -> Result<Comparison, PlanError> {
    s.validate()?;
    let t0 = Instant::now();
    let greedy = greedy(projects, s)?;
    let greedy_seconds = t0.elapsed().as_secs_f64();
    if projects.is_empty() {
        return Ok(Comparison {
            milp: build_schedule("MILP (nothing to schedule)", projects, Vec::new(), s),
            greedy,
            solver: "none",
            status: "no projects".into(),
            gap: 0.0,
            bound: Some(0.0),
            solve_seconds: 0.0,
            greedy_seconds,
            variables: 0,
            constraints: 0,
            improvement_over_greedy: None,
            violations: Vec::new(),
        });
    }
    // A project that adds nothing at any start year and that no other project waits for is
    // never in an optimal schedule: leave it out of the model.
    let mut needed = vec![false; projects.len()];
    for (b, _) in precedence_indices(projects, s) {
        needed[b] = true;
    }
    let kept: Vec<Project> = projects
        .iter()
        .zip(&needed)
        .filter(|(p, needed)| **needed || s.years().any(|y| objective_value(p, y, s) > 0.0))
        .map(|(p, _)| p.clone())
        .collect();
    let all_projects = projects;
    let projects = &kept[..];
    let scale = objective_scale(s.objective);
    let t1 = Instant::now();
    let left = |share: f64| (s.time_limit_s - t1.elapsed().as_secs_f64()).max(0.0) * share;

    let order = density_order(projects, s);
    let mut best = Schedule {
        objective_value: f64::NEG_INFINITY,
        ..build_schedule("none", projects, Vec::new(), s)
    };
    for (method, o) in [
        ("greedy by value per capital", order.clone()),
        (
            "greedy by value per resource share",
            resource_order(projects, s),
        ),
    ] {
        let mut packing = Packing::new(projects, s);
        packing.greedy(&o, None);
        packing.improve(&o, IMPROVE_PASSES);
        let candidate = packing.schedule(method);
        if candidate.objective_value > best.objective_value {
            best = candidate;
        }
    }
    if greedy.objective_value > best.objective_value {
        best = build_schedule(
            &greedy.method,
            projects,
            greedy
                .starts
                .iter()
                .filter_map(|x| Some((projects.iter().position(|p| p.id == x.id)?, x.year)))
                .collect(),
            s,
        );
    }
    let model = build_model(projects, s, false, None);
    let (variables, n_constraints) = (model.variables, model.constraints.len());

    let (milp, status, gap, bound, solver) = match s.solver {
        SolverChoice::Highs => {
            let lp = solve_lp(projects, s, left(0.2))?;
            // In the objective's unit (the model is scaled).
            let lp_bound = lp.as_ref().map(|(_, bound)| *bound / scale);
            let proven = |best: &Schedule| {
                lp_bound.is_some_and(|b| {
                    b - best.objective_value <= s.mip_rel_gap * best.objective_value.abs()
                })
            };
            if let Some((x, _)) = &lp {
                let guided = lp_guided(projects, s, &order, x);
                if guided.objective_value > best.objective_value {
                    best = guided;
                }
                if !proven(&best) {
                    let incumbent = start_vector(projects, s, &best, &model.regions_with_rule);
                    let fixed = agreement(x, &incumbent);
                    let sub = build_model(projects, s, false, Some(&fixed));
                    let run = highs_solve(sub, Some(&incumbent), left(0.4), s)?;
                    let found = schedule_of(projects, s, &run.values, "RINS sub-MIP");
                    if found.objective_value > best.objective_value
                        && violations(projects, &found, s).is_empty()
                    {
                        best = found;
                    }
                }
            }
            if proven(&best) {
                // The LP relaxation's bound already proves the incumbent within the gap.
                let bound = lp_bound;
                let gap = bound.map_or(0.0, |b| {
                    ((b - best.objective_value) / best.objective_value.abs()).max(0.0)
                });
                let milp = Schedule {
                    method: "MILP (HiGHS)".into(),
                    ..best.clone()
                };
                (
                    milp,
                    "optimal within the gap tolerance (LP relaxation bound)".to_string(),
                    gap,
                    bound,
                    "HiGHS",
                )
            } else {
                let initial = start_vector(projects, s, &best, &model.regions_with_rule);
                let run = highs_solve(model, Some(&initial), left(1.0), s)?;
                let mut milp = schedule_of(projects, s, &run.values, "MILP (HiGHS)");
                // The solver keeps the incumbent it was given; should it return less (no solution
                // within the time), the incumbent stands.
                if milp.objective_value < best.objective_value || run.values.is_empty() {
                    milp = Schedule {
                        method: "MILP (HiGHS)".into(),
                        ..best.clone()
                    };
                }
                let bound = run.bound.map(|b| b / scale);
                // HiGHS's gap is against its own incumbent; this one is against the schedule kept.
                let gap = match bound {
                    Some(b) if milp.objective_value.abs() > 0.0 => {
                        ((b - milp.objective_value) / milp.objective_value.abs()).max(0.0)
                    }
                    _ => run.gap,
                };
                (milp, run.status.to_string(), gap, bound, "HiGHS")
            }
        }
        SolverChoice::Microlp => {
            let MilpModel {
                vars,
                objective,
                constraints,
                started,
                ..
            } = model;
            let mut problem = good_lp::microlp(vars.maximise(objective));
            for c in constraints {
                problem.add_constraint(c);
            }
            let solution = problem.solve().map_err(|e| PlanError::Solver {
                solver: "microlp",
                reason: e.to_string(),
            })?;
            let values: Vec<f64> = started
                .iter()
                .flatten()
                .map(|v| solution.value(*v))
                .collect();
            (
                schedule_of(projects, s, &values, "MILP (microlp)"),
                "optimal (microlp solves to optimality)".to_string(),
                0.0,
                None,
                "microlp",
            )
        }
    };
    let solve_seconds = t1.elapsed().as_secs_f64();
    let mut found = violations(all_projects, &milp, s);
    found.extend(violations(all_projects, &greedy, s));
    Ok(Comparison {
        improvement_over_greedy: (greedy.objective_value != 0.0).then(|| {
            (milp.objective_value - greedy.objective_value) / greedy.objective_value.abs()
        }),
        greedy,
        milp,
        solver,
        status,
        gap,
        bound,
        solve_seconds,
        greedy_seconds,
        variables,
        constraints: n_constraints,
        violations: found,
    })
}

/// Tonnes a schedule processes each year (for the national scenarios).
pub fn yearly_tonnes(schedule: &Schedule) -> BTreeMap<i32, f64> {
    schedule.tonnes_by_year.clone()
}

/// Charts of a comparison: capital and tonnes by year, MILP beside greedy.
pub fn charts(c: &Comparison, s: &ScheduleSettings) -> Result<Vec<(String, String)>, PlanError> {
    let years: Vec<i32> = s.years().collect();
    let categories: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    let by_year = |m: &BTreeMap<i32, f64>, unit: f64| -> Vec<f64> {
        years
            .iter()
            .map(|y| m.get(y).copied().unwrap_or(0.0) / unit)
            .collect()
    };
    Ok(vec![
        (
            "schedule-capex.svg".to_string(),
            qaita_charts::grouped_bars_svg(
                &format!(
                    "Capital committed by year (budget {:.0} M USD/yr)",
                    s.annual_budget_usd / 1e6
                ),
                "M USD",
                &categories,
                &[
                    (c.milp.method.clone(), by_year(&c.milp.capex_by_year, 1e6)),
                    (
                        c.greedy.method.clone(),
                        by_year(&c.greedy.capex_by_year, 1e6),
                    ),
                ],
            )?,
        ),
        (
            "schedule-tonnes.svg".to_string(),
            qaita_charts::grouped_bars_svg(
                "Tonnes reprocessed by year",
                "Mt",
                &categories,
                &[
                    (c.milp.method.clone(), by_year(&c.milp.tonnes_by_year, 1e6)),
                    (
                        c.greedy.method.clone(),
                        by_year(&c.greedy.tonnes_by_year, 1e6),
                    ),
                ],
            )?,
        ),
    ])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A few hundred projects: large enough that the LP relaxation, its guided greedy and the
    /// RINS sub-MIP all run; every rule re-checked here from the starts alone.
    #[test]
    fn larger_instances_stay_feasible_and_the_bound_holds() {
        use rand::rngs::SmallRng;
        use rand::{RngExt, SeedableRng};
        let regions = [
            Region::Karaganda,
            Region::Pavlodar,
            Region::EastKazakhstan,
            Region::Kostanay,
            Region::Aktobe,
        ];
        for seed in [1, 2, 3] {
            let mut rng = SmallRng::seed_from_u64(seed);
            let projects: Vec<Project> = (0..300)
                .map(|i| {
                    let capex = rng.random_range(5e6..8e7);
                    let mut p = project(
                        i + 1,
                        regions[rng.random_range(0..regions.len())],
                        capex * rng.random_range(-0.5..1.5),
                        capex,
                        rng.random_range(1e5..3e6),
                        rng.random_range(4..15),
                    );
                    p.residential = rng.random_range(0.0..1.0) < 0.1;
                    p.rank = ((i * 7919) % 300) as usize + 1;
                    p
                })
                .collect();
            let mut s = settings(2026, 2040, 4e8, 1.2e7);
            s.residential_first = true;
            s.precedence = vec![(5, 6), (7, 8), (9, 8)];
            s.mip_rel_gap = 0.01;
            s.time_limit_s = 5.0;
            let c = optimise(&projects, &s).unwrap();
            assert!(c.violations.is_empty(), "seed {seed}: {:?}", c.violations);
            let start: BTreeMap<i64, i32> = c.milp.starts.iter().map(|x| (x.id, x.year)).collect();
            let mut capex: BTreeMap<i32, f64> = BTreeMap::new();
            let mut tonnes: BTreeMap<(Region, i32), f64> = BTreeMap::new();
            for p in &projects {
                let Some(&y) = start.get(&p.id) else { continue };
                assert!((2026..=2040).contains(&y));
                *capex.entry(y).or_default() += p.capex_usd;
                for t in y..=2040 {
                    *tonnes.entry((p.region, t)).or_default() += p.processed(i64::from(t - y));
                }
            }
            assert!(
                capex.values().all(|c| *c <= 4e8 * (1.0 + 1e-9)),
                "seed {seed}"
            );
            assert!(
                tonnes.values().all(|t| *t <= 1.2e7 * (1.0 + 1e-9)),
                "seed {seed}"
            );
            for (b, a) in [(5, 6), (7, 8), (9, 8)] {
                if let Some(ya) = start.get(&a) {
                    assert!(
                        start.get(&b).is_some_and(|yb| yb <= ya),
                        "seed {seed}: {b} before {a}"
                    );
                }
            }
            for r in projects.iter().filter(|p| p.residential) {
                for o in projects
                    .iter()
                    .filter(|o| !o.residential && o.region == r.region)
                {
                    if let Some(yo) = start.get(&o.id) {
                        assert!(
                            start.get(&r.id).is_some_and(|yr| yr <= yo),
                            "seed {seed}: residential {} after {}",
                            r.id,
                            o.id
                        );
                    }
                }
            }
            // Never worse than greedy, and the value and gap agree with the bound.
            assert!(c.milp.objective_value >= c.greedy.objective_value - 1e-6);
            let bound = c.bound.expect("HiGHS reports a bound");
            assert!(
                bound >= c.milp.objective_value * (1.0 - 1e-9),
                "seed {seed}"
            );
            let gap = (bound - c.milp.objective_value) / c.milp.objective_value;
            assert!(
                (gap.max(0.0) - c.gap).abs() < 1e-9,
                "seed {seed}: {gap} vs {}",
                c.gap
            );
            // The improvement step never lowers a greedy schedule.
            let order = density_order(&projects, &s);
            let mut plain = Packing::new(&projects, &s);
            plain.greedy(&order, None);
            let mut improved = Packing::new(&projects, &s);
            improved.greedy(&order, None);
            improved.improve(&order, IMPROVE_PASSES);
            let (plain, improved) = (plain.schedule("plain"), improved.schedule("improved"));
            assert!(improved.objective_value >= plain.objective_value - 1e-6);
            assert!(violations(&projects, &improved, &s).is_empty());
        }
    }

    pub(crate) fn project(
        id: i64,
        region: Region,
        npv: f64,
        capex: f64,
        q: f64,
        life: usize,
    ) -> Project {
        let mut processed = vec![0.0];
        processed.extend(std::iter::repeat_n(q, life));
        Project {
            id,
            external_id: format!("P{id}"),
            region,
            capex_usd: capex,
            processed_t_by_year: processed,
            npv_usd: npv,
            exposure_people: 0.0,
            residential: false,
            rank: id as usize,
        }
    }

    pub(crate) fn settings(first: i32, last: i32, budget: f64, capacity: f64) -> ScheduleSettings {
        ScheduleSettings {
            first_year: first,
            last_year: last,
            annual_budget_usd: budget,
            regional_capacity_tpa: BTreeMap::new(),
            default_capacity_tpa: capacity,
            discount_rate: 0.08,
            objective: Objective::Npv,
            residential_first: false,
            precedence: Vec::new(),
            solver: SolverChoice::Highs,
            time_limit_s: 30.0,
            mip_rel_gap: 0.0,
            solver_log: false,
        }
    }

    /// The best feasible schedule by trying every assignment (small instances only).
    fn brute_force(projects: &[Project], s: &ScheduleSettings) -> f64 {
        let years: Vec<i32> = s.years().collect();
        let options = years.len() + 1;
        let total = options.pow(projects.len() as u32);
        let mut best = 0.0f64;
        for code in 0..total {
            let mut c = code;
            let mut starts = Vec::new();
            for i in 0..projects.len() {
                let choice = c % options;
                c /= options;
                if choice > 0 {
                    starts.push((i, years[choice - 1]));
                }
            }
            let sched = build_schedule("brute force", projects, starts, s);
            if violations(projects, &sched, s).is_empty() {
                best = best.max(sched.objective_value);
            }
        }
        best
    }

    /// A small instance where greedy by rank is not optimal: the best-ranked project uses the
    /// budget that two better ones together would use better.
    fn small_instance() -> (Vec<Project>, ScheduleSettings) {
        let mut a = project(1, Region::Karaganda, 10e6, 8e6, 1e6, 3);
        a.rank = 1;
        let mut b = project(2, Region::Karaganda, 9e6, 5e6, 1e6, 3);
        b.rank = 2;
        let mut c = project(3, Region::Karaganda, 8e6, 5e6, 1e6, 3);
        c.rank = 3;
        let mut d = project(4, Region::Pavlodar, -2e6, 3e6, 5e5, 2);
        d.rank = 4;
        d.residential = true;
        let mut e = project(5, Region::Pavlodar, 6e6, 4e6, 5e5, 2);
        e.rank = 5;
        let mut s = settings(2026, 2028, 10e6, 2.5e6);
        s.residential_first = true;
        (vec![a, b, c, d, e], s)
    }

    #[test]
    fn milp_matches_brute_force_and_beats_greedy() {
        let (projects, s) = small_instance();
        let best = brute_force(&projects, &s);
        let c = optimise(&projects, &s).unwrap();
        assert!(c.violations.is_empty(), "{:?}", c.violations);
        assert!(
            (c.milp.objective_value - best).abs() <= 1e-6 * best.abs(),
            "MILP {} vs brute force {best}",
            c.milp.objective_value
        );
        assert!(c.milp.objective_value >= c.greedy.objective_value - 1e-6);
        assert!(c.gap <= 1e-9, "gap {}", c.gap);
        // The residential project P4 (negative NPV) must come first for P5 to start.
        let start =
            |id: i64, sched: &Schedule| sched.starts.iter().find(|x| x.id == id).map(|x| x.year);
        if let Some(y5) = start(5, &c.milp) {
            assert!(start(4, &c.milp).is_some_and(|y4| y4 <= y5));
        }
    }

    #[test]
    fn microlp_agrees_with_highs_on_the_small_instance() {
        let (projects, mut s) = small_instance();
        let highs = optimise(&projects, &s).unwrap();
        s.solver = SolverChoice::Microlp;
        let micro = optimise(&projects, &s).unwrap();
        assert!(micro.violations.is_empty(), "{:?}", micro.violations);
        assert!(
            (micro.milp.objective_value - highs.milp.objective_value).abs()
                <= 1e-6 * highs.milp.objective_value.abs()
        );
    }

    #[test]
    fn every_objective_is_at_least_greedy_and_feasible() {
        let regions = [Region::Karaganda, Region::Pavlodar, Region::EastKazakhstan];
        let projects: Vec<Project> = (0..24)
            .map(|i| {
                let mut p = project(
                    i,
                    regions[i as usize % 3],
                    ((i * 7919) % 23) as f64 * 1e6 - 6e6,
                    ((i * 104729) % 13 + 2) as f64 * 1e6,
                    ((i * 31) % 5 + 1) as f64 * 2e5,
                    (i % 6 + 3) as usize,
                );
                p.residential = i % 9 == 0;
                p.exposure_people = (i % 4) as f64 * 500.0;
                p.rank = ((i * 17) % 24) as usize + 1;
                p
            })
            .collect();
        for objective in [Objective::Npv, Objective::Tonnes, Objective::Exposure] {
            let mut s = settings(2026, 2035, 15e6, 1.2e6);
            s.objective = objective;
            s.residential_first = true;
            s.precedence = vec![(3, 4), (10, 20)];
            s.mip_rel_gap = 0.01;
            let c = optimise(&projects, &s).unwrap();
            assert!(c.violations.is_empty(), "{objective:?}: {:?}", c.violations);
            assert!(
                c.milp.objective_value >= c.greedy.objective_value * (1.0 - 1e-9) - 1e-6,
                "{objective:?}: MILP {} < greedy {}",
                c.milp.objective_value,
                c.greedy.objective_value
            );
            // Budget and capacity, year by year, checked here directly as well.
            for used in c.milp.capex_by_year.values() {
                assert!(*used <= s.annual_budget_usd * (1.0 + 1e-6));
            }
            for years in c.milp.regional_tonnes.values() {
                for used in years.values() {
                    assert!(*used <= s.default_capacity_tpa * (1.0 + 1e-6));
                }
            }
            assert!(!c.milp.starts.is_empty());
        }
    }

    #[test]
    fn greedy_waits_for_predecessors_and_respects_limits() {
        let mut s = settings(2026, 2030, 10e6, 1e6);
        s.precedence = vec![(2, 1)];
        let projects = vec![
            project(1, Region::Karaganda, 5e6, 6e6, 5e5, 3),
            project(2, Region::Karaganda, 4e6, 6e6, 5e5, 3),
        ];
        let g = greedy(&projects, &s).unwrap();
        assert!(violations(&projects, &g, &s).is_empty());
        let year = |id| g.starts.iter().find(|x| x.id == id).unwrap().year;
        // P2 first (precedence); P1 the next year (budget 10 M < 6 + 6).
        assert_eq!((year(2), year(1)), (2026, 2027));
    }

    #[test]
    fn objective_values() {
        let p = {
            let mut p = project(1, Region::Karaganda, 10e6, 1e6, 100.0, 4);
            p.exposure_people = 10.0;
            p
        };
        let s = settings(2026, 2030, 1e9, 1e9);
        assert_eq!(objective_value(&p, 2026, &s), 10e6);
        assert!((objective_value(&p, 2027, &s) - 10e6 / 1.08).abs() < 1e-6);
        let mut t = s.clone();
        t.objective = Objective::Tonnes;
        assert_eq!(objective_value(&p, 2026, &t), 400.0);
        assert_eq!(objective_value(&p, 2028, &t), 200.0); // 2029, 2030 within the horizon
        t.objective = Objective::Exposure;
        // Gone by year: 0, 1/4, 2/4, 3/4, 1 -> 2.5 years avoided for 10 people.
        assert!((objective_value(&p, 2026, &t) - 25.0).abs() < 1e-9);
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut s = settings(2030, 2026, 1e6, 1e6);
        assert!(greedy(&[], &s).is_err());
        s = settings(2026, 2030, -1.0, 1e6);
        assert!(
            optimise(&[], &s)
                .unwrap_err()
                .to_string()
                .contains("budget")
        );
    }
}
