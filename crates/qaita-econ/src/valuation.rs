//! Cash-flow model of reprocessing one TMF: schedule, revenue, MET, CIT, capital, closure;
//! NPV, IRR, payback, break-even; best route; sensitivity.

use std::collections::BTreeMap;

use qaita_model::{Commodity, Kind, LegalClass};
use serde::Serialize;

use crate::data::{PriceDeck, Route, Scenario, TaxRegime};
use crate::finance::{irr_all, npv, payback_year};

/// What is reprocessed: tonnage and grades (mass fractions), from the registry or a resource
/// estimate, and what the law says about it.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub tonnage_t: f64,
    pub grades: Vec<(Commodity, f64)>,
    pub kind: Kind,
    pub legal_class: LegalClass,
    /// Relative standard deviation of the grades (0.3 for registry figures; from kriging
    /// variance when a resource estimate exists). Used by Monte Carlo only.
    pub grade_relative_sd: f64,
}

/// Economic assumptions of a valuation.
#[derive(Debug, Clone, Serialize)]
pub struct Assumptions {
    /// Real discount rate per year.
    pub discount_rate: f64,
    /// Plant capacity, t/yr; by default tonnage / `target_life_years`, within the bounds below.
    pub capacity_tpa: Option<f64>,
    pub target_life_years: f64,
    pub min_capacity_tpa: f64,
    pub max_capacity_tpa: f64,
    /// Share of capacity reached in the first years of operation.
    pub ramp_up: Vec<f64>,
    /// Operating years valued at most; material left after is not valued.
    pub horizon_years: usize,
    pub scenario: Scenario,
    /// MET coefficient; `None` applies the law: the regime's TMF coefficient (0.1) for
    /// technogenic subsoil, 1.0 otherwise.
    pub met_coefficient: Option<f64>,
    /// Payments for waste placement avoided per tonne reprocessed (a benefit), USD/t.
    pub avoided_payment_usd_per_t: f64,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            discount_rate: 0.08,
            capacity_tpa: None,
            target_life_years: 15.0,
            min_capacity_tpa: 50_000.0,
            max_capacity_tpa: 10_000_000.0,
            ramp_up: vec![0.6, 0.85],
            horizon_years: 25,
            scenario: Scenario::Base,
            met_coefficient: None,
            avoided_payment_usd_per_t: 0.0,
        }
    }
}

impl Assumptions {
    pub fn capacity(&self, tonnage_t: f64) -> f64 {
        self.capacity_tpa.unwrap_or_else(|| {
            (tonnage_t / self.target_life_years).clamp(self.min_capacity_tpa, self.max_capacity_tpa)
        })
    }

    pub fn met_coefficient_for(&self, legal_class: LegalClass, tax: &TaxRegime) -> f64 {
        self.met_coefficient.unwrap_or(match legal_class {
            LegalClass::TechnogenicSubsoil => tax.tmf_coefficient,
            LegalClass::Waste | LegalClass::Undetermined => 1.0,
        })
    }
}

/// Multipliers on the model's drivers, for sensitivity and Monte Carlo (1.0 = as assumed).
#[derive(Debug, Clone)]
pub struct Drivers {
    /// Price of each project commodity per year (index 0 = year 1 of operation), USD/t.
    pub prices_usd_t: Vec<Vec<f64>>,
    pub grade: f64,
    pub recovery: f64,
    pub opex: f64,
    pub capex: f64,
}

/// Multipliers of one simulated outcome on grade, recovery, opex and capex (1.0 = as assumed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Factors {
    pub grade: f64,
    pub recovery: f64,
    pub opex: f64,
    pub capex: f64,
}

impl Factors {
    pub const NONE: Factors = Factors {
        grade: 1.0,
        recovery: 1.0,
        opex: 1.0,
        capex: 1.0,
    };
}

impl Drivers {
    pub fn factors(&self) -> Factors {
        Factors {
            grade: self.grade,
            recovery: self.recovery,
            opex: self.opex,
            capex: self.capex,
        }
    }
}

