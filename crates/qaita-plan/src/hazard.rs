//! Hazard index of a TMF (0..1) from what the registry knows: the kind of material, its status,
//! hazardous content and the hazard notes; plus a GISTM 2020 consequence class from the
//! population at risk. Rules are data ([`HazardRules`]); every factor that counted is listed.

use serde::Serialize;

use crate::config::HazardRules;
use crate::input::PlanTmf;

/// GISTM 2020 consequence classes ("worst column wins"; here only the population-at-risk
/// column, approximated by the population within a radius: a proxy, not a dam-break study).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsequenceClass {
    Low,
    Significant,
    High,
    VeryHigh,
    Extreme,
}

impl ConsequenceClass {
    /// Class by population at risk: none, 1-10, 10-100, 100-1,000, more than 1,000.
    pub fn from_population_at_risk(people: f64) -> Self {
        match people {
            p if p < 1.0 => ConsequenceClass::Low,
            p if p <= 10.0 => ConsequenceClass::Significant,
            p if p <= 100.0 => ConsequenceClass::High,
            p if p <= 1000.0 => ConsequenceClass::VeryHigh,
            _ => ConsequenceClass::Extreme,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConsequenceClass::Low => "Low",
            ConsequenceClass::Significant => "Significant",
            ConsequenceClass::High => "High",
            ConsequenceClass::VeryHigh => "Very High",
            ConsequenceClass::Extreme => "Extreme",
        }
    }
}

/// The hazard of one TMF and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hazard {
    /// 0 (benign) to 1 (worst), after clamping.
    pub index: f64,
    /// `(factor, amount added)`, the kind's base first.
    pub factors: Vec<(String, f64)>,
    /// Population within the population-at-risk radius.
    pub population_at_risk: f64,
    pub consequence_class: ConsequenceClass,
}

/// Assess one TMF.
pub fn assess(tmf: &PlanTmf, rules: &HazardRules) -> Hazard {
    let mut factors = Vec::new();
    let base = rules.kind_base.get(&tmf.kind).copied().unwrap_or(0.0);
    factors.push((format!("material: {}", tmf.kind.code()), base));
    if let Some(&adjustment) = rules.status_adjustment.get(&tmf.status)
        && adjustment != 0.0
    {
        factors.push((format!("status: {}", tmf.status.code()), adjustment));
    }
    for (commodity, &add) in &rules.hazardous_content {
        if tmf.contained_t.contains_key(commodity) {
            factors.push((format!("contains {commodity}"), add));
        }
    }
    if let Some(notes) = &tmf.hazard_notes {
        let notes = notes.to_lowercase();
        for f in &rules.note_factors {
            if f.keywords.iter().any(|k| notes.contains(k.as_str())) {
                factors.push((format!("notes: {}", f.factor), f.add));
            }
        }
    }
    let index = factors.iter().map(|f| f.1).sum::<f64>().clamp(0.0, 1.0);
    let population_at_risk = tmf
        .proximity
        .population_within_km(rules.population_at_risk_radius_km);
    Hazard {
        index,
        factors,
        population_at_risk,
        consequence_class: ConsequenceClass::from_population_at_risk(population_at_risk),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RankingConfig;
    use crate::input::fixtures::tmf;

    #[test]
    fn factors_add_up_and_clamp() {
        let rules = RankingConfig::bundled().hazard;
        let mut t = tmf(1);
        t.kind = qaita_model::Kind::Tailings;
        t.status = qaita_model::Status::Abandoned;
        t.hazard_notes = Some("Radioactive dust; cyanide; spring FLOOD exposure".into());
        t.contained_t.insert("U".parse().unwrap(), 10.0);
        t.proximity.population_within = vec![(1.0, 2500.0)];
        let h = assess(&t, &rules);
        let sum: f64 = h.factors.iter().map(|f| f.1).sum();
        assert!(sum > 1.0 && h.index == 1.0, "{h:?}");
        assert!(h.factors.iter().any(|f| f.0 == "notes: radiological"));
        assert_eq!(h.consequence_class, ConsequenceClass::Extreme);
        let mut quiet = tmf(2);
        quiet.kind = qaita_model::Kind::WasteRock;
        quiet.status = qaita_model::Status::Conserved;
        let q = assess(&quiet, &rules);
        assert_eq!(q.index, 0.2);
        assert_eq!(q.consequence_class, ConsequenceClass::Low);
    }

    #[test]
    fn consequence_class_boundaries() {
        use ConsequenceClass::*;
        let classes: Vec<_> = [0.0, 1.0, 10.0, 11.0, 100.0, 101.0, 1000.0, 1001.0]
            .map(ConsequenceClass::from_population_at_risk)
            .to_vec();
        assert_eq!(
            classes,
            [
                Low,
                Significant,
                Significant,
                High,
                High,
                VeryHigh,
                VeryHigh,
                Extreme
            ]
        );
    }
}
