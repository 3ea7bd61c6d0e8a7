// Detail drawer of one TMF: identity, figures with provenance (conflicting figures side by side,
// the current one marked), grades, contained metal, resource estimate with its grade-tonnage
// curve, valuation with the NPV distribution, nearby settlements, history link and, for
// editors, the edit form (PATCH with If-Match).
import { ApiError, get, request, apiUrl } from '../api';
import { chart, destroyCharts } from '../charts';
import { h, replace } from '../dom';
import { t, tMaybe, type Key } from '../i18n';
import { date, num, pct, quantity, sig, tonnes, usd } from '../format';
import { emit, hasRole, label, tmfName, vocabTerms } from '../state';
import { jobLine, jobState } from '../jobs';
import { reportBody, reportFiles, runReport } from '../plan/plan-reports';
import type { Figure, ReportResult, ResourceEstimate, Tmf, Valuation, ValuationSummary } from '../types';

let el: HTMLElement;
let currentId: number | null = null;
let doc: Tmf | null = null;
let estimate: ResourceEstimate | null = null;
let estimateFull = false;
let valuation: Valuation | null = null;
let flash: { kind: 'ok' | 'error'; text: string; reload?: boolean; invalid?: string[] } | null = null;
let seq = 0;
/** The fact-sheet job of the TMF shown (analysts): kept while the same TMF stays open. */
let factSheet = jobState<ReportResult>();
let factSheetFor: number | null = null;
let factSheetSeq = 0;
let onClose: () => void = () => {};
let onShow: (doc: Tmf) => void = () => {};

export function mountDrawer(container: HTMLElement, hooks: { onClose: () => void; onShow: (doc: Tmf) => void }): void {
  el = container;
  onClose = hooks.onClose;
  onShow = hooks.onShow;
  el.hidden = true;
  el.setAttribute('role', 'complementary');
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !el.hidden) closeDrawer();
  });
}

export function drawerId(): number | null {
  return currentId;
}

export async function openDrawer(id: number): Promise<void> {
  const my = ++seq;
  currentId = id;
  flash = null;
  if (factSheetFor !== id) {
    factSheet = jobState<ReportResult>();
    factSheetFor = id;
    factSheetSeq++;
  }
  el.hidden = false;
  el.dataset.id = String(id);
  el.dataset.state = 'loading';
  destroyCharts(el);
  replace(el, header(null), h('div', { class: 'drawer-body' }, h('p', { class: 'muted' }, t('loading'))));
  try {
    const d = await get<Tmf>(`tmfs/${id}`);
    if (my !== seq) return;
    setDoc(d);
    void loadAnalyses(my);
  } catch (e) {
    if (my !== seq) return;
    el.dataset.state = 'error';
    replace(el, header(null), h('div', { class: 'drawer-body' }, h('p', { class: 'error', role: 'alert' }, t('error', { msg: (e as Error).message }))));
  }
}

function setDoc(d: Tmf): void {
  doc = d;
  estimate = d.derived?.resource_estimate ?? null;
  estimateFull = false;
  valuation = null;
  render();
  onShow(d);
}

async function loadAnalyses(my: number): Promise<void> {
  if (!doc) return;
  const id = doc.id;
  const jobs: Promise<void>[] = [];
  // Only ask for analyses the document says exist, so objects without them cause no 404s.
  if (doc.derived?.resource_estimate) {
    jobs.push(
      get<ResourceEstimate>(`tmfs/${id}/resource-estimate`)
        .then((r) => {
          if (my === seq) {
            estimate = r;
            estimateFull = true;
          }
        })
        .catch(() => undefined),
    );
  }
  if (doc.derived?.valuation) {
    jobs.push(
      get<Valuation>(`tmfs/${id}/valuation`)
        .then((v) => {
          if (my === seq) valuation = v;
        })
        .catch(() => undefined),
    );
  }
  if (!jobs.length) return;
  await Promise.all(jobs);
  if (my === seq) render();
}

export function closeDrawer(): void {
  seq++;
  currentId = null;
  doc = null;
  destroyCharts(el);
  el.hidden = true;
  delete el.dataset.id;
  replace(el);
  onClose();
}

