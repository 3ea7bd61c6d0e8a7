#!/usr/bin/env node
// Rebuilds mock/fixtures/ from the CLI's real output. Not part of the build or the tests: the
// fixtures are committed. Run from web/:
//
//   QAITA=../target/release/qaita SRC=/path/to/web-fixtures REPORT=/path/to/import-report.json \
//     node mock/make-fixtures.mjs
//
// SRC holds what the server will return unchanged (tmfs/<id>.json, stats.json, proximity.json,
// history-KZ-TMF-0012.json). The rest is produced by the qaita binary on a scratch database, in
// the order that gave SRC (demo, value --all, estimate KZ-TMF-0012), so the valuations' P10/P50/P90
// equal those in SRC's documents (checked below):
//   valuations/<id>.json          `value --all --json`, reshaped to GET /tmfs/{id}/valuation
//   resource-estimates/12.json    `estimate KZ-TMF-0012 --json`, for GET /tmfs/{id}/resource-estimate
//   history/<id>.json             `history <id> --json`, timestamps aligned with SRC's documents
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const QAITA = resolve(process.env.QAITA || join(repo, 'target', 'release', 'qaita'));
const SRC = resolve(process.env.SRC || '/tmp/web-fixtures');
const REPORT = resolve(process.env.REPORT || '/tmp/web-brief/import-report.json');
const OUT = join(here, 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'qaita-fixtures-'));
const env = { ...process.env, QAITA_DB: join(tmp, 'q.db'), QAITA_USER: 'cli' };
const run = (...args) => execFileSync(QAITA, args, { env, cwd: tmp, encoding: 'utf8', maxBuffer: 1 << 28 });
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const write = (p, v) => { mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, JSON.stringify(v) + "\n"); };

try {
  rmSync(OUT, { recursive: true, force: true });
  for (const f of readdirSync(join(SRC, 'tmfs'))) { mkdirSync(join(OUT, 'tmfs'), { recursive: true }); copyFileSync(join(SRC, 'tmfs', f), join(OUT, 'tmfs', f)); }
  for (const f of ['stats.json', 'proximity.json']) copyFileSync(join(SRC, f), join(OUT, f));
  copyFileSync(REPORT, join(OUT, 'import-report.json'));
  const docs = new Map(readdirSync(join(OUT, 'tmfs')).map((f) => { const d = readJson(join(OUT, 'tmfs', f)); return [d.id, d]; }));

  run('demo');
  const valued = JSON.parse(run('value', '--all', '--json'));
  const estimate = JSON.parse(run('estimate', 'KZ-TMF-0012', '--samples', join(repo, 'data/demo/sampling/donskoy-auger.csv'), '--value', 'Cr2O3', '--json'));

  for (const r of valued.valuations) {
    const summary = docs.get(r.id)?.derived?.valuation;
    if (!summary) throw new Error(`TMF ${r.id} has no valuation in ${SRC}`);
    const mc = r.montecarlo;
    if (Math.abs(mc.p50_usd - summary.p50_usd) > 1e-6 * Math.abs(summary.p50_usd) + 1) throw new Error(`TMF ${r.id}: P50 differs from ${SRC}`);
    const width = mc.histogram.length > 1 ? mc.histogram[1][0] - mc.histogram[0][0] : 0;
    const { years, ...valuation } = r.valuation;
    write(join(OUT, 'valuations', `${r.id}.json`), {
      tmf_id: r.id, external_id: r.external_id,
      version: summary.version, created_at: summary.created_at, actor: summary.actor,
      route: valuation.route, scenario: valuation.scenario, npv_usd: valuation.npv_usd, irr: valuation.irr,
      p10_usd: mc.p10_usd, p50_usd: mc.p50_usd, p90_usd: mc.p90_usd, mean_usd: mc.mean_usd,
      probability_positive: mc.probability_positive, paths: mc.paths, seed: mc.seed,
      npv_histogram: { edges: [...mc.histogram.map(([lo]) => lo), mc.histogram.at(-1)[0] + width], counts: mc.histogram.map(([, n]) => n) },
      valuation, years: years.length, alternatives: r.alternatives, tornado: r.tornado, basis: r.basis, data: r.data,
    });
  }
  const s = docs.get(12).derived.resource_estimate;
  write(join(OUT, 'resource-estimates', '12.json'), { tmf_id: 12, version: s.version, created_at: s.created_at, actor: s.actor, method: s.method, ...estimate });

  for (const [id, doc] of docs) {
    let h;
    if (doc.external_id === 'KZ-TMF-0012') h = readJson(join(SRC, 'history-KZ-TMF-0012.json'));
    else {
      h = JSON.parse(run('history', doc.external_id, '--json'));
      for (const e of h) {
        e.at = e.action === 'create' ? doc.created_at : doc.updated_at;
        e.context = e.context.replace(/^demo (\S+)/, (_, f) => `import ${join(repo, f)}`);
      }
    }
    write(join(OUT, 'history', `${id}.json`), h);
  }
  console.error(`fixtures written to ${OUT}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
