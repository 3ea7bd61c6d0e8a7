// What every browser test file shares: the mock server, Chromium with a clean English start,
// request and console watching, API helpers (cookie + CSRF token) and page waits. Not a test
// file itself (node --test runs only *.test.mjs here).
//
// A test file keeps its own `base` (the server under test; it may switch mid-test) and `page`
// and passes getters for them, so the helpers always act on the current ones.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB = join(here, '..');
export const REPO = join(WEB, '..');
export const RESULTS = join(WEB, 'test-results');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const T = 30_000;
// Jobs on a real server (debug build: MILP, typst, kriging) take longer than a page action.
export const JOB_T = 300_000;

export const tid = (id) => `[data-testid="${id}"]`;
export const newSink = () => ({ foreignRequests: [], consoleErrors: [], pageErrors: [], failedRequests: [], badResponses: [] });
export const fieldsOf = (res) => (res.body?.errors || []).map((e) => e.field);

export function startMock(env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(WEB, 'mock', 'server.mjs')], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('mock server did not start in 10 s')), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`mock server exited with ${code}`)));
  });
}

export function stopMock(m) {
  if (!m || m.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    m.child.removeAllListeners('exit');
    m.child.once('exit', resolve);
    process.kill(m.child.pid, 'SIGTERM');
  });
}

/// Helpers acting on the test file's current server (`getBase()`) and page (`getPage()`).
export function browserHelpers(getBase, getPage) {
  const sameOrigin = (url) => {
    const base = getBase();
    return url.startsWith(`${base}/`) || url === base || url.startsWith('data:') || url.startsWith('blob:');
  };
  function watch(p, sink) {
    p.on('request', (r) => {
      if (!sameOrigin(r.url())) sink.foreignRequests.push(r.url());
    });
    p.on('requestfailed', (r) => sink.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    p.on('response', (r) => {
      if (r.status() >= 400) sink.badResponses.push({ method: r.request().method(), path: new URL(r.url()).pathname, status: r.status() });
    });
    p.on('console', (m) => {
      if (m.type() === 'error') sink.consoleErrors.push(m.text());
    });
    p.on('pageerror', (e) => sink.pageErrors.push(String(e?.stack || e)));
  }
  // Chromium logs every error response as "Failed to load resource"; those of the expected
  // responses are all the console may hold.
  function assertClean(sink, expected) {
    assert.deepEqual(sink.foreignRequests, [], 'requests to other origins');
    assert.deepEqual(sink.pageErrors, [], 'uncaught errors');
    assert.deepEqual(sink.failedRequests, [], 'failed requests');
    assert.deepEqual(sink.badResponses.filter((r) => !expected(r)), [], 'unexpected error responses');
    const unexpected = sink.consoleErrors.filter((m) => !/^Failed to load resource: the server responded with a status of (401|422) /.test(m));
    assert.deepEqual(unexpected, [], 'console errors');
  }
  const shot = (name, p = getPage()) => p.screenshot({ path: join(RESULTS, `${name}.png`) });
  const mapData = (p = getPage()) => p.evaluate(() => ({ ...document.querySelector('[data-testid="map"]')?.dataset }));
  async function waitForMap(rendered, p = getPage()) {
    await p.waitForFunction(
      (n) => {
        const d = document.querySelector('[data-testid="map"]')?.dataset;
        return d && d.state === 'ready' && d.featureCount === String(n) && d.renderedCount === String(n);
      },
      rendered,
      { timeout: T },
    );
  }
  // Loaded for the current filters, whatever part of the map is in view.
  async function waitForFeatures(n, p = getPage()) {
    await p.waitForFunction((k) => {
      const d = document.querySelector('[data-testid="map"]')?.dataset;
      return d && d.state === 'ready' && d.featureCount === String(k);
    }, n, { timeout: T });
  }
  async function api(path, opts = {}) {
    const res = await fetch(`${getBase()}/api/v1/${path}`, opts);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  }
  async function apiLogin(username, password) {
    const res = await api('session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
    assert.equal(res.status, 200, `login ${username}`);
    const cookie = res.headers.get('set-cookie').split(';')[0];
    return { cookie, token: res.body.csrf_token };
  }
  async function uiLogin(username, password) {
    const page = getPage();
    await page.goto(`${getBase()}/#/login`);
    await page.locator(tid('login-form')).waitFor({ timeout: T });
    await page.fill(tid('login-username'), username);
    await page.fill(tid('login-password'), password);
    await page.click(tid('login-submit'));
    await page.locator(tid('user-role')).waitFor({ timeout: T });
  }
  // Logged-in API calls from the test process (cookie + CSRF token of the session).
  async function apiAs(who, path, opts = {}) {
    const headers = { 'Content-Type': 'application/json', ...(who ? { Cookie: who.cookie } : {}), ...(who?.token ? { 'X-CSRF-Token': who.token } : {}), ...opts.headers };
    return api(path, { ...opts, headers });
  }
  return { sameOrigin, watch, assertClean, shot, mapData, waitForMap, waitForFeatures, api, apiLogin, uiLogin, apiAs };
}

/// The before/after hooks of a browser test file: serve dist/ with the mock unless BASE_URL
/// names a server, start Chromium in English with the default colouring, watch the page into
/// `sink`. `set({ base, mock, browser, context, page })` hands them to the test file.
export function useBrowser(set, sink, watch) {
  let started = {};
  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    let base = process.env.BASE_URL ? process.env.BASE_URL.replace(/\/+$/, '') : '';
    let mock = null;
    if (!base) {
      if (!existsSync(join(WEB, 'dist', 'index.html'))) throw new Error('no build in web/dist: run `npm run build` first (the tests build nothing)');
      mock = await startMock();
      base = mock.url;
    }
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    // Start every run in English with the default colouring, whatever a previous run left.
    await context.addInitScript(() => {
      if (!sessionStorage.getItem('e2e-init')) {
        sessionStorage.setItem('e2e-init', '1');
        localStorage.setItem('qaita.lang', 'en');
        localStorage.removeItem('qaita.mapColour');
      }
    });
    const page = await context.newPage();
    page.setDefaultTimeout(T);
    started = { base, mock, browser, context, page };
    set(started);
    watch(page, sink);
  });
  after(async () => {
    await started.browser?.close();
    await stopMock(started.mock);
  });
}
