// End-to-end tests of the estimate flow in Debian's Chromium (the harness of e2e.test.mjs).
//
//   npm test                                # serves dist/ with the mock API on a free port
//   BASE_URL=http://127.0.0.1:8080 npm test # against a running server (scripts/test-web.sh)
//
// An analyst uploads the demo auger campaign of KZ-TMF-0012, picks Cr2O3, sees and edits the
// variogram, cross-validates, runs the estimate job and sees the block model, the grade-tonnage
// curve and the resources, which must equal the job's result as the API returns it (so the test
// holds against the real server too); a viewer gets no Estimate entry; a bad CSV shows the row.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_T, REPO, RESULTS, T, browserHelpers, fieldsOf, newSink, tid, useBrowser } from './harness.mjs';

const SAMPLES = join(REPO, 'data', 'demo', 'sampling', 'donskoy-auger.csv');
const TMF = 12; // KZ-TMF-0012, the demo TMF with a sampling campaign

let base = '';
let mock = null; // the mock server we started (stopped by its pid)
let browser;
let context;
let page;
const seen = newSink();
const { watch, assertClean, shot, mapData, waitForMap, waitForFeatures, api, apiLogin, uiLogin, apiAs } = browserHelpers(() => base, () => page);
useBrowser((s) => ({ base, mock, browser, context, page } = s), seen, watch);

async function openTmfByHash(id) {
  await page.goto(`${base}/#/tmf/${id}`);
  await page.waitForFunction((i) => {
    const d = document.querySelector('[data-testid="detail-drawer"]');
    return d && !d.hidden && d.dataset.id === String(i) && d.dataset.state === 'ready';
  }, id, { timeout: T });
}



// The result of the job shown, fetched by the page (its session cookie).
async function jobResultOf(statusId) {
  const id = await page.locator(tid(statusId)).getAttribute('data-job');
  assert.ok(id, 'the job id is shown');
  return page.evaluate(async (i) => (await fetch(`api/v1/jobs/${i}/result`)).json(), id);
}
async function logoutIfLoggedIn() {
  if (await page.locator(tid('logout')).count()) {
    await page.click(tid('logout'));
    await page.locator(tid('login-link')).waitFor();
  }
}
async function pickSamples(file) {
  await page.setInputFiles(tid('es-file-samples'), file);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="es-value"] option')].some((o) => o.value === 'Cr2O3'));
  await page.selectOption(tid('es-value'), 'Cr2O3');
}
const probe = () => page.evaluate(() => Number(document.querySelector('[data-testid="es-variogram-chart-box"]')?.dataset.probe));

