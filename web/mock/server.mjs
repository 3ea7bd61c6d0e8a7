#!/usr/bin/env node
// Mock of the Qaita HTTP API v1 (see web/README.md) over the CLI's real JSON output in
// mock/fixtures/, plus the built UI from web/dist. Node built-ins only.
//
//   node mock/server.mjs                  # PORT=0 (a free port) unless PORT is set; HOST=127.0.0.1
//   ANON_READ=false node mock/server.mjs  # anonymous reads answer 401, as a closed server would
//   DIST=path node mock/server.mjs        # serve another build
//
// Prints "listening on http://HOST:PORT" on stdout once it accepts connections. State (sessions,
// edits, history, planning jobs) lives in memory and is lost on exit.
import { createServer } from 'node:http';
import { readFileSync, readdirSync, existsSync, statSync, createReadStream } from 'node:fs';
import { join, dirname, resolve, extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { curves } from './geostat.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const FIX = join(here, 'fixtures');
const DIST = resolve(process.env.DIST || join(here, '..', 'dist'));
const HOST = process.env.HOST || '127.0.0.1';
const PORT = Number(process.env.PORT || 0);
const ANON_READ = !/^(0|false|no)$/i.test(process.env.ANON_READ || 'true');
const LOG = /^(1|true|yes)$/i.test(process.env.MOCK_LOG || '');

// ---------------------------------------------------------------- data
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const jsonDir = (dir) =>
  existsSync(join(FIX, dir))
    ? new Map(readdirSync(join(FIX, dir)).filter((f) => f.endsWith('.json')).map((f) => [Number(f.slice(0, -5)), readJson(join(FIX, dir, f))]))
    : new Map();

const tmfs = new Map([...jsonDir('tmfs')].sort((a, b) => a[0] - b[0]));
const histories = jsonDir('history');
const valuations = jsonDir('valuations');
const estimates = jsonDir('resource-estimates');
const stats = readJson(join(FIX, 'stats.json'));
const proximity = readJson(join(FIX, 'proximity.json'));
const importReport = readJson(join(FIX, 'import-report.json'));
// Planning: `qaita rank|roadmap|schedule|scenario --json` and `report national|tmf` (see
// mock/make-plan-fixtures.mjs).
const PLAN = join(FIX, 'plan');
const plan = {
  ranking: readJson(join(PLAN, 'ranking.json')),
  roadmap: readJson(join(PLAN, 'roadmap.json')),
  schedule: readJson(join(PLAN, 'schedule.json')),
  scenarios: readJson(join(PLAN, 'scenarios.json')),
};
const REPORT_FILES = {
  national: ['national.html', 'national.pdf'],
  'KZ-TMF-0012': ['KZ-TMF-0012.html', 'KZ-TMF-0012.pdf'],
};
// Estimate flow (`qaita estimate | variogram | crossval --json`, see mock/make-estimate-fixtures.mjs).
const EST = join(FIX, 'estimate');
const est = existsSync(EST)
  ? { preview: readJson(join(EST, 'preview.json')), crossval: readJson(join(EST, 'crossval.json')), result: readJson(join(EST, 'result.json')) }
  : null;
let nextAuditId = Math.max(0, ...[...histories.values()].flat().map((e) => e.id)) + 1;

// Label tables of crates/qaita-model/src/vocab.rs (code, en, ru, kk).
const VOCAB = {
  kind: [
    ['tailings', 'Tailings', 'Хвосты обогащения', 'Байыту қалдықтары'],
    ['slag', 'Slag', 'Шлаки', 'Шлактар'],
    ['ash', 'Ash and ash-slag', 'Золошлаки', 'Күл-шлак'],
    ['waste_rock', 'Waste rock and overburden', 'Вскрышные и вмещающие породы', 'Аршылған жыныстар'],
    ['off_balance_ore', 'Off-balance (low-grade) ore', 'Забалансовые руды', 'Баланстан тыс кендер'],
    ['sludge', 'Sludge and red mud', 'Шламы, красный шлам', 'Шламдар'],
    ['phosphogypsum', 'Phosphogypsum', 'Фосфогипс', 'Фосфогипс'],
    ['cake_clinker', 'Cakes and clinker', 'Кеки и клинкер', 'Кектер мен клинкер'],
    ['other', 'Other', 'Прочие', 'Басқа'],
  ],
  family: [
    ['mining', 'Mining waste', 'Отходы горнодобывающего производства', 'Тау-кен өндірісінің қалдықтары'],
    ['processing', 'Processing and metallurgical waste', 'Отходы обогащения и металлургии', 'Байыту және металлургия қалдықтары'],
    ['energy', 'Energy waste', 'Отходы энергетики', 'Энергетика қалдықтары'],
  ],
  region: [
    ['abai', 'Abai', 'Абайская область', 'Абай облысы'],
    ['akmola', 'Akmola', 'Акмолинская область', 'Ақмола облысы'],
    ['aktobe', 'Aktobe', 'Актюбинская область', 'Ақтөбе облысы'],
    ['almaty_region', 'Almaty Region', 'Алматинская область', 'Алматы облысы'],
    ['atyrau', 'Atyrau', 'Атырауская область', 'Атырау облысы'],
    ['east_kazakhstan', 'East Kazakhstan', 'Восточно-Казахстанская область', 'Шығыс Қазақстан облысы'],
    ['zhambyl', 'Zhambyl', 'Жамбылская область', 'Жамбыл облысы'],
    ['zhetisu', 'Zhetisu', 'Область Жетісу', 'Жетісу облысы'],
    ['west_kazakhstan', 'West Kazakhstan', 'Западно-Казахстанская область', 'Батыс Қазақстан облысы'],
    ['karaganda', 'Karaganda', 'Карагандинская область', 'Қарағанды облысы'],
    ['kostanay', 'Kostanay', 'Костанайская область', 'Қостанай облысы'],
    ['kyzylorda', 'Kyzylorda', 'Кызылординская область', 'Қызылорда облысы'],
    ['mangystau', 'Mangystau', 'Мангистауская область', 'Маңғыстау облысы'],
    ['pavlodar', 'Pavlodar', 'Павлодарская область', 'Павлодар облысы'],
    ['north_kazakhstan', 'North Kazakhstan', 'Северо-Казахстанская область', 'Солтүстік Қазақстан облысы'],
    ['turkistan', 'Turkistan', 'Туркестанская область', 'Түркістан облысы'],
    ['ulytau', 'Ulytau', 'Улытауская область', 'Ұлытау облысы'],
    ['astana', 'Astana', 'Астана', 'Астана қаласы'],
    ['almaty', 'Almaty', 'Алматы', 'Алматы қаласы'],
    ['shymkent', 'Shymkent', 'Шымкент', 'Шымкент қаласы'],
  ],
  status: [
    ['active', 'Active (receiving waste)', 'Действующий', 'Жұмыс істейтін'],
    ['inactive', 'Inactive', 'Недействующий', 'Жұмыс істемейтін'],
    ['conserved', 'Conserved', 'Законсервирован', 'Консервацияланған'],
    ['abandoned', 'Abandoned (no owner)', 'Бесхозный', 'Иесіз'],
    ['being_reprocessed', 'Being reprocessed', 'Перерабатывается', 'Қайта өңделуде'],
    ['remediated', 'Remediated', 'Рекультивирован', 'Қалпына келтірілген'],
    ['unknown', 'Unknown', 'Неизвестно', 'Белгісіз'],
  ],
  legal_class: [
    ['waste', 'Waste (Ecological Code)', 'Отходы', 'Қалдықтар'],
    ['technogenic_subsoil', 'Technogenic subsoil (Subsoil Code)', 'Техногенные минеральные образования', 'Техногендік минералдық түзілімдер'],
    ['undetermined', 'Undetermined', 'Не определено', 'Анықталмаған'],
  ],
  // Not required by the contract; the UI has its own labels when it is missing.
  confidence: [
    ['high', 'High (measured, audited)', 'Высокая', 'Жоғары'],
    ['medium', 'Medium (reported by operator or authority)', 'Средняя', 'Орташа'],
    ['low', 'Low (estimate, press, unverified)', 'Низкая', 'Төмен'],
    ['unverified', 'Unverified', 'Не проверено', 'Тексерілмеген'],
  ],
};
const vocabJson = Object.fromEntries(Object.entries(VOCAB).map(([k, rows]) => [k, rows.map(([code, en, ru, kk]) => ({ code, en, ru, kk }))]));
const codes = (name) => new Set(VOCAB[name].map((r) => r[0]));

const USERS = {
  viewer: { password: 'viewer-pass', role: 'viewer' },
  analyst: { password: 'analyst-pass', role: 'analyst' },
  editor: { password: 'editor-pass', role: 'editor' },
  admin: { password: 'admin-pass', role: 'admin' },
};
const RANK = { viewer: 1, analyst: 2, editor: 3, admin: 4 };
const sessions = new Map(); // session id -> { user: {username, role}, csrf_token }

// ---------------------------------------------------------------- helpers
class Problem extends Error {
  constructor(status, title, detail, errors, extra) {
    super(title);
    Object.assign(this, { status, title, detail, errors, extra });
  }
}
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function send(res, status, body, headers = {}) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(data);
}
function sendProblem(res, p) {
  const body = { type: `urn:qaita:problem:${slug(p.title)}`, title: p.title, status: p.status };
  if (p.detail) body.detail = p.detail;
  if (p.errors) body.errors = p.errors;
  Object.assign(body, p.extra || {});
  res.writeHead(p.status, { 'Content-Type': 'application/problem+json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
function readBody(req, limit = 20 << 20) {
  return new Promise((ok, fail) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { fail(new Problem(413, 'Payload too large', `more than ${limit} bytes`)); req.destroy(); } else chunks.push(c);
    });
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}
function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}
function session(req) {
  const id = cookies(req).qaita_session;
  return id && sessions.has(id) ? { id, ...sessions.get(id) } : null;
}
function requireRead(req) {
  if (!ANON_READ && !session(req)) throw new Problem(401, 'Unauthorized', 'log in to read the registry');
}
function requireWrite(req, role) {
  const s = session(req);
  if (!s) throw new Problem(401, 'Unauthorized', 'log in first');
  if (req.headers['x-csrf-token'] !== s.csrf_token) throw new Problem(403, 'CSRF token missing or wrong', 'send the X-CSRF-Token header returned by POST /api/v1/session');
  if (RANK[s.user.role] < RANK[role]) throw new Problem(403, 'Forbidden', `this needs the ${role} role; you are ${s.user.role}`);
  return s;
}

const ownerKnown = (d) => typeof d.owner === 'string' && d.owner.trim() !== '';
const tonnage = (d) => d.derived?.tonnage_t ?? null;
const npv = (d) => d.derived?.valuation?.p50_usd ?? null;
const listItem = (d) => { const { derived, ...rest } = d; return rest; };
function findTmf(key) {
  if (/^\d+$/.test(key) && tmfs.has(Number(key))) return tmfs.get(Number(key));
  for (const d of tmfs.values()) if (d.external_id === key) return d;
  throw new Problem(404, 'Not found', `no TMF ${key}`);
}

function parseFilters(q, paging) {
  const errors = [];
  const f = {};
  for (const [name, vocab] of [['region', 'region'], ['kind', 'kind'], ['status', 'status'], ['legal_class', 'legal_class']]) {
    const v = q.get(name);
    if (v) { if (codes(vocab).has(v)) f[name] = v; else errors.push({ field: name, reason: `'${v}' is not a known ${vocab.replace('_', ' ')}` }); }
  }
  const c = q.get('commodity');
  if (c) f.commodity = c.trim().toLowerCase();
  const ok = q.get('owner_known');
  if (ok) { if (ok === 'true' || ok === 'false') f.owner_known = ok === 'true'; else errors.push({ field: 'owner_known', reason: 'expected true or false' }); }
  const text = q.get('q');
  if (text && text.trim()) f.q = text.trim().toLowerCase();
  const bbox = q.get('bbox');
  if (bbox) {
    const b = bbox.split(',').map(Number);
    if (b.length === 4 && b.every(Number.isFinite) && b[0] <= b[2] && b[1] <= b[3]) f.bbox = b;
    else errors.push({ field: 'bbox', reason: 'expected minLon,minLat,maxLon,maxLat' });
  }
  if (paging) {
    const sort = q.get('sort') || 'external_id';
    if (!['external_id', 'name', 'region', 'kind', 'tonnage', 'npv'].includes(sort)) errors.push({ field: 'sort', reason: `cannot sort by '${sort}'` });
    const order = q.get('order') || 'asc';
    if (!['asc', 'desc'].includes(order)) errors.push({ field: 'order', reason: 'expected asc or desc' });
    const limit = q.has('limit') ? Number(q.get('limit')) : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) errors.push({ field: 'limit', reason: 'expected an integer 1..1000' });
    const offset = q.has('offset') ? Number(q.get('offset')) : 0;
    if (!Number.isInteger(offset) || offset < 0) errors.push({ field: 'offset', reason: 'expected an integer >= 0' });
    Object.assign(f, { sort, order, limit, offset });
  }
  if (errors.length) throw new Problem(400, 'Bad request', 'invalid query parameters', errors);
  return f;
}
function matches(d, f) {
  if (f.region && d.region !== f.region) return false;
  if (f.kind && d.kind !== f.kind) return false;
  if (f.status && d.status !== f.status) return false;
  if (f.legal_class && d.legal_class !== f.legal_class) return false;
  if (f.owner_known !== undefined && ownerKnown(d) !== f.owner_known) return false;
  if (f.commodity && !d.figures.some((x) => x.field.toLowerCase() === `grade:${f.commodity}`)) return false;
  if (f.bbox) {
    const { lon, lat } = d.location;
    if (lon < f.bbox[0] || lon > f.bbox[2] || lat < f.bbox[1] || lat > f.bbox[3]) return false;
  }
  if (f.q) {
    const hay = [d.external_id, d.name, d.name_kk, d.name_ru, d.operator, d.owner, d.source_enterprise].filter(Boolean).join('\n').toLowerCase();
    if (!hay.includes(f.q)) return false;
  }
  return true;
}
function sorted(list, sort, order) {
  const key = { external_id: (d) => d.external_id, name: (d) => d.name, region: (d) => d.region, kind: (d) => d.kind, tonnage, npv }[sort];
  const dir = order === 'desc' ? -1 : 1;
  return list.slice().sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === null || x === undefined) return y === null || y === undefined ? a.id - b.id : 1; // nulls last
    if (y === null || y === undefined) return -1;
    const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
    return c !== 0 ? c * dir : a.id - b.id;
  });
}
function feature(d) {
  return {
    type: 'Feature',
    id: d.id,
    geometry: { type: 'Point', coordinates: [d.location.lon, d.location.lat] },
    properties: {
      id: d.id, external_id: d.external_id, name: d.name, name_kk: d.name_kk ?? null, name_ru: d.name_ru ?? null,
      kind: d.kind, region: d.region, status: d.status, legal_class: d.legal_class, owner_known: ownerKnown(d),
      tonnage_t: tonnage(d), near_settlement: d.derived?.proximity?.near_settlement ?? false, npv_usd: npv(d),
    },
  };
}

