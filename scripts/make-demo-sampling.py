"""Synthetic auger sampling campaign for the demo Donskoy tailings (KZ-TMF-0012), drawn from a
known simulated Cr2O3 field, with the truth kept for checking estimates.

The field is a Gaussian random field made by the spectral (random cosines) method with a
Gaussian-like covariance of ~300 m correlation length, transformed to a lognormal grade with
mean ~21.5 % Cr2O3 (the registry figure). Auger holes sit on a 60 m grid with jitter inside the
footprint; each gives one composite over the full thickness plus assay error.
Pure Python (no packages), fixed seed: `python3 scripts/make-demo-sampling.py` rewrites
data/demo/sampling/ identically.
"""
import csv
import math
import random

rng = random.Random(20261123)
lon0, lon1, lat0, lat1 = 58.4612, 58.4788, 50.2657, 50.2743
waves = []
for _ in range(200):
    # Wave vectors ~ N(0, 1/L^2) give a Gaussian covariance with length L (metres).
    L = 300.0
    kx, ky = rng.gauss(0, 1 / L), rng.gauss(0, 1 / L)
    waves.append((kx, ky, rng.uniform(0, 2 * math.pi)))
m_per_deg_lat = 111_250.0
m_per_deg_lon = 111_320.0 * math.cos(math.radians(50.27))


def field(lon, lat):
    x = (lon - lon0) * m_per_deg_lon
    y = (lat - lat0) * m_per_deg_lat
    z = math.sqrt(2.0 / len(waves)) * sum(math.cos(kx * x + ky * y + p) for kx, ky, p in waves)
    sigma = 0.25
    return 21.5 * math.exp(sigma * z - 0.5 * sigma * sigma)  # % Cr2O3, mean 21.5


out = "data/demo/sampling"
with open(f"{out}/donskoy-auger.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["hole", "lon", "lat", "z", "Cr2O3 [%]"])
    step_lon = 60.0 / m_per_deg_lon
    step_lat = 60.0 / m_per_deg_lat
    n = 0
    lat = lat0 + step_lat / 2
    while lat < lat1:
        lon = lon0 + step_lon / 2
        while lon < lon1:
            jl = lon + rng.uniform(-0.3, 0.3) * step_lon
            jt = lat + rng.uniform(-0.3, 0.3) * step_lat
            n += 1
            assay = field(jl, jt) * (1 + rng.gauss(0, 0.03))
            w.writerow([f"AU-{n:03d}", f"{jl:.6f}", f"{jt:.6f}", "0", f"{assay:.2f}"])
            lon += step_lon
        lat += step_lat
with open(f"{out}/donskoy-truth.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["lon", "lat", "Cr2O3 [%]"])
    for i in range(40):
        for j in range(40):
            lon = lon0 + (i + 0.5) * (lon1 - lon0) / 40
            lat = lat0 + (j + 0.5) * (lat1 - lat0) / 40
            w.writerow([f"{lon:.6f}", f"{lat:.6f}", f"{field(lon, lat):.4f}"])
print(n, "holes")