describe('Estimate flow', { concurrency: false }, () => {
  it('a guest and a viewer see no Estimate entry, and the view says who may use it', async () => {
    await page.goto(`${base}/`);
    await page.locator(tid('nav-map')).waitFor();
    assert.equal(await page.locator(tid('nav-estimate')).count(), 0, 'guest');
    await uiLogin('viewer', 'viewer-pass');
    assert.equal(await page.locator(tid('nav-estimate')).count(), 0, 'viewer');
    await openTmfByHash(TMF);
    assert.equal(await page.locator(tid('drawer-estimate')).count(), 0, 'no drawer action for a viewer');
    await page.goto(`${base}/#/estimate/${TMF}`);
    await page.locator(tid('estimate-denied')).waitFor();
    assert.ok(await page.locator(tid('es-step-upload')).isHidden());
    await shot('es-01-viewer');
    await logoutIfLoggedIn();
  });

  it('the API refuses estimate requests without rights and bad bodies, naming the field', async () => {
    const csv = readFileSync(SAMPLES);
    const anon = await api('uploads?name=x.csv', { method: 'POST', body: csv });
    assert.equal(anon.status, 401);
    const viewer = await apiLogin('viewer', 'viewer-pass');
    const v = await apiAs(viewer, 'uploads?name=x.csv', { method: 'POST', body: csv, headers: { 'Content-Type': 'text/csv' } });
    assert.equal(v.status, 403, 'viewer upload');
    const analyst = await apiLogin('analyst', 'analyst-pass');
    const up = await apiAs(analyst, 'uploads?name=donskoy-auger.csv', { method: 'POST', body: csv, headers: { 'Content-Type': 'text/csv' } });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.name, 'donskoy-auger.csv');
    assert.equal(up.body.bytes, csv.length);
    const post = (body) => apiAs(analyst, `tmfs/${TMF}/estimate-preview`, { method: 'POST', body: JSON.stringify(body) });
    const unknown = await post({ samples: up.body.id, value: 'Cr2O3', colour: 'red' });
    assert.equal(unknown.status, 400);
    assert.ok(fieldsOf(unknown).includes('colour'), JSON.stringify(unknown.body));
    const noValue = await post({ samples: up.body.id });
    assert.equal(noValue.status, 400);
    assert.ok(fieldsOf(noValue).includes('value'), JSON.stringify(noValue.body));
    const badMethod = await apiAs(analyst, `tmfs/${TMF}/resource-estimates`, { method: 'POST', body: JSON.stringify({ samples: up.body.id, value: 'Cr2O3', method: 'magic' }) });
    assert.equal(badMethod.status, 400);
    assert.ok(fieldsOf(badMethod).includes('method'), JSON.stringify(badMethod.body));
    const editor = await apiLogin('editor', 'editor-pass');
    const notYours = await apiAs(editor, `tmfs/${TMF}/estimate-preview`, { method: 'POST', body: JSON.stringify({ samples: up.body.id, value: 'Cr2O3' }) });
    assert.equal(notYours.status, 400, 'another user\'s upload');
    assert.ok(fieldsOf(notYours).includes('samples'), JSON.stringify(notYours.body));
  });

  it('an analyst opens the flow from the drawer, uploads the samples, picks Cr2O3 and sees the variogram', async () => {
    await uiLogin('analyst', 'analyst-pass');
    await page.locator(tid('nav-estimate')).waitFor();
    await openTmfByHash(TMF);
    await page.click(tid('drawer-estimate'));
    await page.locator(tid('view-estimate')).waitFor({ state: 'visible' });
    await page.waitForFunction((i) => document.querySelector('[data-testid="view-estimate"]')?.dataset.tmf === String(i), TMF);
    await pickSamples(SAMPLES);
    assert.match(await page.textContent(tid('es-file-samples-info')), /donskoy-auger\.csv/);
    await page.click(tid('es-preview'));
    await page.waitForFunction(() => document.querySelector('[data-testid="es-step-variogram"]')?.dataset.state === 'ready', null, { timeout: JOB_T });
    await page.locator(tid('es-variogram-chart')).waitFor();
    assert.match(await page.textContent(tid('es-crs')), /EPSG:32\d\d\d/);
    assert.ok(Number((await page.textContent(tid('es-samples-used'))).replace(/\D/g, '')) > 100, 'samples used');
    await shot('es-02-variogram');
  });

  it('editing the nugget redraws the model curve at once', async () => {
    const before = await probe();
    assert.ok(Number.isFinite(before) && before > 0, `model at the first lag: ${before}`);
    const nugget = Number(await page.inputValue(tid('vg-nugget')));
    await page.fill(tid('vg-nugget'), String(nugget + 2));
    await page.waitForFunction((b) => Number(document.querySelector('[data-testid="es-variogram-chart-box"]')?.dataset.probe) !== b, before);
    const after = await probe();
    assert.ok(Math.abs(after - before - 2) < 1e-6 * Math.max(1, before), `the curve moves up by the nugget change: ${before} -> ${after}`);
    assert.ok(await page.locator(tid('vg-edited')).isVisible(), 'marked as edited');
    await shot('es-03-variogram-edited');
  });

  it('cross-validation lists the four methods', async () => {
    await page.click(tid('es-crossval'));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="crossval-row"]').length === 4, null, { timeout: JOB_T });
    const methods = await page.locator(tid('crossval-row')).evaluateAll((rows) => rows.map((r) => r.dataset.method).sort());
    assert.deepEqual(methods, ['idw', 'nn', 'ok', 'sk']);
    await shot('es-04-crossval');
  });

  it('the estimate job: blocks on the map by grade and by class, the grade-tonnage curve and the resources as the job result', async () => {
    // Back to the fitted model, so the estimate is the CLI's (no variogram sent).
    await page.click(tid('vg-reset'));
    await page.click(tid('es-run'));
    await page.waitForFunction(() => document.querySelector('[data-testid="es-job-status"]')?.dataset.status === 'succeeded', null, { timeout: JOB_T });
    const result = await jobResultOf('es-job-status');
    assert.ok(result.blocks_geojson?.features?.length > 0, 'the result has blocks');
    await page.waitForFunction(() => document.querySelector('[data-testid="estimate-map"]')?.dataset.state === 'ready', null, { timeout: T });
    const m = await page.evaluate(() => ({ ...document.querySelector('[data-testid="estimate-map"]').dataset }));
    assert.equal(m.featureCount, String(result.blocks_geojson.features.length));
    assert.ok(Number(m.renderedCount) > 0, `blocks drawn: ${m.renderedCount}`);
    assert.equal(m.colour, 'grade');
    assert.equal(await page.getAttribute(tid('estimate-legend'), 'data-mode'), 'grade');
    await page.locator(tid('legend-ramp')).waitFor();
    const grades = result.blocks_geojson.features.map((f) => f.properties.estimate).filter((v) => typeof v === 'number');
    const fmt = (v) => new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 }).format(v);
    assert.equal(await page.textContent(tid('legend-min')), fmt(Math.min(...grades)), 'ramp from the lowest grade');
    assert.equal(await page.textContent(tid('legend-max')), fmt(Math.max(...grades)), 'ramp to the highest grade');
    await page.locator(tid('estimate-map')).scrollIntoViewIfNeeded();
    await shot('es-05-blocks-grade');
    await page.selectOption(tid('es-colour'), 'class');
    await page.waitForFunction(() => document.querySelector('[data-testid="estimate-legend"]')?.dataset.mode === 'class');
    assert.equal(await page.getAttribute(tid('estimate-map'), 'data-colour'), 'class');
    const cats = new Set(result.blocks_geojson.features.map((f) => f.properties.category));
    const shown = await page.locator(`${tid('estimate-legend')} ${tid('legend-item')}`).evaluateAll((xs) => xs.map((x) => x.dataset.category));
    assert.deepEqual(new Set(shown), cats, 'one legend item per class present');
    await shot('es-06-blocks-class');
    await page.selectOption(tid('es-colour'), 'grade');

    await page.locator(tid('estimate-gt-chart')).waitFor();
    assert.equal(await page.locator(tid('gt-row')).count(), result.grade_tonnage.length);
    const rows = await page.locator(tid('resource-row')).evaluateAll((xs) => xs.map((x) => ({ ...x.dataset })));
    assert.equal(rows.length, result.resources.length);
    result.resources.forEach((r, i) => {
      assert.equal(rows[i].class, r.class);
      assert.equal(Number(rows[i].tonnes), r.tonnes, `${r.class} tonnes`);
      assert.equal(rows[i].grade === '' ? null : Number(rows[i].grade), r.mean_grade, `${r.class} grade`);
      assert.equal(rows[i].contained === '' ? null : Number(rows[i].contained), r.contained_t, `${r.class} contained`);
    });
    if (result.analysis) {
      const v = result.analysis.version;
      await page.waitForFunction((x) => !!document.querySelector(`[data-testid="version-row"][data-version="${x}"][data-current="true"]`), v).catch(async (e) => {
        console.error(await page.evaluate(() => document.querySelector('[data-testid="es-versions-slot"]')?.outerHTML));
        throw e;
      });
      const versions = (await api(`tmfs/${TMF}/resource-estimates`)).body;
      assert.ok(versions.some((x) => x.version === v), 'the API lists the new version');
      assert.equal(await page.locator(tid('version-row')).count(), versions.length);
    }
    await page.locator(tid('estimate-resources')).scrollIntoViewIfNeeded();
    await shot('es-07-resources');
  });

  it('the flow follows the language switch (ru, kk) and keeps its result', async () => {
    await page.selectOption(tid('lang-switcher'), 'ru');
    await page.waitForFunction(() => document.querySelector('[data-testid="es-run"]')?.textContent === 'Запустить оценку');
    await page.waitForFunction(() => document.querySelector('[data-testid="estimate-map"]')?.dataset.state === 'ready');
    assert.ok((await page.locator(tid('resource-row')).count()) > 0, 'the resources stay');
    await page.selectOption(tid('lang-switcher'), 'kk');
    await page.waitForFunction(() => document.querySelector('[data-testid="es-run"]')?.textContent === 'Бағалауды іске қосу');
    await shot('es-09-kk');
    await page.selectOption(tid('lang-switcher'), 'en');
    await page.waitForFunction(() => document.querySelector('[data-testid="es-run"]')?.textContent === 'Run estimate');
  });

  it('a CSV with a non-numeric grade shows the row-numbered problem by the upload step', async () => {
    const lines = readFileSync(SAMPLES, 'utf8').split('\n');
    const cells = lines[4].split(',');
    cells[cells.length - 1] = 'abc';
    lines[4] = cells.join(',');
    const bad = join(RESULTS, 'donskoy-auger-bad.csv');
    writeFileSync(bad, lines.join('\n'));
    await page.goto(`${base}/#/estimate/${TMF}`);
    await pickSamples(bad);
    await page.click(tid('es-preview'));
    const problems = page.locator(tid('es-upload-problems'));
    await problems.waitFor({ timeout: JOB_T });
    assert.equal(await problems.getAttribute('data-status'), '422');
    const row = problems.locator(`${tid('problem-row')}[data-row="5"]`);
    assert.equal(await row.count(), 1, await problems.textContent());
    const text = await row.textContent();
    assert.match(text, /donskoy-auger-bad\.csv/);
    assert.match(text, /Cr2O3/);
    assert.match(text, /abc/);
    await shot('es-08-bad-csv');
    await logoutIfLoggedIn();
  });

  it('made no request to another origin, logged no console error and threw nothing', () => {
    // The only error response the browser saw is the one the test provokes: the rejected CSV.
    assertClean(seen, (r) => r.status === 422 && r.path === `/api/v1/tmfs/${TMF}/estimate-preview` && r.method === 'POST');
  });
});
