"""PyKrige on the kriging benchmark input (bench/kriging.sh): 2-D ordinary kriging, the same
spherical model and 32 nearest neighbours, C backend. Prints one JSON line."""
import json
import sys
import time

import numpy as np
from pykrige.ok import OrdinaryKriging

d = sys.argv[1]
k = int(sys.argv[2])
s = np.loadtxt(f"{d}/samples.csv", delimiter=",", skiprows=1)
t = np.loadtxt(f"{d}/targets.csv", delimiter=",", skiprows=1)
started = time.perf_counter()
ok = OrdinaryKriging(s[:, 0], s[:, 1], s[:, 2], variogram_model="spherical",
                     variogram_parameters={"psill": 0.8, "range": 1500.0, "nugget": 0.05})
z, ss = ok.execute("points", t[:, 0], t[:, 1], backend="C", n_closest_points=k)
seconds = time.perf_counter() - started
print(json.dumps({"engine": "PyKrige C backend", "targets": len(t), "seconds": round(seconds, 3),
                  "mean_estimate": float(np.mean(z))}))
