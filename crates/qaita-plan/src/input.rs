//! What the planner needs to know about each TMF, as plain data. A front end (the CLI, the
//! server) fills these from the registry, its stored analyses and the proximity assessment; the
//! planner never reads a database or a file.

use std::collections::BTreeMap;

use qaita_model::{Commodity, Confidence, Kind, LegalClass, Region, Status};
use serde::{Deserialize, Serialize};

/// One TMF as the planner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTmf {
    /// Registry id.
    pub id: i64,
    /// Key of the source inventory (`KZ-TMF-0012`).
    pub external_id: String,
    /// Latin-script name.
    pub name: String,
    pub region: Region,
    pub kind: Kind,
    pub status: Status,
    pub legal_class: LegalClass,
    /// Whether an owner is recorded (most TMFs in Kazakhstan have none).
    pub owner_known: bool,
    /// Current tonnage, t; `None` when the registry has none.
    pub tonnage_t: Option<f64>,
    /// Confidence of the current tonnage figure's source, if there is a tonnage.
    pub tonnage_confidence: Option<Confidence>,
    /// Contained commodity, t (oxide tonnes for oxides and TREO, as reported).
    pub contained_t: BTreeMap<Commodity, f64>,
    /// The latest valuation, if any (stored, or computed for this plan; `basis` says which).
    pub valuation: Option<ValuationFacts>,
    /// Exposure of people, from the proximity assessment.
    pub proximity: ProximityFacts,
    /// Free-text hazard notes from the registry ("dusting", "cyanide", "radon", ...).
    pub hazard_notes: Option<String>,
    /// The class of the latest resource estimate, if there is one.
    pub resource_class: Option<EstimateClass>,
}

/// The headline of a valuation (NPV in USD, real terms, at the valuation's discount rate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValuationFacts {
    /// Processing route valued.
    pub route: String,
    /// Deterministic NPV at the price scenario, USD.
    pub npv_usd: f64,
    /// Monte Carlo percentiles, USD; `None` when Monte Carlo was not run.
    pub npv_p10_usd: Option<f64>,
    pub npv_p50_usd: Option<f64>,
    pub npv_p90_usd: Option<f64>,
    /// Monte Carlo probability that NPV > 0.
    pub probability_positive: Option<f64>,
    /// Initial capital, USD (spent in the construction year).
    pub capex_usd: f64,
    /// Plant capacity, t/yr.
    pub capacity_tpa: f64,
    /// Real discount rate the NPV was computed at.
    pub discount_rate: f64,
    /// MET coefficient applied.
    pub met_coefficient: f64,
    /// Tonnes processed in each year from the start of construction (year 0 = construction).
    pub processed_t_by_year: Vec<f64>,
    /// Where the valuation comes from: "stored valuation v2 (2026-11-24...)" or "computed for
    /// this plan, not stored".
    pub basis: String,
}

impl ValuationFacts {
    /// The NPV the planner ranks on: the Monte Carlo median when there is one, else the
    /// deterministic NPV.
    pub fn npv_p50_or_deterministic(&self) -> f64 {
        self.npv_p50_usd.unwrap_or(self.npv_usd)
    }
}

/// Exposure facts from `qaita-risk` proximity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProximityFacts {
    /// Name of the nearest settlement (by edge distance), if any within reach.
    pub nearest_settlement: Option<String>,
    /// Population of the nearest settlement.
    pub nearest_population: Option<u64>,
    /// Distance from the nearest settlement's modelled edge, km; 0 when inside.
    pub edge_distance_km: Option<f64>,
    /// The TMF lies inside a settlement's modelled built-up area.
    pub inside_settlement: bool,
    /// Within the flagging distance (1 km by default) of a settlement's edge, inside included.
    pub near_settlement: bool,
    /// Population within each radius, `(radius km, people)`, ascending radius.
    pub population_within: Vec<(f64, f64)>,
}