// Multipart: returns the parts as { name, filename, type, data: Buffer }.
function multipart(req, body) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] || '');
  if (!/^multipart\/form-data/i.test(req.headers['content-type'] || '') || !m) throw new Problem(415, 'Unsupported media type', 'send multipart/form-data with a file field');
  const boundary = Buffer.from(`--${m[1] || m[2]}`);
  const parts = [];
  let pos = body.indexOf(boundary);
  while (pos >= 0) {
    const start = pos + boundary.length;
    if (body.slice(start, start + 2).toString() === '--') break;
    const next = body.indexOf(boundary, start);
    if (next < 0) break;
    const part = body.slice(start + 2, next - 2); // skip CRLF after boundary and before the next
    const headEnd = part.indexOf('\r\n\r\n');
    const head = part.slice(0, headEnd).toString('utf8');
    const disp = /content-disposition:[^\r\n]*/i.exec(head)?.[0] || '';
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disp)?.[1],
      filename: /\bfilename="([^"]*)"/i.exec(disp)?.[1],
      type: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1],
      data: part.slice(headEnd + 4),
    });
    pos = next;
  }
  return parts;
}

// ---------------------------------------------------------------- planning
// Query options of GET plan/ranking and plan/roadmap besides the list filters.
function planOptions(q, extra = {}) {
  const errors = [];
  const bool = (name) => {
    const v = q.get(name);
    if (v === null) return undefined;
    if (v === 'true' || v === 'false') return v === 'true';
    errors.push({ field: name, reason: 'expected true or false' });
  };
  const int = (name, min, max) => {
    const v = q.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) errors.push({ field: name, reason: `expected an integer ${min}..${max}` });
    return n;
  };
  const out = { stability: bool('stability') ?? true, stored_only: bool('stored_only') ?? false, paths: int('paths', 0, 100000) ?? 2000, seed: int('seed', 0, Number.MAX_SAFE_INTEGER) ?? 1 };
  if (extra.part) {
    out.part = q.get('part') || 'all';
    if (!['all', 'residential', 'rare_metals'].includes(out.part)) errors.push({ field: 'part', reason: 'expected all, residential or rare_metals' });
  }
  return { out, errors };
}
function planFilters(q, extra) {
  let f = {};
  const errors = [];
  try { f = parseFilters(q, false); } catch (e) { if (e instanceof Problem) errors.push(...e.errors); else throw e; }
  const o = planOptions(q, extra);
  errors.push(...o.errors);
  if (errors.length) throw new Problem(400, 'Bad request', 'invalid query parameters', errors);
  const keys = Object.keys(f);
  return { f, o: o.out, filtered: keys.length > 0, ids: new Set([...tmfs.values()].filter((d) => matches(d, f)).map((d) => d.id)) };
}
const withCount = (madeFrom, n) => madeFrom.replace(/; \d+ TMFs;/, `; ${n} TMFs;`);

