//! Flood warnings from ensemble forecasts, as data: exceedance probabilities per lead day,
//! warning rules (EFAS's formal and informal notification, persistence over consecutive runs),
//! level thresholds with up- and down-crossing events (Kazhydromet's dangerous level, in cm
//! above the post datum, through a rating curve where one is given), and the skill of warnings
//! in a hindcast.

use serde::{Deserialize, Serialize};

/// The share of ensemble members above `threshold` on each lead day. `members[m][d]` is member
/// m's value on lead day d + 1; a member missing a day (NaN, or a shorter series) does not
/// count towards that day's total.
pub fn exceedance(members: &[Vec<f64>], threshold: f64) -> Vec<f64> {
    let days = members.iter().map(Vec::len).max().unwrap_or(0);
    (0..days)
        .map(|d| {
            let (above, known) = members
                .iter()
                .filter_map(|m| m.get(d).copied().filter(|v| v.is_finite()))
                .fold((0usize, 0usize), |(a, k), v| {
                    (a + usize::from(v > threshold), k + 1)
                });
            if known == 0 {
                f64::NAN
            } else {
                above as f64 / known as f64
            }
        })
        .collect()
}

/// A warning rule over the exceedance probability of one threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    /// Return period of the threshold flow, years.
    pub return_period: f64,
    /// At least this share of members above it...
    pub min_probability: f64,
    /// ...on some lead day in this window (days ahead, inclusive)...
    pub first_lead_day: usize,
    pub last_lead_day: usize,
    /// ...for catchments at least this large, km2...
    pub min_area_km2: f64,
    /// ...on this many consecutive forecast runs (1 = this run alone).
    pub persistence: usize,
}

impl Rule {
    /// EFAS formal notification: >= 50 % of members above the 5-year flow, 2 to 7 days ahead,
    /// catchment >= 1,000 km2.
    pub fn efas_formal() -> Rule {
        Rule {
            name: "EFAS formal".into(),
            return_period: 5.0,
            min_probability: 0.5,
            first_lead_day: 2,
            last_lead_day: 7,
            min_area_km2: 1000.0,
            persistence: 1,
        }
    }

    /// EFAS informal (flash) notification: >= 40 %, catchment >= 500 km2 (same threshold and
    /// onset window as the formal one).
    pub fn efas_informal() -> Rule {
        Rule {
            name: "EFAS informal".into(),
            min_probability: 0.4,
            min_area_km2: 500.0,
            ..Rule::efas_formal()
        }
    }

    /// The older EFAS criterion: >= 30 % above the 5-year flow on 3 consecutive runs.
    pub fn efas_persistent() -> Rule {
        Rule {
            name: "EFAS persistence".into(),
            min_probability: 0.3,
            min_area_km2: 0.0,
            persistence: 3,
            ..Rule::efas_formal()
        }
    }

    /// Whether one run meets the rule: the first lead day in the window at or above the
    /// probability, with that probability. `probabilities[d]` is lead day d + 1.
    pub fn onset(&self, area_km2: f64, probabilities: &[f64]) -> Option<(usize, f64)> {
        if area_km2 < self.min_area_km2 {
            return None;
        }
        (self.first_lead_day..=self.last_lead_day).find_map(|day| {
            let p = *probabilities.get(day.checked_sub(1)?)?;
            (p >= self.min_probability).then_some((day, p))
        })
    }

    /// The rule over the latest runs, oldest first (`runs.last()` is the current one): a
    /// warning when the last `persistence` runs each meet it; the onset is the current run's.
    pub fn warning(&self, area_km2: f64, runs: &[Vec<f64>]) -> Option<(usize, f64)> {
        if runs.len() < self.persistence.max(1) {
            return None;
        }
        let recent = &runs[runs.len() - self.persistence.max(1)..];
        if recent.iter().all(|p| self.onset(area_km2, p).is_some()) {
            self.onset(area_km2, recent.last()?)
        } else {
            None
        }
    }
}

/// A power-law rating curve Q = a (h - h0)^b, h in cm above the post datum, Q in m3/s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatingCurve {
    pub a: f64,
    pub h0_cm: f64,
    pub b: f64,
}

impl RatingCurve {
    pub fn discharge(&self, level_cm: f64) -> f64 {
        if level_cm <= self.h0_cm {
            0.0
        } else {
            self.a * (level_cm - self.h0_cm).powf(self.b)
        }
    }

    pub fn level(&self, discharge: f64) -> f64 {
        if discharge <= 0.0 {
            self.h0_cm
        } else {
            self.h0_cm + (discharge / self.a).powf(1.0 / self.b)
        }
    }
}

/// A threshold crossing: on step `index` the series went above (`up`) or back to or below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Crossing {
    pub index: usize,
    pub up: bool,
}

/// Up- and down-crossings of `threshold` (missing values keep the last known side).
pub fn crossings(series: &[f64], threshold: f64) -> Vec<Crossing> {
    let mut out = Vec::new();
    let mut above: Option<bool> = None;
    for (i, v) in series.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        let now = *v > threshold;
        match above {
            Some(was) if was != now => out.push(Crossing { index: i, up: now }),
            None if now => out.push(Crossing { index: i, up: true }),
            _ => {}
        }
        above = Some(now);
    }
    out
}

/// Warnings against what happened: a contingency table and its scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Skill {
    pub hits: usize,
    pub misses: usize,
    pub false_alarms: usize,
    pub correct_negatives: usize,
}

