"""GR4J timings of hydrogr (Rust) and grsuite (Numba, JIT warmed first) on the Fulda fixture:
one 10-year daily run (median of many) and a Michel calibration on KGE 1980-1983 (median of
11). Prints one JSON line per engine. Bench-time only (bench/hydro.sh installs them)."""

import json
import pathlib
import sys
import time

import numpy as np
import pandas as pd

import grsuite
from hydrogr.gr4j import ModelGr4j

fixture = json.loads(pathlib.Path(sys.argv[1]).read_text())
P = np.array(fixture["precip_mm"])
E = np.array(fixture["pet_mm"])
Q = np.array(fixture["qobs_mm"])
params = fixture["params"]
dates = np.arange(np.datetime64(fixture["start"]), np.datetime64(fixture["start"]) + len(P))


def median(samples):
    return float(np.median(samples))


frame = pd.DataFrame({"precipitation": P, "evapotranspiration": E}, index=pd.DatetimeIndex(dates))
runs = []
for _ in range(500):
    model = ModelGr4j({"X1": params[0], "X2": params[1], "X3": params[2], "X4": params[3]})
    t = time.perf_counter()
    model.run(frame)
    runs.append(time.perf_counter() - t)
print(json.dumps({"engine": "hydrogr 1.2.2 (Rust via PyO3, DataFrame in/out)", "run_seconds": median(runs)}))

catchment = grsuite.Catchment(dates, precip=P, pot_evap=E, obs_discharge=Q)
period, warmup = ("1980-01-01", "1983-12-31"), ("1979-01-01", "1979-12-31")
catchment.simulate("GR4J", params, period=("1980-01-01", "1988-12-31"), warmup=warmup)  # JIT
runs = []
for _ in range(500):
    t = time.perf_counter()
    catchment.simulate("GR4J", params, period=("1980-01-01", "1988-12-31"), warmup=warmup)
    runs.append(time.perf_counter() - t)
catchment.calibrate("GR4J", criterion="KGE", period=period, warmup=warmup)  # JIT
calibrations = []
for _ in range(11):
    t = time.perf_counter()
    catchment.calibrate("GR4J", criterion="KGE", period=period, warmup=warmup)
    calibrations.append(time.perf_counter() - t)
print(json.dumps({"engine": "grsuite 1.1.1 (Numba, warm JIT)", "run_seconds": median(runs),
                  "calibration_seconds": median(calibrations)}))
