//! Multi-criteria ranking of TMFs. Each indicator's raw value is normalised to 0..1 over the
//! TMFs ranked, weighted, and summed; every score keeps its parts so it can be explained. The
//! rank's stability is measured by re-ranking under randomly perturbed weights.

use std::collections::BTreeMap;

use qaita_model::{Commodity, Kind, Region};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{DataSource, Indicator, Normalisation, RankingConfig};
use crate::hazard::{self, Hazard};
use crate::input::PlanTmf;

/// One indicator's part in a TMF's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub group: &'static str,
    pub indicator: String,
    /// The raw value (USD, people, share, 0..1 index); `None` when the TMF lacks it (it then
    /// scores 0).
    pub raw: Option<f64>,
    /// Normalised score, 0..1.
    pub score: f64,
    /// Weight after rescaling all weights to sum to 1.
    pub weight: f64,
    /// weight x score: the points this indicator adds to the total.
    pub contribution: f64,
}

/// How a TMF's rank moves when the weights are perturbed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankStability {
    /// 5th, 50th and 95th percentile of the rank over the draws (1 = first).
    pub rank_p05: usize,
    pub rank_p50: usize,
    pub rank_p95: usize,
    /// Share of draws in which the TMF stays in the top `top`.
    pub top_probability: f64,
}

/// One ranked TMF.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankRow {
    /// 1 = highest priority.
    pub rank: usize,
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub region: Region,
    pub kind: Kind,
    /// Weighted score, 0..1: the sum of the parts' contributions.
    pub score: f64,
    /// Contribution of each group (economic, exposure, hazard, strategic, confidence, legal).
    pub groups: BTreeMap<&'static str, f64>,
    pub parts: Vec<Part>,
    pub hazard: Hazard,
    pub stability: Option<RankStability>,
}

/// Stability of the whole ranking under perturbed weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilitySummary {
    pub draws: usize,
    /// Each weight multiplied by a factor uniform in [1 - p, 1 + p], then all rescaled.
    pub perturbation: f64,
    pub seed: u64,
    pub top: usize,
    /// Spearman rank correlation between the base ranking and each perturbed one.
    pub spearman_mean: f64,
    pub spearman_min: f64,
    /// Mean share of the base top-`top` that stays in the perturbed top-`top`.
    pub top_overlap_mean: f64,
}

/// The ranking of a set of TMFs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    /// Best first.
    pub rows: Vec<RankRow>,
    /// `(group, indicator, weight, normalisation)` with weights rescaled to sum to 1.
    pub weights: Vec<(&'static str, String, f64, Normalisation)>,
    pub stability: Option<StabilitySummary>,
    /// Gaps in the inputs that affect scores (e.g. TMFs without a valuation).
    pub notes: Vec<String>,
    pub provenance: DataSource,
}

impl Ranking {
    /// The row of a TMF by registry id.
    pub fn row(&self, id: i64) -> Option<&RankRow> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// Ranks by registry id.
    pub fn rank_of(&self) -> BTreeMap<i64, usize> {
        self.rows.iter().map(|r| (r.id, r.rank)).collect()
    }
}

/// Rank TMFs with the stability analysis of `config.stability`.
pub fn rank(tmfs: &[PlanTmf], config: &RankingConfig) -> Ranking {
    rank_with(tmfs, config, true)
}

