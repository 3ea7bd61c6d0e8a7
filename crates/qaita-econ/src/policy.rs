//! The tax-policy simulator: the whole inventory under a sweep of MET coefficients and price
//! scenarios. Answers how many TMFs the 0.1 coefficient makes viable and what it costs the
//! budget.

use std::collections::BTreeMap;

use qaita_model::Commodity;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::{PriceDeck, Route, Scenario, TaxRegime};
use crate::valuation::{Assumptions, Project, value_all_routes};

/// One cell of the sweep.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRow {
    pub met_coefficient: f64,
    pub scenario: Scenario,
    pub objects: usize,
    /// TMFs whose best route has NPV > 0.
    pub viable: usize,
    /// Tonnes the viable projects reprocess within the horizon.
    pub tonnes_reprocessed: f64,
    /// Payable commodity produced by the viable projects, t.
    pub produced_t: BTreeMap<Commodity, f64>,
    /// Undiscounted MET and CIT paid by the viable projects over their lives, USD.
    pub met_usd: f64,
    pub cit_usd: f64,
    /// Present value (at the valuation discount rate) of MET + CIT, USD.
    pub tax_pv_usd: f64,
    /// Sum of the viable projects' NPVs, USD.
    pub npv_usd: f64,
}

/// Run the sweep. Each coefficient applies to every TMF, as if all were technogenic subsoil;
/// a project is viable when its best route has a positive NPV.
pub fn sweep(
    projects: &[Project],
    routes: &[Route],
    deck: &PriceDeck,
    tax: &TaxRegime,
    assumptions: &Assumptions,
    coefficients: &[f64],
    scenarios: &[Scenario],
) -> Vec<PolicyRow> {
    let mut rows = Vec::new();
    for &scenario in scenarios {
        for &coefficient in coefficients {
            let a = Assumptions {
                scenario,
                met_coefficient: Some(coefficient),
                ..assumptions.clone()
            };
            let best: Vec<_> = projects
                .par_iter()
                .filter_map(|p| {
                    value_all_routes(p, routes, deck, tax, &a)
                        .into_iter()
                        .next()
                })
                .collect();
            let mut row = PolicyRow {
                met_coefficient: coefficient,
                scenario,
                objects: projects.len(),
                viable: 0,
                tonnes_reprocessed: 0.0,
                produced_t: BTreeMap::new(),
                met_usd: 0.0,
                cit_usd: 0.0,
                tax_pv_usd: 0.0,
                npv_usd: 0.0,
            };
            for v in best.iter().filter(|v| v.npv_usd > 0.0) {
                row.viable += 1;
                row.tonnes_reprocessed += v.processed_t;
                for (c, t) in &v.produced_t {
                    *row.produced_t.entry(c.clone()).or_default() += t;
                }
                row.met_usd += v.met_usd;
                row.cit_usd += v.cit_usd;
                let taxes: Vec<f64> = v.years.iter().map(|y| y.met_usd + y.cit_usd).collect();
                row.tax_pv_usd += crate::finance::npv(a.discount_rate, &taxes);
                row.npv_usd += v.npv_usd;
            }
            rows.push(row);
        }
    }
    rows
}
