#!/usr/bin/env node
// Rebuilds mock/fixtures/plan/ from the CLI's real output. Not part of the build or the tests:
// the fixtures are committed. Run from web/:
//
//   QAITA=../target/debug/qaita node mock/make-plan-fixtures.mjs
//
// On a scratch database, in the order of scripts/demo-db.sh (so the plan is the one the web
// tests' server computes): demo, value --all, estimate KZ-TMF-0012 (auger campaign, Cr2O3); then
//   ranking.json    `rank --json`                         = GET plan/ranking
//   roadmap.json    `roadmap --json`                      = GET plan/roadmap (part=all)
//   schedule.json   `schedule --json --time-limit 20`     = result of POST plan/schedules
//   scenarios.json  `scenario --json --time-limit 20`     = result of POST plan/scenarios
//   reports/national.html, national.pdf                   `report national --out DIR`
//   reports/KZ-TMF-0012.html, KZ-TMF-0012.pdf             `report tmf KZ-TMF-0012 --out DIR`
// The reports' charts/ folders are not kept (the HTML has its charts inline).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const QAITA = resolve(process.env.QAITA || join(repo, 'target', 'debug', 'qaita'));
const OUT = join(here, 'fixtures', 'plan');
const tmp = mkdtempSync(join(tmpdir(), 'qaita-plan-fixtures-'));
const env = { ...process.env, QAITA_DB: join(tmp, 'q.db'), QAITA_USER: 'demo' };
const run = (...args) => {
  const t0 = Date.now();
  const out = execFileSync(QAITA, args, { env, cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  console.error(`qaita ${args.join(' ')}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
};
const json = (...args) => JSON.parse(run(...args));
const write = (name, v) => writeFileSync(join(OUT, name), JSON.stringify(v) + '\n');

try {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'reports'), { recursive: true });
  run('demo');
  run('value', '--all');
  run('estimate', 'KZ-TMF-0012', '--samples', join(repo, 'data/demo/sampling/donskoy-auger.csv'), '--value', 'Cr2O3');

  const ranking = json('rank', '--json');
  write('ranking.json', ranking);
  const roadmap = json('roadmap', '--json');
  write('roadmap.json', roadmap);
  const schedule = json('schedule', '--json', '--time-limit', '20');
  if (schedule.comparison.violations.length) throw new Error(`schedule violations: ${schedule.comparison.violations.join('; ')}`);
  write('schedule.json', schedule);
  write('scenarios.json', json('scenario', '--json', '--time-limit', '20'));

  const dir = join(tmp, 'reports');
  run('report', 'national', '--out', dir);
  run('report', 'tmf', 'KZ-TMF-0012', '--out', dir);
  for (const f of ['national.html', 'national.pdf', 'KZ-TMF-0012.html', 'KZ-TMF-0012.pdf']) {
    copyFileSync(join(dir, f), join(OUT, 'reports', f));
    console.error(`reports/${f}: ${statSync(join(OUT, 'reports', f)).size} bytes`);
  }
  if (!readFileSync(join(OUT, 'reports', 'national.pdf')).subarray(0, 4).equals(Buffer.from('%PDF'))) throw new Error('national.pdf is not a PDF');
  console.error(`ranking: ${ranking.ranking.rows.length} TMFs; residential: ${roadmap.residential.rows.length}; rare-metal candidates: ${roadmap.rare_metals.candidates.length}`);
  console.error(`fixtures written to ${OUT}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
