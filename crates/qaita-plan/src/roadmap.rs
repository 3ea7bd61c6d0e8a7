//! Rare and rare-earth metals roadmap: contained TREO, Sc, Ga, V, In, ... by TMF and region;
//! the candidate TMFs (enough contained metal), a processing route for each from the route table
//! and a timeline from the route's technology readiness level (TRL) and the TMF's legal
//! readiness.

use std::collections::BTreeMap;

use qaita_model::{Commodity, Kind, LegalClass, Region};
use serde::{Deserialize, Serialize};

use crate::PlanError;
use crate::config::{self, DataSource, bad};
use crate::input::PlanTmf;
use crate::rank::Ranking;

/// A processing route for rare metals from a kind of material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    pub name: String,
    /// Kinds it treats; empty = any (the fallback route).
    pub kinds: Vec<Kind>,
    /// Commodities it recovers; empty = any.
    pub commodities: Vec<Commodity>,
    /// Technology readiness level, 1..9.
    pub trl: u8,
    /// Only for TMFs whose name contains one of these (lower case), when given: several
    /// materials share a kind (red mud and titanium sludges are both `sludge`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name_contains: Vec<String>,
    /// Only for TMFs with a grade for one of these, when given (uranium-bearing feeds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_any: Vec<Commodity>,
}

impl RouteSpec {
    fn applies_to(&self, t: &PlanTmf) -> bool {
        let name = t.name.to_lowercase();
        self.kinds.contains(&t.kind)
            && (self.name_contains.is_empty()
                || self.name_contains.iter().any(|k| name.contains(k.as_str())))
            && (self.requires_any.is_empty()
                || self
                    .requires_any
                    .iter()
                    .any(|c| t.contained_t.contains_key(c)))
    }
}

/// A development phase for routes whose TRL lies in `from_trl..=to_trl` or below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    pub name: String,
    pub from_trl: u8,
    pub to_trl: u8,
    pub years: i32,
}

/// Settings of the roadmap (`data/plan/rare-metal-routes.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadmapConfig {
    pub provenance: DataSource,
    pub rare_earths: Vec<Commodity>,
    /// Commodities the roadmap reports, in this order.
    pub roadmap_commodities: Vec<Commodity>,
    /// A TMF is a candidate for a commodity when it contains at least this many tonnes.
    pub candidate_min_contained_t: BTreeMap<Commodity, f64>,
    pub routes: Vec<RouteSpec>,
    /// In order of development.
    pub phases: Vec<PhaseSpec>,
    pub start_year: i32,
    /// Licensing takes longer without a known owner.
    pub delay_owner_unknown_years: i32,
    /// ... and when the TMF is not yet classed as technogenic subsoil.
    pub delay_not_technogenic_subsoil_years: i32,
}

impl RoadmapConfig {
    pub fn bundled() -> Self {
        Self::parse(
            "data/plan/rare-metal-routes.json",
            config::bundled::RARE_METALS,
        )
        .expect("the bundled rare-metal routes are valid")
    }

    pub fn parse(file: &str, text: &str) -> Result<Self, PlanError> {
        let c: RoadmapConfig = config::parse(file, text)?;
        for (i, r) in c.routes.iter().enumerate() {
            if !(1..=9).contains(&r.trl) {
                return Err(bad(
                    file,
                    format!("routes[{i}].trl"),
                    format!("{} is not a TRL (1..9)", r.trl),
                ));
            }
        }
        if !c
            .routes
            .iter()
            .any(|r| r.kinds.is_empty() && r.commodities.is_empty())
        {
            return Err(bad(
                file,
                "routes",
                "a fallback route with empty kinds and commodities is needed",
            ));
        }
        for (i, p) in c.phases.iter().enumerate() {
            if p.years < 0 || p.from_trl > p.to_trl {
                return Err(bad(
                    file,
                    format!("phases[{i}]"),
                    "years must be >= 0 and from_trl <= to_trl",
                ));
            }
        }
        for (commodity, v) in &c.candidate_min_contained_t {
            if !(v.is_finite() && *v >= 0.0) {
                return Err(bad(
                    file,
                    format!("candidate_min_contained_t.{commodity}"),
                    "must be a non-negative tonnage",
                ));
            }
        }
        Ok(c)
    }
}

