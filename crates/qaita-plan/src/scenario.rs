//! National stock and flow of TMFs, base year to end year (2025-2050): the start stock and the
//! annual generation as ranges with their sources, reprocessing as a share of generation plus,
//! in some scenarios, the tonnes that TMF-level project schedules take out of the stock.
//!
//! stock(y) = stock(y - 1) + generation - share(y) x generation - projects(y)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::PlanError;
use crate::config::{self, DataSource, bad};

/// A stock figure as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockFigure {
    pub value_bn_t: f64,
    /// The year the figure describes.
    pub year: i32,
    pub source: String,
    pub date: String,
    pub confidence: String,
}

/// Annual generation as a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationRange {
    pub low: f64,
    pub base: f64,
    pub high: f64,
    pub source: String,
    pub date: String,
    pub confidence: String,
}

/// The share of generation reprocessed today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareFigure {
    pub value: f64,
    pub source: String,
    pub date: String,
    pub confidence: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// What a scenario adds to the share of generation reprocessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioKind {
    /// Only the share path.
    Share,
    /// The share path plus the tonnes of TMF-level project schedules (given by the caller).
    SharePlusProjects,
}

/// One scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub name: String,
    pub label: String,
    pub kind: ScenarioKind,
    /// `(year, share of generation reprocessed)`, linear between points, flat outside them.
    pub share_path: Vec<(i32, f64)>,
    /// MET coefficient the caller applies to every TMF when valuing the projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_coefficient: Option<f64>,
}

impl ScenarioSpec {
    /// Share reprocessed in `year`.
    pub fn share(&self, year: i32) -> f64 {
        let path = &self.share_path;
        match path.iter().position(|(y, _)| *y >= year) {
            None => path.last().map_or(0.0, |p| p.1),
            Some(0) => path[0].1,
            Some(i) => {
                let ((y0, s0), (y1, s1)) = (path[i - 1], path[i]);
                s0 + (s1 - s0) * f64::from(year - y0) / f64::from(y1 - y0)
            }
        }
    }
}

/// National stock settings (`data/plan/national-stock.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalStockConfig {
    pub provenance: DataSource,
    pub base_year: i32,
    pub end_year: i32,
    pub stock_figures: Vec<StockFigure>,
    pub generation_mt_per_year: GenerationRange,
    pub reprocessed_share: ShareFigure,
    pub scenarios: Vec<ScenarioSpec>,
}

impl NationalStockConfig {
    pub fn bundled() -> Self {
        Self::parse(
            "data/plan/national-stock.json",
            config::bundled::NATIONAL_STOCK,
        )
        .expect("the bundled national stock figures are valid")
    }

    pub fn parse(file: &str, text: &str) -> Result<Self, PlanError> {
        let c: NationalStockConfig = config::parse(file, text)?;
        if c.end_year <= c.base_year {
            return Err(bad(file, "end_year", "must be after base_year"));
        }
        if c.stock_figures.is_empty() {
            return Err(bad(file, "stock_figures", "at least one figure is needed"));
        }
        for (i, f) in c.stock_figures.iter().enumerate() {
            if !(f.value_bn_t.is_finite() && f.value_bn_t > 0.0) {
                return Err(bad(
                    file,
                    format!("stock_figures[{i}].value_bn_t"),
                    "must be a positive number of billion tonnes",
                ));
            }
        }
        let g = &c.generation_mt_per_year;
        if !(0.0 <= g.low && g.low <= g.base && g.base <= g.high && g.high.is_finite()) {
            return Err(bad(
                file,
                "generation_mt_per_year",
                "need 0 <= low <= base <= high",
            ));
        }
        if !(0.0..=1.0).contains(&c.reprocessed_share.value) {
            return Err(bad(
                file,
                "reprocessed_share.value",
                "must be a share in 0..1",
            ));
        }
        for (i, s) in c.scenarios.iter().enumerate() {
            if s.share_path.is_empty() {
                return Err(bad(
                    file,
                    format!("scenarios[{i}].share_path"),
                    "needs at least one (year, share) point",
                ));
            }
            if s.share_path.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(bad(
                    file,
                    format!("scenarios[{i}].share_path"),
                    "years must increase",
                ));
            }
            if s.share_path.iter().any(|p| !(0.0..=1.0).contains(&p.1)) {
                return Err(bad(
                    file,
                    format!("scenarios[{i}].share_path"),
                    "shares must be in 0..1",
                ));
            }
        }
        Ok(c)
    }

    /// Each published stock figure carried to the base year with the base generation net of
    /// today's reprocessing, t.
    pub fn start_stock_estimates(&self) -> Vec<(f64, &StockFigure)> {
        let net_growth =
            self.generation_mt_per_year.base * 1e6 * (1.0 - self.reprocessed_share.value);
        self.stock_figures
            .iter()
            .map(|f| {
                (
                    f.value_bn_t * 1e9 + f64::from(self.base_year - f.year) * net_growth,
                    f,
                )
            })
            .collect()
    }

    /// Start stock (low, base, high), t: the smallest, median and largest of the estimates.
    pub fn start_stock_range(&self) -> (f64, f64, f64) {
        let mut v: Vec<f64> = self
            .start_stock_estimates()
            .into_iter()
            .map(|e| e.0)
            .collect();
        v.sort_by(f64::total_cmp);
        let median = if v.len() % 2 == 1 {
            v[v.len() / 2]
        } else {
            (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
        };
        (v[0], median, v[v.len() - 1])
    }
}