// The fixture ranking restricted to the TMFs that match (the mock neither renormalises nor
// re-ranks: the real server ranks the subset afresh).
function rankingFor(q) {
  const { o, filtered, ids } = planFilters(q);
  const out = structuredClone(plan.ranking);
  if (filtered) {
    out.ranking.rows = out.ranking.rows.filter((r) => ids.has(r.id));
    out.ranking.rows.forEach((r, i) => (r.rank = i + 1));
    out.made_from = withCount(out.made_from, ids.size);
  }
  if (!o.stability) {
    out.ranking.stability = null;
    for (const r of out.ranking.rows) r.stability = null;
  }
  return out;
}
function roadmapFor(q) {
  const { o, filtered, ids } = planFilters(q, { part: true });
  const out = structuredClone(plan.roadmap);
  if (filtered) {
    out.made_from = withCount(out.made_from, ids.size);
    const p = out.residential;
    p.rows = p.rows.filter((r) => ids.has(r.id));
    p.rows.forEach((r, i) => (r.order = i + 1));
    p.net_total_usd = p.rows.reduce((a, r) => a + (r.net_usd ?? 0), 0);
    p.reprocess_count = p.rows.filter((r) => r.option === 'reprocess').length;
    p.relocate_count = p.rows.filter((r) => r.option === 'relocate').length;
    p.population_at_risk_total = p.rows.reduce((a, r) => a + r.population_at_risk, 0);
    p.tonnes_total = p.rows.reduce((a, r) => a + (r.tonnage_t ?? 0), 0);
    const rm = out.rare_metals;
    rm.candidates = rm.candidates.filter((c) => ids.has(c.id));
    for (const total of rm.totals) {
      const by = {};
      let sum = 0;
      let n = 0;
      for (const id of ids) {
        const v = tmfs.get(id).derived?.contained_t?.[total.commodity];
        if (v > 0) { by[tmfs.get(id).region] = (by[tmfs.get(id).region] ?? 0) + v; sum += v; n += 1; }
      }
      Object.assign(total, { contained_t: sum, tmfs: n, by_region: Object.fromEntries(Object.entries(by).sort()) });
    }
  }
  if (o.part === 'residential') out.rare_metals = null;
  if (o.part === 'rare_metals') out.residential = null;
  return out;
}

