//! The programme for removing TMFs from residential areas: every TMF inside or within
//! `near_km` of a settlement, most urgent first (exposure and hazard), with the net value or cost
//! of removing it: reprocessing (its NPV) or relocation to an engineered facility (a cost per
//! tonne), whichever is better.

use std::collections::BTreeMap;

use qaita_model::Kind;
use serde::{Deserialize, Serialize};

use crate::PlanError;
use crate::config::{self, DataSource, bad};
use crate::hazard::ConsequenceClass;
use crate::input::PlanTmf;
use crate::rank::Ranking;

/// Settings of the programme (`data/plan/removal.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovalConfig {
    pub provenance: DataSource,
    /// TMFs within this distance of a settlement's edge (inside included) are in the programme.
    pub near_km: f64,
    /// Cost of relocating one tonne by kind of material, USD/t.
    pub relocation_cost_usd_per_t: BTreeMap<Kind, f64>,
    /// Weights of exposure and hazard in the urgency (`exposure`, `hazard`).
    pub urgency_weights: BTreeMap<String, f64>,
}

impl RemovalConfig {
    pub fn bundled() -> Self {
        Self::parse("data/plan/removal.json", config::bundled::REMOVAL)
            .expect("the bundled removal configuration is valid")
    }

    pub fn parse(file: &str, text: &str) -> Result<Self, PlanError> {
        let c: RemovalConfig = config::parse(file, text)?;
        if !(c.near_km.is_finite() && c.near_km >= 0.0) {
            return Err(bad(
                file,
                "near_km",
                "must be a non-negative distance in km",
            ));
        }
        for kind in Kind::ALL {
            match c.relocation_cost_usd_per_t.get(kind) {
                Some(v) if v.is_finite() && *v >= 0.0 => {}
                Some(v) => {
                    return Err(bad(
                        file,
                        format!("relocation_cost_usd_per_t.{kind}"),
                        format!("{v} must be a non-negative cost"),
                    ));
                }
                None => {
                    return Err(bad(
                        file,
                        format!("relocation_cost_usd_per_t.{kind}"),
                        "missing cost",
                    ));
                }
            }
        }
        for key in ["exposure", "hazard"] {
            if !c.urgency_weights.get(key).is_some_and(|w| *w >= 0.0) {
                return Err(bad(
                    file,
                    format!("urgency_weights.{key}"),
                    "missing or negative weight",
                ));
            }
        }
        Ok(c)
    }
}

/// How a TMF leaves the residential area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalOption {
    /// Reprocess it (and place residues elsewhere): worth its NPV.
    Reprocess,
    /// Excavate and relocate it: costs tonnage x unit cost.
    Relocate,
    /// Neither can be costed (no tonnage).
    Unknown,
}

/// One TMF of the programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemovalRow {
    /// 1 = most urgent.
    pub order: usize,
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub settlement: Option<String>,
    pub inside_settlement: bool,
    pub edge_distance_km: Option<f64>,
    pub population_at_risk: f64,
    pub hazard_index: f64,
    pub consequence_class: ConsequenceClass,
    /// Exposure criterion of the ranking rescaled to 0..1.
    pub exposure_score: f64,
    pub urgency: f64,
    pub tonnage_t: Option<f64>,
    /// NPV (P50) of reprocessing, USD, if valued.
    pub reprocess_npv_usd: Option<f64>,
    /// Cost of relocating, USD (positive number), if the tonnage is known.
    pub relocation_cost_usd: Option<f64>,
    pub option: RemovalOption,
    /// Value (positive) or cost (negative) of the chosen option, USD.
    pub net_usd: Option<f64>,
    /// Rank in the national ranking.
    pub national_rank: usize,
}

/// The programme and its totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemovalProgramme {
    pub rows: Vec<RemovalRow>,
    pub near_km: f64,
    /// Sum of `net_usd` (positive: the programme pays for itself).
    pub net_total_usd: f64,
    pub reprocess_count: usize,
    pub relocate_count: usize,
    /// Sum of the population at risk (people living near two TMFs count twice).
    pub population_at_risk_total: f64,
    pub tonnes_total: f64,
    pub provenance: DataSource,
}