/// Rank TMFs; `stability` false skips the perturbation draws.
pub fn rank_with(tmfs: &[PlanTmf], config: &RankingConfig, stability: bool) -> Ranking {
    let hazards: Vec<Hazard> = tmfs
        .iter()
        .map(|t| hazard::assess(t, &config.hazard))
        .collect();
    let totals = national_totals(tmfs);
    let rare_earths = rare_earth_set();
    let raw: Vec<Vec<Option<f64>>> = config
        .criteria
        .iter()
        .map(|c| {
            tmfs.iter()
                .zip(&hazards)
                .map(|(t, h)| raw_value(&c.indicator, t, h, config, &totals, &rare_earths))
                .collect()
        })
        .collect();
    let scores: Vec<Vec<f64>> = config
        .criteria
        .iter()
        .zip(&raw)
        .map(|(c, values)| normalise(values, c.normalisation))
        .collect();
    let total_weight: f64 = config.criteria.iter().map(|c| c.weight).sum();
    let weights: Vec<f64> = config
        .criteria
        .iter()
        .map(|c| c.weight / total_weight)
        .collect();
    let totals_by_tmf = weighted_scores(&scores, &weights, tmfs.len());
    let order = order_by_score(&totals_by_tmf, tmfs);
    let mut ranks = vec![0usize; tmfs.len()];
    for (place, &i) in order.iter().enumerate() {
        ranks[i] = place + 1;
    }

    let (per_tmf, summary) = if stability && config.stability.draws > 0 && !tmfs.is_empty() {
        let (per, summary) = stability_draws(&scores, &weights, tmfs, &ranks, config);
        (Some(per), Some(summary))
    } else {
        (None, None)
    };

    let rows = order
        .iter()
        .map(|&i| {
            let parts: Vec<Part> = config
                .criteria
                .iter()
                .enumerate()
                .map(|(j, c)| Part {
                    group: c.indicator.group(),
                    indicator: c.indicator.name(),
                    raw: raw[j][i],
                    score: scores[j][i],
                    weight: weights[j],
                    contribution: weights[j] * scores[j][i],
                })
                .collect();
            let mut groups = BTreeMap::new();
            for p in &parts {
                *groups.entry(p.group).or_insert(0.0) += p.contribution;
            }
            let t = &tmfs[i];
            RankRow {
                rank: ranks[i],
                id: t.id,
                external_id: t.external_id.clone(),
                name: t.name.clone(),
                region: t.region,
                kind: t.kind,
                score: totals_by_tmf[i],
                groups,
                parts,
                hazard: hazards[i].clone(),
                stability: per_tmf.as_ref().map(|p| p[i]),
            }
        })
        .collect();

    let without_valuation = tmfs.iter().filter(|t| t.valuation.is_none()).count();
    let mut notes = Vec::new();
    if without_valuation > 0 {
        notes.push(format!(
            "{without_valuation} of {} TMFs have no valuation (no tonnage, or no route fits): their economic indicators score 0",
            tmfs.len()
        ));
    }
    let without_tonnage = tmfs.iter().filter(|t| t.tonnage_t.is_none()).count();
    if without_tonnage > 0 {
        notes.push(format!(
            "{without_tonnage} TMFs have no tonnage: resource confidence scores 'no_tonnage'"
        ));
    }
    Ranking {
        rows,
        weights: config
            .criteria
            .iter()
            .zip(&weights)
            .map(|(c, w)| (c.indicator.group(), c.indicator.name(), *w, c.normalisation))
            .collect(),
        stability: summary,
        notes,
        provenance: config.provenance.clone(),
    }
}

fn rare_earth_set() -> Vec<Commodity> {
    ["TREO", "REE", "Sc", "Y", "La", "Ce", "Nd"]
        .iter()
        .map(|c| c.parse().expect("valid commodity"))
        .collect()
}

/// Contained tonnes of each commodity over all TMFs ranked.
fn national_totals(tmfs: &[PlanTmf]) -> BTreeMap<&Commodity, f64> {
    let mut totals = BTreeMap::new();
    for t in tmfs {
        for (c, v) in &t.contained_t {
            *totals.entry(c).or_insert(0.0) += v;
        }
    }
    totals
}

fn raw_value(
    indicator: &Indicator,
    t: &PlanTmf,
    hazard: &Hazard,
    config: &RankingConfig,
    totals: &BTreeMap<&Commodity, f64>,
    rare_earths: &[Commodity],
) -> Option<f64> {
    let share = |keep: &dyn Fn(&Commodity) -> bool| -> f64 {
        t.contained_t
            .iter()
            .filter(|(c, _)| keep(c))
            .map(|(c, v)| {
                let total = totals.get(c).copied().unwrap_or(0.0);
                if total > 0.0 { v / total } else { 0.0 }
            })
            // An empty f64 sum is -0.0; shown as "-0.000" it would puzzle readers.
            .sum::<f64>()
            + 0.0
    };
    match indicator {
        Indicator::NpvP50 => t.valuation.as_ref().map(|v| v.npv_p50_or_deterministic()),
        Indicator::ProbabilityPositive => t.valuation.as_ref().map(|v| {
            v.probability_positive
                .unwrap_or(if v.npv_usd > 0.0 { 1.0 } else { 0.0 })
        }),
        Indicator::PopulationWithin { radius_km } => {
            Some(t.proximity.population_within_km(*radius_km))
        }
        Indicator::SettlementProximity { scale_km } => Some(if t.proximity.inside_settlement {
            1.0
        } else {
            t.proximity
                .edge_distance_km
                .map_or(0.0, |d| (-d / scale_km).exp())
        }),
        Indicator::HazardIndex => Some(hazard.index),
        Indicator::RareEarthShare => Some(share(&|c| rare_earths.contains(c))),
        Indicator::CriticalMetalShare => {
            Some(share(&|c| c.is_critical() && !rare_earths.contains(c)))
        }
        Indicator::ResourceConfidence => {
            let key = match (t.resource_class, t.tonnage_t, t.tonnage_confidence) {
                (Some(class), _, _) => class.code().to_string(),
                (None, None, _) => "no_tonnage".to_string(),
                (None, Some(_), Some(c)) => format!("registry_{}", c.code()),
                (None, Some(_), None) => "registry_unverified".to_string(),
            };
            config.resource_scores.get(&key).copied()
        }
        Indicator::OwnerKnown => Some(if t.owner_known { 1.0 } else { 0.0 }),
        Indicator::LegalClass => config.legal_class_scores.get(&t.legal_class).copied(),
    }
}

