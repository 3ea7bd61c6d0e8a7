//! Planning data and settings as JSON text: ranking criteria and weights, hazard rules,
//! relocation costs, rare-metal processing routes, national stock figures and scenarios. The
//! defaults are bundled from `data/plan/`; any of them can be replaced by a user file. Every file
//! carries its provenance (source, date, confidence).

use std::collections::BTreeMap;

use qaita_model::{Commodity, Kind, LegalClass, Status};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::PlanError;

/// The planning data bundled with Qaita (illustrative, dated; see `data/plan/`).
pub mod bundled {
    pub const RANKING: &str = include_str!("../../../data/plan/ranking.json");
    pub const REMOVAL: &str = include_str!("../../../data/plan/removal.json");
    pub const RARE_METALS: &str = include_str!("../../../data/plan/rare-metal-routes.json");
    pub const NATIONAL_STOCK: &str = include_str!("../../../data/plan/national-stock.json");
}

/// Where a set of figures or settings comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    pub source: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: String,
    /// high, medium, low, unverified.
    pub confidence: String,
    /// True for figures compiled for the demo, not taken from an official register.
    #[serde(default)]
    pub illustrative: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Parse a JSON planning file; errors name the file, the field path and the reason.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, PlanError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        PlanError::Data {
            file: file.to_string(),
            field: if path == "." {
                "(top level)".into()
            } else {
                path
            },
            reason: e.into_inner().to_string(),
        }
    })
}

pub(crate) fn bad(file: &str, field: impl Into<String>, reason: impl Into<String>) -> PlanError {
    PlanError::Data {
        file: file.to_string(),
        field: field.into(),
        reason: reason.into(),
    }
}

/// How raw indicator values become scores in 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// The value is already a score in 0..1 (clamped).
    None,
    /// (x - min) / (max - min) over the TMFs that have the value.
    MinMax,
    /// sign(x) log10(1 + |x|), then min-max: for skewed figures (NPV, population).
    SignedLogMinMax,
    /// Share of the other TMFs with a strictly smaller value: robust to outliers.
    Rank,
}

/// One ranking indicator. Its group (economic, exposure, ...) follows from the indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "indicator", rename_all = "snake_case", deny_unknown_fields)]
pub enum Indicator {
    /// Median NPV of reprocessing (Monte Carlo P50, else deterministic), USD.
    NpvP50,
    /// Monte Carlo probability that NPV > 0.
    ProbabilityPositive,
    /// People living within `radius_km` of the TMF.
    PopulationWithin { radius_km: f64 },
    /// 1 inside a settlement, else exp(-edge distance / `scale_km`).
    SettlementProximity { scale_km: f64 },
    /// Hazard index 0..1 (see [`HazardRules`]).
    HazardIndex,
    /// Sum of the TMF's shares of the registry's contained rare earths (TREO, REE, Sc, Y, La,
    /// Ce, Nd), one share per commodity.
    RareEarthShare,
    /// The same for the other critical and rare metals (Ga, V, In, Ge, Nb, Ta, Li, Co, W, ...).
    CriticalMetalShare,
    /// Confidence in the tonnes: the resource estimate class, else the tonnage source's
    /// confidence (scores in [`RankingConfig::resource_scores`]).
    ResourceConfidence,
    /// 1 when an owner is recorded.
    OwnerKnown,
    /// Readiness of the legal class (scores in [`RankingConfig::legal_class_scores`]).
    LegalClass,
}

impl Indicator {
    /// The criterion group the indicator belongs to.
    pub fn group(&self) -> &'static str {
        match self {
            Indicator::NpvP50 | Indicator::ProbabilityPositive => "economic",
            Indicator::PopulationWithin { .. } | Indicator::SettlementProximity { .. } => {
                "exposure"
            }
            Indicator::HazardIndex => "hazard",
            Indicator::RareEarthShare | Indicator::CriticalMetalShare => "strategic",
            Indicator::ResourceConfidence => "confidence",
            Indicator::OwnerKnown | Indicator::LegalClass => "legal",
        }
    }

    /// Short name for tables: `npv_p50`, `population_within_1km`.
    pub fn name(&self) -> String {
        match self {
            Indicator::NpvP50 => "npv_p50".into(),
            Indicator::ProbabilityPositive => "probability_positive".into(),
            Indicator::PopulationWithin { radius_km } => format!("population_within_{radius_km}km"),
            Indicator::SettlementProximity { .. } => "settlement_proximity".into(),
            Indicator::HazardIndex => "hazard_index".into(),
            Indicator::RareEarthShare => "rare_earth_share".into(),
            Indicator::CriticalMetalShare => "critical_metal_share".into(),
            Indicator::ResourceConfidence => "resource_confidence".into(),
            Indicator::OwnerKnown => "owner_known".into(),
            Indicator::LegalClass => "legal_class".into(),
        }
    }
}

/// An indicator with its weight and normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    #[serde(flatten)]
    pub indicator: Indicator,
    /// Relative weight (the weights are rescaled to sum to 1).
    pub weight: f64,
    pub normalisation: Normalisation,
}