impl ProximityFacts {
    /// People within `radius_km`: the value at that radius, else at the largest radius below
    /// it (an underestimate, never an invented figure), else 0.
    pub fn population_within_km(&self, radius_km: f64) -> f64 {
        self.population_within
            .iter()
            .filter(|(r, _)| *r <= radius_km + 1e-9)
            .map(|(_, p)| *p)
            .next_back()
            .unwrap_or(0.0)
    }
}

/// The resource class holding most of a TMF's estimated tonnes (KAZRC/JORC style).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstimateClass {
    Measured,
    Indicated,
    Inferred,
}

impl EstimateClass {
    pub fn code(self) -> &'static str {
        match self {
            EstimateClass::Measured => "measured",
            EstimateClass::Indicated => "indicated",
            EstimateClass::Inferred => "inferred",
        }
    }

    /// The class with the most tonnes among `(class, tonnes)` lines of a resource table
    /// ("Measured", "Indicated", "Inferred"; other lines such as "Measured + Indicated" are
    /// ignored). `None` when no line has tonnes.
    pub fn dominant<'a>(lines: impl IntoIterator<Item = (&'a str, f64)>) -> Option<Self> {
        lines
            .into_iter()
            .filter_map(|(class, tonnes)| {
                let c = match class {
                    "Measured" => EstimateClass::Measured,
                    "Indicated" => EstimateClass::Indicated,
                    "Inferred" => EstimateClass::Inferred,
                    _ => return None,
                };
                (tonnes > 0.0).then_some((c, tonnes))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(c, _)| c)
    }
}

/// Inputs for the planners' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A plain TMF for tests: tailings in Karaganda, 1 Mt, no valuation, far from towns.
    pub(crate) fn tmf(id: i64) -> PlanTmf {
        PlanTmf {
            id,
            external_id: format!("T-{id:04}"),
            name: format!("test {id}"),
            region: Region::Karaganda,
            kind: Kind::Tailings,
            status: Status::Inactive,
            legal_class: LegalClass::Waste,
            owner_known: false,
            tonnage_t: Some(1e6),
            tonnage_confidence: Some(Confidence::Low),
            contained_t: BTreeMap::new(),
            valuation: None,
            proximity: ProximityFacts::default(),
            hazard_notes: None,
            resource_class: None,
        }
    }

    pub(crate) fn valuation(npv: f64, capex: f64, capacity: f64, years: usize) -> ValuationFacts {
        let mut processed = vec![0.0];
        processed.extend(std::iter::repeat_n(capacity, years));
        ValuationFacts {
            route: "test".into(),
            npv_usd: npv,
            npv_p10_usd: Some(npv - 1e6),
            npv_p50_usd: Some(npv),
            npv_p90_usd: Some(npv + 1e6),
            probability_positive: Some(if npv > 0.0 { 0.8 } else { 0.2 }),
            capex_usd: capex,
            capacity_tpa: capacity,
            discount_rate: 0.08,
            met_coefficient: 0.1,
            processed_t_by_year: processed,
            basis: "test".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominant_class_is_the_one_with_most_tonnes() {
        let lines = [
            ("Measured", 10.0),
            ("Indicated", 30.0),
            ("Measured + Indicated", 40.0),
            ("Inferred", 20.0),
        ];
        assert_eq!(
            EstimateClass::dominant(lines),
            Some(EstimateClass::Indicated)
        );
        assert_eq!(EstimateClass::dominant([("Inferred", 0.0)]), None);
    }

    #[test]
    fn population_within_takes_the_largest_radius_not_beyond() {
        let p = ProximityFacts {
            population_within: vec![(1.0, 100.0), (3.0, 500.0), (5.0, 900.0)],
            ..ProximityFacts::default()
        };
        assert_eq!(p.population_within_km(3.0), 500.0);
        assert_eq!(p.population_within_km(4.0), 500.0);
        assert_eq!(p.population_within_km(0.5), 0.0);
    }
}