/** Re-renders in the current language (or after login/logout). */
export function rerenderDrawer(): void {
  if (doc && !el.hidden) render();
  else if (currentId !== null && !el.hidden) void openDrawer(currentId);
}

function header(d: Tmf | null): HTMLElement {
  return h(
    'header',
    { class: 'drawer-head' },
    h(
      'div',
      { class: 'drawer-titles' },
      h('h2', { testid: 'drawer-title' }, d ? tmfName(d) : t('loading')),
      d ? h('div', { class: 'muted' }, `${d.external_id} · ${label('kind', d.kind)} · ${label('region', d.region)}`) : null,
    ),
    h('button', { class: 'icon-button', type: 'button', testid: 'drawer-close', 'aria-label': t('close'), title: t('close'), onclick: closeDrawer }, '×'),
  );
}

function render(): void {
  if (!doc) return;
  const d = doc;
  destroyCharts(el);
  el.setAttribute('aria-label', t('drawer_label'));
  el.dataset.state = 'ready';
  el.dataset.version = String(d.version);
  const body = h(
    'div',
    { class: 'drawer-body' },
    general(d),
    figuresSection(d, false),
    figuresSection(d, true),
    contained(d),
    resourceSection(),
    valuationSection(d),
    proximitySection(d),
    h('section', null, h('a', { href: `#/history/${d.id}`, testid: 'history-link', class: 'button-link' }, `${t('d_history')} →`)),
    estimateSection(d),
    factSheetSection(d),
    editSection(d),
  );
  replace(el, header(d), body);
  drawCharts();
}

const row = (k: Key, v: unknown, testid?: string) =>
  v === null || v === undefined || v === '' ? null : [h('dt', null, t(k)), h('dd', { testid }, String(v))];

function general(d: Tmf): HTMLElement {
  const acc = d.accumulation_from || d.accumulation_to ? `${d.accumulation_from ?? '…'}–${d.accumulation_to ?? '…'}` : null;
  return h(
    'section',
    null,
    h('h3', null, t('d_general')),
    h(
      'dl',
      { class: 'facts' },
      row('d_external_id', d.external_id),
      row('d_kind', label('kind', d.kind)),
      row('d_family', d.family ? label('family', d.family) : null),
      row('d_region', label('region', d.region)),
      row('d_status', label('status', d.status), 'drawer-status'),
      row('d_legal_class', label('legal_class', d.legal_class)),
      row('d_operator', d.operator, 'drawer-operator'),
      row('d_owner', d.owner || t('owner_unknown'), 'drawer-owner'),
      row('d_source_enterprise', d.source_enterprise),
      row('d_accumulation', acc),
      row('d_hazard', d.hazard_notes, 'drawer-hazard'),
      row('d_location', `${d.location.lat.toFixed(4)}° N, ${d.location.lon.toFixed(4)}° E`),
      row('d_version', d.version, 'drawer-version'),
      row('d_updated', date(d.updated_at, true)),
    ),
  );
}

function fieldLabel(field: string): string {
  if (field.startsWith('grade:')) return t('field_grade', { c: field.slice(6) });
  return tMaybe(`field_${field}`, field);
}

const FIELD_ORDER = ['tonnage', 'volume', 'area', 'density'];

function figuresSection(d: Tmf, grades: boolean): HTMLElement | null {
  const figures = d.figures.filter((f) => f.field.startsWith('grade:') === grades);
  if (!figures.length) return grades ? null : h('section', null, h('h3', null, t('d_figures')), h('p', { class: 'muted' }, t('d_no_figures')));
  const groups = new Map<string, Figure[]>();
  for (const f of figures) groups.set(f.field, [...(groups.get(f.field) || []), f]);
  const fields = [...groups.keys()].sort((a, b) => {
    const ia = FIELD_ORDER.indexOf(a), ib = FIELD_ORDER.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.localeCompare(b);
  });
  return h(
    'section',
    { testid: grades ? 'grades' : 'figures' },
    h('h3', null, t(grades ? 'd_grades' : 'd_figures')),
    fields.map((field) => {
      const list = groups.get(field)!.slice().sort((a, b) => Number(b.current) - Number(a.current));
      const conflict = list.length > 1;
      return h(
        'div',
        { class: `figure-group${conflict ? ' conflict' : ''}`, testid: 'figure-group', dataset: { field, conflict: String(conflict) } },
        h('div', { class: 'figure-label' }, fieldLabel(field)),
        conflict ? h('div', { class: 'conflict-note', testid: 'conflict-note' }, t('d_conflict', { n: list.length })) : null,
        h('div', { class: 'figure-cards' }, list.map((f) => figureCard(f, conflict))),
      );
    }),
  );
}