/// Per-path multipliers for [`Model::run_batch`].
pub struct BatchFactors<'a> {
    pub grade: &'a [f64],
    pub recovery: &'a [f64],
    pub opex: &'a [f64],
    pub capex: &'a [f64],
}

/// Reusable buffers of [`Model::run_batch`].
#[derive(Default)]
pub struct BatchScratch {
    capex: Vec<f64>,
    revenue: Vec<f64>,
    met: Vec<f64>,
    losses: Vec<f64>,
    /// Sum of the losses still in the carry-forward window, per path.
    outstanding: Vec<f64>,
}

/// One year of the cash-flow table. Year 0 is construction.
#[derive(Debug, Clone, Default, Serialize)]
pub struct YearRow {
    pub year: usize,
    pub processed_t: f64,
    pub revenue_usd: f64,
    pub opex_usd: f64,
    pub met_usd: f64,
    pub cit_usd: f64,
    pub capex_usd: f64,
    pub closure_usd: f64,
    pub avoided_payments_usd: f64,
    pub cash_flow_usd: f64,
}

/// The result of valuing one TMF on one route.
#[derive(Debug, Clone, Serialize)]
pub struct Valuation {
    pub route: String,
    pub scenario: Scenario,
    pub discount_rate: f64,
    pub met_coefficient: f64,
    pub capacity_tpa: f64,
    pub operating_years: usize,
    pub processed_t: f64,
    pub capex_usd: f64,
    pub npv_usd: f64,
    pub npv_kzt: f64,
    /// Every IRR; empty when there is none, several when cash flows change sign more than once.
    pub irr: Vec<f64>,
    /// Years from the start of construction until the cumulative cash flow stays positive.
    pub payback_years: Option<usize>,
    pub npv_per_t_usd: f64,
    /// Factor on all commodity prices at which NPV is zero (1.2 = prices 20% higher).
    pub break_even_price_factor: Option<f64>,
    pub revenue_usd: f64,
    pub met_usd: f64,
    pub cit_usd: f64,
    /// Tonnes of payable commodity produced over the life.
    pub produced_t: BTreeMap<Commodity, f64>,
    pub water_m3: f64,
    pub years: Vec<YearRow>,
}

/// Inputs that do not change between paths of a simulation.
pub struct Model<'a> {
    pub project: &'a Project,
    pub route: &'a Route,
    pub deck: &'a PriceDeck,
    pub tax: &'a TaxRegime,
    pub assumptions: &'a Assumptions,
    /// Recovery and payability for each project commodity (0 when the route does not recover it).
    recoveries: Vec<(f64, f64)>,
    /// MET rate for each project commodity at the scenario price.
    met_rates: Vec<f64>,
    pub met_coefficient: f64,
    pub capacity_tpa: f64,
    /// Processed tonnes per operating year.
    schedule: Vec<f64>,
    /// Recovered commodities: (index in project grades, grade, recovery, payability, MET rate x coefficient).
    recovered: Vec<(usize, f64, f64, f64, f64)>,
    /// Initial capital before any multiplier.
    capex_base: f64,
}

