//! Valuation of one TMF under Kazakhstan's tax regime, as the CLI and the server run and
//! store it: the project from registry figures or the latest resource estimate, the best
//! fitting route, Monte Carlo, tornado.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use qaita_econ::data::{PriceDeck, Route, Scenario, TaxRegime, bundled, parse_routes};
use qaita_econ::montecarlo::{McConfig, McResult, simulate};
use qaita_econ::valuation::{
    Assumptions, Model, Project, TornadoBar, Valuation, route_fits, tornado,
};
use qaita_model::{Commodity, FigureField, StoredTmf};
use qaita_store::Store;
use serde::{Deserialize, Serialize};

/// Kind of the stored analysis.
pub const VALUATION: &str = "valuation";
pub const METHOD: &str = "qaita-econ: yearly cash flow under Kazakhstan MET (coefficient by legal class) and 20% CIT; correlated GBM price Monte Carlo";

/// Prices, tax rates and processing routes a valuation uses.
pub struct EconData {
    pub deck: PriceDeck,
    pub tax: TaxRegime,
    pub routes: Vec<Route>,
    /// Where the data came from, as stored with each valuation.
    pub source: String,
}

/// The bundled illustrative data, with any of its files replaced by those in `econ_data`.
pub fn load(econ_data: Option<&Path>) -> Result<EconData> {
    let read = |name: &str, bundled: &'static str| -> Result<String> {
        match econ_data {
            Some(dir) if dir.join(name).exists() => std::fs::read_to_string(dir.join(name))
                .with_context(|| format!("cannot read {}", dir.join(name).display())),
            _ => Ok(bundled.to_string()),
        }
    };
    let deck = PriceDeck::parse(
        &read("prices.csv", bundled::PRICES)?,
        &read("fx.csv", bundled::FX)?,
    )?;
    let tax = TaxRegime::parse(
        &read("met-rates.csv", bundled::MET_RATES)?,
        &read("met-precious.csv", bundled::MET_PRECIOUS)?,
    )?;
    let routes = parse_routes(
        &read("routes.csv", bundled::ROUTES)?,
        &read("route-recoveries.csv", bundled::ROUTE_RECOVERIES)?,
    )?;
    let source = match econ_data {
        Some(dir) => format!(
            "{} (files present there replace the bundled ones)",
            dir.display()
        ),
        None => "bundled illustrative deck and routes, data/econ (2026-11-01)".to_string(),
    };
    Ok(EconData {
        deck,
        tax,
        routes,
        source,
    })
}

/// The project a TMF's registry figures describe; grades from registry figures are uncertain
/// (relative SD 30%) until a resource estimate replaces them.
pub fn project_of(stored: &StoredTmf) -> Option<Project> {
    let tmf = &stored.tmf;
    let tonnage_t = tmf.tonnage_t()?;
    let grades = tmf
        .commodities()
        .into_iter()
        .filter_map(|c| {
            Some((
                c.clone(),
                tmf.current(&FigureField::Grade(c.clone()))?.canonical(),
            ))
        })
        .collect();
    Some(Project {
        tonnage_t,
        grades,
        kind: tmf.kind,
        legal_class: tmf.legal_class,
        grade_relative_sd: 0.3,
    })
}

/// The project of a TMF, from its latest resource estimate when there is one: the estimate's
/// tonnes (all classes) and grade replace the registry's, and its kriging uncertainty replaces
/// the 30% assumed for registry grades. Returns the project and where its figures come from.
pub fn project_with_estimate(
    stored: &StoredTmf,
    estimate: Option<&qaita_store::Analysis>,
) -> Option<(Project, String)> {
    let mut project = project_of(stored);
    let Some(e) = estimate else {
        return project.map(|p| (p, "registry figures".to_string()));
    };
    let lines = e.result["resources"].as_array()?;
    let pick = |class: &str| lines.iter().find(|l| l["class"] == class);
    let (mut tonnes, mut contained) = (0.0, 0.0);
    for class in ["Measured + Indicated", "Inferred"] {
        if let Some(l) = pick(class) {
            tonnes += l["tonnes"].as_f64().unwrap_or(0.0);
            contained += l["contained_t"].as_f64().unwrap_or(0.0);
        }
    }
    let commodity: Commodity = e.result["commodity"].as_str()?.parse().ok()?;
    if tonnes <= 0.0 {
        return project.map(|p| {
            (
                p,
                "registry figures (the resource estimate has no tonnes)".to_string(),
            )
        });
    }
    let p = project.get_or_insert_with(|| Project {
        tonnage_t: tonnes,
        grades: Vec::new(),
        kind: stored.tmf.kind,
        legal_class: stored.tmf.legal_class,
        grade_relative_sd: 0.3,
    });
    p.tonnage_t = tonnes;
    let grade = contained / tonnes;
    match p.grades.iter_mut().find(|(c, _)| *c == commodity) {
        Some(g) => g.1 = grade,
        None => p.grades.push((commodity, grade)),
    }
    if let Some(sd) = e.result["grade_relative_sd"]
        .as_f64()
        .filter(|v| v.is_finite())
    {
        p.grade_relative_sd = sd;
    }
    project.map(|p| {
        (
            p,
            format!("resource estimate v{} ({})", e.version, e.created_at),
        )
    })
}