function figureCard(f: Figure, conflict: boolean): HTMLElement {
  const p = f.provenance || {};
  return h(
    'div',
    { class: `figure-card${f.current ? ' current' : ''}`, testid: 'figure-card', dataset: { current: String(f.current) } },
    h(
      'div',
      { class: 'figure-value' },
      h('span', null, quantity(f.value, f.unit)),
      f.current
        ? h('span', { class: 'badge current', testid: 'figure-current' }, t('d_current'))
        : conflict
          ? h('span', { class: 'badge' }, t('d_not_current'))
          : null,
      p.illustrative ? h('span', { class: 'badge illustrative', title: t('p_illustrative') }, t('p_illustrative')) : null,
    ),
    h(
      'dl',
      { class: 'provenance' },
      row('p_source', p.source),
      row('p_date', p.date ? date(p.date) : null),
      row('p_method', p.method),
      row('p_confidence', p.confidence ? label('confidence', p.confidence) : null),
      row('p_note', p.note),
    ),
  );
}

function contained(d: Tmf): HTMLElement | null {
  const c = d.derived?.contained_t;
  if (!c || !Object.keys(c).length) return null;
  return h(
    'section',
    null,
    h('h3', null, t('d_contained')),
    h(
      'table',
      { class: 'data compact', testid: 'contained-table' },
      h('thead', null, h('tr', null, h('th', null, t('c_commodity')), h('th', { class: 'num' }, t('c_tonnes')))),
      h(
        'tbody',
        null,
        Object.entries(c)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => h('tr', null, h('td', null, k), h('td', { class: 'num' }, tonnes(v)))),
      ),
    ),
  );
}

function resourceSection(): HTMLElement | null {
  const r = estimate;
  if (!r) return null;
  const unit = r.unit || '';
  return h(
    'section',
    { testid: 'resource-estimate' },
    h('h3', null, t('d_resource')),
    h('dl', { class: 'facts' }, row('re_commodity', r.commodity), row('re_method', r.method), row('re_date', r.created_at ? date(r.created_at) : null)),
    estimateFull ? null : h('p', { class: 'muted small' }, t('re_summary_only')),
    r.resources?.length
      ? h(
          'table',
          { class: 'data compact' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, t('re_class')), h('th', { class: 'num' }, t('re_tonnes')), h('th', { class: 'num' }, `${t('re_grade')}, ${unit}`), h('th', { class: 'num' }, t('re_contained'))),
          ),
          h(
            'tbody',
            null,
            r.resources.map((x) =>
              h('tr', null, h('td', null, tMaybe(`re_${x.class}`, x.class)), h('td', { class: 'num' }, tonnes(x.tonnes)), h('td', { class: 'num' }, x.mean_grade === null ? t('none') : num(x.mean_grade, 2)), h('td', { class: 'num' }, tonnes(x.contained_t))),
            ),
          ),
        )
      : null,
    r.grade_tonnage?.length ? h('div', { class: 'chart-box' }, h('canvas', { testid: 'chart-grade-tonnage', 'aria-label': t('re_chart'), role: 'img' })) : null,
  );
}

function pctl(v: Valuation | ValuationSummary, p: 'p10' | 'p50' | 'p90'): number | null {
  const x = v as Record<string, unknown>;
  const val = x[`${p}_usd`] ?? x[p] ?? (x.percentiles as Record<string, unknown> | undefined)?.[p];
  return typeof val === 'number' ? val : null;
}