impl<'a> Model<'a> {
    pub fn new(
        project: &'a Project,
        route: &'a Route,
        deck: &'a PriceDeck,
        tax: &'a TaxRegime,
        assumptions: &'a Assumptions,
    ) -> Self {
        let scenario = assumptions.scenario;
        let recoveries: Vec<(f64, f64)> = project
            .grades
            .iter()
            .map(|(c, _)| route.recoveries.get(c).copied().unwrap_or((0.0, 0.0)))
            .collect();
        let met_rates: Vec<f64> = project
            .grades
            .iter()
            .map(|(c, _)| {
                tax.met_rate(
                    c,
                    deck.prices.get(c).map_or(0.0, |p| p.usd_per_oz(scenario)),
                )
            })
            .collect();
        let capacity_tpa = assumptions.capacity(project.tonnage_t);
        let mut schedule = Vec::new();
        let mut remaining = project.tonnage_t;
        while remaining > 1e-9 && schedule.len() < assumptions.horizon_years {
            let share = assumptions
                .ramp_up
                .get(schedule.len())
                .copied()
                .unwrap_or(1.0);
            let t = (capacity_tpa * share).min(remaining);
            schedule.push(t);
            remaining -= t;
        }
        let met_coefficient = assumptions.met_coefficient_for(project.legal_class, tax);
        let recovered = project
            .grades
            .iter()
            .enumerate()
            .filter_map(|(k, (_, grade))| {
                let (recovery, payability): (f64, f64) = recoveries[k];
                (recovery > 0.0).then(|| {
                    (
                        k,
                        *grade,
                        recovery,
                        payability,
                        met_rates[k] * met_coefficient,
                    )
                })
            })
            .collect();
        Model {
            project,
            route,
            deck,
            tax,
            assumptions,
            recoveries,
            met_rates,
            met_coefficient,
            capacity_tpa,
            schedule,
            recovered,
            capex_base: route.capex_usd(capacity_tpa),
        }
    }

    /// Deterministic drivers: deck prices of the scenario, constant over time.
    pub fn base_drivers(&self) -> Drivers {
        let scenario = self.assumptions.scenario;
        let years = self.schedule.len();
        Drivers {
            prices_usd_t: self
                .project
                .grades
                .iter()
                .map(|(c, _)| {
                    vec![
                        self.deck
                            .prices
                            .get(c)
                            .map_or(0.0, |p| p.usd_per_t(scenario));
                        years
                    ]
                })
                .collect(),
            grade: 1.0,
            recovery: 1.0,
            opex: 1.0,
            capex: 1.0,
        }
    }

    /// Cash flows (year 0 = construction) under `drivers`; fills `table` when given.
    pub fn cash_flows(&self, drivers: &Drivers, table: Option<&mut Vec<YearRow>>) -> Vec<f64> {
        let mut flows = Vec::with_capacity(self.schedule.len() + 1);
        let mut losses = Vec::new();
        self.run(
            |k, i| drivers.prices_usd_t[k][i],
            drivers.factors(),
            &mut losses,
            Some(&mut flows),
            table,
        );
        flows
    }

    pub fn npv(&self, drivers: &Drivers) -> f64 {
        self.run(
            |k, i| drivers.prices_usd_t[k][i],
            drivers.factors(),
            &mut Vec::new(),
            None,
            None,
        )
    }

