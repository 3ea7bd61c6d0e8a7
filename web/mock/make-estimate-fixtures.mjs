#!/usr/bin/env node
// Rebuilds mock/fixtures/estimate/ from the CLI's real output. Not part of the build or the tests:
// the fixtures are committed. Run from web/:
//
//   QAITA=../target/debug/qaita node mock/make-estimate-fixtures.mjs
//
// On a scratch database holding the demo inventory (`qaita demo`), with the auger campaign of
// KZ-TMF-0012 (data/demo/sampling/donskoy-auger.csv, value Cr2O3) and the CLI defaults:
//   result.json    `estimate KZ-TMF-0012 ... --json --no-store --blocks B.csv` plus
//                  `blocks_geojson` (a square of the block size around each block centre of
//                  B.csv, in the result's UTM zone, taken to WGS84 by an inverse transverse
//                  Mercator) and `analysis: null`: the result of POST tmfs/{id}/resource-estimates
//   preview.json   `variogram ... --json` as POST tmfs/{id}/estimate-preview answers it (the
//                  samples projected into `points`, the model's `curve` along each direction)
//   crossval.json  `crossval ... --json` as POST tmfs/{id}/estimate-crossval answers it
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { curves, fromUtm, toUtm } from './geostat.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const QAITA = resolve(process.env.QAITA || join(repo, 'target', 'debug', 'qaita'));
const OUT = join(here, 'fixtures', 'estimate');
const SAMPLES = 'data/demo/sampling/donskoy-auger.csv';
const tmp = mkdtempSync(join(tmpdir(), 'qaita-estimate-fixtures-'));
const env = { ...process.env, QAITA_DB: join(tmp, 'q.db'), QAITA_USER: 'demo' };
const run = (...args) => {
  const t0 = Date.now();
  const out = execFileSync(QAITA, ['--db', join(tmp, 'q.db'), ...args], { env, cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  console.error(`qaita ${args.join(' ')}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
};
const json = (...args) => JSON.parse(run(...args));
const write = (name, v) => writeFileSync(join(OUT, name), JSON.stringify(v) + '\n');
const round = (v, d) => Math.round(v * 10 ** d) / 10 ** d;

function csv(text) {
  const lines = text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  const headers = lines[0].split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [headers[i], v])));
}

try {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  run('demo');
  const sampling = ['--samples', SAMPLES, '--value', 'Cr2O3'];
  const blocksCsv = join(tmp, 'blocks.csv');
  const estimate = json('estimate', 'KZ-TMF-0012', ...sampling, '--json', '--no-store', '--blocks', blocksCsv);
  const variogram = json('variogram', ...sampling, '--json');
  const crossval = json('crossval', ...sampling, '--json');
  if (variogram.crs !== estimate.crs) throw new Error(`variogram in ${variogram.crs}, estimate in ${estimate.crs}`);

  // Blocks: squares of the block size around the centres, to WGS84.
  const size = estimate.blocks.size_m;
  const rows = csv(readFileSync(blocksCsv, 'utf8'));
  const estimateColumn = Object.keys(rows[0]).find((k) => k.startsWith('estimate'));
  const features = rows.map((r) => {
    const [x, y] = [Number(r.x), Number(r.y)];
    const ring = [[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]].map(([dx, dy]) => fromUtm(x + (dx * size) / 2, y + (dy * size) / 2, estimate.crs).map((v) => round(v, 7)));
    const value = Number(r[estimateColumn]);
    const variance = Number(r.variance);
    return {
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [ring] },
      properties: {
        estimate: Number.isFinite(value) ? value : null,
        variance: Number.isFinite(variance) ? variance : null,
        category: r.category,
        tonnes: Number(r.tonnes),
        status: Number.isFinite(value) ? 'ok' : 'too_few_samples',
      },
    };
  });
  if (features.length !== estimate.blocks.count) throw new Error(`${features.length} blocks in the CSV, ${estimate.blocks.count} in the result`);
  write('result.json', { ...estimate, blocks_geojson: { type: 'FeatureCollection', features }, analysis: null });

  // Preview: the variogram report, the samples projected like the CLI does (the result's zone).
  const points = csv(readFileSync(join(repo, SAMPLES), 'utf8'))
    .filter((r) => r['Cr2O3 [%]'] !== '')
    .map((r) => [...toUtm(Number(r.lon), Number(r.lat), estimate.crs).map((v) => round(v, 2)), Number(r['Cr2O3 [%]'])]);
  write('preview.json', {
    tmf: estimate.tmf, commodity: estimate.commodity, unit: variogram.unit, crs: variogram.crs, dimension: variogram.dimension,
    samples: variogram.samples,
    points: points.slice(0, 5000),
    variogram: {
      model: variogram.model, source: variogram.source, lag: variogram.lag, experimental: variogram.experimental,
      weighted_sse: variogram.weighted_sse, curve: curves(variogram.model, variogram.experimental, variogram.lag),
    },
  });
  write('crossval.json', {
    variogram: { model: crossval.variogram, source: variogram.source },
    rows: crossval.results.map((r) => ({ method: r.method, ...r.cross_validation })),
  });
  console.error(`${features.length} blocks, ${points.length} samples, ${crossval.results.length} cross-validation rows; resources: ${estimate.resources.map((r) => `${r.class} ${r.tonnes.toFixed(0)} t`).join(', ')}`);
  console.error(`fixtures written to ${OUT}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
