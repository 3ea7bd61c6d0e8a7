//! Discounted cash-flow arithmetic: NPV, every IRR, payback.

/// Net present value of `flows` (year 0 first, undiscounted) at `rate` per year.
/// Same convention as numpy-financial's `npv`: the first flow is not discounted.
pub fn npv(rate: f64, flows: &[f64]) -> f64 {
    let factor = 1.0 / (1.0 + rate);
    let mut discount = 1.0;
    let mut total = 0.0;
    for flow in flows {
        total += flow * discount;
        discount *= factor;
    }
    total
}

/// Every internal rate of return in (-99%, +1000%): the rates where the NPV is zero.
///
/// A cash flow that changes sign more than once can have several (or none); all are returned,
/// ascending, rather than one picked silently. The search scans `ln(1 + r)` on a fine grid and
/// refines each sign change by bisection to 1e-12.
pub fn irr_all(flows: &[f64]) -> Vec<f64> {
    if flows.iter().all(|f| *f >= 0.0) || flows.iter().all(|f| *f <= 0.0) {
        return Vec::new();
    }
    let (lo, hi) = ((0.01f64).ln(), (11.0f64).ln()); // 1 + r from 0.01 to 11
    let steps = 4000;
    let at = |x: f64| npv(x.exp() - 1.0, flows);
    let mut roots = Vec::new();
    let mut x0 = lo;
    let mut f0 = at(x0);
    for i in 1..=steps {
        let x1 = lo + (hi - lo) * i as f64 / steps as f64;
        let f1 = at(x1);
        if f0 == 0.0 {
            roots.push(x0.exp() - 1.0);
        } else if f0.signum() != f1.signum() && f1 != 0.0 {
            let (mut a, mut b, mut fa) = (x0, x1, f0);
            for _ in 0..200 {
                let m = 0.5 * (a + b);
                let fm = at(m);
                if fm == 0.0 || (b - a) < 1e-14 {
                    a = m;
                    b = m;
                    break;
                }
                if fm.signum() == fa.signum() {
                    a = m;
                    fa = fm;
                } else {
                    b = m;
                }
            }
            roots.push((0.5 * (a + b)).exp() - 1.0);
        }
        x0 = x1;
        f0 = f1;
    }
    roots
}

/// First year (index into `flows`) at which the cumulative undiscounted cash flow turns and
/// stays non-negative; `None` if it never does.
pub fn payback_year(flows: &[f64]) -> Option<usize> {
    let mut cumulative = 0.0;
    let mut year = None;
    for (i, f) in flows.iter().enumerate() {
        cumulative += f;
        if cumulative >= 0.0 {
            year.get_or_insert(i);
        } else {
            year = None;
        }
    }
    year.filter(|_| flows.iter().any(|f| *f < 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_project() {
        let flows = [-100.0, 60.0, 60.0];
        // 60/1.1 + 60/1.21 - 100 = 4.1322...
        assert!((npv(0.1, &flows) - 4.132_231_404_958_68).abs() < 1e-12);
        let irr = irr_all(&flows);
        assert_eq!(irr.len(), 1);
        assert!((npv(irr[0], &flows)).abs() < 1e-8);
        assert!((irr[0] - 0.130_662_386_291_807).abs() < 1e-9);
        assert_eq!(payback_year(&flows), Some(2));
    }

    #[test]
    fn two_sign_changes_give_two_rates() {
        // Roots at 10% and 20%: (1+r)^2 - 2.3(1+r) + 1.32 = 0.
        let flows = [-1.0, 2.3, -1.32];
        let irr = irr_all(&flows);
        assert_eq!(irr.len(), 2, "{irr:?}");
        assert!((irr[0] - 0.1).abs() < 1e-9 && (irr[1] - 0.2).abs() < 1e-9);
    }

    #[test]
    fn no_sign_change_no_rate() {
        assert!(irr_all(&[-1.0, -2.0]).is_empty());
        assert!(irr_all(&[1.0, 2.0]).is_empty());
        assert_eq!(payback_year(&[-10.0, 1.0, 1.0]), None);
    }
}
