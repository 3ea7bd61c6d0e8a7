"""Reference NPV and IRR values from numpy-financial for qaita-econ's tests.

Run: bash scripts/reference/make-npf-reference.sh  (creates a throwaway venv with numpy and
numpy-financial, writes crates/qaita-econ/tests/data/npf_reference.json). The output is
committed, so the tests need no Python.
"""
import json
import random

import numpy as np
import numpy_financial as npf

random.seed(20261123)
cases = []
for i in range(200):
    years = random.randint(2, 30)
    capex = -random.uniform(1e5, 1e9)
    flows = [capex]
    for _ in range(years):
        # Mostly positive operating years, sometimes a loss year, sometimes a closure cost at the end.
        flows.append(random.uniform(-0.2, 0.6) * -capex / years * random.uniform(0.5, 3.0))
    if i % 5 == 0:
        flows.append(-random.uniform(0.0, 0.3) * -capex)
    rate = random.choice([0.0, 0.05, 0.08, 0.1, 0.12, 0.15, random.uniform(0.0, 0.3)])
    irr = npf.irr(flows)
    cases.append({
        "flows": flows,
        "rate": rate,
        "npv": float(npf.npv(rate, flows)),
        "irr": None if np.isnan(irr) else float(irr),
    })
with open("crates/qaita-econ/tests/data/npf_reference.json", "w") as f:
    json.dump({"generator": "numpy-financial " + npf.__version__ + ", numpy " + np.__version__, "cases": cases}, f, indent=1)
print(len(cases), "cases")