function valuationSection(d: Tmf): HTMLElement | null {
  const s: ValuationSummary | null | undefined = valuation || d.derived?.valuation;
  if (!s) return null;
  const irr = Array.isArray(s.irr) ? s.irr : typeof s.irr === 'number' ? [s.irr] : [];
  const hist = valuation?.npv_histogram && valuation.npv_histogram.counts?.length ? valuation.npv_histogram : null;
  return h(
    'section',
    { testid: 'valuation' },
    h('h3', null, t('d_valuation')),
    h(
      'dl',
      { class: 'facts' },
      row('v_route', s.route ? tMaybe(`route_${s.route}`, s.route) : null),
      row('v_scenario', s.scenario ? tMaybe(`scenario_${s.scenario}`, s.scenario) : null),
      row('v_npv', usd(s.npv_usd)),
      row('v_irr', irr.length ? irr.map((x) => pct(x)).join(', ') : null),
      row('v_percentiles', `${usd(pctl(s, 'p10'))} / ${usd(pctl(s, 'p50'))} / ${usd(pctl(s, 'p90'))}`),
      row('v_prob', s.probability_positive === null || s.probability_positive === undefined ? null : pct(s.probability_positive)),
      row('v_date', s.created_at ? date(s.created_at) : null),
    ),
    h('div', { class: 'chart-box' }, h('canvas', { testid: hist ? 'chart-npv-histogram' : 'chart-npv-percentiles', role: 'img', 'aria-label': hist ? t('v_hist', { n: valuation?.paths ?? '' }) : t('v_pct_chart') })),
  );
}

function drawCharts(): void {
  const gt = el.querySelector<HTMLCanvasElement>('[data-testid="chart-grade-tonnage"]');
  if (gt && estimate?.grade_tonnage) {
    const rows = estimate.grade_tonnage;
    const unit = estimate.unit || '';
    chart(gt, {
      type: 'bar',
      data: {
        labels: rows.map((r) => `≥ ${num(r.cutoff, 2)} ${unit}`),
        datasets: [
          { type: 'bar', label: t('re_tonnes_axis'), data: rows.map((r) => r.tonnes / 1e6), backgroundColor: '#6baed6', yAxisID: 'y' },
          { type: 'line', label: t('re_grade_axis', { unit }), data: rows.map((r) => r.mean_grade), borderColor: '#d94801', backgroundColor: '#d94801', yAxisID: 'y1' },
        ],
      },
      options: {
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, title: { display: false } },
        scales: {
          x: { title: { display: true, text: t('re_cutoff') } },
          y: { position: 'left', beginAtZero: true, title: { display: true, text: t('re_tonnes_axis') } },
          y1: { position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: t('re_grade_axis', { unit }) } },
        },
      },
    });
  }
  const hc = el.querySelector<HTMLCanvasElement>('[data-testid="chart-npv-histogram"]');
  if (hc && valuation?.npv_histogram) {
    const { edges, counts } = valuation.npv_histogram;
    const centres = counts.map((_, i) => (edges[i] + (edges[i + 1] ?? edges[i])) / 2);
    chart(hc, {
      type: 'bar',
      data: {
        labels: centres.map((c) => sig(c / 1e6, 3)),
        datasets: [{ label: t('v_paths'), data: counts, backgroundColor: centres.map((c) => (c < 0 ? '#de2d26' : '#31a354')), barPercentage: 1, categoryPercentage: 1 }],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => { const i = items[0].dataIndex; return `${sig(edges[i] / 1e6, 3)} … ${sig((edges[i + 1] ?? edges[i]) / 1e6, 3)} ${t('u_usd_m')}`; } } },
        },
        scales: {
          x: { title: { display: true, text: `${t('v_npv_axis')} — ${t('v_hist', { n: num(valuation.paths ?? counts.reduce((a, b) => a + b, 0)) })}` }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: { beginAtZero: true, title: { display: true, text: t('v_paths') } },
        },
      },
    });
  }
  const pc = el.querySelector<HTMLCanvasElement>('[data-testid="chart-npv-percentiles"]');
  const s = valuation || doc?.derived?.valuation;
  if (pc && s) {
    const vals = (['p10', 'p50', 'p90'] as const).map((p) => pctl(s, p));
    chart(pc, {
      type: 'bar',
      data: {
        labels: ['P10', 'P50', 'P90'],
        datasets: [{ label: t('v_npv_axis'), data: vals.map((v) => (v === null ? null : v / 1e6)), backgroundColor: vals.map((v) => (v !== null && v < 0 ? '#de2d26' : '#31a354')) }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { title: { display: true, text: t('v_npv_axis') } }, x: { title: { display: true, text: t('v_pct_chart') } } } },
    });
  }
}