// Body of POST plan/schedules, plan/scenarios and reports: every member optional, each checked.
const SCHEDULE_MEMBERS = ['objective', 'budget_musd', 'capacity_mt', 'region_capacity', 'first_year', 'last_year', 'residential_first', 'precedence', 'solver', 'time_limit_s', 'gap', 'include_ongoing', 'stored_only', 'paths', 'seed'];
async function planBody(req, report) {
  const raw = (await readBody(req, 1 << 20)).toString('utf8');
  let b = {};
  if (raw.trim()) {
    try { b = JSON.parse(raw); } catch (e) { throw new Problem(400, 'Bad request', 'the JSON body does not fit', [{ field: 'body', reason: String(e.message) }]); }
  }
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new Problem(400, 'Bad request', 'the JSON body does not fit', [{ field: 'body', reason: 'expected a JSON object' }]);
  const errors = [];
  const bad = (field, reason) => errors.push({ field, reason });
  const num = (k, ok, why) => { if (b[k] !== undefined && !(typeof b[k] === 'number' && Number.isFinite(b[k]) && ok(b[k]))) bad(k, why); };
  const bool = (k) => { if (b[k] !== undefined && typeof b[k] !== 'boolean') bad(k, 'expected true or false'); };
  // As serde's deny_unknown_fields on the server: the problem names the body.
  for (const k of Object.keys(b)) if (!SCHEDULE_MEMBERS.includes(k) && !(report && ['report', 'id', 'top'].includes(k))) bad('body', `unknown field \`${k}\``);
  if (b.objective !== undefined && !['npv', 'tonnes', 'exposure'].includes(b.objective)) bad('objective', `'${b.objective}' is not npv, tonnes or exposure`);
  if (b.solver !== undefined && !['highs', 'microlp'].includes(b.solver)) bad('solver', `'${b.solver}' is not highs or microlp`);
  num('budget_musd', (v) => v >= 0, 'must be a non-negative number of million USD');
  num('capacity_mt', (v) => v >= 0, 'must be a non-negative number of Mt/yr');
  num('first_year', (v) => Number.isInteger(v) && v >= 2000 && v <= 2100, 'a year from 2000 to 2100');
  num('last_year', (v) => Number.isInteger(v), 'a year');
  const first = Number.isInteger(b.first_year) ? b.first_year : 2026;
  const last = Number.isInteger(b.last_year) ? b.last_year : 2050;
  if (last < first || last - first >= 60) bad('last_year', `from first_year (${first}) to 60 years later`);
  num('time_limit_s', (v) => v > 0 && v <= 600, 'seconds, more than 0 and at most 600');
  num('gap', (v) => v >= 0 && v < 1, 'a fraction from 0 to below 1 (0.01 = 1%)');
  num('paths', (v) => Number.isInteger(v) && v >= 0 && v <= 20000, 'at most 20000');
  num('seed', (v) => Number.isInteger(v) && v >= 0, 'expected a non-negative integer');
  for (const k of ['residential_first', 'include_ongoing', 'stored_only']) bool(k);
  if (b.region_capacity !== undefined) {
    if (!b.region_capacity || typeof b.region_capacity !== 'object' || Array.isArray(b.region_capacity)) bad('region_capacity', 'expected an object of region: Mt/yr');
    else for (const [r, v] of Object.entries(b.region_capacity)) {
      if (!codes('region').has(r)) bad('region_capacity', `'${r}' is not a known region`);
      else if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) bad('region_capacity', `${r}: must be a non-negative number of Mt/yr`);
    }
  }
  if (b.precedence !== undefined) {
    if (!Array.isArray(b.precedence)) bad('precedence', 'expected [[BEFORE, AFTER], ...]');
    else for (const pair of b.precedence) {
      if (!Array.isArray(pair) || pair.length !== 2) { bad('precedence', 'expected [[BEFORE, AFTER], ...]'); continue; }
      for (const id of pair) { try { findTmf(String(id)); } catch { bad('precedence', `no TMF '${id}' among those planned`); } }
    }
  }
  if (report) {
    if (!['national', 'tmf'].includes(b.report)) bad('report', b.report === undefined ? 'missing: national or tmf' : `'${b.report}' is not national or tmf`);
    if (b.report === 'tmf' && (b.id === undefined || b.id === null || String(b.id).trim() === '')) bad('id', "give the TMF's registry id or external id");
    if (b.report === 'national' && b.id !== undefined && b.id !== null) bad('id', 'the national report takes no id');
    num('top', (v) => Number.isInteger(v) && v >= 1 && v <= 500, 'a whole number from 1 to 500');
  }
  if (errors.length) throw new Problem(400, 'Bad request', 'invalid options', errors);
  return b;
}

