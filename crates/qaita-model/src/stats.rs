//! Registry summaries: objects, tonnage and contained commodity, nationally and by group, with
//! how well the figures are sourced.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::commodity::Commodity;
use crate::tmf::{FigureField, Tmf};
use crate::vocab::{Kind, Region};

/// Contained commodity in one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Contained {
    /// Tonnes of the commodity as reported (oxide tonnes for Cr2O3, TREO, ...).
    pub tonnes: f64,
    /// Objects with both a tonnage and a grade for it.
    pub objects: usize,
}

/// How well the current figures of a group are sourced.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProvenanceCoverage {
    pub current_figures: usize,
    pub with_date: usize,
    pub with_method: usize,
    /// Current figures by confidence code.
    pub by_confidence: BTreeMap<&'static str, usize>,
    pub illustrative: usize,
    /// Objects where sources disagree: more than one figure for a field.
    pub objects_with_conflicting_figures: usize,
}

/// Summary of a set of TMFs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub objects: usize,
    pub objects_with_tonnage: usize,
    /// Sum of current tonnages, t.
    pub tonnage_t: f64,
    pub owner_unknown: usize,
    pub contained: BTreeMap<Commodity, Contained>,
    pub provenance: ProvenanceCoverage,
}

impl Summary {
    fn add(&mut self, tmf: &Tmf) {
        self.objects += 1;
        if let Some(t) = tmf.tonnage_t() {
            self.objects_with_tonnage += 1;
            self.tonnage_t += t;
        }
        if !tmf.owner_known() {
            self.owner_unknown += 1;
        }
        for commodity in tmf.commodities() {
            if let Some(t) = tmf.contained_t(commodity) {
                let c = self.contained.entry(commodity.clone()).or_default();
                c.tonnes += t;
                c.objects += 1;
            }
        }
        let p = &mut self.provenance;
        for figure in tmf.figures.iter().filter(|f| f.current) {
            p.current_figures += 1;
            p.with_date += usize::from(figure.provenance.date.is_some());
            p.with_method += usize::from(figure.provenance.method.is_some());
            *p.by_confidence
                .entry(figure.provenance.confidence.code())
                .or_default() += 1;
            p.illustrative += usize::from(figure.provenance.illustrative);
        }
        let mut fields: Vec<&FigureField> = tmf.figures.iter().map(|f| &f.field).collect();
        let all = fields.len();
        fields.sort();
        fields.dedup();
        if fields.len() < all {
            p.objects_with_conflicting_figures += 1;
        }
    }
}

/// National summary and breakdowns by region and by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub national: Summary,
    pub by_region: BTreeMap<Region, Summary>,
    pub by_kind: BTreeMap<Kind, Summary>,
}

/// Summarise TMFs.
pub fn summarize<'a>(tmfs: impl IntoIterator<Item = &'a Tmf>) -> Stats {
    let mut stats = Stats::default();
    for tmf in tmfs {
        stats.national.add(tmf);
        stats.by_region.entry(tmf.region).or_default().add(tmf);
        stats.by_kind.entry(tmf.kind).or_default().add(tmf);
    }
    stats
}