/// How the rank's stability under weight changes is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StabilityConfig {
    /// Number of perturbed weight sets.
    pub draws: usize,
    /// Each weight is multiplied by a factor drawn uniformly from [1 - p, 1 + p].
    pub perturbation: f64,
    pub seed: u64,
    /// Report the probability of staying in the top this-many.
    pub top: usize,
}

/// A hazard factor found by keywords in the registry's hazard notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteFactor {
    pub factor: String,
    /// Lower-case fragments; any match adds the factor once.
    pub keywords: Vec<String>,
    pub add: f64,
}

/// Rules of the hazard index: a base by kind of material, adjusted by status, hazardous
/// content and hazard notes, clamped to 0..1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HazardRules {
    pub kind_base: BTreeMap<Kind, f64>,
    pub status_adjustment: BTreeMap<Status, f64>,
    /// Added when the TMF has a grade for the commodity.
    pub hazardous_content: BTreeMap<Commodity, f64>,
    pub note_factors: Vec<NoteFactor>,
    /// Radius whose population stands for the GISTM "population at risk", km.
    pub population_at_risk_radius_km: f64,
}

/// Settings of the multi-criteria ranking (`data/plan/ranking.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingConfig {
    pub provenance: DataSource,
    pub criteria: Vec<Criterion>,
    /// Scores of the resource estimate classes (`measured`, `indicated`, `inferred`) and of
    /// registry tonnages by source confidence (`registry_high`, ..., `registry_unverified`,
    /// `no_tonnage`).
    pub resource_scores: BTreeMap<String, f64>,
    pub legal_class_scores: BTreeMap<LegalClass, f64>,
    pub hazard: HazardRules,
    pub stability: StabilityConfig,
}

impl RankingConfig {
    /// The bundled defaults.
    pub fn bundled() -> Self {
        Self::parse("data/plan/ranking.json", bundled::RANKING)
            .expect("the bundled ranking configuration is valid")
    }

    /// Parse and check a ranking configuration.
    pub fn parse(file: &str, text: &str) -> Result<Self, PlanError> {
        let config: RankingConfig = parse(file, text)?;
        config.validate(file)?;
        Ok(config)
    }

    /// Every weight finite and non-negative, some positive; parameters in range; score tables
    /// complete.
    pub fn validate(&self, file: &str) -> Result<(), PlanError> {
        if self.criteria.is_empty() {
            return Err(bad(file, "criteria", "at least one criterion is needed"));
        }
        for (i, c) in self.criteria.iter().enumerate() {
            if !(c.weight.is_finite() && c.weight >= 0.0) {
                return Err(bad(
                    file,
                    format!("criteria[{i}].weight"),
                    format!("{} must be a non-negative number", c.weight),
                ));
            }
            match c.indicator {
                Indicator::PopulationWithin { radius_km: r }
                | Indicator::SettlementProximity { scale_km: r }
                    if !(r.is_finite() && r > 0.0) =>
                {
                    return Err(bad(
                        file,
                        format!("criteria[{i}]"),
                        format!("distance {r} km must be positive"),
                    ));
                }
                _ => {}
            }
        }
        if self.criteria.iter().map(|c| c.weight).sum::<f64>() <= 0.0 {
            return Err(bad(file, "criteria", "the weights sum to zero"));
        }
        for key in [
            "measured",
            "indicated",
            "inferred",
            "registry_high",
            "registry_medium",
            "registry_low",
            "registry_unverified",
            "no_tonnage",
        ] {
            if !self.resource_scores.contains_key(key) {
                return Err(bad(file, format!("resource_scores.{key}"), "missing score"));
            }
        }
        for class in LegalClass::ALL {
            if !self.legal_class_scores.contains_key(class) {
                return Err(bad(
                    file,
                    format!("legal_class_scores.{class}"),
                    "missing score",
                ));
            }
        }
        for kind in Kind::ALL {
            if !self.hazard.kind_base.contains_key(kind) {
                return Err(bad(
                    file,
                    format!("hazard.kind_base.{kind}"),
                    "missing base",
                ));
            }
        }
        let s = &self.stability;
        if !(0.0..1.0).contains(&s.perturbation) {
            return Err(bad(
                file,
                "stability.perturbation",
                format!("{} must be in 0..1", s.perturbation),
            ));
        }
        if s.top == 0 {
            return Err(bad(file, "stability.top", "must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_files_parse() {
        let r = RankingConfig::bundled();
        assert!(r.criteria.len() >= 8);
        for group in [
            "economic",
            "exposure",
            "hazard",
            "strategic",
            "confidence",
            "legal",
        ] {
            assert!(
                r.criteria.iter().any(|c| c.indicator.group() == group),
                "{group}"
            );
        }
    }

    #[test]
    fn errors_name_file_field_and_reason() {
        let text = bundled::RANKING.replacen("\"weight\": 0.15", "\"weight\": \"heavy\"", 1);
        let e = RankingConfig::parse("my.json", &text)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("my.json: field 'criteria[0].weight'"), "{e}");
        let text = bundled::RANKING.replacen("\"weight\": 0.15", "\"weight\": -1", 1);
        let e = RankingConfig::parse("my.json", &text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("criteria[0].weight") && e.contains("non-negative"),
            "{e}"
        );
        let e = RankingConfig::parse("my.json", "{\"criteria\": []}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("my.json"), "{e}");
    }
}