// Jobs: queued for 250 ms, then running (progress grows) until 1 s, then succeeded or failed.
const jobs = new Map();
let nextJobId = 1;
const QUEUED_MS = 250;
const DONE_MS = 1000;
function jobView(j) {
  const age = Date.now() - j.created;
  const iso = (ms) => new Date(j.created + ms).toISOString();
  const v = { id: j.id, kind: j.kind, status: 'queued', owner: j.owner, done: 0, total: j.total, created_at: iso(0) };
  if (age >= QUEUED_MS) {
    v.status = 'running';
    v.started_at = iso(QUEUED_MS);
    v.done = Math.min(j.total - 1, Math.floor(((age - QUEUED_MS) / (DONE_MS - QUEUED_MS)) * j.total));
  }
  if (age >= DONE_MS) {
    v.status = j.error ? 'failed' : 'succeeded';
    v.done = j.error ? v.done : j.total;
    v.finished_at = iso(DONE_MS);
    if (j.error) v.error = j.error;
    else v.result_url = `/api/v1/jobs/${j.id}/result`;
  }
  return v;
}
function startJob(res, kind, owner, total, result, extra = {}) {
  const j = { id: nextJobId++, kind, owner, total, created: Date.now(), result, ...extra };
  jobs.set(j.id, j);
  return send(res, 202, jobView(j), { Location: `/api/v1/jobs/${j.id}` });
}
function findJob(req, idText) {
  const s = session(req);
  if (!s) throw new Problem(401, 'Unauthorized', 'log in to see jobs');
  if (!/^\d+$/.test(idText)) throw new Problem(400, 'Bad request', 'invalid path', [{ field: 'id', reason: 'expected a job number' }]);
  const j = jobs.get(Number(idText));
  if (!j || (j.owner !== s.user.username && s.user.role !== 'admin')) throw new Problem(404, 'Not found', `no job ${idText}`);
  return j;
}
function finished(j) {
  const v = jobView(j);
  if (v.status !== 'succeeded') throw new Problem(409, 'Conflict', v.error ? `job ${j.id} failed: ${v.error}` : `job ${j.id} is ${v.status}; poll /api/v1/jobs/${j.id}`);
  return v;
}
function reportResult(kind, externalId) {
  const files = REPORT_FILES[kind === 'national' ? 'national' : externalId];
  if (!files) return { error: `the mock holds only KZ-TMF-0012's fact sheet, not ${externalId}'s` };
  return {
    result: {
      report: kind,
      external_id: kind === 'national' ? null : externalId,
      made_from: plan.ranking.made_from,
      label: plan.ranking.label,
      files: files.map((name) => ({
        name,
        content_type: name.endsWith('.pdf') ? 'application/pdf' : 'text/html; charset=utf-8',
        bytes: statSync(join(PLAN, 'reports', name)).size,
      })),
    },
    files: Object.fromEntries(files.map((name) => [name, join(PLAN, 'reports', name)])),
  };
}

// ---------------------------------------------------------------- estimate flow
const uploads = new Map(); // id -> { id, name, bytes, sha256, owner, created_at, data }
let nextUploadId = 1;
const storedEstimates = new Map(); // tmf id -> [full stored documents], after the fixture's
let nextAnalysisId = 1000;

const ESTIMATE_MEMBERS = ['samples', 'collars', 'surveys', 'intervals', 'holes_as', 'composite', 'min_coverage', 'value', 'epsg', 'negative_to_zero',
  'top_cut', 'decluster', 'variogram', 'model', 'lag', 'lags', 'azimuth', 'tolerance', 'bandwidth', 'vertical_lag', 'method', 'min_samples',
  'max_samples', 'radius', 'search_ellipsoid', 'octants', 'global', 'sk_mean', 'idw_power', 'cell', 'layer', 'discretise', 'thickness',
  'density', 'cutoffs', 'rules'];
const SHAPES = ['spherical', 'exponential', 'gaussian'];

// The request body of preview, cross-validation and the estimate job: every member checked (400
// naming it), the upload ids the caller's own.
async function estimateBody(req, s, job) {
  let b;
  try { b = JSON.parse((await readBody(req, 1 << 20)).toString('utf8') || '{}'); } catch { throw new Problem(400, 'Bad request', 'body is not JSON'); }
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new Problem(400, 'Bad request', 'body must be a JSON object');
  const errors = [];
  const bad = (field, reason) => errors.push({ field, reason });
  const allowed = job ? [...ESTIMATE_MEMBERS, 'store'] : ESTIMATE_MEMBERS;
  for (const k of Object.keys(b)) if (!allowed.includes(k)) bad(k, 'unknown member');
  const given = (k) => b[k] !== undefined && b[k] !== null;
  const check = (k, ok, reason) => { if (given(k) && !ok(b[k])) bad(k, reason); };
  const num = (v) => typeof v === 'number' && Number.isFinite(v);
  const pos = (v) => num(v) && v > 0;
  const count = (v) => Number.isInteger(v) && v >= 1;
  const bool = (v) => typeof v === 'boolean';
  if (!given('value')) bad('value', 'give the value column (its name is the commodity)');
  else check('value', (v) => typeof v === 'string' && v.trim() !== '', 'a column name');
  for (const k of ['samples', 'collars', 'surveys', 'intervals']) {
    if (!given(k)) continue;
    const u = uploads.get(b[k]);
    if (!Number.isInteger(b[k]) || !u) bad(k, `no upload ${JSON.stringify(b[k])}`);
    else if (u.owner !== s.user.username && s.user.role !== 'admin') bad(k, `upload ${b[k]} is not yours`);
  }
  if (given('samples') && (given('collars') || given('intervals') || given('surveys'))) bad('samples', 'give samples, or collars + intervals (+ surveys), not both');
  else if (!given('samples')) {
    if (!given('collars')) bad('collars', 'give samples, or collars and intervals');
    if (!given('intervals')) bad('intervals', 'give samples, or collars and intervals');
  }
  check('holes_as', (v) => v === 'hole' || v === '3d', "'hole' or '3d'");
  for (const k of ['composite', 'lag', 'bandwidth', 'vertical_lag', 'radius', 'cell', 'layer', 'thickness', 'density', 'decluster', 'idw_power']) check(k, pos, 'a positive number');
  for (const k of ['top_cut', 'sk_mean', 'azimuth']) check(k, num, 'a number');
  check('min_coverage', (v) => num(v) && v >= 0 && v <= 1, 'a fraction 0..1');
  check('tolerance', (v) => num(v) && v > 0 && v <= 90, 'degrees, 0 < tolerance <= 90');
  check('epsg', (v) => Number.isInteger(v) && v >= 1024 && v <= 32767, 'an EPSG code');
  for (const k of ['lags', 'min_samples', 'max_samples', 'octants']) check(k, count, 'a whole number >= 1');
  for (const k of ['negative_to_zero', 'search_ellipsoid', 'global', 'store']) check(k, bool, 'true or false');
  check('model', (v) => SHAPES.includes(v), 'spherical, exponential or gaussian');
  check('method', (v) => ['ok', 'sk', 'idw', 'nn'].includes(v), 'ok, sk, idw or nn');
  check('discretise', (v) => Array.isArray(v) && (v.length === 2 || v.length === 3) && v.every(count), 'two or three whole numbers >= 1');
  check('cutoffs', (v) => Array.isArray(v) && v.every(num), 'a list of numbers');
  check('rules', (v) => typeof v === 'object' && !Array.isArray(v), 'classification rules (an object)');
  if (given('variogram')) {
    const v = b.variogram;
    const okModel = typeof v === 'object' && !Array.isArray(v) && num(v.nugget) && v.nugget >= 0 && Array.isArray(v.structures) && v.structures.length > 0 &&
      v.structures.every((x) => x && SHAPES.includes(x.shape) && pos(x.sill) && x.anisotropy && ['range_major', 'range_minor', 'range_vertical'].every((r) => pos(x.anisotropy[r])) &&
        ['azimuth', 'dip', 'rake'].every((r) => num(x.anisotropy[r] ?? 0)));
    if (!okModel) bad('variogram', 'a model: nugget >= 0 and structures [{shape, sill > 0, anisotropy {range_major, range_minor, range_vertical > 0, azimuth, dip, rake}}]');
  }
  if (given('min_samples') && given('max_samples') && b.min_samples > b.max_samples) bad('min_samples', 'more than max_samples');
  if (errors.length) throw new Problem(400, 'Bad request', 'invalid estimate options', errors);
  checkSampleFiles(b);
  return b;
}