/// One year of one scenario; low/base/high pair the low start stock with low generation, and
/// so on. Tonnes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioYear {
    pub year: i32,
    pub share: f64,
    pub generation_t: [f64; 3],
    pub reprocessed_t: [f64; 3],
    /// Of which by the TMF-level projects (same in all three).
    pub projects_t: f64,
    /// Stock at the end of the year.
    pub stock_t: [f64; 3],
}

/// A scenario's path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub label: String,
    pub years: Vec<ScenarioYear>,
    /// Reprocessed over the period (after the base year), base case, t.
    pub reprocessed_total_t: f64,
    pub projects_total_t: f64,
}

/// All scenarios with the start figures they share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenarios {
    pub base_year: i32,
    pub end_year: i32,
    /// `(estimate carried to the base year, t; the figure)`.
    pub start_stock_estimates: Vec<(f64, StockFigure)>,
    pub start_stock_t: [f64; 3],
    pub generation: GenerationRange,
    pub reprocessed_share: ShareFigure,
    pub results: Vec<ScenarioResult>,
    pub provenance: DataSource,
}

/// Run every scenario. `projects` gives, by scenario name, the tonnes reprocessed each year by
/// scheduled TMF projects (only used by `share_plus_projects` scenarios; a missing entry is an
/// error there, so a scenario is never silently run without its projects).
pub fn run(
    config: &NationalStockConfig,
    projects: &BTreeMap<String, BTreeMap<i32, f64>>,
) -> Result<Scenarios, PlanError> {
    let (low, base, high) = config.start_stock_range();
    let g = &config.generation_mt_per_year;
    let generation = [g.low * 1e6, g.base * 1e6, g.high * 1e6];
    let mut results = Vec::new();
    for s in &config.scenarios {
        let empty = BTreeMap::new();
        let by_year = match s.kind {
            ScenarioKind::Share => &empty,
            ScenarioKind::SharePlusProjects => projects.get(&s.name).ok_or_else(|| {
                PlanError::Setting(format!(
                    "scenario '{}' needs its project schedule, none was given",
                    s.name
                ))
            })?,
        };
        let mut stock = [low, base, high];
        let mut years = vec![ScenarioYear {
            year: config.base_year,
            share: s.share(config.base_year),
            generation_t: generation,
            reprocessed_t: generation.map(|g| g * s.share(config.base_year)),
            projects_t: 0.0,
            stock_t: stock,
        }];
        let (mut total, mut projects_total) = (0.0, 0.0);
        for year in config.base_year + 1..=config.end_year {
            let share = s.share(year);
            let from_projects = by_year.get(&year).copied().unwrap_or(0.0);
            let mut reprocessed = [0.0; 3];
            for k in 0..3 {
                // Projects cannot take out more than the stock holds.
                let taken = (share * generation[k] + from_projects)
                    .min(stock[k] + generation[k])
                    .max(0.0);
                reprocessed[k] = taken;
                stock[k] += generation[k] - taken;
            }
            total += reprocessed[1];
            projects_total += from_projects;
            years.push(ScenarioYear {
                year,
                share,
                generation_t: generation,
                reprocessed_t: reprocessed,
                projects_t: from_projects,
                stock_t: stock,
            });
        }
        results.push(ScenarioResult {
            name: s.name.clone(),
            label: s.label.clone(),
            years,
            reprocessed_total_t: total,
            projects_total_t: projects_total,
        });
    }
    Ok(Scenarios {
        base_year: config.base_year,
        end_year: config.end_year,
        start_stock_estimates: config
            .start_stock_estimates()
            .into_iter()
            .map(|(v, f)| (v, f.clone()))
            .collect(),
        start_stock_t: [low, base, high],
        generation: g.clone(),
        reprocessed_share: config.reprocessed_share.clone(),
        results,
        provenance: config.provenance.clone(),
    })
}