/// Normalise one indicator's values over the TMFs; missing values score 0.
pub fn normalise(values: &[Option<f64>], method: Normalisation) -> Vec<f64> {
    let transform = |x: f64| match method {
        Normalisation::SignedLogMinMax => x.signum() * (1.0 + x.abs()).log10(),
        _ => x,
    };
    let present: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .map(transform)
        .collect();
    match method {
        Normalisation::None => values
            .iter()
            .map(|v| {
                v.filter(|x| x.is_finite())
                    .map_or(0.0, |x| x.clamp(0.0, 1.0))
            })
            .collect(),
        Normalisation::MinMax | Normalisation::SignedLogMinMax => {
            let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            values
                .iter()
                .map(|v| match v.filter(|x| x.is_finite()) {
                    None => 0.0,
                    // Everyone equal: nobody is better on this indicator, but having it counts.
                    Some(_) if hi - lo <= 0.0 => 1.0,
                    Some(x) => (transform(x) - lo) / (hi - lo),
                })
                .collect()
        }
        Normalisation::Rank => {
            let mut sorted = present.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            values
                .iter()
                .map(|v| match v.filter(|x| x.is_finite()) {
                    None => 0.0,
                    Some(_) if n <= 1 => 1.0,
                    Some(x) => {
                        let below = sorted.partition_point(|s| *s < x);
                        below as f64 / (n - 1) as f64
                    }
                })
                .collect()
        }
    }
}

fn weighted_scores(scores: &[Vec<f64>], weights: &[f64], n: usize) -> Vec<f64> {
    let mut total = vec![0.0; n];
    for (column, w) in scores.iter().zip(weights) {
        for (t, s) in total.iter_mut().zip(column) {
            *t += w * s;
        }
    }
    total
}

/// Indices of TMFs best first; ties by external id, so the order never depends on input order.
fn order_by_score(score: &[f64], tmfs: &[PlanTmf]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..tmfs.len()).collect();
    order.sort_by(|&a, &b| {
        score[b]
            .total_cmp(&score[a])
            .then_with(|| tmfs[a].external_id.cmp(&tmfs[b].external_id))
            .then(tmfs[a].id.cmp(&tmfs[b].id))
    });
    order
}

fn stability_draws(
    scores: &[Vec<f64>],
    weights: &[f64],
    tmfs: &[PlanTmf],
    base_ranks: &[usize],
    config: &RankingConfig,
) -> (Vec<RankStability>, StabilitySummary) {
    let s = &config.stability;
    let n = tmfs.len();
    let top = s.top.min(n);
    // One seeded generator per draw: the same draws for any thread count.
    let draws: Vec<(Vec<u32>, f64, f64)> = (0..s.draws)
        .into_par_iter()
        .map(|d| {
            let mut rng =
                SmallRng::seed_from_u64(s.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ d as u64);
            let mut w: Vec<f64> = weights
                .iter()
                .map(|w| w * rng.random_range((1.0 - s.perturbation)..=(1.0 + s.perturbation)))
                .collect();
            let sum: f64 = w.iter().sum();
            if sum > 0.0 {
                w.iter_mut().for_each(|x| *x /= sum);
            }
            let total = weighted_scores(scores, &w, n);
            let order = order_by_score(&total, tmfs);
            let mut ranks = vec![0u32; n];
            for (place, &i) in order.iter().enumerate() {
                ranks[i] = place as u32 + 1;
            }
            let d2: f64 = ranks
                .iter()
                .zip(base_ranks)
                .map(|(&r, &b)| (r as f64 - b as f64).powi(2))
                .sum();
            let spearman = if n > 1 {
                1.0 - 6.0 * d2 / (n as f64 * ((n * n) as f64 - 1.0))
            } else {
                1.0
            };
            let kept = ranks
                .iter()
                .zip(base_ranks)
                .filter(|(r, b)| **b <= top && (**r as usize) <= top)
                .count();
            (ranks, spearman, kept as f64 / top.max(1) as f64)
        })
        .collect();
    let per_tmf = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut r: Vec<u32> = draws.iter().map(|d| d.0[i]).collect();
            r.sort_unstable();
            let q = |p: f64| r[((r.len() - 1) as f64 * p).round() as usize] as usize;
            RankStability {
                rank_p05: q(0.05),
                rank_p50: q(0.5),
                rank_p95: q(0.95),
                top_probability: r.iter().filter(|&&x| x as usize <= top).count() as f64
                    / r.len() as f64,
            }
        })
        .collect();
    let k = draws.len() as f64;
    let summary = StabilitySummary {
        draws: s.draws,
        perturbation: s.perturbation,
        seed: s.seed,
        top,
        spearman_mean: draws.iter().map(|d| d.1).sum::<f64>() / k,
        spearman_min: draws.iter().map(|d| d.1).fold(f64::INFINITY, f64::min),
        top_overlap_mean: draws.iter().map(|d| d.2).sum::<f64>() / k,
    };
    (per_tmf, summary)
}