// The files' rows, as qaita_io reads them: the value column must exist and hold non-negative
// numbers (a unit after the number is allowed), else 422 naming file, row (header = 1), field.
function checkSampleFiles(b) {
  const problems = [];
  const file = b.samples ?? b.intervals;
  const u = uploads.get(file);
  const text = u.data.toString('utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/);
  const sep = (lines[0].match(/;/g) || []).length > (lines[0].match(/,/g) || []).length ? ';' : ',';
  const bare = (h) => h.replace(/\s*[[(][^\])]*[\])]\s*$/, '').trim().toLowerCase();
  const headers = lines[0].split(sep).map((x) => x.trim().replace(/^"|"$/g, ''));
  const col = headers.findIndex((h) => bare(h) === b.value.trim().toLowerCase());
  const whole = (reason) => ({ file: u.name, unit: 'row', row: null, field: null, reason });
  if (col < 0) problems.push(whole(`no column '${b.value}' (columns: ${headers.join(', ')})`));
  else {
    const coords = b.samples !== undefined && b.samples !== null ? (headers.some((h) => bare(h) === 'lon') ? ['lon', 'lat'] : ['x', 'y']) : [];
    const ci = coords.map((c) => headers.findIndex((h) => bare(h) === c));
    if (ci.some((i) => i < 0)) problems.push(whole('give either x and y (projected metres) or lon and lat (WGS84), not both or neither'));
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i].trim()) continue;
      const cells = lines[i].split(sep).map((x) => x.trim());
      const at = (field, reason) => problems.push({ file: u.name, unit: 'row', row: i + 1, field, reason });
      ci.forEach((k, j) => { if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(cells[k] ?? '')) at(headers[k], `'${cells[k] ?? ''}': not a number`); });
      const v = cells[col] ?? '';
      if (v === '') continue;
      const m = /^([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*(%|ppm|g\/t)?$/.exec(v);
      if (!m) at(b.value, `'${v}': not a number`);
      else if (Number(m[1]) < 0 && !b.negative_to_zero) at(b.value, `negative grade ${v} (use --negative-to-zero to treat it as 0)`);
    }
  }
  if (problems.length) throw new Problem(422, 'Sampling data rejected', `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${u.name}; nothing was estimated`, problems);
}

function requireEstimateFixtures() {
  if (!est) throw new Problem(503, 'Service unavailable', 'the mock has no estimate fixtures: run node mock/make-estimate-fixtures.mjs');
}
function previewFor(d, b) {
  const p = structuredClone(est.preview);
  p.tmf = d.external_id;
  if (b.variogram) {
    p.variogram.model = b.variogram;
    p.variogram.source = 'given in the request';
    p.variogram.weighted_sse = null;
    p.variogram.curve = curves(b.variogram, p.variogram.experimental, p.variogram.lag, b.lags ?? 12);
  }
  return p;
}
const estimateSummary = (e) => ({ version: e.version, created_at: e.created_at, actor: e.actor, method: e.method, commodity: e.commodity, unit: e.unit, crs: e.crs, resources: e.resources, grade_tonnage: e.grade_tonnage });

// ---------------------------------------------------------------- routes
const EDITABLE = ['name', 'name_kk', 'name_ru', 'operator', 'owner', 'status', 'legal_class', 'hazard_notes'];