impl Skill {
    /// From paired flags: warned (forecast) and exceeded (observed), event by event.
    pub fn of(warned: &[bool], observed: &[bool]) -> Skill {
        let mut s = Skill::default();
        for (&w, &o) in warned.iter().zip(observed) {
            match (w, o) {
                (true, true) => s.hits += 1,
                (false, true) => s.misses += 1,
                (true, false) => s.false_alarms += 1,
                (false, false) => s.correct_negatives += 1,
            }
        }
        s
    }

    /// Probability of detection, hits / (hits + misses).
    pub fn pod(&self) -> f64 {
        self.hits as f64 / (self.hits + self.misses) as f64
    }

    /// False alarm ratio, false alarms / (hits + false alarms).
    pub fn far(&self) -> f64 {
        self.false_alarms as f64 / (self.hits + self.false_alarms) as f64
    }

    /// Critical success index, hits / (hits + misses + false alarms).
    pub fn csi(&self) -> f64 {
        self.hits as f64 / (self.hits + self.misses + self.false_alarms) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn efas_formal_known_answers() {
        let rule = Rule::efas_formal();
        // Lead day 1 is above but outside the window; day 3 reaches 50 %.
        let p = vec![0.9, 0.3, 0.5, 0.8, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(rule.onset(2976.0, &p), Some((3, 0.5)));
        // A small catchment is left to the informal rule.
        assert_eq!(rule.onset(800.0, &p), None);
        assert_eq!(
            Rule::efas_informal().onset(800.0, &[0.0, 0.45]),
            Some((2, 0.45))
        );
        assert_eq!(Rule::efas_informal().onset(400.0, &[0.0, 0.45]), None);
        // 49 % is not 50 %, and day 8 is past the window.
        assert_eq!(
            rule.onset(5000.0, &[0.0, 0.49, 0.0, 0.0, 0.0, 0.0, 0.0, 0.99]),
            None
        );
    }

    #[test]
    fn persistence_needs_consecutive_runs() {
        let rule = Rule::efas_persistent();
        let hot = vec![0.0, 0.35];
        let cold = vec![0.0, 0.1];
        assert_eq!(rule.warning(100.0, &[hot.clone(), hot.clone()]), None);
        assert_eq!(
            rule.warning(
                100.0,
                &[cold.clone(), hot.clone(), hot.clone(), hot.clone()]
            ),
            Some((2, 0.35))
        );
        assert_eq!(
            rule.warning(100.0, &[hot.clone(), hot.clone(), cold, hot.clone(), hot]),
            None
        );
    }

    #[test]
    fn exceedance_counts_known_members_only() {
        let members = vec![
            vec![1.0, 5.0, 9.0],
            vec![2.0, f64::NAN, 1.0],
            vec![3.0, 6.0],
        ];
        let p = exceedance(&members, 4.0);
        assert_eq!(p[0], 0.0);
        assert_eq!(p[1], 1.0);
        assert_eq!(p[2], 0.5);
    }

    #[test]
    fn rating_curve_round_trips_and_crossings_pair_up() {
        let curve = RatingCurve {
            a: 0.8,
            h0_cm: 120.0,
            b: 1.6,
        };
        for h in [150.0, 550.0, 980.0] {
            assert!((curve.level(curve.discharge(h)) - h).abs() < 1e-9);
        }
        let levels = [900.0, 950.0, 975.0, f64::NAN, 1000.0, 990.0, 960.0, 985.0];
        assert_eq!(
            crossings(&levels, 970.0),
            vec![
                Crossing { index: 2, up: true },
                Crossing {
                    index: 6,
                    up: false
                },
                Crossing { index: 7, up: true },
            ]
        );
    }

    #[test]
    fn skill_scores_known_table() {
        let warned = [true, true, false, true, false, false];
        let seen = [true, false, true, true, false, false];
        let s = Skill::of(&warned, &seen);
        assert_eq!(
            (s.hits, s.misses, s.false_alarms, s.correct_negatives),
            (2, 1, 1, 2)
        );
        assert!((s.pod() - 2.0 / 3.0).abs() < 1e-15);
        assert!((s.far() - 1.0 / 3.0).abs() < 1e-15);
        assert!((s.csi() - 0.5).abs() < 1e-15);
    }

    proptest! {
        /// A rule is monotone: more members above the threshold never removes a warning, and
        /// a higher probability bar never adds one.
        #[test]
        fn rules_are_monotone(p in proptest::collection::vec(0.0f64..=1.0, 1..12), bump in 0.0f64..0.5, area in 0.0f64..5000.0) {
            let rule = Rule::efas_formal();
            let higher: Vec<f64> = p.iter().map(|v| (v + bump).min(1.0)).collect();
            if rule.onset(area, &p).is_some() {
                prop_assert!(rule.onset(area, &higher).is_some());
            }
            let strict = Rule { min_probability: 0.7, ..rule.clone() };
            if strict.onset(area, &p).is_some() {
                prop_assert!(rule.onset(area, &p).is_some());
            }
        }

        /// Crossings alternate direction and start upward.
        #[test]
        fn crossings_alternate(series in proptest::collection::vec(0.0f64..100.0, 0..200), t in 0.0f64..100.0) {
            let c = crossings(&series, t);
            for (i, x) in c.iter().enumerate() {
                prop_assert_eq!(x.up, i % 2 == 0);
            }
        }
    }
}
