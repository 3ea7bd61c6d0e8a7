//! The TMF document: the stored TMF plus what follows from it (tonnage, contained metal, owner
//! known, proximity to settlements, the latest valuation and resource estimate). One shape for
//! `qaita show --json` and `GET /api/v1/tmfs/{id}`.

use std::collections::BTreeMap;

use anyhow::Result;
use qaita_model::StoredTmf;
use qaita_risk::proximity::{Proximity, SettlementIndex};
use qaita_store::{Analysis, Store};
use serde::Serialize;

/// Kind of the stored resource-estimate analysis (owned by `estimate`).
pub use crate::estimate::RESOURCE_ESTIMATE;
use crate::valuation::{VALUATION, ValuationSummary};

/// A stored TMF with its derived figures.
#[derive(Debug, Clone, Serialize)]
pub struct TmfDocument {
    #[serde(flatten)]
    pub stored: StoredTmf,
    pub derived: Derived,
}

#[derive(Debug, Clone, Serialize)]
pub struct Derived {
    pub tonnage_t: Option<f64>,
    /// Contained tonnes by commodity code, from the current tonnage and grades.
    pub contained_t: BTreeMap<String, f64>,
    pub owner_known: bool,
    pub proximity: Proximity,
    /// The latest stored valuation, if any.
    pub valuation: Option<ValuationSummary>,
    pub valuation_versions: usize,
    /// The latest stored resource estimate's summary, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_estimate: Option<serde_json::Value>,
}

impl TmfDocument {
    /// The document of `stored`, reading its analyses from `store`.
    pub fn load(store: &mut Store, stored: StoredTmf, index: &SettlementIndex) -> Result<Self> {
        let proximity = index.assess(&crate::settlements::site_of(&stored)?);
        let valuations = store.analyses(stored.id, VALUATION)?;
        let estimates = store.analyses(stored.id, RESOURCE_ESTIMATE)?;
        let tmf = &stored.tmf;
        let contained_t = tmf
            .commodities()
            .into_iter()
            .filter_map(|c| Some((c.code().to_string(), tmf.contained_t(c)?)))
            .collect();
        let derived = Derived {
            tonnage_t: tmf.tonnage_t(),
            contained_t,
            owner_known: tmf.owner_known(),
            proximity,
            valuation: valuations.last().map(ValuationSummary::of),
            valuation_versions: valuations.len(),
            resource_estimate: estimates.last().map(estimate_summary),
        };
        Ok(TmfDocument { stored, derived })
    }
}

/// The part of a stored resource estimate a TMF document carries.
pub fn estimate_summary(e: &Analysis) -> serde_json::Value {
    serde_json::json!({
        "version": e.version, "created_at": e.created_at, "actor": e.actor, "method": e.method,
        "commodity": e.result["commodity"], "unit": e.result["unit"], "crs": e.result["crs"],
        "resources": e.result["resources"], "grade_tonnage": e.result["grade_tonnage"],
    })
}

/// One line for a resource-estimate summary (from [`estimate_summary`]).
pub fn estimate_line(e: &serde_json::Value) -> String {
    let unit = e["unit"].as_str().unwrap_or("");
    let lines: Vec<String> = e["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["tonnes"].as_f64().unwrap_or(0.0) > 0.0)
        .map(|l| {
            format!(
                "{} {:.3} Mt @ {:.3} {unit}",
                l["class"].as_str().unwrap_or("?"),
                l["tonnes"].as_f64().unwrap_or(0.0) / 1e6,
                l["mean_grade"].as_f64().unwrap_or(f64::NAN)
            )
        })
        .collect();
    format!(
        "resource estimate v{} ({} by {}), {}: {}",
        e["version"],
        e["created_at"].as_str().unwrap_or("?"),
        e["actor"].as_str().unwrap_or("?"),
        e["commodity"].as_str().unwrap_or("?"),
        lines.join("; ")
    )
}