/// Economic options shared by single valuations and policy runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EconOptions {
    /// Real discount rate per year (0.08 = 8%).
    pub discount_rate: f64,
    /// Plant capacity, t/yr (default: tonnage / 15 years, within 50 kt/yr..10 Mt/yr).
    pub capacity: Option<f64>,
    /// Payments for waste placement avoided per tonne reprocessed, USD/t.
    pub avoided_payment: f64,
}

impl Default for EconOptions {
    fn default() -> Self {
        EconOptions {
            discount_rate: 0.08,
            capacity: None,
            avoided_payment: 0.0,
        }
    }
}

/// Checked assumptions; errors name the option.
pub fn assumptions(
    args: &EconOptions,
    scenario: Scenario,
    met_coefficient: Option<f64>,
) -> Result<Assumptions> {
    if !(0.0..=1.0).contains(&args.discount_rate) {
        bail!(
            "--discount-rate {} must be between 0 and 1 (0.08 = 8%)",
            args.discount_rate
        );
    }
    if let Some(c) = met_coefficient
        && !(0.0..=1.0).contains(&c)
    {
        bail!("--met-coefficient {c} must be between 0 and 1");
    }
    if let Some(c) = args.capacity
        && !(c > 0.0 && c.is_finite())
    {
        bail!("--capacity must be a positive number of tonnes per year");
    }
    Ok(Assumptions {
        discount_rate: args.discount_rate,
        capacity_tpa: args.capacity,
        scenario,
        met_coefficient,
        avoided_payment_usd_per_t: args.avoided_payment,
        ..Assumptions::default()
    })
}

/// A TMF's valuation as stored and printed.
#[derive(Serialize)]
pub struct ValueResult {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub valuation: Valuation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub montecarlo: Option<McResult>,
    pub tornado: Vec<TornadoBar>,
    /// NPV of the other fitting routes.
    pub alternatives: Vec<(String, f64)>,
    /// Registry figures or the resource estimate the tonnes and grades come from.
    pub basis: String,
    pub data: String,
}

impl ValueResult {
    /// What listings sort by: the P50 NPV, or the deterministic NPV without Monte Carlo.
    pub fn headline(&self) -> f64 {
        self.montecarlo
            .as_ref()
            .map_or(self.valuation.npv_usd, |mc| mc.p50_usd)
    }
}

/// Route and Monte Carlo choices of one valuation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueOptions {
    /// Processing route (default: the fitting route with the highest NPV).
    pub route: Option<String>,
    /// Monte Carlo paths (0 switches Monte Carlo off).
    pub paths: usize,
    pub seed: u64,
}

impl Default for ValueOptions {
    fn default() -> Self {
        ValueOptions {
            route: None,
            paths: 10_000,
            seed: 42,
        }
    }
}

/// Value one TMF; `None` when it has no tonnage or no route fits it.
pub fn value_one(
    stored: &StoredTmf,
    estimate: Option<&qaita_store::Analysis>,
    data: &EconData,
    a: &Assumptions,
    args: &ValueOptions,
) -> Result<Option<ValueResult>> {
    let Some((project, basis)) = project_with_estimate(stored, estimate) else {
        return Ok(None);
    };
    let fitting: Vec<&Route> = data
        .routes
        .iter()
        .filter(|r| route_fits(r, &project))
        .collect();
    let valuations: Vec<(&Route, Valuation)> = fitting
        .iter()
        .map(|r| {
            (
                *r,
                Model::new(&project, r, &data.deck, &data.tax, a).valuation(),
            )
        })
        .collect();
    let chosen = match &args.route {
        Some(name) => valuations
            .iter()
            .find(|(r, _)| &r.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = fitting.iter().map(|r| r.name.as_str()).collect();
                anyhow!(
                    "route '{name}' does not fit {} (fitting routes: {})",
                    stored.tmf.external_id,
                    names.join(", ")
                )
            })?,
        None => match valuations
            .iter()
            .max_by(|x, y| x.1.npv_usd.total_cmp(&y.1.npv_usd))
        {
            Some(best) => best,
            None => return Ok(None),
        },
    };
    let (route, valuation) = chosen;
    let model = Model::new(&project, route, &data.deck, &data.tax, a);
    let montecarlo = (args.paths > 0).then(|| {
        simulate(
            &model,
            &McConfig {
                paths: args.paths,
                seed: args.seed,
                ..McConfig::default()
            },
        )
    });
    Ok(Some(ValueResult {
        id: stored.id,
        external_id: stored.tmf.external_id.clone(),
        name: stored.tmf.names.name.clone(),
        valuation: valuation.clone(),
        montecarlo,
        tornado: tornado(&project, route, &data.deck, &data.tax, a),
        alternatives: valuations
            .iter()
            .filter(|(r, _)| r.name != route.name)
            .map(|(r, v)| (r.name.clone(), v.npv_usd))
            .collect(),
        basis,
        data: data.source.clone(),
    }))
}

