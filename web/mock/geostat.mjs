// Small pieces of the backend's maths for the mock and its fixture script (Node built-ins only):
// variogram models as crates/qaita-geostat/src/variogram.rs evaluates them, and the transverse
// Mercator projection (UTM, WGS84) both ways.

const rad = (d) => (d * Math.PI) / 180;

export function unitShape(shape, r) {
  if (shape === 'spherical') return r >= 1 ? 1 : r * (1.5 - 0.5 * r * r);
  if (shape === 'exponential') return 1 - Math.exp(-3 * r);
  return 1 - Math.exp(-3 * r * r); // gaussian
}
function rotation(a) {
  const alpha = rad(90 - a.azimuth), beta = rad(-a.dip), theta = rad(a.rake);
  const [sina, cosa, sinb, cosb, sint, cost] = [Math.sin(alpha), Math.cos(alpha), Math.sin(beta), Math.cos(beta), Math.sin(theta), Math.cos(theta)];
  const f1 = a.range_major / a.range_minor, f2 = a.range_major / a.range_vertical;
  return [
    [cosb * cosa, cosb * sina, -sinb],
    [f1 * (-cost * sina + sint * sinb * cosa), f1 * (cost * cosa + sint * sinb * sina), f1 * (sint * cosb)],
    [f2 * (sint * sina + cost * sinb * cosa), f2 * (-sint * cosa + cost * sinb * sina), f2 * (cost * cosb)],
  ].map((row) => row.map((v) => v / a.range_major));
}
function reduced(s, h) {
  const a = s.anisotropy;
  if (a.range_major === a.range_minor && a.range_major === a.range_vertical) return Math.hypot(...h) / a.range_major;
  const m = rotation(a);
  return Math.hypot(...[0, 1, 2].map((i) => m[i][0] * h[0] + m[i][1] * h[1] + m[i][2] * h[2]));
}
export function gamma(model, h) {
  if (h[0] === 0 && h[1] === 0 && h[2] === 0) return 0;
  return model.nugget + model.structures.reduce((acc, s) => acc + s.sill * unitShape(s.shape, reduced(s, h)), 0);
}
export function directionVector(label) {
  if (label === 'downhole') return [0, 0, 1];
  const m = /^azimuth (-?[\d.]+)$/.exec(label);
  if (m) { const az = rad(Number(m[1])); return [Math.sin(az), Math.cos(az), 0]; }
  return [1, 0, 0];
}
/** The contract's `curve`: the model along each direction, 0..lags*lag, 50 points. */
export function curves(model, experimental, lag, lags = 12) {
  const dirs = experimental.length ? experimental.map(([n]) => n) : ['omnidirectional'];
  const max = lag * lags;
  return dirs.map((d) => {
    const u = directionVector(d);
    return [d, Array.from({ length: 50 }, (_, i) => { const h = (max * i) / 49; return [h, gamma(model, [h * u[0], h * u[1], h * u[2]])]; })];
  });
}

// ---------------------------------------------------------------- UTM (Snyder, USGS PP 1395)
const A = 6378137, F = 1 / 298.257223563, K0 = 0.9996;
const E2 = F * (2 - F), EP2 = E2 / (1 - E2);
const M = (phi) => A * ((1 - E2 / 4 - (3 * E2 ** 2) / 64 - (5 * E2 ** 3) / 256) * phi - ((3 * E2) / 8 + (3 * E2 ** 2) / 32 + (45 * E2 ** 3) / 1024) * Math.sin(2 * phi) + ((15 * E2 ** 2) / 256 + (45 * E2 ** 3) / 1024) * Math.sin(4 * phi) - ((35 * E2 ** 3) / 3072) * Math.sin(6 * phi));

/** EPSG:326zz (north) or 327zz (south) -> zone, hemisphere. */
export function utmZone(crs) {
  const m = /^EPSG:32([67])(\d\d)$/.exec(crs);
  if (!m) throw new Error(`${crs} is not a WGS 84 / UTM zone`);
  return { zone: Number(m[2]), south: m[1] === '7' };
}
export function toUtm(lon, lat, crs) {
  const { zone, south } = utmZone(crs);
  const lon0 = rad(zone * 6 - 183), phi = rad(lat), lam = rad(lon);
  const N = A / Math.sqrt(1 - E2 * Math.sin(phi) ** 2), T = Math.tan(phi) ** 2, C = EP2 * Math.cos(phi) ** 2, a = Math.cos(phi) * (lam - lon0);
  const x = K0 * N * (a + ((1 - T + C) * a ** 3) / 6 + ((5 - 18 * T + T * T + 72 * C - 58 * EP2) * a ** 5) / 120) + 500000;
  let y = K0 * (M(phi) + N * Math.tan(phi) * (a * a / 2 + ((5 - T + 9 * C + 4 * C * C) * a ** 4) / 24 + ((61 - 58 * T + T * T + 600 * C - 330 * EP2) * a ** 6) / 720));
  if (south) y += 10000000;
  return [x, y];
}
/** Inverse transverse Mercator: projected metres of the UTM zone -> [lon, lat]. */
export function fromUtm(x, y, crs) {
  const { zone, south } = utmZone(crs);
  const lon0 = rad(zone * 6 - 183);
  const mu = (y - (south ? 10000000 : 0)) / K0 / (A * (1 - E2 / 4 - (3 * E2 ** 2) / 64 - (5 * E2 ** 3) / 256));
  const e1 = (1 - Math.sqrt(1 - E2)) / (1 + Math.sqrt(1 - E2));
  const phi1 = mu + ((3 * e1) / 2 - (27 * e1 ** 3) / 32) * Math.sin(2 * mu) + ((21 * e1 ** 2) / 16 - (55 * e1 ** 4) / 32) * Math.sin(4 * mu) + ((151 * e1 ** 3) / 96) * Math.sin(6 * mu) + ((1097 * e1 ** 4) / 512) * Math.sin(8 * mu);
  const N1 = A / Math.sqrt(1 - E2 * Math.sin(phi1) ** 2), T1 = Math.tan(phi1) ** 2, C1 = EP2 * Math.cos(phi1) ** 2;
  const R1 = (A * (1 - E2)) / (1 - E2 * Math.sin(phi1) ** 2) ** 1.5, D = (x - 500000) / (N1 * K0);
  const lat = phi1 - ((N1 * Math.tan(phi1)) / R1) * (D * D / 2 - ((5 + 3 * T1 + 10 * C1 - 4 * C1 * C1 - 9 * EP2) * D ** 4) / 24 + ((61 + 90 * T1 + 298 * C1 + 45 * T1 * T1 - 252 * EP2 - 3 * C1 * C1) * D ** 6) / 720);
  const lon = lon0 + (D - ((1 + 2 * T1 + C1) * D ** 3) / 6 + ((5 - 2 * C1 + 28 * T1 - 3 * C1 * C1 + 8 * EP2 + 24 * T1 * T1) * D ** 5) / 120) / Math.cos(phi1);
  return [(lon * 180) / Math.PI, (lat * 180) / Math.PI];
}