    /// The same model as [`Model::run`], for many outcomes at once: `factors` and `out` have one
    /// entry per path, `price(k, i)` gives the prices of project commodity `k` in operating year
    /// `i` for those paths. Arrays over paths let the compiler vectorise the arithmetic; a test
    /// keeps this equal to `run` path by path.
    pub fn run_batch<'p>(
        &self,
        price: impl Fn(usize, usize) -> &'p [f64],
        factors: &BatchFactors<'_>,
        out: &mut [f64],
        scratch: &mut BatchScratch,
    ) {
        let n = out.len();
        let route = self.route;
        let years = self.schedule.len();
        let depreciation_years = self.tax.depreciation_years.max(1);
        let carry = self.tax.loss_carry_forward_years;
        let discount = 1.0 / (1.0 + self.assumptions.discount_rate);
        let BatchScratch {
            capex,
            revenue,
            met,
            losses,
            outstanding,
        } = scratch;
        for v in [&mut *capex, &mut *revenue, &mut *met, &mut *outstanding] {
            v.clear();
            v.resize(n, 0.0);
        }
        losses.clear();
        losses.resize((years + 1) * n, 0.0);
        for p in 0..n {
            capex[p] = self.capex_base * factors.capex[p];
            out[p] = -capex[p];
        }
        let mut factor = 1.0;
        let mut processed_total = 0.0;
        for (i, &processed) in self.schedule.iter().enumerate() {
            let year = i + 1;
            processed_total += processed;
            let material =
                processed * route.material_price_usd_per_t * route.material_payable_share;
            revenue.iter_mut().for_each(|r| *r = material);
            met.iter_mut().for_each(|m| *m = 0.0);
            for &(k, grade, recovery, payability, met_rate) in &self.recovered {
                let prices = &price(k, i)[..n];
                for p in 0..n {
                    let contained = processed * grade * factors.grade[p];
                    revenue[p] += contained
                        * (recovery * factors.recovery[p]).min(1.0)
                        * payability
                        * prices[p];
                    met[p] += met_rate * contained * prices[p];
                }
            }
            let avoided = processed * self.assumptions.avoided_payment_usd_per_t;
            let closure = if i + 1 == years {
                processed_total * route.closure_usd_per_t
            } else {
                0.0
            };
            factor *= discount;
            let (before, rest) = losses.split_at_mut(year * n);
            let current = &mut rest[..n];
            let window = year.saturating_sub(carry).max(1);
            // The loss of year `window - 1` leaves the carry-forward window now.
            let expiring = window.checked_sub(1).filter(|y| *y >= 1);
            // Branch-free passes over paths (vectorised), with the rare loss carry-forward in a
            // separate scalar pass only for the paths that have one outstanding.
            for p in 0..n {
                let opex = processed * route.opex_usd_per_t * factors.opex[p];
                let sustaining = capex[p] * route.sustaining_capex_share;
                let depreciation = if year <= depreciation_years {
                    capex[p] / depreciation_years as f64
                } else {
                    0.0
                };
                let cash_before_tax = revenue[p] + avoided - opex - met[p] - sustaining - closure;
                let taxable = cash_before_tax - depreciation;
                current[p] = (-taxable).max(0.0);
                met[p] = taxable.max(0.0); // reused: taxable income before losses
                revenue[p] = cash_before_tax; // reused: cash flow before CIT
            }
            if let Some(y) = expiring {
                for p in 0..n {
                    outstanding[p] -= before[y * n + p];
                }
            }
            for p in 0..n {
                if outstanding[p] > 0.0 && met[p] > 0.0 {
                    let mut taxable = met[p];
                    for prev in window..year {
                        let loss = &mut before[prev * n + p];
                        let used = loss.min(taxable);
                        *loss -= used;
                        taxable -= used;
                        outstanding[p] -= used;
                    }
                    met[p] = taxable;
                }
            }
            let cit_rate = self.tax.cit_rate;
            for p in 0..n {
                outstanding[p] += current[p];
                out[p] += (revenue[p] - met[p] * cit_rate) * factor;
            }
        }
    }

    /// Every number the model runs on, resolved for this project and route, for exporting the
    /// same model to another implementation (the numpy benchmark).
    pub fn resolved(&self) -> ResolvedModel {
        let scenario = self.assumptions.scenario;
        ResolvedModel {
            capex_usd: self.route.capex_usd(self.capacity_tpa),
            schedule_t: self.schedule.clone(),
            commodities: self
                .project
                .grades
                .iter()
                .enumerate()
                .filter(|(k, _)| self.recoveries[*k].0 > 0.0)
                .map(|(k, (c, grade))| ResolvedCommodity {
                    code: c.code().to_string(),
                    grade: *grade,
                    recovery: self.recoveries[k].0,
                    payability: self.recoveries[k].1,
                    met_rate: self.met_rates[k] * self.met_coefficient,
                    price_usd_t: self
                        .deck
                        .prices
                        .get(c)
                        .map_or(0.0, |p| p.usd_per_t(scenario)),
                    volatility: self.deck.prices.get(c).map_or(0.0, |p| p.volatility),
                })
                .collect(),
            opex_usd_per_t: self.route.opex_usd_per_t,
            sustaining_capex_share: self.route.sustaining_capex_share,
            closure_usd_per_t: self.route.closure_usd_per_t,
            material_usd_per_t: self.route.material_price_usd_per_t
                * self.route.material_payable_share,
            avoided_usd_per_t: self.assumptions.avoided_payment_usd_per_t,
            depreciation_years: self.tax.depreciation_years.max(1),
            loss_carry_forward_years: self.tax.loss_carry_forward_years,
            cit_rate: self.tax.cit_rate,
            discount_rate: self.assumptions.discount_rate,
            grade_relative_sd: self.project.grade_relative_sd,
        }
    }

    /// Operating years of the schedule.
    pub fn operating_years(&self) -> usize {
        self.schedule.len()
    }

    /// The model itself, shared by every caller: runs the schedule with `price(k, i)` for
    /// project commodity `k` in operating year `i` (0-based) and returns the NPV. `losses` is
    /// scratch space (reused between calls to avoid allocation); `flows` and `table` are
    /// filled when given.
    pub fn run(
        &self,
        price: impl Fn(usize, usize) -> f64,
        factors: Factors,
        losses: &mut Vec<(usize, f64)>,
        mut flows: Option<&mut Vec<f64>>,
        mut table: Option<&mut Vec<YearRow>>,
    ) -> f64 {
        let route = self.route;
        let capex = self.capex_base * factors.capex;
        let years = self.schedule.len();
        let discount = 1.0 / (1.0 + self.assumptions.discount_rate);
        let mut npv = -capex;
        let mut factor = 1.0;
        if let Some(f) = flows.as_deref_mut() {
            f.clear();
            f.push(-capex);
        }
        if let Some(t) = table.as_deref_mut() {
            t.clear();
            t.push(YearRow {
                year: 0,
                capex_usd: capex,
                cash_flow_usd: -capex,
                ..YearRow::default()
            });
        }
        losses.clear();
        let depreciation_years = self.tax.depreciation_years.max(1);
        let recovery_factor = factors.recovery;
        let mut processed_total = 0.0;
        for (i, &processed) in self.schedule.iter().enumerate() {
            let year = i + 1;
            processed_total += processed;
            let mut revenue =
                processed * route.material_price_usd_per_t * route.material_payable_share;
            let mut met = 0.0;
            // Commodities the route does not recover bring neither revenue nor MET.
            for &(k, grade, recovery, payability, met_rate) in &self.recovered {
                let contained = processed * grade * factors.grade;
                let price = price(k, i);
                revenue += contained * (recovery * recovery_factor).min(1.0) * payability * price;
                // MET is levied on the value of the metal in the extracted (here: reprocessed)
                // material.
                met += met_rate * contained * price;
            }
            let opex = processed * route.opex_usd_per_t * factors.opex;
            let sustaining = capex * route.sustaining_capex_share;
            let avoided = processed * self.assumptions.avoided_payment_usd_per_t;
            let closure = if i + 1 == years {
                processed_total * route.closure_usd_per_t
            } else {
                0.0
            };
            let depreciation = if year <= depreciation_years {
                capex / depreciation_years as f64
            } else {
                0.0
            };
            let mut taxable = revenue + avoided - opex - met - sustaining - closure - depreciation;
            if taxable > 0.0 {
                // Use losses of the last `loss_carry_forward_years`, oldest first.
                losses.retain(|(y, l)| year - y <= self.tax.loss_carry_forward_years && *l > 0.0);
                for (_, loss) in losses.iter_mut() {
                    let used = loss.min(taxable);
                    *loss -= used;
                    taxable -= used;
                }
            } else {
                losses.push((year, -taxable));
                taxable = 0.0;
            }
            let cit = taxable * self.tax.cit_rate;
            let cash = revenue + avoided - opex - met - sustaining - closure - cit;
            factor *= discount;
            npv += cash * factor;
            if let Some(f) = flows.as_deref_mut() {
                f.push(cash);
            }
            if let Some(t) = table.as_deref_mut() {
                t.push(YearRow {
                    year,
                    processed_t: processed,
                    revenue_usd: revenue,
                    opex_usd: opex,
                    met_usd: met,
                    cit_usd: cit,
                    capex_usd: sustaining,
                    closure_usd: closure,
                    avoided_payments_usd: avoided,
                    cash_flow_usd: cash,
                });
            }
        }
        npv
    }

    /// The full valuation with the deterministic drivers.
    pub fn valuation(&self) -> Valuation {
        let drivers = self.base_drivers();
        let mut years = Vec::new();
        let flows = self.cash_flows(&drivers, Some(&mut years));
        let npv_usd = npv(self.assumptions.discount_rate, &flows);
        let scaled = |k: f64| {
            let mut d = drivers.clone();
            d.prices_usd_t.iter_mut().flatten().for_each(|p| *p *= k);
            self.npv(&d)
        };
        let break_even_price_factor = if scaled(0.0) >= 0.0 {
            Some(0.0)
        } else if scaled(50.0) < 0.0 {
            None
        } else {
            let (mut lo, mut hi) = (0.0, 50.0);
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if scaled(mid) < 0.0 {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            Some(0.5 * (lo + hi))
        };
        let mut produced_t = BTreeMap::new();
        for (k, (c, grade)) in self.project.grades.iter().enumerate() {
            let (recovery, payability) = self.recoveries[k];
            if recovery > 0.0 {
                produced_t.insert(
                    c.clone(),
                    self.schedule.iter().sum::<f64>() * grade * recovery * payability,
                );
            }
        }
        let processed_t: f64 = self.schedule.iter().sum();
        Valuation {
            route: self.route.name.clone(),
            scenario: self.assumptions.scenario,
            discount_rate: self.assumptions.discount_rate,
            met_coefficient: self.met_coefficient,
            capacity_tpa: self.capacity_tpa,
            operating_years: self.schedule.len(),
            processed_t,
            capex_usd: -flows[0],
            npv_usd,
            npv_kzt: npv_usd * self.deck.kzt_per_usd(self.assumptions.scenario),
            irr: irr_all(&flows),
            payback_years: payback_year(&flows),
            npv_per_t_usd: if self.project.tonnage_t > 0.0 {
                npv_usd / self.project.tonnage_t
            } else {
                0.0
            },
            break_even_price_factor,
            revenue_usd: years.iter().map(|y| y.revenue_usd).sum(),
            met_usd: years.iter().map(|y| y.met_usd).sum(),
            cit_usd: years.iter().map(|y| y.cit_usd).sum(),
            produced_t,
            water_m3: processed_t * self.route.water_m3_per_t,
            years,
        }
    }
}