async function api(req, res, url) {
  const path = url.pathname.replace(/\/+$/, '');
  const q = url.searchParams;
  const m = (re) => re.exec(path);
  let r;

  if (path === '/api/v1/session') {
    if (req.method === 'GET') {
      const s = session(req);
      if (!s) throw new Problem(401, 'Unauthorized', 'not logged in');
      return send(res, 200, { user: s.user, csrf_token: s.csrf_token });
    }
    if (req.method === 'POST') {
      let body;
      try { body = JSON.parse((await readBody(req, 1 << 16)).toString('utf8') || '{}'); } catch { throw new Problem(400, 'Bad request', 'body is not JSON'); }
      const u = USERS[body.username];
      if (!u || u.password !== body.password) throw new Problem(401, 'Unauthorized', 'wrong user name or password');
      const id = randomBytes(18).toString('base64url');
      const s = { user: { username: body.username, role: u.role }, csrf_token: randomBytes(18).toString('base64url') };
      sessions.set(id, s);
      return send(res, 200, s, { 'Set-Cookie': `qaita_session=${id}; HttpOnly; SameSite=Strict; Path=/` });
    }
    if (req.method === 'DELETE') {
      const s = session(req);
      if (s) {
        if (req.headers['x-csrf-token'] !== s.csrf_token) throw new Problem(403, 'CSRF token missing or wrong', 'send the X-CSRF-Token header');
        sessions.delete(s.id);
      }
      res.writeHead(204, { 'Set-Cookie': 'qaita_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0', 'Cache-Control': 'no-store' });
      return res.end();
    }
    throw new Problem(405, 'Method not allowed', `${req.method} ${path}`);
  }

  if (req.method === 'POST' && path === '/api/v1/imports') {
    const s = requireWrite(req, 'editor');
    const dryRun = q.get('dry_run') === 'true';
    const body = await readBody(req);
    const file = multipart(req, body).find((p) => p.name === 'file');
    if (!file || file.filename === undefined) throw new Problem(400, 'Bad request', "multipart field 'file' is missing");
    const name = file.filename || 'upload';
    const text = file.data.toString('utf8');
    if (text.includes('bad')) {
      const report = { ...structuredClone(importReport), file: name, dry_run: dryRun, committed: false };
      report.problems = report.problems.map((p) => ({ ...p, file: name }));
      throw new Problem(422, 'Import rejected', `${report.rejected_rows.length} rows rejected; nothing was written`, report.problems, { report });
    }
    let rows = 0;
    if (/\.(geo)?json$/i.test(name)) { try { rows = (JSON.parse(text).features || []).length; } catch { rows = 0; } }
    else rows = text.split(/\r?\n/).filter((l) => l.trim()).length - 1;
    if (LOG) console.error(`import by ${s.user.username}: ${name}, ${rows} rows, dry_run=${dryRun} (the mock writes nothing)`);
    return send(res, 200, {
      file: name, encoding: 'utf-8', seconds: 0.001,
      counts: { create: Math.max(rows, 0), update: 0, unchanged: 0, rejected: 0 },
      problems: [], rejected_rows: [], committed: !dryRun, dry_run: dryRun, changes: [],
    });
  }

  if ((r = m(/^\/api\/v1\/tmfs\/([^/]+)$/)) && req.method === 'PATCH') {
    const s = requireWrite(req, 'editor');
    const d = findTmf(decodeURIComponent(r[1]));
    const tag = req.headers['if-match'];
    if (!tag) throw new Problem(428, 'Precondition required', 'send If-Match: "<version>"');
    const wanted = Number(/^(?:W\/)?"?(\d+)"?$/.exec(tag.trim())?.[1]);
    if (wanted !== d.version) throw new Problem(409, 'Conflict', `the TMF is at version ${d.version}, not ${tag}; reload and edit again`, undefined, { current_version: d.version });
    let body;
    try { body = JSON.parse((await readBody(req, 1 << 20)).toString('utf8')); } catch { throw new Problem(400, 'Bad request', 'body is not JSON'); }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Problem(400, 'Bad request', 'body must be a JSON object');
    const errors = [];
    for (const [k, v] of Object.entries(body)) {
      if (!EDITABLE.includes(k)) errors.push({ field: k, reason: 'not editable here' });
      else if (v !== null && typeof v !== 'string') errors.push({ field: k, reason: 'expected a string or null' });
      else if (k === 'name' && !(v || '').trim()) errors.push({ field: k, reason: 'the name cannot be empty' });
      else if ((k === 'status' || k === 'legal_class') && !codes(k).has(v)) errors.push({ field: k, reason: `'${v}' is not a known ${k.replace('_', ' ')}` });
    }
    if (errors.length) throw new Problem(400, 'Bad request', 'invalid fields', errors);
    const changes = [];
    for (const [k, v] of Object.entries(body)) {
      const after = v === null || v.trim() === '' ? null : v.trim();
      const before = d[k] ?? null;
      if (before !== after) changes.push({ field: k, before, after });
    }
    if (changes.length) {
      for (const c of changes) { if (c.after === null) delete d[c.field]; else d[c.field] = c.after; }
      d.version += 1;
      d.updated_at = new Date().toISOString();
      if (d.derived) d.derived.owner_known = ownerKnown(d);
      const h = histories.get(d.id) || [];
      h.push({ id: nextAuditId++, tmf_id: d.id, at: d.updated_at, actor: s.user.username, action: 'update', context: 'web edit', version: d.version, changes });
      histories.set(d.id, h);
    }
    return send(res, 200, d, { ETag: `"${d.version}"` });
  }

  if (req.method === 'POST' && (path === '/api/v1/plan/schedules' || path === '/api/v1/plan/scenarios')) {
    const s = requireWrite(req, 'analyst');
    planFilters(q);
    await planBody(req, false);
    return path.endsWith('schedules')
      ? startJob(res, 'schedule', s.user.username, 3, plan.schedule)
      : startJob(res, 'scenarios', s.user.username, 4, plan.scenarios);
  }
  if (req.method === 'POST' && path === '/api/v1/reports') {
    const s = requireWrite(req, 'analyst');
    planFilters(q);
    const b = await planBody(req, true);
    let externalId = null;
    if (b.report === 'tmf') {
      try { externalId = findTmf(String(b.id).trim()).external_id; } catch { throw new Problem(400, 'Bad request', 'invalid report options', [{ field: 'id', reason: `no TMF '${b.id}'` }]); }
    }
    const r = reportResult(b.report, externalId);
    return startJob(res, 'report', s.user.username, 6, r.result ?? null, { files: r.files, error: r.error });
  }

  if (req.method === 'POST' && path === '/api/v1/uploads') {
    const s = requireWrite(req, 'analyst');
    const name = (q.get('name') || '').trim();
    if (!name) throw new Problem(400, 'Bad request', 'name the upload', [{ field: 'name', reason: 'give ?name=<file name>' }]);
    const data = await readBody(req);
    if (!data.length) throw new Problem(400, 'Bad request', 'the upload is empty', [{ field: 'body', reason: 'send the file bytes' }]);
    const u = { id: nextUploadId++, name, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), owner: s.user.username, created_at: new Date().toISOString() };
    uploads.set(u.id, { ...u, data });
    return send(res, 201, u, { Location: `/api/v1/uploads/${u.id}` });
  }
  if (req.method === 'POST' && (r = m(/^\/api\/v1\/tmfs\/([^/]+)\/(estimate-preview|estimate-crossval|resource-estimates)$/))) {
    const s = requireWrite(req, 'analyst');
    const d = findTmf(decodeURIComponent(r[1]));
    requireEstimateFixtures();
    const b = await estimateBody(req, s, r[2] === 'resource-estimates');
    if (r[2] === 'estimate-preview') return send(res, 200, previewFor(d, b));
    if (r[2] === 'estimate-crossval') {
      const first = b.method ?? 'ok';
      const rows = est.crossval.rows.slice().sort((x, y) => (y.method === first) - (x.method === first));
      return send(res, 200, { variogram: b.variogram ? { model: b.variogram, source: 'given in the request' } : est.crossval.variogram, rows });
    }
    const result = structuredClone(est.result);
    result.tmf = d.external_id;
    if (b.variogram) result.variogram = { ...result.variogram, model: b.variogram, source: 'given in the request', experimental: [], weighted_sse: null };
    if (b.store !== false) {
      const list = storedEstimates.get(d.id) || [];
      const before = estimates.has(d.id) ? 1 : 0;
      const version = before + list.length + 1;
      result.analysis = { id: nextAnalysisId++, version };
      const { blocks_geojson, analysis, ...doc } = result;
      list.push({ ...doc, tmf_id: d.id, external_id: d.external_id, version, created_at: new Date(Date.now() + DONE_MS).toISOString(), actor: s.user.username, method: `qaita-geostat (web, mock): ${b.method ?? 'ok'}`, parameters: b });
      storedEstimates.set(d.id, list);
    } else result.analysis = null;
    return startJob(res, 'estimate', s.user.username, 5, result);
  }

  if (req.method !== 'GET' && req.method !== 'HEAD') throw new Problem(405, 'Method not allowed', `${req.method} ${path}`);
  requireRead(req);

  if (path === '/api/v1/plan/ranking') return send(res, 200, rankingFor(q));
  if (path === '/api/v1/plan/roadmap') return send(res, 200, roadmapFor(q));
  if ((r = m(/^\/api\/v1\/jobs\/([^/]+)$/))) return send(res, 200, jobView(findJob(req, r[1])));
  if ((r = m(/^\/api\/v1\/jobs\/([^/]+)\/result$/))) {
    const j = findJob(req, r[1]);
    finished(j);
    return send(res, 200, j.result);
  }
  if ((r = m(/^\/api\/v1\/jobs\/([^/]+)\/files\/([^/]+)$/))) {
    const j = findJob(req, r[1]);
    finished(j);
    const name = decodeURIComponent(r[2]);
    const file = j.files?.[name];
    if (!file) throw new Problem(404, 'Not found', `job ${j.id} has no file '${name}'`);
    const pdf = name.endsWith('.pdf');
    res.writeHead(200, {
      'Content-Type': pdf ? 'application/pdf' : 'text/html; charset=utf-8',
      'Content-Length': statSync(file).size,
      'Content-Disposition': `${pdf ? 'attachment' : 'inline'}; filename="${name}"`,
      'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    return createReadStream(file).pipe(res);
  }

  if (path === '/api/v1/tmfs') {
    const f = parseFilters(q, true);
    const all = sorted([...tmfs.values()].filter((d) => matches(d, f)), f.sort, f.order);
    return send(res, 200, { total: all.length, limit: f.limit, offset: f.offset, items: all.slice(f.offset, f.offset + f.limit).map(listItem) });
  }
  if (path === '/api/v1/tmfs.geojson') {
    const f = parseFilters(q, false);
    const features = [...tmfs.values()].filter((d) => matches(d, f)).map(feature);
    res.writeHead(200, { 'Content-Type': 'application/geo+json; charset=utf-8', 'Cache-Control': 'no-store' });
    return res.end(JSON.stringify({ type: 'FeatureCollection', features }));
  }
  if ((r = m(/^\/api\/v1\/tmfs\/([^/]+)$/))) {
    const d = findTmf(decodeURIComponent(r[1]));
    return send(res, 200, d, { ETag: `"${d.version}"` });
  }
  if ((r = m(/^\/api\/v1\/tmfs\/([^/]+)\/history$/))) return send(res, 200, histories.get(findTmf(decodeURIComponent(r[1])).id) || []);
  if ((r = m(/^\/api\/v1\/tmfs\/([^/]+)\/valuation$/))) {
    const d = findTmf(decodeURIComponent(r[1]));
    if (!valuations.has(d.id)) throw new Problem(404, 'Not found', `${d.external_id} has no stored valuation`);
    return send(res, 200, valuations.get(d.id));
  }
  if ((r = m(/^\/api\/v1\/tmfs\/([^/]+)\/resource-estimate$/))) {
    const d = findTmf(decodeURIComponent(r[1]));
    const stored = storedEstimates.get(d.id);
    if (stored?.length) return send(res, 200, stored.at(-1));
    if (!estimates.has(d.id)) throw new Problem(404, 'Not found', `${d.external_id} has no stored resource estimate`);
    return send(res, 200, estimates.get(d.id));
  }
  if ((r = m(/^\/api\/v1\/tmfs\/([^/]+)\/resource-estimates$/))) {
    const d = findTmf(decodeURIComponent(r[1]));
    const all = [...(estimates.has(d.id) ? [estimates.get(d.id)] : []), ...(storedEstimates.get(d.id) || [])];
    return send(res, 200, all.map(estimateSummary));
  }
  if (path === '/api/v1/stats') return send(res, 200, stats);
  if (path === '/api/v1/vocab') return send(res, 200, vocabJson);
  if (path === '/api/v1/proximity') {
    const radius = q.has('radius_km') ? Number(q.get('radius_km')) : proximity.config.near_km;
    if (!(radius > 0)) throw new Problem(400, 'Bad request', 'radius_km must be a positive number', [{ field: 'radius_km', reason: 'expected a positive number' }]);
    const out = structuredClone(proximity);
    out.config.near_km = radius;
    for (const t of out.tmfs) t.near_settlement = !!t.nearest && (t.nearest.inside || t.nearest.edge_distance_km <= radius);
    return send(res, 200, out);
  }
  throw new Problem(404, 'Not found', `no API route ${path}`);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};
function serveStatic(req, res, url) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendProblem(res, new Problem(405, 'Method not allowed', req.method));
  let rel = decodeURIComponent(url.pathname);
  let file = normalize(join(DIST, rel));
  if (!file.startsWith(DIST + sep) && file !== DIST) return sendProblem(res, new Problem(403, 'Forbidden', 'outside the web root'));
  if (!existsSync(file) || statSync(file).isDirectory()) {
    if (extname(rel)) return sendProblem(res, new Problem(404, 'Not found', rel));
    file = join(DIST, 'index.html'); // client-side routes
  }
  if (!existsSync(file)) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    return res.end(`No build at ${DIST}: run npm run build first.\n`);
  }
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (LOG) console.error(req.method, req.url);
  try {
    if (url.pathname.startsWith('/api/')) await api(req, res, url);
    else serveStatic(req, res, url);
  } catch (e) {
    if (e instanceof Problem) sendProblem(res, e);
    else { console.error(e); sendProblem(res, new Problem(500, 'Internal server error', String(e?.message || e))); }
  }
});
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  console.log(`listening on http://${HOST}:${port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
