//! Flood frequency: annual maxima, and Gumbel and GEV distributions fitted by L-moments
//! (Hosking 1990; GEV shape by Hosking, Wallis and Wood 1985), giving the discharge of a return
//! period (T years: exceeded in a year with probability 1/T), as EFAS and GloFAS set warning
//! thresholds from a long simulation or record.

use serde::Serialize;

/// Euler-Mascheroni constant.
const EULER: f64 = 0.577_215_664_901_532_9;

/// The largest value of each year. `years[i]` is the year of `values[i]`; missing values (NaN)
/// are skipped, and a year with fewer than `min_days` known values is left out.
pub fn annual_maxima(years: &[i32], values: &[f64], min_days: usize) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64, usize)> = Vec::new();
    for (&y, &v) in years.iter().zip(values) {
        if !v.is_finite() {
            continue;
        }
        match out.last_mut() {
            Some((year, max, n)) if *year == y => {
                *max = max.max(v);
                *n += 1;
            }
            _ => out.push((y, v, 1)),
        }
    }
    out.into_iter()
        .filter(|(_, _, n)| *n >= min_days)
        .map(|(y, m, _)| (y, m))
        .collect()
}

/// The first three sample L-moments (l1, l2, l3) from unbiased probability-weighted moments.
/// `None` with fewer than three values.
pub fn l_moments(sample: &[f64]) -> Option<(f64, f64, f64)> {
    let mut x: Vec<f64> = sample.iter().copied().filter(|v| v.is_finite()).collect();
    let n = x.len();
    if n < 3 {
        return None;
    }
    x.sort_by(f64::total_cmp);
    let nf = n as f64;
    let (mut b0, mut b1, mut b2) = (0.0, 0.0, 0.0);
    for (i, v) in x.iter().enumerate() {
        let j = i as f64; // rank - 1
        b0 += v;
        b1 += v * j / (nf - 1.0);
        b2 += v * j * (j - 1.0) / ((nf - 1.0) * (nf - 2.0));
    }
    let (b0, b1, b2) = (b0 / nf, b1 / nf, b2 / nf);
    Some((b0, 2.0 * b1 - b0, 6.0 * b2 - 6.0 * b1 + b0))
}

/// A fitted extreme-value distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "lowercase")]
pub enum Extreme {
    /// F(x) = exp(-exp(-(x - location) / scale)).
    Gumbel { location: f64, scale: f64 },
    /// Hosking's parametrisation: F(x) = exp(-(1 - shape (x - location) / scale)^(1/shape));
    /// shape < 0 is heavy-tailed (Fréchet), shape -> 0 is Gumbel.
    Gev {
        location: f64,
        scale: f64,
        shape: f64,
    },
}

impl Extreme {
    /// Gumbel by L-moments: scale = l2 / ln 2, location = l1 - γ scale.
    pub fn gumbel(sample: &[f64]) -> Option<Extreme> {
        let (l1, l2, _) = l_moments(sample)?;
        let scale = l2 / std::f64::consts::LN_2;
        Some(Extreme::Gumbel {
            location: l1 - EULER * scale,
            scale,
        })
    }

    /// GEV by L-moments, shape from Hosking, Wallis and Wood's approximation
    /// (k = 7.8590 c + 2.9554 c², c = 2 / (3 + t3) - ln 2 / ln 3).
    pub fn gev(sample: &[f64]) -> Option<Extreme> {
        let (l1, l2, l3) = l_moments(sample)?;
        let t3 = l3 / l2;
        let c = 2.0 / (3.0 + t3) - std::f64::consts::LN_2 / 3f64.ln();
        let k = 7.8590 * c + 2.9554 * c * c;
        if k.abs() < 1e-9 {
            return Extreme::gumbel(sample);
        }
        let g = libm::tgamma(1.0 + k);
        let scale = l2 * k / ((1.0 - 2f64.powf(-k)) * g);
        Some(Extreme::Gev {
            location: l1 - scale * (1.0 - g) / k,
            scale,
            shape: k,
        })
    }

    /// The value exceeded in a year with probability p (1 - F(x) = p).
    pub fn quantile_exceeded(&self, p: f64) -> f64 {
        let y = -(1.0 - p).ln(); // -ln F
        match *self {
            Extreme::Gumbel { location, scale } => location - scale * y.ln(),
            Extreme::Gev {
                location,
                scale,
                shape,
            } => location + scale / shape * (1.0 - y.powf(shape)),
        }
    }