/// A model with every input resolved to numbers (see [`Model::resolved`]).
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedModel {
    pub capex_usd: f64,
    pub schedule_t: Vec<f64>,
    pub commodities: Vec<ResolvedCommodity>,
    pub opex_usd_per_t: f64,
    pub sustaining_capex_share: f64,
    pub closure_usd_per_t: f64,
    pub material_usd_per_t: f64,
    pub avoided_usd_per_t: f64,
    pub depreciation_years: usize,
    pub loss_carry_forward_years: usize,
    pub cit_rate: f64,
    pub discount_rate: f64,
    pub grade_relative_sd: f64,
}

/// One recovered commodity of a [`ResolvedModel`]; `met_rate` includes the MET coefficient.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedCommodity {
    pub code: String,
    pub grade: f64,
    pub recovery: f64,
    pub payability: f64,
    pub met_rate: f64,
    pub price_usd_t: f64,
    pub volatility: f64,
}

/// Whether a route can do anything with a project: right kind, and it recovers a commodity the
/// project has or sells the material.
pub fn route_fits(route: &Route, project: &Project) -> bool {
    route.applies_to(project.kind)
        && (route.material_price_usd_per_t > 0.0
            || project
                .grades
                .iter()
                .any(|(c, g)| *g > 0.0 && route.recoveries.contains_key(c)))
}

