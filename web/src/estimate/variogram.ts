// Variogram models as the backend evaluates them (crates/qaita-geostat/src/variogram.rs): nested
// spherical / exponential / Gaussian structures with the practical-range convention (exponential
// and Gaussian reach 95% of the sill at the range: 1 - exp(-3r), 1 - exp(-3r^2)), geometric
// anisotropy with the GSLIB rotation (azimuth clockwise from north, dip, rake), gamma(0) = 0.

export type Shape = 'spherical' | 'exponential' | 'gaussian';
export const SHAPES: Shape[] = ['spherical', 'exponential', 'gaussian'];

export interface Anisotropy {
  range_major: number;
  range_minor: number;
  range_vertical: number;
  azimuth: number;
  dip: number;
  rake: number;
}
export interface Structure {
  shape: Shape;
  sill: number;
  anisotropy: Anisotropy;
}
export interface VariogramModel {
  nugget: number;
  structures: Structure[];
}
export type Vec3 = [number, number, number];

/** The shape with unit sill at a lag `r` in range units. */
export function unitShape(shape: Shape, r: number): number {
  switch (shape) {
    case 'spherical':
      return r >= 1 ? 1 : r * (1.5 - 0.5 * r * r);
    case 'exponential':
      return 1 - Math.exp(-3 * r);
    case 'gaussian':
      return 1 - Math.exp(-3 * r * r);
  }
}

const rad = (d: number) => (d * Math.PI) / 180;

/** GSLIB `setrot`: rotation and scaling taking a lag vector to a space where the range is 1. */
export function rotation(a: Anisotropy): number[][] {
  const alpha = rad(90 - a.azimuth);
  const beta = rad(-a.dip);
  const theta = rad(a.rake);
  const [sina, cosa, sinb, cosb, sint, cost] = [Math.sin(alpha), Math.cos(alpha), Math.sin(beta), Math.cos(beta), Math.sin(theta), Math.cos(theta)];
  const afac1 = a.range_major / a.range_minor;
  const afac2 = a.range_major / a.range_vertical;
  const r = [
    [cosb * cosa, cosb * sina, -sinb],
    [afac1 * (-cost * sina + sint * sinb * cosa), afac1 * (cost * cosa + sint * sinb * sina), afac1 * (sint * cosb)],
    [afac2 * (sint * sina + cost * sinb * cosa), afac2 * (-sint * cosa + cost * sinb * sina), afac2 * (cost * cosb)],
  ];
  return r.map((row) => row.map((v) => v / a.range_major));
}

function reduced(s: Structure, h: Vec3): number {
  const a = s.anisotropy;
  if (a.range_major === a.range_minor && a.range_major === a.range_vertical) return Math.hypot(h[0], h[1], h[2]) / a.range_major;
  const m = rotation(a);
  const v = [0, 1, 2].map((i) => m[i][0] * h[0] + m[i][1] * h[1] + m[i][2] * h[2]);
  return Math.hypot(v[0], v[1], v[2]);
}

export function gamma(model: VariogramModel, h: Vec3): number {
  if (h[0] === 0 && h[1] === 0 && h[2] === 0) return 0;
  return model.nugget + model.structures.reduce((acc, s) => acc + s.sill * unitShape(s.shape, reduced(s, h)), 0);
}

/** Unit vector of an experimental variogram's label ("azimuth 30", "downhole", else east), as the CLI. */
export function directionVector(label: string): Vec3 {
  if (label === 'downhole') return [0, 0, 1];
  const m = /^azimuth (-?[\d.]+)$/.exec(label);
  if (m) {
    const az = rad(Number(m[1]));
    return [Math.sin(az), Math.cos(az), 0];
  }
  return [1, 0, 0];
}

/** The model along a direction, 0..maxH in `n` steps (and a point just after 0 for the nugget). */
export function curve(model: VariogramModel, label: string, maxH: number, n = 50): [number, number][] {
  const d = directionVector(label);
  // gamma(0) = 0 and the nugget is a jump just after it: a point right after 0 draws the jump.
  const out: [number, number][] = [[0, 0]];
  const eps = maxH * 1e-6;
  out.push([eps, gamma(model, [eps * d[0], eps * d[1], eps * d[2]])]);
  for (let i = 1; i <= n; i++) {
    const hh = (maxH * i) / n;
    out.push([hh, gamma(model, [hh * d[0], hh * d[1], hh * d[2]])]);
  }
  return out;
}

/** Problems of an edited model (empty when it can be sent). */
export function modelProblems(m: VariogramModel): string[] {
  const out: string[] = [];
  if (!(Number.isFinite(m.nugget) && m.nugget >= 0)) out.push('nugget');
  if (!m.structures.length) out.push('structures');
  m.structures.forEach((s, i) => {
    if (!SHAPES.includes(s.shape)) out.push(`structures[${i}].shape`);
    if (!(Number.isFinite(s.sill) && s.sill > 0)) out.push(`structures[${i}].sill`);
    const a = s.anisotropy;
    for (const k of ['range_major', 'range_minor', 'range_vertical'] as const) if (!(Number.isFinite(a[k]) && a[k] > 0)) out.push(`structures[${i}].${k}`);
    if (!Number.isFinite(a.azimuth)) out.push(`structures[${i}].azimuth`);
  });
  return out;
}