/// Charts: the stock path of each scenario (base, with the low-high band of the first) and
/// the tonnes reprocessed each year.
pub fn charts(s: &Scenarios) -> Result<Vec<(String, String)>, PlanError> {
    if s.results.is_empty() {
        return Ok(Vec::new());
    }
    let x = |year: i32| f64::from(year - s.base_year);
    let line =
        |name: String, r: &ScenarioResult, f: &dyn Fn(&ScenarioYear) -> f64| qaita_charts::Series {
            name,
            points: r.years.iter().map(|y| (x(y.year), f(y))).collect(),
            markers: false,
        };
    let mut stock: Vec<qaita_charts::Series> = s
        .results
        .iter()
        .map(|r| line(format!("{} (base)", r.name), r, &|y| y.stock_t[1] / 1e9))
        .collect();
    let first = &s.results[0];
    stock.push(line(format!("{} (low)", first.name), first, &|y| {
        y.stock_t[0] / 1e9
    }));
    stock.push(line(format!("{} (high)", first.name), first, &|y| {
        y.stock_t[2] / 1e9
    }));
    let flows: Vec<qaita_charts::Series> = s
        .results
        .iter()
        .map(|r| line(r.name.clone(), r, &|y| y.reprocessed_t[1] / 1e6))
        .collect();
    Ok(vec![
        (
            "scenario-stock.svg".to_string(),
            qaita_charts::xy_svg(
                &format!("National TMF stock {}-{}", s.base_year, s.end_year),
                &format!("years after {}", s.base_year),
                "stock, bn t",
                &stock,
            )?,
        ),
        (
            "scenario-reprocessed.svg".to_string(),
            qaita_charts::xy_svg(
                "Tonnes reprocessed per year (base case)",
                &format!("years after {}", s.base_year),
                "Mt/yr",
                &flows,
            )?,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_stock_range_carries_each_figure_to_the_base_year() {
        let c = NationalStockConfig::bundled();
        let (low, base, high) = c.start_stock_range();
        // 47 bn t in 2019 + 6 years x 500 Mt x 0.89 = 49.67 bn t; 55 bn t in 2025;
        // 56 bn t in 2026 - 0.445 = 55.555 bn t.
        assert!((low - 49.67e9).abs() < 1e6, "{low}");
        assert_eq!(base, 55e9);
        assert!((high - 55.555e9).abs() < 1e6, "{high}");
    }

    #[test]
    fn stock_balance_holds_every_year() {
        let c = NationalStockConfig::bundled();
        let mut projects = BTreeMap::new();
        projects.insert(
            "met-0.1".to_string(),
            (2027..2040).map(|y| (y, 2e6)).collect(),
        );
        let s = run(&c, &projects).unwrap();
        assert_eq!(s.results.len(), 3);
        for r in &s.results {
            assert_eq!(r.years.first().unwrap().year, 2025);
            assert_eq!(r.years.last().unwrap().year, 2050);
            for w in r.years.windows(2) {
                for k in 0..3 {
                    let balance = w[0].stock_t[k] + w[1].generation_t[k] - w[1].reprocessed_t[k];
                    assert!((balance - w[1].stock_t[k]).abs() < 1.0);
                }
            }
        }
        let bau = &s.results[0];
        let met = &s.results[1];
        assert!((bau.years[10].stock_t[1] - met.years[10].stock_t[1] - 9.0 * 2e6).abs() < 1.0);
        assert_eq!(met.projects_total_t, 13.0 * 2e6);
        let targets = &s.results[2];
        assert!((targets.years[5].share - 0.40).abs() < 1e-12); // 2030
        assert!(targets.years[25].stock_t[1] < bau.years[25].stock_t[1]);
    }

    #[test]
    fn missing_projects_are_an_error_and_paths_interpolate() {
        let c = NationalStockConfig::bundled();
        assert!(run(&c, &BTreeMap::new()).is_err());
        let s = &c.scenarios[2];
        assert!((s.share(2027) - (0.11 + 0.29 * 2.0 / 5.0)).abs() < 1e-12);
        assert_eq!(s.share(2000), 0.11);
        assert_eq!(s.share(2060), 0.75);
    }
}
