"""The national Monte Carlo of qaita-econ, vectorised in numpy over paths, for the side-by-side
benchmark (bench/econ.sh). Reads the resolved models written by the Rust benchmark, so both
engines value the same TMFs with the same cash-flow model:

- correlated GBM prices per commodity (no drift, Cholesky of the same correlation matrix),
  one set of paths shared by all TMFs;
- per TMF and path: lognormal grade factor (mean 1), triangular recovery (+-10%), opex
  (0.9, 1.0, 1.3) and capex (0.9, 1.0, 1.4) multipliers;
- yearly revenue, MET on contained value, opex, sustaining capital, closure in the last year,
  straight-line depreciation, CIT with loss carry-forward, discounting.

Prints one JSON line: seconds for the simulation (price paths included), sums of P50 and mean.
"""
import json
import sys
import time

import numpy as np


def correlation(a, b):
    if a == b:
        return 1.0
    group = lambda c: 1 if c in ("Au", "Ag", "Pt", "Pd") else 2 if c in ("Cu", "Zn", "Pb", "Ni") else 3
    ga, gb = group(a), group(b)
    return 0.8 if ga == gb == 1 else 0.6 if ga == gb == 2 else 0.3


def triangular(rng, lo, mode, hi, n):
    if hi <= lo:
        return np.full(n, mode)
    return rng.triangular(lo, mode, hi, n)


def main():
    models = json.load(open(sys.argv[1]))
    paths = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rng = np.random.default_rng(1)
    started = time.perf_counter()
    codes = sorted({c["code"] for m in models for c in m["commodities"]})
    index = {c: i for i, c in enumerate(codes)}
    years = max(len(m["schedule_t"]) for m in models)
    first = {}
    vols = np.zeros(len(codes))
    start = np.zeros(len(codes))
    for m in models:
        for c in m["commodities"]:
            first[c["code"]] = c
    for c, i in index.items():
        vols[i] = first[c]["volatility"]
        start[i] = first[c]["price_usd_t"]
    corr = np.array([[correlation(a, b) for b in codes] for a in codes])
    chol = np.linalg.cholesky(corr)
    z = rng.standard_normal((paths, years, len(codes))) @ chol.T
    log_level = np.cumsum(vols * z - 0.5 * vols * vols, axis=1)
    prices = start * np.exp(log_level)  # paths x years x commodities

    sum_p50 = 0.0
    sum_mean = 0.0
    for m in models:
        sd = m["grade_relative_sd"]
        sigma = np.sqrt(np.log(1.0 + sd * sd))
        grade_f = np.exp(sigma * rng.standard_normal(paths) - 0.5 * sigma * sigma)
        rec_f = triangular(rng, 0.9, 1.0, 1.1, paths)
        opex_f = triangular(rng, 0.9, 1.0, 1.3, paths)
        capex = m["capex_usd"] * triangular(rng, 0.9, 1.0, 1.4, paths)
        schedule = m["schedule_t"]
        n_years = len(schedule)
        dep_years = m["depreciation_years"]
        carry = m["loss_carry_forward_years"]
        discount = 1.0 / (1.0 + m["discount_rate"])
        npv = -capex.copy()
        factor = 1.0
        losses = np.zeros((n_years + 1, paths))
        processed_total = 0.0
        for i, processed in enumerate(schedule):
            year = i + 1
            processed_total += processed
            revenue = np.full(paths, processed * m["material_usd_per_t"])
            met = np.zeros(paths)
            for c in m["commodities"]:
                price = prices[:, i, index[c["code"]]]
                contained = processed * c["grade"] * grade_f
                revenue += contained * np.minimum(c["recovery"] * rec_f, 1.0) * c["payability"] * price
                met += c["met_rate"] * contained * price
            opex = processed * m["opex_usd_per_t"] * opex_f
            sustaining = capex * m["sustaining_capex_share"]
            avoided = processed * m["avoided_usd_per_t"]
            closure = processed_total * m["closure_usd_per_t"] if year == n_years else 0.0
            depreciation = capex / dep_years if year <= dep_years else 0.0
            taxable = revenue + avoided - opex - met - sustaining - closure - depreciation
            loss_now = np.maximum(-taxable, 0.0)
            taxable = np.maximum(taxable, 0.0)
            for prev in range(max(1, year - carry), year):
                used = np.minimum(losses[prev], taxable)
                losses[prev] -= used
                taxable -= used
            losses[year] = loss_now
            cit = taxable * m["cit_rate"]
            cash = revenue + avoided - opex - met - sustaining - closure - cit
            factor *= discount
            npv += cash * factor
        sum_p50 += float(np.percentile(npv, 50))
        sum_mean += float(npv.mean())
    seconds = time.perf_counter() - started
    print(json.dumps({"engine": "numpy " + np.__version__, "tmfs": len(models), "paths": paths, "max_years": years,
                      "seconds": round(seconds, 3), "sum_p50_usd": round(sum_p50), "sum_mean_usd": round(sum_mean)}))


if __name__ == "__main__":
    main()