    /// The `years`-year return level (annual exceedance probability 1 / years).
    pub fn return_level(&self, years: f64) -> f64 {
        self.quantile_exceeded(1.0 / years)
    }

    /// Non-exceedance probability F(x).
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Extreme::Gumbel { location, scale } => (-(-(x - location) / scale).exp()).exp(),
            Extreme::Gev {
                location,
                scale,
                shape,
            } => {
                let z = 1.0 - shape * (x - location) / scale;
                if z <= 0.0 {
                    if shape > 0.0 { 1.0 } else { 0.0 }
                } else {
                    (-z.powf(1.0 / shape)).exp()
                }
            }
        }
    }
}

/// The return periods EFAS and the warnings use, years.
pub const RETURN_PERIODS: [f64; 5] = [1.5, 2.0, 5.0, 20.0, 100.0];

#[cfg(test)]
mod tests {
    use super::*;

    /// A large "sample" laid exactly on a distribution's quantiles (plotting positions).
    fn quantiles(d: &Extreme, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| d.quantile_exceeded(1.0 - (i as f64 + 0.5) / n as f64))
            .collect()
    }

    #[test]
    fn l_moments_of_a_known_sample() {
        // 1..=5: l1 = 3, l2 = 1 (mean half-difference), l3 = 0 (symmetric).
        let (l1, l2, l3) = l_moments(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((l1 - 3.0).abs() < 1e-12);
        assert!((l2 - 1.0).abs() < 1e-12);
        assert!(l3.abs() < 1e-12);
        assert!(l_moments(&[1.0, 2.0]).is_none());
    }

    #[test]
    fn gumbel_and_gev_recover_their_parameters() {
        let gumbel = Extreme::Gumbel {
            location: 800.0,
            scale: 250.0,
        };
        let fitted = Extreme::gumbel(&quantiles(&gumbel, 20_000)).unwrap();
        let Extreme::Gumbel { location, scale } = fitted else {
            unreachable!()
        };
        assert!(
            (location - 800.0).abs() < 1.0 && (scale - 250.0).abs() < 1.0,
            "{fitted:?}"
        );
        let gev = Extreme::Gev {
            location: 800.0,
            scale: 250.0,
            shape: -0.15,
        };
        let fitted = Extreme::gev(&quantiles(&gev, 20_000)).unwrap();
        let Extreme::Gev {
            location,
            scale,
            shape,
        } = fitted
        else {
            unreachable!()
        };
        assert!((shape + 0.15).abs() < 0.01, "{fitted:?}");
        assert!(
            (location - 800.0).abs() < 3.0 && (scale - 250.0).abs() < 3.0,
            "{fitted:?}"
        );
        // The 100-year flow of a heavy tail lies above the Gumbel one of the same sample.
        let s = quantiles(&gev, 2000);
        assert!(
            Extreme::gev(&s).unwrap().return_level(100.0)
                > Extreme::gumbel(&s).unwrap().return_level(100.0)
        );
    }

    #[test]
    fn return_levels_invert_the_cdf_and_grow_with_the_period() {
        for d in [
            Extreme::Gumbel {
                location: 100.0,
                scale: 30.0,
            },
            Extreme::Gev {
                location: 100.0,
                scale: 30.0,
                shape: 0.1,
            },
            Extreme::Gev {
                location: 100.0,
                scale: 30.0,
                shape: -0.2,
            },
        ] {
            let mut last = f64::NEG_INFINITY;
            for t in RETURN_PERIODS {
                let q = d.return_level(t);
                assert!(q > last);
                assert!((d.cdf(q) - (1.0 - 1.0 / t)).abs() < 1e-12, "{d:?} {t}");
                last = q;
            }
        }
        // Gumbel's 2-year level is location - scale ln(ln 2).
        let g = Extreme::Gumbel {
            location: 100.0,
            scale: 30.0,
        };
        assert!((g.return_level(2.0) - (100.0 - 30.0 * std::f64::consts::LN_2.ln())).abs() < 1e-9);
    }

    #[test]
    fn annual_maxima_skip_gaps_and_short_years() {
        let years = [2000, 2000, 2000, 2001, 2001, 2002];
        let values = [1.0, 5.0, f64::NAN, 2.0, 3.0, 9.0];
        assert_eq!(
            annual_maxima(&years, &values, 2),
            vec![(2000, 5.0), (2001, 3.0)]
        );
    }
}
