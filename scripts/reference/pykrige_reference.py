"""Reference ordinary-kriging estimates and variances from PyKrige for qaita-geostat's tests.

Run: bash scripts/reference/make-pykrige-reference.sh (throwaway venv with pykrige from PyPI);
writes crates/qaita-geostat/tests/data/pykrige_reference.json, which is committed.
"""
import json

import numpy as np
import pykrige
from pykrige.ok import OrdinaryKriging

rng = np.random.default_rng(20261123)
cases = []
for model, params in [("spherical", [1.2, 60.0, 0.1]), ("exponential", [0.8, 45.0, 0.05]), ("spherical", [2.5, 150.0, 0.0])]:
    n = 40
    x = rng.uniform(0, 200, n)
    y = rng.uniform(0, 200, n)
    v = np.sin(x / 40.0) + np.cos(y / 55.0) + rng.normal(0, 0.2, n)
    tx = rng.uniform(0, 200, 25)
    ty = rng.uniform(0, 200, 25)
    ok = OrdinaryKriging(x, y, v, variogram_model=model, variogram_parameters={"psill": params[0], "range": params[1], "nugget": params[2]})
    z, ss = ok.execute("points", tx, ty)
    cases.append({
        "model": model, "psill": params[0], "range": params[1], "nugget": params[2],
        "x": x.tolist(), "y": y.tolist(), "v": v.tolist(),
        "tx": tx.tolist(), "ty": ty.tolist(),
        "estimate": np.asarray(z).tolist(), "variance": np.asarray(ss).tolist(),
    })
with open("crates/qaita-geostat/tests/data/pykrige_reference.json", "w") as f:
    json.dump({"generator": "PyKrige " + pykrige.__version__ + ", numpy " + np.__version__, "cases": cases}, f)
print(len(cases), "cases")