function proximitySection(d: Tmf): HTMLElement {
  const p = d.derived?.proximity;
  if (!p) return h('section', null, h('h3', null, t('d_proximity')), h('p', { class: 'muted' }, t('pr_none')));
  const n = p.nearest;
  return h(
    'section',
    { testid: 'proximity' },
    h('h3', null, t('d_proximity')),
    p.near_settlement ? h('p', { class: 'warning', testid: 'near-flag' }, t('near_yes', { km: 1 })) : null,
    n
      ? h(
          'dl',
          { class: 'facts' },
          row('pr_nearest', n.name, 'nearest-settlement'),
          row('pr_population', num(n.population)),
          row('pr_edge', `${num(n.edge_distance_km, 2)} ${t('km')}`),
          row('pr_centre', `${num(n.centre_distance_km, 2)} ${t('km')}`),
        )
      : null,
    n?.inside ? h('p', { class: 'warning' }, t('pr_inside')) : null,
    p.population_within?.length
      ? h(
          'table',
          { class: 'data compact' },
          h('thead', null, h('tr', null, h('th', null, t('pr_radius')), h('th', { class: 'num' }, t('pr_population')))),
          h(
            'tbody',
            null,
            p.population_within.map((x) => h('tr', null, h('td', null, `${num(x.radius_km, 1)} ${t('km')}`), h('td', { class: 'num' }, num(x.population)))),
          ),
        )
      : null,
    h('p', { class: 'muted small' }, t('geonames')),
  );
}

// ------------------------------------------------------------------ estimate from samples (analysts)
function estimateSection(d: Tmf): HTMLElement | null {
  if (!hasRole('analyst')) return null;
  return h(
    'section',
    { testid: 'drawer-estimate-section' },
    h('h3', null, t('es_drawer_title')),
    h('p', { class: 'muted small' }, t('es_drawer_help')),
    h('a', { href: `#/estimate/${d.id}`, class: 'button-link', testid: 'drawer-estimate' }, t('es_drawer_action')),
  );
}

// ------------------------------------------------------------------ fact sheet (analysts)
function factSheetSection(d: Tmf): HTMLElement | null {
  if (!hasRole('analyst')) return null;
  const s = factSheet;
  const start = () => {
    const my = ++factSheetSeq;
    const id = d.id;
    // Only this section is redrawn on each poll, so the drawer keeps its scroll position.
    const update = () => {
      if (currentId !== id || factSheet !== s || !doc) return;
      const old = el.querySelector('[data-testid="drawer-factsheet-section"]');
      const next = factSheetSection(doc);
      if (old && next) old.replaceWith(next);
    };
    // The schedule options set on Plan › Reports apply (the fact sheet places the TMF in the schedule).
    const { body } = reportBody('tmf', d.external_id);
    void runReport(s, body, update, () => my === factSheetSeq && factSheet === s, false);
  };
  return h(
    'section',
    { testid: 'drawer-factsheet-section', dataset: { state: s.running ? 'running' : s.result ? 'ready' : s.error ? 'error' : 'idle' } },
    h('h3', null, t('rp_factsheet')),
    h('p', { class: 'muted small' }, t('rp_factsheet_help')),
    h('button', { type: 'button', testid: 'drawer-factsheet', disabled: s.running, onclick: start }, s.running ? t('pl_running') : t('rp_factsheet_run')),
    jobLine(s, 'drawer-factsheet-status'),
    reportFiles(s, 'drawer-factsheet-file'),
  );
}

// ------------------------------------------------------------------ editing
const TEXT_FIELDS: { name: keyof Tmf; key: Key; area?: boolean }[] = [
  { name: 'name', key: 'e_name' },
  { name: 'name_kk', key: 'e_name_kk' },
  { name: 'name_ru', key: 'e_name_ru' },
  { name: 'operator', key: 'd_operator' },
  { name: 'owner', key: 'd_owner' },
  { name: 'hazard_notes', key: 'd_hazard', area: true },
];