/// Contained tonnes of one commodity, nationally and by region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommodityTotal {
    pub commodity: Commodity,
    pub rare_earth: bool,
    pub contained_t: f64,
    pub tmfs: usize,
    pub by_region: BTreeMap<Region, f64>,
}

/// One phase of a candidate's timeline, years inclusive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    pub name: String,
    pub from_year: i32,
    pub to_year: i32,
}

/// A TMF on the roadmap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub region: Region,
    pub kind: Kind,
    /// Roadmap commodities at or above their threshold, t.
    pub commodities: BTreeMap<Commodity, f64>,
    pub route: String,
    pub trl: u8,
    /// Licensing first: years before work starts, and why.
    pub delay_years: i32,
    pub delay_reasons: Vec<String>,
    pub phases: Vec<Phase>,
    pub production_from: i32,
    pub national_rank: Option<usize>,
}

/// The roadmap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roadmap {
    pub totals: Vec<CommodityTotal>,
    /// By national rank, then by external id.
    pub candidates: Vec<Candidate>,
    pub provenance: DataSource,
}

/// Build the roadmap.
pub fn roadmap(tmfs: &[PlanTmf], ranking: Option<&Ranking>, config: &RoadmapConfig) -> Roadmap {
    let ranks = ranking.map(Ranking::rank_of).unwrap_or_default();
    let totals = config
        .roadmap_commodities
        .iter()
        .map(|c| {
            let mut by_region = BTreeMap::new();
            let mut total = 0.0;
            let mut count = 0;
            for t in tmfs {
                if let Some(&v) = t.contained_t.get(c).filter(|v| **v > 0.0) {
                    *by_region.entry(t.region).or_insert(0.0) += v;
                    total += v;
                    count += 1;
                }
            }
            CommodityTotal {
                commodity: c.clone(),
                rare_earth: config.rare_earths.contains(c),
                contained_t: total,
                tmfs: count,
                by_region,
            }
        })
        .collect();
    let mut candidates: Vec<Candidate> = tmfs
        .iter()
        .filter_map(|t| {
            let qualifying: BTreeMap<Commodity, f64> = config
                .roadmap_commodities
                .iter()
                .filter_map(|c| {
                    let v = *t.contained_t.get(c)?;
                    let min = config
                        .candidate_min_contained_t
                        .get(c)
                        .copied()
                        .unwrap_or(0.0);
                    (v > 0.0 && v >= min).then(|| (c.clone(), v))
                })
                .collect();
            if qualifying.is_empty() {
                return None;
            }
            let route = choose_route(&config.routes, t, &qualifying);
            let mut delay_reasons = Vec::new();
            let mut delay = 0;
            if !t.owner_known {
                delay += config.delay_owner_unknown_years;
                delay_reasons.push(format!(
                    "owner unknown (+{} yr)",
                    config.delay_owner_unknown_years
                ));
            }
            if t.legal_class != LegalClass::TechnogenicSubsoil {
                delay += config.delay_not_technogenic_subsoil_years;
                delay_reasons.push(format!(
                    "legal class {} (+{} yr)",
                    t.legal_class.code(),
                    config.delay_not_technogenic_subsoil_years
                ));
            }
            let mut year = config.start_year + delay;
            let mut phases = Vec::new();
            for p in &config.phases {
                // A phase is needed when the route has not yet passed it.
                if route.trl <= p.to_trl && p.years > 0 {
                    phases.push(Phase {
                        name: p.name.clone(),
                        from_year: year,
                        to_year: year + p.years - 1,
                    });
                    year += p.years;
                }
            }
            Some(Candidate {
                id: t.id,
                external_id: t.external_id.clone(),
                name: t.name.clone(),
                region: t.region,
                kind: t.kind,
                commodities: qualifying,
                route: route.name.clone(),
                trl: route.trl,
                delay_years: delay,
                delay_reasons,
                phases,
                production_from: year,
                national_rank: ranks.get(&t.id).copied(),
            })
        })
        .collect();
    candidates.sort_by(|a, b| {
        a.national_rank
            .unwrap_or(usize::MAX)
            .cmp(&b.national_rank.unwrap_or(usize::MAX))
            .then(a.external_id.cmp(&b.external_id))
    });
    Roadmap {
        totals,
        candidates,
        provenance: config.provenance.clone(),
    }
}