/// Value a project on every fitting route; the best (highest NPV) first.
pub fn value_all_routes(
    project: &Project,
    routes: &[Route],
    deck: &PriceDeck,
    tax: &TaxRegime,
    assumptions: &Assumptions,
) -> Vec<Valuation> {
    let mut out: Vec<Valuation> = routes
        .iter()
        .filter(|r| route_fits(r, project))
        .map(|r| Model::new(project, r, deck, tax, assumptions).valuation())
        .collect();
    out.sort_by(|a, b| {
        b.npv_usd
            .total_cmp(&a.npv_usd)
            .then_with(|| a.route.cmp(&b.route))
    });
    out
}

/// One bar of a tornado chart: NPV with a driver at its low and high value.
#[derive(Debug, Clone, Serialize)]
pub struct TornadoBar {
    pub driver: String,
    pub low_label: String,
    pub high_label: String,
    pub npv_low_usd: f64,
    pub npv_high_usd: f64,
}

/// Sensitivity of NPV to each driver, widest swing first: each commodity price ±20%, grade
/// ±20%, recovery ±10%, opex and capex ±20%, discount rate ±2 points, MET coefficient 0.1 vs 1.
pub fn tornado(
    project: &Project,
    route: &Route,
    deck: &PriceDeck,
    tax: &TaxRegime,
    assumptions: &Assumptions,
) -> Vec<TornadoBar> {
    let model = Model::new(project, route, deck, tax, assumptions);
    let base = model.base_drivers();
    let mut bars = Vec::new();
    let mut bar = |driver: String, low: (String, f64), high: (String, f64)| {
        bars.push(TornadoBar {
            driver,
            low_label: low.0,
            high_label: high.0,
            npv_low_usd: low.1,
            npv_high_usd: high.1,
        });
    };
    for (k, (c, _)) in project.grades.iter().enumerate() {
        if model.recoveries[k].0 == 0.0 {
            continue;
        }
        let with = |f: f64| {
            let mut d = base.clone();
            d.prices_usd_t[k].iter_mut().for_each(|p| *p *= f);
            model.npv(&d)
        };
        bar(
            format!("{c} price"),
            ("-20%".into(), with(0.8)),
            ("+20%".into(), with(1.2)),
        );
    }
    let vary = |set: &dyn Fn(&mut Drivers)| {
        let mut d = base.clone();
        set(&mut d);
        model.npv(&d)
    };
    bar(
        "grade".into(),
        ("-20%".into(), vary(&|d| d.grade = 0.8)),
        ("+20%".into(), vary(&|d| d.grade = 1.2)),
    );
    bar(
        "recovery".into(),
        ("-10%".into(), vary(&|d| d.recovery = 0.9)),
        ("+10%".into(), vary(&|d| d.recovery = 1.1)),
    );
    bar(
        "opex".into(),
        ("+20%".into(), vary(&|d| d.opex = 1.2)),
        ("-20%".into(), vary(&|d| d.opex = 0.8)),
    );
    bar(
        "capex".into(),
        ("+20%".into(), vary(&|d| d.capex = 1.2)),
        ("-20%".into(), vary(&|d| d.capex = 0.8)),
    );
    let with_assumptions = |a: Assumptions| Model::new(project, route, deck, tax, &a).npv(&base);
    let rate = assumptions.discount_rate;
    bar(
        "discount rate".into(),
        (
            format!("{:.0}%", (rate + 0.02) * 100.0),
            with_assumptions(Assumptions {
                discount_rate: rate + 0.02,
                ..assumptions.clone()
            }),
        ),
        (
            format!("{:.0}%", (rate - 0.02).max(0.0) * 100.0),
            with_assumptions(Assumptions {
                discount_rate: (rate - 0.02).max(0.0),
                ..assumptions.clone()
            }),
        ),
    );
    bar(
        "MET coefficient".into(),
        (
            "1.0".into(),
            with_assumptions(Assumptions {
                met_coefficient: Some(1.0),
                ..assumptions.clone()
            }),
        ),
        (
            format!("{}", tax.tmf_coefficient),
            with_assumptions(Assumptions {
                met_coefficient: Some(tax.tmf_coefficient),
                ..assumptions.clone()
            }),
        ),
    );
    bars.sort_by(|a, b| {
        (b.npv_high_usd - b.npv_low_usd)
            .abs()
            .total_cmp(&(a.npv_high_usd - a.npv_low_usd).abs())
    });
    bars
}
