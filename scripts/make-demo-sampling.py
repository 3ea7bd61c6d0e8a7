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

# Drillhole campaign (its own seed, so the auger files above stay as they are): holes on a
# 120 m grid to the base of the tailings, assayed in 1.5 m runs; grade rises with depth (older,
# richer ore at the bottom) and the base follows a smooth surface; a few holes are inclined.
drng = random.Random(20261124)


def surface(x, y):
    return 310.0 + 0.004 * x - 0.002 * y  # collar elevation, m


def depth_to_base(x, y):
    return 6.7 + 2.0 * math.sin(x / 400.0) * math.cos(y / 300.0)  # tailings thickness, m


def grade_3d(lon, lat, depth):
    return field(lon, lat) * (1.0 + 0.05 * (depth - 3.35))


with open(f"{out}/donskoy-collars.csv", "w", newline="") as fc, \
        open(f"{out}/donskoy-surveys.csv", "w", newline="") as fs, \
        open(f"{out}/donskoy-intervals.csv", "w", newline="") as fi:
    wc, ws, wi = (csv.writer(f, lineterminator="\n") for f in (fc, fs, fi))
    wc.writerow(["HOLEID", "LON", "LAT", "Z"])
    ws.writerow(["HOLEID", "AT", "AZM", "DIP"])
    wi.writerow(["HOLEID", "FROM", "TO", "Cr2O3 [%]"])
    step_lon = 120.0 / m_per_deg_lon
    step_lat = 120.0 / m_per_deg_lat
    n = 0
    lat = lat0 + step_lat / 2
    while lat < lat1:
        lon = lon0 + step_lon / 2
        while lon < lon1:
            jl = lon + drng.uniform(-0.2, 0.2) * step_lon
            jt = lat + drng.uniform(-0.2, 0.2) * step_lat
            n += 1
            hole = f"DH-{n:03d}"
            x, y = (jl - lon0) * m_per_deg_lon, (jt - lat0) * m_per_deg_lat
            wc.writerow([hole, f"{jl:.6f}", f"{jt:.6f}", f"{surface(x, y):.2f}"])
            dip = -90.0 if n % 7 else -80.0
            ws.writerow([hole, "0", "45", f"{dip:.0f}"])
            base = depth_to_base(x, y) / math.sin(math.radians(-dip))  # along the hole
            frm = 0.0
            while frm < base - 0.05:
                to = min(frm + 1.5, base)
                mid = (frm + to) / 2 * math.sin(math.radians(-dip))
                # Position of the run's middle (inclined holes drift north-east).
                drift = (frm + to) / 2 * math.cos(math.radians(-dip))
                ml = jl + drift * math.sin(math.radians(45)) / m_per_deg_lon
                mt = jt + drift * math.cos(math.radians(45)) / m_per_deg_lat
                if drng.random() < 0.03:
                    value = ""  # lost sample: a gap, never a zero
                else:
                    value = f"{grade_3d(ml, mt, mid) * (1 + drng.gauss(0, 0.03)):.2f}"
                wi.writerow([hole, f"{frm:.2f}", f"{to:.2f}", value])
                frm = to
            lon += step_lon
        lat += step_lat
with open(f"{out}/donskoy-truth-3d.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["lon", "lat", "z", "Cr2O3 [%]"])
    for i in range(20):
        for j in range(20):
            lon = lon0 + (i + 0.5) * (lon1 - lon0) / 20
            lat = lat0 + (j + 0.5) * (lat1 - lat0) / 20
            x, y = (lon - lon0) * m_per_deg_lon, (lat - lat0) * m_per_deg_lat
            for depth in (1.0, 3.0, 5.0):
                if depth < depth_to_base(x, y):
                    w.writerow([f"{lon:.6f}", f"{lat:.6f}", f"{surface(x, y) - depth:.2f}",
                                f"{grade_3d(lon, lat, depth):.4f}"])
print(n, "drillholes")