/// The route that applies to the TMF and recovers most of its qualifying commodities (then the
/// more specific route, then the higher TRL); the fallback route when none fits.
fn choose_route<'a>(
    routes: &'a [RouteSpec],
    tmf: &PlanTmf,
    qualifying: &BTreeMap<Commodity, f64>,
) -> &'a RouteSpec {
    let fallback = routes
        .iter()
        .find(|r| r.kinds.is_empty() && r.commodities.is_empty())
        .expect("validated: a fallback route exists");
    routes
        .iter()
        .filter(|r| r.applies_to(tmf))
        .map(|r| {
            let covered = qualifying
                .keys()
                .filter(|c| r.commodities.is_empty() || r.commodities.contains(c))
                .count();
            (r, covered)
        })
        .filter(|(_, covered)| *covered > 0)
        .max_by(|a, b| {
            let specific = |r: &RouteSpec| r.name_contains.len() + r.requires_any.len() > 0;
            a.1.cmp(&b.1)
                .then(specific(a.0).cmp(&specific(b.0)))
                .then(a.0.trl.cmp(&b.0.trl))
        })
        .map_or(fallback, |(r, _)| r)
}

/// Charts: contained metal by region for each commodity present; the candidates' timeline.
pub fn charts(r: &Roadmap) -> Result<Vec<(String, String)>, PlanError> {
    let mut out = Vec::new();
    for total in r.totals.iter().filter(|t| t.contained_t > 0.0) {
        let categories: Vec<String> = total
            .by_region
            .keys()
            .map(|g| g.label_en().to_string())
            .collect();
        let values: Vec<f64> = total.by_region.values().copied().collect();
        out.push((
            format!("roadmap-{}.svg", total.commodity),
            qaita_charts::grouped_bars_svg(
                &format!(
                    "Contained {} by region: {:.0} t in {} TMFs",
                    total.commodity, total.contained_t, total.tmfs
                ),
                &format!("{}, t", total.commodity),
                &categories,
                &[(total.commodity.to_string(), values)],
            )?,
        ));
    }
    if let Some(first) = r
        .candidates
        .iter()
        .map(|c| c.phases.first().map_or(c.production_from, |p| p.from_year))
        .min()
    {
        // Programme view of the timeline: how many candidates are in development and in
        // production each year (x counted from the year before work starts, as the chart's axis
        // starts at 0).
        let origin = first - 1;
        let last = r
            .candidates
            .iter()
            .map(|c| c.production_from)
            .max()
            .unwrap_or(first)
            + 3;
        let count = |year: i32, producing: bool| {
            r.candidates
                .iter()
                .filter(|c| {
                    let start = c.phases.first().map_or(c.production_from, |p| p.from_year);
                    if producing {
                        year >= c.production_from
                    } else {
                        year >= start && year < c.production_from
                    }
                })
                .count() as f64
        };
        let series = |name: &str, producing: bool| qaita_charts::Series {
            name: name.to_string(),
            points: (origin..=last)
                .map(|y| ((y - origin) as f64, count(y, producing)))
                .collect(),
            markers: false,
        };
        out.push((
            "roadmap-timeline.svg".to_string(),
            qaita_charts::xy_svg(
                &format!(
                    "Rare-metal candidates in development and in production ({} TMFs)",
                    r.candidates.len()
                ),
                &format!("years after {origin}"),
                "TMFs",
                &[
                    series("in development (research, pilot, demonstration)", false),
                    series("in production", true),
                ],
            )?,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::fixtures::tmf;

    #[test]
    fn red_mud_gets_the_red_mud_route_and_a_timeline() {
        let config = RoadmapConfig::bundled();
        let mut red_mud = tmf(1);
        red_mud.kind = Kind::Sludge;
        red_mud.region = Region::Pavlodar;
        red_mud.name = "Pavlodar alumina refinery red mud field".into();
        red_mud.contained_t.insert("Sc".parse().unwrap(), 9000.0);
        red_mud.contained_t.insert("TREO".parse().unwrap(), 90000.0);
        red_mud.contained_t.insert("Fe".parse().unwrap(), 2e7);
        let mut small = tmf(2);
        small.contained_t.insert("Ga".parse().unwrap(), 1.0); // below the threshold
        let r = roadmap(&[red_mud, small], None, &config);
        assert_eq!(r.candidates.len(), 1);
        let c = &r.candidates[0];
        assert!(c.route.starts_with("red mud"), "{}", c.route);
        assert_eq!(c.trl, 6);
        // Owner unknown (+2) and legal class waste (+1): pilot 2029-2031, demo 2032-2033.
        assert_eq!(c.delay_years, 3);
        assert_eq!(c.phases[0].name, "pilot");
        assert_eq!((c.phases[0].from_year, c.phases[0].to_year), (2029, 2031));
        assert_eq!(c.production_from, 2034);
        let ga = r
            .totals
            .iter()
            .find(|t| t.commodity.code() == "Ga")
            .unwrap();
        assert_eq!((ga.contained_t, ga.tmfs), (1.0, 1));
        let sc = r
            .totals
            .iter()
            .find(|t| t.commodity.code() == "Sc")
            .unwrap();
        assert!(sc.rare_earth && sc.by_region[&Region::Pavlodar] == 9000.0);
    }

    #[test]
    fn sludges_of_one_kind_get_routes_by_name_and_content() {
        let config = RoadmapConfig::bundled();
        let mut ti = tmf(1);
        ti.kind = Kind::Sludge;
        ti.name = "Ust-Kamenogorsk titanium-magnesium plant sludge".into();
        ti.contained_t.insert("Sc".parse().unwrap(), 400.0);
        ti.contained_t.insert("V".parse().unwrap(), 5000.0);
        let mut u = tmf(2);
        u.kind = Kind::Sludge;
        u.name = "process sludge".into();
        u.contained_t.insert("TREO".parse().unwrap(), 600.0);
        u.contained_t.insert("U".parse().unwrap(), 90.0);
        let r = roadmap(&[ti, u], None, &config);
        let route = |id: i64| {
            r.candidates
                .iter()
                .find(|c| c.id == id)
                .unwrap()
                .route
                .clone()
        };
        assert!(route(1).starts_with("Ti-Mg"), "{}", route(1));
        assert!(
            route(2).starts_with("phosphorite and uranium"),
            "{}",
            route(2)
        );
    }

    #[test]
    fn unknown_kind_falls_back_to_bench_tests() {
        let config = RoadmapConfig::bundled();
        let mut t = tmf(1);
        t.kind = Kind::Other;
        t.owner_known = true;
        t.legal_class = LegalClass::TechnogenicSubsoil;
        t.contained_t.insert("V".parse().unwrap(), 1e4);
        let r = roadmap(&[t], None, &config);
        let c = &r.candidates[0];
        assert_eq!(c.trl, 3);
        assert_eq!(c.delay_years, 0);
        let names: Vec<&str> = c.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["research", "pilot", "demonstration"]);
        assert_eq!(c.production_from, 2026 + 3 + 3 + 2);
    }
}