/// The headline of a stored valuation, for `show`.
#[derive(Debug, Clone, Serialize)]
pub struct ValuationSummary {
    pub version: i64,
    pub created_at: String,
    pub actor: String,
    pub route: Option<String>,
    pub scenario: Option<String>,
    pub npv_usd: Option<f64>,
    pub irr: serde_json::Value,
    pub p10_usd: Option<f64>,
    pub p50_usd: Option<f64>,
    pub p90_usd: Option<f64>,
    pub probability_positive: Option<f64>,
}

impl ValuationSummary {
    pub fn of(a: &qaita_store::Analysis) -> Self {
        let v = &a.result["valuation"];
        let mc = &a.result["montecarlo"];
        ValuationSummary {
            version: a.version,
            created_at: a.created_at.clone(),
            actor: a.actor.clone(),
            route: v["route"].as_str().map(str::to_string),
            scenario: v["scenario"].as_str().map(str::to_string),
            npv_usd: v["npv_usd"].as_f64(),
            irr: v["irr"].clone(),
            p10_usd: mc["p10_usd"].as_f64(),
            p50_usd: mc["p50_usd"].as_f64(),
            p90_usd: mc["p90_usd"].as_f64(),
            probability_positive: mc["probability_positive"].as_f64(),
        }
    }
}

impl std::fmt::Display for ValuationSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = |v: Option<f64>| v.map_or("-".to_string(), musd);
        let irr: Vec<f64> = self
            .irr
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default();
        write!(
            f,
            "valuation v{} ({} by {}): route {}, {} prices, NPV {} M USD, IRR {}, P10/P50/P90 {}/{}/{} M USD",
            self.version,
            self.created_at,
            self.actor,
            self.route.as_deref().unwrap_or("-"),
            self.scenario.as_deref().unwrap_or("-"),
            m(self.npv_usd),
            irr_text(&irr),
            m(self.p10_usd),
            m(self.p50_usd),
            m(self.p90_usd)
        )
    }
}

pub fn musd(v: f64) -> String {
    format!("{:.2}", v / 1e6)
}

pub fn irr_text(irr: &[f64]) -> String {
    match irr {
        [] => "none".into(),
        [one] => format!("{:.1}%", one * 100.0),
        several => format!(
            "several: {}",
            several
                .iter()
                .map(|r| format!("{:.1}%", r * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Value one TMF and store the result as a new valuation version; `None` when it cannot be
/// valued (no tonnage, or no route fits). Returns the result and the stored analysis id.
#[allow(clippy::too_many_arguments)]
pub fn value_and_store(
    store: &mut Store,
    stored: &StoredTmf,
    data: &EconData,
    econ: &EconOptions,
    assumptions: &Assumptions,
    options: &ValueOptions,
    actor: &str,
) -> Result<Option<(ValueResult, i64)>> {
    let estimate = store
        .analyses(stored.id, crate::estimate::RESOURCE_ESTIMATE)?
        .pop();
    let Some(r) = value_one(stored, estimate.as_ref(), data, assumptions, options)? else {
        return Ok(None);
    };
    let id = store_result(store, &r, data, econ, assumptions, options, actor)?;
    Ok(Some((r, id)))
}

/// Store a computed valuation as a new version; returns the analysis id.
pub fn store_result(
    store: &mut Store,
    r: &ValueResult,
    data: &EconData,
    econ: &EconOptions,
    assumptions: &Assumptions,
    options: &ValueOptions,
    actor: &str,
) -> Result<i64> {
    let parameters = serde_json::json!({
        "assumptions": assumptions,
        "econ": econ,
        "route": options.route,
        "montecarlo": {"paths": options.paths, "seed": options.seed},
        "data": data.source,
    });
    Ok(store.add_analysis(
        r.id,
        VALUATION,
        actor,
        METHOD,
        &parameters,
        &serde_json::to_value(r)?,
        Some(r.headline()),
    )?)
}

/// The projects of every TMF matching `filter` that can be valued (from its latest resource
/// estimate where there is one), for policy sweeps.
pub fn projects(store: &mut Store, filter: &qaita_store::TmfFilter) -> Result<Vec<Project>> {
    let stored = store.list(filter)?;
    let mut projects = Vec::with_capacity(stored.len());
    for s in &stored {
        let estimate = store
            .analyses(s.id, crate::estimate::RESOURCE_ESTIMATE)?
            .pop();
        projects.extend(project_with_estimate(s, estimate.as_ref()).map(|(p, _)| p));
    }
    Ok(projects)
}