/// Build the programme from the ranked TMFs.
pub fn programme(tmfs: &[PlanTmf], ranking: &Ranking, config: &RemovalConfig) -> RemovalProgramme {
    let exposure_weight: f64 = ranking
        .weights
        .iter()
        .filter(|w| w.0 == "exposure")
        .map(|w| w.2)
        .sum();
    let w_exposure = config.urgency_weights["exposure"];
    let w_hazard = config.urgency_weights["hazard"];
    let mut rows: Vec<RemovalRow> = tmfs
        .iter()
        .filter(|t| {
            t.proximity.inside_settlement
                || t.proximity
                    .edge_distance_km
                    .is_some_and(|d| d <= config.near_km)
        })
        .filter_map(|t| {
            let row = ranking.row(t.id)?;
            let exposure_score = if exposure_weight > 0.0 {
                row.groups.get("exposure").copied().unwrap_or(0.0) / exposure_weight
            } else {
                0.0
            };
            let reprocess = t.valuation.as_ref().map(|v| v.npv_p50_or_deterministic());
            let relocation = t.tonnage_t.map(|tonnes| {
                tonnes
                    * config
                        .relocation_cost_usd_per_t
                        .get(&t.kind)
                        .copied()
                        .unwrap_or(0.0)
            });
            let (option, net) = match (reprocess, relocation) {
                (Some(npv), Some(cost)) if npv >= -cost => (RemovalOption::Reprocess, Some(npv)),
                (Some(npv), None) => (RemovalOption::Reprocess, Some(npv)),
                (_, Some(cost)) => (RemovalOption::Relocate, Some(-cost)),
                (None, None) => (RemovalOption::Unknown, None),
            };
            Some(RemovalRow {
                order: 0,
                id: t.id,
                external_id: t.external_id.clone(),
                name: t.name.clone(),
                settlement: t.proximity.nearest_settlement.clone(),
                inside_settlement: t.proximity.inside_settlement,
                edge_distance_km: t.proximity.edge_distance_km,
                population_at_risk: row.hazard.population_at_risk,
                hazard_index: row.hazard.index,
                consequence_class: row.hazard.consequence_class,
                exposure_score,
                urgency: w_exposure * exposure_score + w_hazard * row.hazard.index,
                tonnage_t: t.tonnage_t,
                reprocess_npv_usd: reprocess,
                relocation_cost_usd: relocation,
                option,
                net_usd: net,
                national_rank: row.rank,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.inside_settlement
            .cmp(&a.inside_settlement)
            .then(b.urgency.total_cmp(&a.urgency))
            .then(b.population_at_risk.total_cmp(&a.population_at_risk))
            .then(a.external_id.cmp(&b.external_id))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.order = i + 1;
    }
    RemovalProgramme {
        net_total_usd: rows.iter().filter_map(|r| r.net_usd).sum(),
        reprocess_count: rows
            .iter()
            .filter(|r| r.option == RemovalOption::Reprocess)
            .count(),
        relocate_count: rows
            .iter()
            .filter(|r| r.option == RemovalOption::Relocate)
            .count(),
        population_at_risk_total: rows.iter().map(|r| r.population_at_risk).sum(),
        tonnes_total: rows.iter().filter_map(|r| r.tonnage_t).sum(),
        rows,
        near_km: config.near_km,
        provenance: config.provenance.clone(),
    }
}

/// Chart: net value or cost of each TMF's removal, M USD.
pub fn charts(p: &RemovalProgramme) -> Result<Vec<(String, String)>, PlanError> {
    if p.rows.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<&RemovalRow> = p.rows.iter().take(12).collect();
    let categories: Vec<String> = rows.iter().map(|r| r.external_id.clone()).collect();
    let series = vec![
        (
            "reprocessing NPV (P50)".to_string(),
            rows.iter()
                .map(|r| r.reprocess_npv_usd.unwrap_or(0.0) / 1e6)
                .collect(),
        ),
        (
            "relocation cost (negative)".to_string(),
            rows.iter()
                .map(|r| -r.relocation_cost_usd.unwrap_or(0.0) / 1e6)
                .collect(),
        ),
    ];
    Ok(vec![(
        "removal-net.svg".to_string(),
        qaita_charts::grouped_bars_svg(
            "Most urgent residential-area TMFs: value or cost of removal",
            "M USD",
            &categories,
            &series,
        )?,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RankingConfig;
    use crate::input::fixtures::{tmf, valuation};
    use crate::rank::rank;

    #[test]
    fn programme_takes_near_tmfs_and_chooses_the_better_option() {
        let mut inside = tmf(1);
        inside.proximity.inside_settlement = true;
        inside.proximity.edge_distance_km = Some(0.0);
        inside.proximity.population_within = vec![(1.0, 5000.0)];
        inside.valuation = Some(valuation(-50e6, 10e6, 1e5, 10)); // worse than relocating 1 Mt
        let mut near = tmf(2);
        near.proximity.edge_distance_km = Some(0.8);
        near.proximity.population_within = vec![(1.0, 200.0)];
        near.valuation = Some(valuation(5e6, 10e6, 1e5, 10));
        let mut far = tmf(3);
        far.proximity.edge_distance_km = Some(4.0);
        let tmfs = [inside, near, far];
        let ranking = rank(&tmfs, &RankingConfig::bundled());
        let p = programme(&tmfs, &ranking, &RemovalConfig::bundled());
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].external_id, "T-0001");
        assert_eq!(p.rows[0].option, RemovalOption::Relocate);
        assert_eq!(p.rows[0].net_usd, Some(-9e6)); // 1 Mt of tailings at 9 USD/t
        assert_eq!(p.rows[1].option, RemovalOption::Reprocess);
        assert_eq!(p.rows[1].net_usd, Some(5e6));
        assert_eq!(p.net_total_usd, -4e6);
    }

    #[test]
    fn bad_removal_file_names_the_field() {
        let text = config::bundled::REMOVAL.replace("\"slag\": 6.0,", "");
        let e = RemovalConfig::parse("r.json", &text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "r.json: field 'relocation_cost_usd_per_t.slag': missing cost"
        );
    }
}