/// Charts of a ranking: the top TMFs' scores split by group.
pub fn charts(ranking: &Ranking, top: usize) -> Result<Vec<(String, String)>, crate::PlanError> {
    let rows: Vec<&RankRow> = ranking.rows.iter().take(top).collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Ten bars groups at most stay readable; the stability chart shows every row.
    let score_rows = &rows[..rows.len().min(10)];
    let categories: Vec<String> = score_rows.iter().map(|r| r.external_id.clone()).collect();
    // Four series (the charts' palette has four colours): the three largest criterion groups
    // and the rest together.
    let group = |r: &RankRow, names: &[&str]| -> f64 {
        names
            .iter()
            .map(|g| r.groups.get(g).copied().unwrap_or(0.0))
            .sum()
    };
    let series: Vec<(String, Vec<f64>)> = [
        ("economic", vec!["economic"]),
        ("exposure", vec!["exposure"]),
        ("hazard", vec!["hazard"]),
        (
            "strategic + confidence + legal",
            vec!["strategic", "confidence", "legal"],
        ),
    ]
    .into_iter()
    .map(|(name, groups)| {
        (
            name.to_string(),
            score_rows.iter().map(|r| group(r, &groups)).collect(),
        )
    })
    .collect();
    let mut out = vec![(
        "rank-scores.svg".to_string(),
        qaita_charts::grouped_bars_svg(
            &format!("Top {} TMFs: score by criterion group", score_rows.len()),
            "points of the weighted score (0..1)",
            &categories,
            &series,
        )?,
    )];
    if rows.iter().any(|r| r.stability.is_some()) {
        let points = |f: fn(&RankStability) -> usize| -> Vec<(f64, f64)> {
            rows.iter()
                .filter_map(|r| Some((r.rank as f64, f(r.stability.as_ref()?) as f64)))
                .collect()
        };
        out.push((
            "rank-stability.svg".to_string(),
            qaita_charts::xy_svg(
                "Rank under perturbed weights (P5, P50, P95)",
                "base rank",
                "rank in perturbed draws",
                &[
                    qaita_charts::Series {
                        name: "P5".into(),
                        points: points(|s| s.rank_p05),
                        markers: true,
                    },
                    qaita_charts::Series {
                        name: "P50".into(),
                        points: points(|s| s.rank_p50),
                        markers: true,
                    },
                    qaita_charts::Series {
                        name: "P95".into(),
                        points: points(|s| s.rank_p95),
                        markers: true,
                    },
                ],
            )?,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ProximityFacts;
    use crate::input::fixtures::{tmf, valuation};
    use qaita_model::LegalClass;

    #[test]
    fn normalisations() {
        let v = [Some(0.0), Some(5.0), Some(10.0), None];
        assert_eq!(
            normalise(&v, Normalisation::MinMax),
            vec![0.0, 0.5, 1.0, 0.0]
        );
        assert_eq!(normalise(&v, Normalisation::Rank), vec![0.0, 0.5, 1.0, 0.0]);
        let log = normalise(
            &[Some(-999.0), Some(0.0), Some(999.0)],
            Normalisation::SignedLogMinMax,
        );
        assert!((log[1] - 0.5).abs() < 1e-12 && log[0] == 0.0 && log[2] == 1.0);
        assert_eq!(
            normalise(&[Some(1.5), Some(-0.2)], Normalisation::None),
            vec![1.0, 0.0]
        );
        // Ties share the rank of the first of them.
        assert_eq!(
            normalise(&[Some(1.0), Some(1.0), Some(2.0)], Normalisation::Rank),
            vec![0.0, 0.0, 1.0]
        );
    }

    #[test]
    fn score_is_the_sum_of_its_parts_and_better_tmfs_rank_higher() {
        let config = RankingConfig::bundled();
        let mut good = tmf(1);
        good.valuation = Some(valuation(50e6, 20e6, 1e6, 10));
        good.proximity = ProximityFacts {
            inside_settlement: true,
            near_settlement: true,
            edge_distance_km: Some(0.0),
            population_within: vec![(1.0, 3000.0), (5.0, 20000.0)],
            ..ProximityFacts::default()
        };
        good.owner_known = true;
        good.legal_class = LegalClass::TechnogenicSubsoil;
        good.contained_t.insert("Sc".parse().unwrap(), 100.0);
        let mut bad = tmf(2);
        bad.valuation = Some(valuation(-10e6, 20e6, 1e6, 10));
        let plain = tmf(3);
        let r = rank(&[plain, bad, good], &config);
        assert_eq!(r.rows[0].external_id, "T-0001");
        for row in &r.rows {
            let sum: f64 = row.parts.iter().map(|p| p.contribution).sum();
            assert!((sum - row.score).abs() < 1e-12);
            let groups: f64 = row.groups.values().sum();
            assert!((groups - row.score).abs() < 1e-12);
        }
        let weights: f64 = r.weights.iter().map(|w| w.2).sum();
        assert!((weights - 1.0).abs() < 1e-12);
        assert!(r.stability.is_some());
        assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    }

    #[test]
    fn ranking_does_not_depend_on_input_order() {
        let config = RankingConfig::bundled();
        let tmfs: Vec<PlanTmf> = (1..30)
            .map(|i| {
                let mut t = tmf(i);
                t.valuation = Some(valuation((i as f64 - 10.0) * 1e6, 1e6, 1e5, 5));
                t.proximity.population_within = vec![(1.0, (i % 7) as f64 * 100.0)];
                t
            })
            .collect();
        let a = rank(&tmfs, &config);
        let mut reversed = tmfs.clone();
        reversed.reverse();
        let b = rank(&reversed, &config);
        assert_eq!(a, b);
    }

    #[test]
    fn zero_perturbation_keeps_every_rank() {
        let mut config = RankingConfig::bundled();
        config.stability.perturbation = 0.0;
        config.stability.draws = 20;
        let tmfs: Vec<PlanTmf> = (1..10)
            .map(|i| {
                let mut t = tmf(i);
                t.valuation = Some(valuation(i as f64 * 1e6, 1e6, 1e5, 5));
                t
            })
            .collect();
        let r = rank(&tmfs, &config);
        let s = r.stability.unwrap();
        assert_eq!(s.spearman_min, 1.0);
        for row in &r.rows {
            let st = row.stability.unwrap();
            assert_eq!((st.rank_p05, st.rank_p95), (row.rank, row.rank));
        }
    }

    proptest::proptest! {
        #[test]
        fn scores_stay_in_unit_interval(
            npvs in proptest::collection::vec(-1e9f64..1e9, 1..40),
            pops in proptest::collection::vec(0f64..1e6, 40),
        ) {
            let config = RankingConfig::bundled();
            let tmfs: Vec<PlanTmf> = npvs.iter().enumerate().map(|(i, npv)| {
                let mut t = tmf(i as i64);
                t.valuation = Some(valuation(*npv, 1e6, 1e5, 5));
                t.proximity.population_within = vec![(1.0, pops[i]), (5.0, pops[i] * 3.0)];
                t
            }).collect();
            let r = rank_with(&tmfs, &config, false);
            for (i, row) in r.rows.iter().enumerate() {
                proptest::prop_assert!((0.0..=1.0 + 1e-12).contains(&row.score));
                proptest::prop_assert_eq!(row.rank, i + 1);
                for p in &row.parts {
                    proptest::prop_assert!((0.0..=1.0).contains(&p.score));
                }
            }
            for w in r.rows.windows(2) {
                proptest::prop_assert!(w[0].score >= w[1].score);
            }
        }
    }
}