function editSection(d: Tmf): HTMLElement {
  if (!hasRole('editor')) {
    return h('section', { class: 'muted' }, h('h3', null, t('d_edit')), h('p', null, h('a', { href: '#/login', testid: 'login-to-edit' }, t('e_login'))));
  }
  const inputs: Record<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement> = {};
  const fields = TEXT_FIELDS.map((f) => {
    const value = (d[f.name] as string | null | undefined) ?? '';
    const input = f.area
      ? h('textarea', { name: f.name, rows: 3, testid: `edit-${f.name}`, value })
      : h('input', { name: f.name, type: 'text', testid: `edit-${f.name}`, value });
    inputs[f.name] = input;
    return h('label', null, h('span', null, t(f.key)), input);
  });
  for (const [name, key] of [['status', 'd_status'], ['legal_class', 'd_legal_class']] as const) {
    const select = h(
      'select',
      { name, testid: `edit-${name}` },
      vocabTerms(name).map((v) => h('option', { value: v.code, selected: v.code === d[name] }, v.label)),
    );
    if (!select.options.length) select.append(h('option', { value: d[name], selected: true }, d[name]));
    inputs[name] = select;
    fields.splice(name === 'status' ? 3 : 4, 0, h('label', null, h('span', null, t(key)), select));
  }
  const button = h('button', { type: 'submit', class: 'primary', testid: 'edit-save' }, t('e_save'));
  const msg = flash
    ? h(
        'div',
        { class: flash.kind === 'ok' ? 'notice' : 'error', testid: 'edit-message', role: flash.kind === 'ok' ? 'status' : 'alert' },
        flash.text,
        flash.invalid?.length ? h('ul', null, flash.invalid.map((x) => h('li', null, x))) : null,
        flash.kind === 'ok' ? [' ', h('a', { href: `#/history/${d.id}` }, t('d_history'))] : null,
        flash.reload ? [' ', h('button', { type: 'button', onclick: () => void reloadDoc(d.id) }, t('e_reload'))] : null,
      )
    : null;
  const form = h(
    'form',
    {
      class: 'edit-form',
      testid: 'edit-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void save(d, inputs, button);
      },
    },
    fields,
    h('div', { class: 'form-actions' }, button),
    msg,
  );
  return h('section', null, h('h3', null, t('d_edit')), form);
}

async function reloadDoc(id: number): Promise<void> {
  flash = null;
  const d = await get<Tmf>(`tmfs/${id}`);
  if (currentId === id) {
    setDoc(d);
    void loadAnalyses(seq);
  }
}

async function save(d: Tmf, inputs: Record<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>, button: HTMLButtonElement): Promise<void> {
  const patch: Record<string, string | null> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const value = input.value.trim();
    const before = ((d as unknown as Record<string, unknown>)[name] as string | null | undefined) ?? '';
    if (value !== before) patch[name] = value === '' ? null : value;
  }
  if (!Object.keys(patch).length) {
    flash = { kind: 'ok', text: t('e_nochange') };
    render();
    return;
  }
  button.disabled = true;
  button.textContent = t('e_saving');
  try {
    const updated = await request<Tmf>(apiUrl(`tmfs/${d.id}`), { method: 'PATCH', json: patch, headers: { 'If-Match': `"${d.version}"` } });
    if (currentId !== d.id) return;
    flash = { kind: 'ok', text: t('e_saved', { v: updated.version }) };
    const keepAnalyses = { estimate, estimateFull, valuation };
    doc = updated;
    ({ estimate, estimateFull, valuation } = keepAnalyses);
    render();
    onShow(updated);
    emit('tmf-updated', updated);
  } catch (e) {
    if (currentId !== d.id) return;
    if (e instanceof ApiError && e.status === 409) {
      const v = (e.problem.current_version as number | undefined) ?? '?';
      flash = { kind: 'error', text: t('e_conflict', { v }), reload: true };
    } else if (e instanceof ApiError && e.status === 403) {
      flash = { kind: 'error', text: `${t('e_forbidden')} ${e.problem.detail ?? ''}` };
    } else if (e instanceof ApiError && e.status === 401) {
      return; // the login page is shown
    } else if (e instanceof ApiError && e.problem.errors?.length) {
      flash = { kind: 'error', text: t('e_invalid'), invalid: e.problem.errors.map((x) => `${x.field ?? ''}: ${x.reason}`) };
    } else {
      flash = { kind: 'error', text: t('error', { msg: (e as Error).message }) };
    }
    render();
  }
}

export function drawerDoc(): Tmf | null {
  return doc;
}
