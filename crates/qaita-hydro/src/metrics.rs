//! Goodness of fit of simulated against observed flows, over the days where both are known
//! (missing observations, NaN, are skipped, as airGR's `ErrorCrit_*` skip them).

use serde::Serialize;

/// Paired values where both are finite.
fn pairs<'a>(sim: &'a [f64], obs: &'a [f64]) -> impl Iterator<Item = (f64, f64)> + 'a {
    sim.iter()
        .zip(obs)
        .filter(|(s, o)| s.is_finite() && o.is_finite())
        .map(|(&s, &o)| (s, o))
}

/// Means, sample standard deviations and Pearson correlation of the pairs.
#[derive(Debug, Clone, Copy)]
struct Moments {
    n: usize,
    mean_s: f64,
    mean_o: f64,
    sd_s: f64,
    sd_o: f64,
    r: f64,
}

fn moments(sim: &[f64], obs: &[f64]) -> Option<Moments> {
    let n = pairs(sim, obs).count();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let (sum_s, sum_o) = pairs(sim, obs).fold((0.0, 0.0), |(a, b), (s, o)| (a + s, b + o));
    let (mean_s, mean_o) = (sum_s / nf, sum_o / nf);
    let (mut ss, mut oo, mut so) = (0.0, 0.0, 0.0);
    for (s, o) in pairs(sim, obs) {
        ss += (s - mean_s) * (s - mean_s);
        oo += (o - mean_o) * (o - mean_o);
        so += (s - mean_s) * (o - mean_o);
    }
    Some(Moments {
        n,
        mean_s,
        mean_o,
        sd_s: (ss / (nf - 1.0)).sqrt(),
        sd_o: (oo / (nf - 1.0)).sqrt(),
        r: so / (ss.sqrt() * oo.sqrt()),
    })
}

/// Nash-Sutcliffe efficiency: 1 - Σ(s-o)² / Σ(o-ō)². NaN with fewer than two pairs.
pub fn nse(sim: &[f64], obs: &[f64]) -> f64 {
    let Some(m) = moments(sim, obs) else {
        return f64::NAN;
    };
    let (mut err, mut var) = (0.0, 0.0);
    for (s, o) in pairs(sim, obs) {
        err += (s - o) * (s - o);
        var += (o - m.mean_o) * (o - m.mean_o);
    }
    1.0 - err / var
}

/// Root mean square error.
pub fn rmse(sim: &[f64], obs: &[f64]) -> f64 {
    let (n, sum) = pairs(sim, obs).fold((0usize, 0.0), |(n, a), (s, o)| {
        (n + 1, a + (s - o) * (s - o))
    });
    if n == 0 {
        f64::NAN
    } else {
        (sum / n as f64).sqrt()
    }
}

/// Relative volume bias: Σs / Σo - 1.
pub fn bias(sim: &[f64], obs: &[f64]) -> f64 {
    let (ss, so) = pairs(sim, obs).fold((0.0, 0.0), |(a, b), (s, o)| (a + s, b + o));
    ss / so - 1.0
}

/// Kling-Gupta efficiency and its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Kge {
    pub value: f64,
    /// Pearson correlation.
    pub r: f64,
    /// Variability ratio: σs/σo (KGE 2009) or the ratio of coefficients of variation (KGE' 2012).
    pub variability: f64,
    /// Bias ratio μs/μo.
    pub beta: f64,
    pub pairs: usize,
}

fn kge_with(sim: &[f64], obs: &[f64], cv_ratio: bool) -> Kge {
    let Some(m) = moments(sim, obs) else {
        return Kge {
            value: f64::NAN,
            r: f64::NAN,
            variability: f64::NAN,
            beta: f64::NAN,
            pairs: 0,
        };
    };
    let beta = m.mean_s / m.mean_o;
    let variability = if cv_ratio {
        (m.sd_s / m.mean_s) / (m.sd_o / m.mean_o)
    } else {
        m.sd_s / m.sd_o
    };
    let value =
        1.0 - ((m.r - 1.0).powi(2) + (variability - 1.0).powi(2) + (beta - 1.0).powi(2)).sqrt();
    Kge {
        value,
        r: m.r,
        variability,
        beta,
        pairs: m.n,
    }
}

/// KGE (Gupta et al. 2009): 1 - sqrt((r-1)² + (α-1)² + (β-1)²), α = σs/σo, β = μs/μo.
pub fn kge(sim: &[f64], obs: &[f64]) -> Kge {
    kge_with(sim, obs, false)
}

/// KGE' (Kling et al. 2012): as KGE with γ = (σs/μs)/(σo/μo) for α.
pub fn kge_prime(sim: &[f64], obs: &[f64]) -> Kge {
    kge_with(sim, obs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_mean_simulations() {
        let obs = [1.0, 2.0, 4.0, f64::NAN, 3.0];
        assert_eq!(nse(&obs, &obs), 1.0);
        assert!((kge(&obs, &obs).value - 1.0).abs() < 1e-15);
        assert_eq!(rmse(&obs, &obs), 0.0);
        // The observed mean everywhere scores NSE 0.
        let mean = [2.5; 5];
        assert!((nse(&mean, &obs)).abs() < 1e-15);
        // Doubling the flows: beta 2, alpha 2, r 1 -> KGE 1 - sqrt(2); KGE' has gamma 1.
        let double: Vec<f64> = obs.iter().map(|o| 2.0 * o).collect();
        assert!((kge(&double, &obs).value - (1.0 - 2f64.sqrt())).abs() < 1e-12);
        assert!((kge_prime(&double, &obs).value - 0.0).abs() < 1e-12);
        assert!((bias(&double, &obs) - 1.0).abs() < 1e-12);
        assert_eq!(kge(&double, &obs).pairs, 4);
    }
}
