// The resource-estimate flow of one TMF (#/estimate/ID), for analysts and above, on one page:
// upload the samples (a point-samples CSV, or collars + intervals [+ surveys]) and pick the value
// column; fit the variogram (estimate-preview) and edit the model, whose curve is redrawn here;
// cross-validate (estimate-crossval); run the estimate job (POST tmfs/{id}/resource-estimates)
// and show the block model on a map, the grade-tonnage curve, the resources and the stored
// versions. The API's problems (errors[] with file / row / field / reason) are shown by the step.
import { ApiError, apiUrl, get, request } from '../api';
import { chart, destroyCharts, PALETTE } from '../charts';
import { h, replace } from '../dom';
import { t, tMaybe, type Key } from '../i18n';
import { date, num, sig, tonnes } from '../format';
import { JobFailed, jobLine, jobState, runJob } from '../jobs';
import { emit, hasRole, loadAllFeatures, tmfName } from '../state';
import type { Problem, TmfProps } from '../types';
import { blocksMapElement, legend, resizeBlocksMap, setColour, showBlocks, type BlockColour } from './blocks-map';
import { bareName, readHead, type CsvHead } from './csv';
import { curve, gamma, directionVector, modelProblems, SHAPES, type Shape, type VariogramModel } from './variogram';
import type { Crossval, EstimateResult, EstimateVersion, Preview, Upload } from './types';

type Input = 'samples' | 'collars' | 'intervals' | 'surveys';
interface Slot {
  file: File;
  head: CsvHead;
  upload?: Promise<Upload>;
}
type Mode = 'samples' | 'drillholes';

let root: HTMLElement;
let openTmf: (id: number) => void = () => {};
const els = {
  head: h('div', { class: 'estimate-head' }),
  upload: h('section', { class: 'plan-form est-step', testid: 'es-step-upload' }),
  variogram: h('section', { class: 'plan-form est-step', testid: 'es-step-variogram' }),
  crossval: h('section', { class: 'plan-form est-step', testid: 'es-step-crossval' }),
  estimate: h('section', { class: 'plan-form est-step', testid: 'es-step-estimate' }),
  result: h('section', { class: 'est-step est-result', testid: 'es-step-result' }),
};

let tmfId: number | null = null;
let tmfs: TmfProps[] = [];

const fresh = () => ({
  preview: null as Preview | null,
  previewError: null as unknown,
  previewing: false,
  previewSeq: 0,
  model: null as VariogramModel | null,
  edited: false,
  cv: null as Crossval | null,
  cvError: null as unknown,
  cvRunning: false,
  cvSeq: 0,
  job: jobState<EstimateResult>(),
  versions: null as EstimateVersion[] | null,
  versionsError: null as unknown,
});
let st = fresh();
const form = {
  mode: 'samples' as Mode,
  slots: {} as Partial<Record<Input, Slot>>,
  value: '',
  holes_as: 'hole',
  epsg: '',
  top_cut: '',
  fit_model: 'spherical' as Shape,
  lag: '',
  azimuth: '',
  method: 'ok',
  cell: '25',
  discretise: '2,2',
  density: '',
  thickness: '',
  cutoffs: '',
  colour: 'grade' as BlockColour,
};

export function mountEstimate(container: HTMLElement, onOpen: (id: number) => void): void {
  root = container;
  openTmf = onOpen;
  root.append(els.head, els.upload, els.variogram, els.crossval, els.estimate, els.result);
}

/** Shows the flow for TMF `id` (null: the one shown before, or a choice). */
export function showEstimate(id: number | null): void {
  if (id !== null && id !== tmfId) {
    tmfId = id;
    st = fresh();
  }
  renderEstimate();
  if (!tmfs.length) {
    void loadAllFeatures()
      .then((fc) => {
        tmfs = fc.features.map((f) => f.properties).sort((a, b) => a.external_id.localeCompare(b.external_id));
        renderHead();
      })
      .catch(() => undefined);
  }
  requestAnimationFrame(resizeBlocksMap);
}

/** Re-renders every step (language change, login or logout). */
export function renderEstimate(): void {
  if (!root) return;
  root.dataset.tmf = tmfId === null ? '' : String(tmfId);
  renderHead();
  const allowed = hasRole('analyst');
  for (const k of ['upload', 'variogram', 'crossval', 'estimate', 'result'] as const) els[k].hidden = !allowed || tmfId === null;
  if (!allowed || tmfId === null) return;
  renderUpload();
  renderVariogram();
  renderCrossval();
  renderEstimateStep();
  renderResult();
}

// ------------------------------------------------------------------ head: the TMF, the gate
function renderHead(): void {
  const allowed = hasRole('analyst');
  const current = tmfs.find((x) => x.id === tmfId);
  const select = h(
    'select',
    {
      testid: 'es-tmf',
      onchange: () => {
        location.hash = `#/estimate/${select.value}`;
      },
    },
    h('option', { value: '', selected: tmfId === null }, t('es_pick_tmf')),
    tmfs.map((x) => h('option', { value: String(x.id), selected: x.id === tmfId }, `${x.external_id} · ${tmfName(x)}`)),
  );
  if (tmfId !== null && !current) select.append(h('option', { value: String(tmfId), selected: true }, `#${tmfId}`));
  replace(
    els.head,
    h('h2', null, t('es_title')),
    allowed
      ? h(
          'div',
          { class: 'plan-filters' },
          h('label', null, h('span', null, t('es_tmf')), select),
          tmfId !== null ? h('a', { href: `#/tmf/${tmfId}`, class: 'button-link', testid: 'es-drawer-link', onclick: (e: Event) => { e.preventDefault(); openTmf(tmfId!); } }, t('es_open_card')) : null,
          tmfId !== null ? h('a', { href: `#/history/${tmfId}`, class: 'button-link', testid: 'es-history-link' }, t('d_history')) : null,
        )
      : h('p', { class: 'muted', testid: 'estimate-denied' }, t('es_denied'), ' ', h('a', { href: '#/login' }, t('login'))),
    allowed ? h('p', { class: 'muted small' }, t('es_help')) : null,
  );
}

// ------------------------------------------------------------------ problems
/** The API's answer (or a failed job) as a readable box: title, detail and one row per problem. */
function problemsBox(e: unknown, testid: string): HTMLElement | null {
  if (!e) return null;
  if (e instanceof ApiError) {
    const p: Problem = e.problem;
    const errors = p.errors || [];
    const located = errors.some((x) => x.file || x.row !== undefined);
    return h(
      'div',
      { class: 'error job-error', role: 'alert', testid, dataset: { status: String(e.status) } },
      h('div', null, h('strong', null, e.status === 422 ? t('es_rejected') : e.status === 403 ? t('pl_forbidden') : e.status === 400 ? t('pl_invalid') : t('error', { msg: '' })), ' ', p.detail || p.title || ''),
      errors.length && located
        ? h(
            'table',
            { class: 'data compact problems' },
            h('thead', null, h('tr', null, h('th', null, t('es_p_file')), h('th', { class: 'num' }, t('es_p_row')), h('th', null, t('es_p_field')), h('th', null, t('es_p_reason')))),
            h(
              'tbody',
              null,
              errors.map((x) =>
                h(
                  'tr',
                  { testid: 'problem-row', dataset: { row: x.row === undefined || x.row === null ? '' : String(x.row), field: x.field ?? '' } },
                  h('td', null, x.file ?? ''),
                  h('td', { class: 'num' }, x.row === undefined || x.row === null ? t('es_p_whole') : String(x.row)),
                  h('td', null, x.field ?? ''),
                  h('td', null, x.reason ?? String((x as unknown as { message?: string }).message ?? '')),
                ),
              ),
            ),
          )
        : errors.length
          ? h('ul', null, errors.map((x) => h('li', { testid: 'problem-field', dataset: { field: x.field ?? '' } }, x.field ? `${x.field}: ${x.reason ?? ''}` : x.reason)))
          : null,
    );
  }
  const msg = e instanceof JobFailed ? e.message : (e as Error)?.message || String(e);
  return h('div', { class: 'error job-error', role: 'alert', testid }, t('error', { msg }));
}

// ------------------------------------------------------------------ step 1: upload
const INPUTS: Record<Mode, { input: Input; key: Key; required: boolean }[]> = {
  samples: [{ input: 'samples', key: 'es_file_samples', required: true }],
  drillholes: [
    { input: 'collars', key: 'es_file_collars', required: true },
    { input: 'intervals', key: 'es_file_intervals', required: true },
    { input: 'surveys', key: 'es_file_surveys', required: false },
  ],
};
/** The file whose columns hold the value: the samples, or the intervals of drillholes. */
const valueSlot = (): Slot | undefined => form.slots[form.mode === 'samples' ? 'samples' : 'intervals'];

function field(key: Key, input: HTMLElement, cls?: string): HTMLElement {
  return h('label', { class: cls }, h('span', null, t(key)), input);
}
function textInput(name: keyof typeof form, testid: string, placeholder = '', type = 'text'): HTMLInputElement {
  const i = h('input', { type, step: type === 'number' ? 'any' : undefined, testid, value: String(form[name]), placeholder, oninput: () => ((form as Record<string, unknown>)[name] = i.value) });
  return i;
}

function renderUpload(): void {
  const modeRadio = (m: Mode) =>
    h(
      'label',
      { class: 'checkbox' },
      h('input', {
        type: 'radio',
        name: 'es-mode',
        testid: `es-mode-${m}`,
        checked: form.mode === m,
        onchange: () => {
          form.mode = m;
          renderUpload();
        },
      }),
      h('span', null, t(m === 'samples' ? 'es_mode_samples' : 'es_mode_drillholes')),
    );
  const files = INPUTS[form.mode].map(({ input, key, required }) => {
    const slot = form.slots[input];
    const el = h('input', {
      type: 'file',
      accept: '.csv,text/csv',
      testid: `es-file-${input}`,
      onchange: () => void pickFile(input, el.files?.[0] ?? null),
    });
    return h(
      'label',
      null,
      h('span', null, t(key), required ? ' *' : ''),
      el,
      slot ? h('span', { class: 'muted small', testid: `es-file-${input}-info` }, t('es_file_info', { name: slot.file.name, rows: num(slot.head.rows), cols: slot.head.headers.length })) : null,
    );
  });
  const vs = valueSlot();
  const columns = vs?.head.numeric ?? [];
  if (columns.length && !columns.map(bareName).includes(form.value)) form.value = bareName(columns[0]);
  const valueSelect = h(
    'select',
    { testid: 'es-value', disabled: !columns.length, onchange: () => (form.value = valueSelect.value) },
    columns.length ? columns.map((c) => h('option', { value: bareName(c), selected: bareName(c) === form.value }, c)) : h('option', { value: '' }, t('es_value_none')),
  );
  const holesAs = h(
    'select',
    { testid: 'es-holes-as', onchange: () => (form.holes_as = holesAs.value) },
    ['hole', '3d'].map((v) => h('option', { value: v, selected: form.holes_as === v }, t(v === 'hole' ? 'es_holes_hole' : 'es_holes_3d'))),
  );
  const fitModel = h(
    'select',
    { testid: 'es-fit-model', onchange: () => (form.fit_model = fitModel.value as Shape) },
    SHAPES.map((s) => h('option', { value: s, selected: form.fit_model === s }, t(`es_shape_${s}` as Key))),
  );
  const button = h('button', { type: 'submit', class: 'primary', testid: 'es-preview', disabled: st.previewing }, st.previewing ? t('es_previewing') : t('es_preview'));
  replace(
    els.upload,
    h('h3', null, `1. ${t('es_step_upload')}`),
    h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void preview(false);
        },
      },
      h('div', { class: 'est-modes' }, modeRadio('samples'), modeRadio('drillholes')),
      h('div', { class: 'form-grid' }, files),
      h(
        'div',
        { class: 'form-grid' },
        field('es_value', valueSelect),
        form.mode === 'drillholes' ? field('es_holes_as', holesAs) : null,
        field('es_epsg', textInput('epsg', 'es-epsg', t('es_epsg_ph'), 'number')),
        field('es_top_cut', textInput('top_cut', 'es-top-cut', '', 'number')),
        field('es_fit_model', fitModel),
        field('es_lag', textInput('lag', 'es-lag', t('es_auto'), 'number')),
        field('es_azimuth', textInput('azimuth', 'es-azimuth', t('es_isotropic'), 'number')),
      ),
      h('div', { class: 'form-actions' }, button),
    ),
    problemsBox(st.previewError, 'es-upload-problems'),
  );
}

async function pickFile(input: Input, file: File | null): Promise<void> {
  if (!file) {
    delete form.slots[input];
  } else {
    const head = await readHead(file);
    form.slots[input] = { file, head };
  }
  // New data: the variogram, cross-validation and result shown were of the old files.
  st = fresh();
  renderEstimate();
}

function upload(slot: Slot): Promise<Upload> {
  if (!slot.upload) {
    slot.upload = request<Upload>(apiUrl('uploads', { name: slot.file.name }), { method: 'POST', body: slot.file, headers: { 'Content-Type': 'text/csv' } });
    slot.upload.catch(() => (slot.upload = undefined));
  }
  return slot.upload;
}

class FormProblem extends Error {}

const numberOf = (text: string, name: string, problems: string[], integer = false): number | undefined => {
  const s = text.trim().replace(',', '.');
  if (s === '') return undefined;
  const v = Number(s);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    problems.push(t('es_not_number', { f: name }));
    return undefined;
  }
  return v;
};

/** The request body's input members (uploads made as needed). */
async function inputBody(): Promise<Record<string, unknown>> {
  const problems: string[] = [];
  const body: Record<string, unknown> = {};
  for (const { input, key, required } of INPUTS[form.mode]) if (required && !form.slots[input]) problems.push(t('es_need_file', { f: t(key) }));
  if (!form.value) problems.push(t('es_need_value'));
  const epsg = numberOf(form.epsg, t('es_epsg'), problems, true);
  const topCut = numberOf(form.top_cut, t('es_top_cut'), problems);
  if (problems.length) throw new FormProblem(problems.join(' '));
  for (const { input } of INPUTS[form.mode]) {
    const slot = form.slots[input];
    if (slot) body[input] = (await upload(slot)).id;
  }
  if (form.mode === 'drillholes') body.holes_as = form.holes_as;
  body.value = form.value;
  if (epsg !== undefined) body.epsg = epsg;
  if (topCut !== undefined) body.top_cut = topCut;
  return body;
}

/** The fit options (when no edited model is sent). */
function fitBody(problems: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = { model: form.fit_model };
  const lag = numberOf(form.lag, t('es_lag'), problems);
  const az = numberOf(form.azimuth, t('es_azimuth'), problems);
  if (lag !== undefined) body.lag = lag;
  if (az !== undefined) body.azimuth = az;
  return body;
}

/** Input + variogram: the edited model when there is one, else the fit options. */
async function baseBody(useModel: boolean): Promise<Record<string, unknown>> {
  const problems: string[] = [];
  const body = await inputBody();
  if (useModel && st.edited && st.model) {
    const bad = modelProblems(st.model);
    if (bad.length) throw new FormProblem(t('es_model_invalid', { f: bad.join(', ') }));
    body.variogram = st.model;
  } else Object.assign(body, fitBody(problems));
  if (problems.length) throw new FormProblem(problems.join(' '));
  return body;
}

async function preview(keepModel: boolean): Promise<void> {
  if (tmfId === null) return;
  const id = tmfId;
  const my = ++st.previewSeq;
  st.previewing = true;
  st.previewError = null;
  renderUpload();
  renderVariogram();
  try {
    const body = await baseBody(keepModel);
    const p = await request<Preview>(apiUrl(`tmfs/${id}/estimate-preview`), { method: 'POST', json: body });
    if (my !== st.previewSeq || id !== tmfId) return;
    st.preview = p;
    st.model = structuredClone(p.variogram.model);
    st.edited = false;
    st.cv = null;
    st.cvError = null;
  } catch (e) {
    if (my !== st.previewSeq || id !== tmfId) return;
    if (e instanceof ApiError && e.status === 401) return;
    st.previewError = e;
  }
  st.previewing = false;
  renderUpload();
  renderVariogram();
  renderCrossval();
}

// ------------------------------------------------------------------ step 2: variogram
const dirLabel = (name: string): string => {
  if (name === 'omnidirectional' || name === 'omni') return t('es_dir_omni');
  if (name === 'downhole') return t('es_dir_downhole');
  const m = /^azimuth (-?[\d.]+)$/.exec(name);
  return m ? t('es_dir_azimuth', { a: m[1] }) : name;
};

function maxLag(p: Preview): number {
  const v = p.variogram;
  const lags = 12;
  let max = (v.lag ?? 0) * lags;
  for (const [, bins] of v.experimental || []) for (const b of bins) max = Math.max(max, b.distance);
  return max || 1;
}
function directions(p: Preview): string[] {
  const d = (p.variogram.experimental || []).map(([n]) => n);
  return d.length ? d : ['omnidirectional'];
}

/** gamma of the model at the first experimental lag (the tests read it). */
function probe(p: Preview, m: VariogramModel): number {
  const [name, bins] = p.variogram.experimental?.[0] ?? ['omnidirectional', []];
  const d = directionVector(name);
  const hh = bins[0]?.distance ?? (p.variogram.lag || 1);
  return gamma(m, [hh * d[0], hh * d[1], hh * d[2]]);
}

function renderVariogram(): void {
  destroyCharts(els.variogram);
  const p = st.preview;
  if (!p || !st.model) {
    replace(els.variogram, h('h3', null, `2. ${t('es_step_variogram')}`), h('p', { class: 'muted' }, st.previewing ? t('loading') : t('es_variogram_first')));
    els.variogram.dataset.state = 'empty';
    return;
  }
  const m = st.model;
  const s = p.samples || {};
  // `qaita estimate --json`'s samples report: statistics.samples (read before merging), else read / used.
  const stats = s.statistics as { samples?: number; declustered?: { mean?: number; sd?: number } } | undefined;
  const used = (stats?.samples ?? s.read ?? s.used) as number | undefined;
  const decl = stats?.declustered;
  const summary = h(
    'dl',
    { class: 'facts', testid: 'es-preview-summary' },
    h('dt', null, t('re_commodity')), h('dd', null, `${p.commodity} (${p.unit})`),
    h('dt', null, t('es_crs')), h('dd', { testid: 'es-crs' }, `${p.crs} · ${p.dimension}-D`),
    h('dt', null, t('es_samples_used')), h('dd', { testid: 'es-samples-used' }, used === undefined ? t('none') : num(used)),
    decl && typeof decl.mean === 'number' ? [h('dt', null, t('es_mean_decl')), h('dd', null, `${num(decl.mean, 2)} ± ${num(decl.sd ?? null, 2)} ${p.unit}`)] : null,
    h('dt', null, t('es_vg_source')), h('dd', null, p.variogram.source || t('none')),
    p.variogram.weighted_sse !== null && p.variogram.weighted_sse !== undefined ? [h('dt', null, t('es_vg_sse')), h('dd', null, sig(p.variogram.weighted_sse, 4))] : null,
  );
  const onEdit = () => {
    st.edited = true;
    redrawCurve();
    const badge = els.variogram.querySelector('[data-testid="vg-edited"]') as HTMLElement | null;
    if (badge) badge.hidden = false;
    const reset = els.variogram.querySelector('[data-testid="vg-reset"]') as HTMLButtonElement | null;
    if (reset) reset.disabled = false;
    const note = els.estimate.querySelector('[data-testid="es-model-note"]');
    if (note) note.textContent = t('es_uses_edited');
    const bad = modelProblems(m);
    const warn = els.variogram.querySelector('[data-testid="vg-invalid"]') as HTMLElement | null;
    if (warn) {
      warn.hidden = !bad.length;
      warn.textContent = bad.length ? t('es_model_invalid', { f: bad.join(', ') }) : '';
    }
  };
  const numberField = (key: Key, testid: string, get: () => number, set: (v: number) => void) => {
    const i = h('input', {
      type: 'number',
      step: 'any',
      testid,
      value: String(Number(get().toPrecision(6))),
      oninput: () => {
        const v = Number(i.value);
        set(i.value.trim() === '' ? NaN : v);
        onEdit();
      },
    });
    return field(key, i);
  };
  const structures = m.structures.map((str, k) => {
    const shape = h(
      'select',
      {
        testid: `vg-shape-${k}`,
        onchange: () => {
          str.shape = shape.value as Shape;
          onEdit();
        },
      },
      SHAPES.map((x) => h('option', { value: x, selected: str.shape === x }, t(`es_shape_${x}` as Key))),
    );
    const a = str.anisotropy;
    return h(
      'div',
      { class: 'form-grid vg-structure', testid: 'vg-structure' },
      h('div', { class: 'vg-structure-title' }, t('es_structure', { n: k + 1 })),
      field('es_shape', shape),
      numberField('es_sill', `vg-sill-${k}`, () => str.sill, (v) => (str.sill = v)),
      numberField('es_range_major', `vg-range-major-${k}`, () => a.range_major, (v) => {
        if (p.dimension !== 3 && a.range_vertical === a.range_major) a.range_vertical = v;
        a.range_major = v;
      }),
      numberField('es_range_minor', `vg-range-minor-${k}`, () => a.range_minor, (v) => (a.range_minor = v)),
      numberField('es_vg_azimuth', `vg-azimuth-${k}`, () => a.azimuth, (v) => (a.azimuth = v)),
    );
  });
  replace(
    els.variogram,
    h('h3', null, `2. ${t('es_step_variogram')}`),
    summary,
    h('div', { class: 'chart-box tall', testid: 'es-variogram-chart-box' }, h('canvas', { testid: 'es-variogram-chart', role: 'img', 'aria-label': t('es_vg_chart') })),
    h('h4', null, t('es_model'), ' ', h('span', { class: 'badge', testid: 'vg-edited', hidden: !st.edited }, t('es_edited'))),
    h('p', { class: 'muted small' }, t('es_model_help')),
    h('div', { class: 'form-grid' }, numberField('es_nugget', 'vg-nugget', () => m.nugget, (v) => (m.nugget = v))),
    structures,
    h('p', { class: 'error', testid: 'vg-invalid', hidden: true }),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'button', testid: 'vg-refit', disabled: st.previewing, onclick: () => void preview(false) }, t('es_refit')),
      ' ',
      h(
        'button',
        {
          type: 'button',
          testid: 'vg-reset',
          disabled: !st.edited,
          onclick: () => {
            st.model = structuredClone(p.variogram.model);
            st.edited = false;
            renderVariogram();
            renderEstimateStep();
          },
        },
        t('es_reset_model'),
      ),
    ),
  );
  els.variogram.dataset.state = 'ready';
  drawVariogramChart();
}

let vgChart: ReturnType<typeof chart> | null = null;
function curveSets(p: Preview, m: VariogramModel) {
  const max = maxLag(p);
  return directions(p).map((d, i) => ({
    type: 'scatter' as const,
    label: t('es_vg_model', { d: dirLabel(d) }),
    data: curve(m, d, max, 50).map(([x, y]) => ({ x, y })),
    showLine: true,
    pointRadius: 0,
    borderWidth: 2,
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
  }));
}
function drawVariogramChart(): void {
  const p = st.preview;
  const canvas = els.variogram.querySelector<HTMLCanvasElement>('[data-testid="es-variogram-chart"]');
  if (!p || !st.model || !canvas) return;
  const exp = (p.variogram.experimental || []).map(([d, bins], i) => ({
    type: 'scatter' as const,
    label: t('es_vg_experimental', { d: dirLabel(d) }),
    data: bins.map((b) => ({ x: b.distance, y: b.gamma, pairs: b.pairs })),
    pointRadius: 4,
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
  }));
  vgChart = chart(canvas, {
    type: 'scatter',
    data: { datasets: [...exp, ...curveSets(p, st.model)] },
    options: {
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: t('es_vg_lag') } },
        y: { type: 'linear', min: 0, title: { display: true, text: t('es_vg_gamma', { unit: p.unit }) } },
      },
    },
  });
  markCurve();
}
function redrawCurve(): void {
  const p = st.preview;
  if (!p || !st.model || !vgChart) return;
  const nExp = (p.variogram.experimental || []).length;
  const sets = curveSets(p, st.model);
  sets.forEach((s, i) => {
    const ds = vgChart!.data.datasets[nExp + i];
    if (ds) ds.data = s.data;
  });
  vgChart.update('none');
  markCurve();
}
function markCurve(): void {
  const p = st.preview;
  const box = els.variogram.querySelector<HTMLElement>('[data-testid="es-variogram-chart-box"]');
  if (!p || !st.model || !box) return;
  const g = probe(p, st.model);
  box.dataset.probe = Number.isFinite(g) ? String(g) : '';
  box.dataset.nugget = String(st.model.nugget);
  box.dataset.edited = String(st.edited);
}

// ------------------------------------------------------------------ step 3: cross-validation
async function crossval(): Promise<void> {
  if (tmfId === null) return;
  const id = tmfId;
  const my = ++st.cvSeq;
  st.cvRunning = true;
  st.cvError = null;
  renderCrossval();
  try {
    const body = { ...(await baseBody(true)), ...(await searchBody()) };
    const r = await request<Crossval>(apiUrl(`tmfs/${id}/estimate-crossval`), { method: 'POST', json: body });
    if (my !== st.cvSeq || id !== tmfId) return;
    st.cv = r;
  } catch (e) {
    if (my !== st.cvSeq || id !== tmfId) return;
    if (e instanceof ApiError && e.status === 401) return;
    st.cvError = e;
  }
  st.cvRunning = false;
  renderCrossval();
}

const METHODS = ['ok', 'sk', 'idw', 'nn'];
const methodLabel = (m: string) => tMaybe(`es_method_${m}`, m);

function renderCrossval(): void {
  const r = st.cv;
  const unit = st.preview?.unit ?? '';
  replace(
    els.crossval,
    h('h3', null, `3. ${t('es_step_crossval')}`),
    h('p', { class: 'muted small' }, t('es_crossval_help')),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', testid: 'es-crossval', disabled: st.cvRunning || !st.preview, onclick: () => void crossval() }, st.cvRunning ? t('es_running') : t('es_crossval_run'))),
    problemsBox(st.cvError, 'es-crossval-problems'),
    r
      ? h(
          'table',
          { class: 'data compact', testid: 'crossval-table' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, t('es_method')), h('th', { class: 'num' }, t('es_cv_estimated')), h('th', { class: 'num' }, t('es_cv_failed')), h('th', { class: 'num' }, `${t('es_cv_me')}, ${unit}`), h('th', { class: 'num' }, `${t('es_cv_rmse')}, ${unit}`), h('th', { class: 'num' }, t('es_cv_msse'))),
          ),
          h(
            'tbody',
            null,
            r.rows.map((x) =>
              h(
                'tr',
                { testid: 'crossval-row', dataset: { method: x.method, rmse: String(x.rmse ?? '') }, class: x.method === form.method ? 'current' : undefined },
                h('td', null, methodLabel(x.method)),
                h('td', { class: 'num' }, num(x.estimated)),
                h('td', { class: 'num' }, num(x.failed)),
                h('td', { class: 'num' }, x.mean_error === null ? t('none') : sig(x.mean_error, 3)),
                h('td', { class: 'num' }, x.rmse === null ? t('none') : sig(x.rmse, 4)),
                h('td', { class: 'num' }, x.mean_standardised_squared_error === null || x.mean_standardised_squared_error === undefined ? t('none') : num(x.mean_standardised_squared_error, 3)),
              ),
            ),
          ),
        )
      : null,
  );
}

// ------------------------------------------------------------------ step 4: the estimate
async function searchBody(): Promise<Record<string, unknown>> {
  return { method: form.method };
}

async function estimateBody(): Promise<Record<string, unknown>> {
  const body = { ...(await baseBody(true)), ...(await searchBody()) };
  const problems: string[] = [];
  const cell = numberOf(form.cell, t('es_cell'), problems);
  if (cell !== undefined) body.cell = cell;
  const disc = form.discretise.trim();
  if (disc) {
    const parts = disc.split(/[,x×\s]+/).filter(Boolean).map(Number);
    if (parts.length < 2 || parts.length > 3 || parts.some((v) => !Number.isInteger(v) || v < 1)) problems.push(t('es_bad_discretise'));
    else body.discretise = parts;
  }
  const density = numberOf(form.density, t('es_density'), problems);
  if (density !== undefined) body.density = density;
  const thickness = numberOf(form.thickness, t('es_thickness'), problems);
  if (thickness !== undefined) body.thickness = thickness;
  const cut = form.cutoffs.trim();
  if (cut) {
    const parts = cut.split(/[;\s]+|,(?=\s*\S)/).map((x) => x.trim()).filter(Boolean).map(Number);
    if (parts.some((v) => !Number.isFinite(v))) problems.push(t('es_bad_cutoffs'));
    else body.cutoffs = parts;
  }
  if (problems.length) throw new FormProblem(problems.join(' '));
  return body;
}

async function runEstimate(): Promise<void> {
  if (tmfId === null) return;
  const id = tmfId;
  const s = st.job;
  const my = ++s.seq;
  s.error = null;
  s.result = null;
  s.job = null;
  s.running = true;
  renderEstimateStep();
  renderResult();
  try {
    const body = await estimateBody();
    const { job, result } = await runJob<EstimateResult>(`tmfs/${id}/resource-estimates`, body, undefined, (j) => {
      if (my !== s.seq || st.job !== s) return;
      s.job = j;
      updateJobLine();
    });
    if (my !== s.seq || st.job !== s) return;
    s.job = job;
    s.result = result;
    if (result.analysis) emit('tmf-updated');
  } catch (e) {
    if (my !== s.seq || st.job !== s) return;
    s.error = e;
  }
  s.running = false;
  renderEstimateStep();
  renderResult();
  if (s.result) void loadVersions(id);
}

function updateJobLine(): void {
  const old = els.estimate.querySelector('[data-testid="es-job-status"]');
  const next = jobLine({ ...st.job, error: null }, 'es-job-status');
  if (old && next) old.replaceWith(next);
  else if (next) els.estimate.querySelector('[data-testid="es-job-slot"]')?.append(next);
}

function renderEstimateStep(): void {
  const s = st.job;
  const method = h(
    'select',
    { testid: 'es-method', onchange: () => (form.method = method.value) },
    METHODS.map((m) => h('option', { value: m, selected: form.method === m }, methodLabel(m))),
  );
  replace(
    els.estimate,
    h('h3', null, `4. ${t('es_step_estimate')}`),
    h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void runEstimate();
        },
      },
      h(
        'div',
        { class: 'form-grid' },
        field('es_method', method),
        field('es_cell', textInput('cell', 'es-cell', '25', 'number')),
        field('es_discretise', textInput('discretise', 'es-discretise', '2,2')),
        field('es_density', textInput('density', 'es-density', t('es_from_registry'), 'number')),
        field('es_thickness', textInput('thickness', 'es-thickness', t('es_from_registry'), 'number')),
        field('es_cutoffs', textInput('cutoffs', 'es-cutoffs', t('es_cutoffs_ph'))),
      ),
      h('p', { class: 'muted small', testid: 'es-model-note' }, st.edited ? t('es_uses_edited') : t('es_uses_fitted')),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary', testid: 'es-run', disabled: s.running }, s.running ? t('es_running') : t('es_run'))),
    ),
    h('div', { testid: 'es-job-slot' }, jobLine({ ...s, error: null }, 'es-job-status')),
    problemsBox(s.error, 'es-estimate-problems'),
  );
}

// ------------------------------------------------------------------ step 5: the result
async function loadVersions(id: number): Promise<void> {
  try {
    const v = await get<EstimateVersion[]>(`tmfs/${id}/resource-estimates`);
    if (id !== tmfId) return;
    st.versions = v;
    st.versionsError = null;
  } catch (e) {
    if (id !== tmfId) return;
    st.versionsError = e;
  }
  renderVersions();
}

const classLabel = (c: string) => tMaybe(`re_${c}`, c);

function renderResult(): void {
  destroyCharts(els.result);
  const r = st.job.result;
  if (!r) {
    replace(els.result);
    els.result.hidden = true;
    return;
  }
  els.result.hidden = false;
  const unit = r.unit || '';
  const b = r.blocks || {};
  const colour = h(
    'select',
    {
      testid: 'es-colour',
      onchange: () => {
        form.colour = colour.value as BlockColour;
        setColour(form.colour);
        els.result.querySelector('[data-testid="estimate-legend"]')?.replaceWith(legend(form.colour, unit, r.commodity));
      },
    },
    (['grade', 'class'] as const).map((m) => h('option', { value: m, selected: form.colour === m }, t(m === 'grade' ? 'es_colour_grade' : 'es_colour_class'))),
  );
  const mapEl = blocksMapElement();
  replace(
    els.result,
    h('h3', null, `5. ${t('es_step_result')}`),
    h(
      'dl',
      { class: 'facts', testid: 'es-result-summary' },
      h('dt', null, t('re_commodity')), h('dd', null, `${r.commodity} (${unit})`),
      h('dt', null, t('es_crs')), h('dd', null, `${r.crs} · ${r.dimension}-D`),
      h('dt', null, t('es_blocks')), h('dd', { testid: 'es-block-count' }, `${num(b.count ?? 0)} × ${num(b.size_m ?? 0)} m`),
      h('dt', null, t('re_tonnes')), h('dd', null, tonnes(b.tonnes ?? null)),
      b.density_t_m3 !== undefined ? [h('dt', null, t('es_density')), h('dd', null, num(b.density_t_m3, 2))] : null,
      h('dt', null, t('es_stored')), h('dd', { testid: 'es-stored' }, r.analysis ? t('es_stored_version', { v: r.analysis.version }) : t('es_not_stored')),
    ),
    h('div', { class: 'plan-filters' }, h('label', null, h('span', null, t('es_colour')), colour)),
    h('div', { class: 'estimate-map-wrap' }, mapEl, legend(form.colour, unit, r.commodity)),
    h('h4', null, t('re_chart')),
    h('div', { class: 'chart-box tall' }, h('canvas', { testid: 'estimate-gt-chart', role: 'img', 'aria-label': t('re_chart') })),
    h(
      'table',
      { class: 'data compact', testid: 'estimate-gt-table' },
      h('thead', null, h('tr', null, h('th', { class: 'num' }, `${t('re_cutoff')}, ${unit}`), h('th', { class: 'num' }, t('re_tonnes')), h('th', { class: 'num' }, `${t('re_grade')}, ${unit}`), h('th', { class: 'num' }, t('re_contained')))),
      h(
        'tbody',
        null,
        r.grade_tonnage.map((g) => h('tr', { testid: 'gt-row' }, h('td', { class: 'num' }, num(g.cutoff, 2)), h('td', { class: 'num' }, tonnes(g.tonnes)), h('td', { class: 'num' }, g.mean_grade === null ? t('none') : num(g.mean_grade, 2)), h('td', { class: 'num' }, tonnes(g.contained_t)))),
      ),
    ),
    h('h4', null, t('d_resource')),
    h(
      'table',
      { class: 'data compact', testid: 'estimate-resources' },
      h('thead', null, h('tr', null, h('th', null, t('re_class')), h('th', { class: 'num' }, t('re_tonnes')), h('th', { class: 'num' }, `${t('re_grade')}, ${unit}`), h('th', { class: 'num' }, t('re_contained')))),
      h(
        'tbody',
        null,
        r.resources.map((x) =>
          h(
            'tr',
            { testid: 'resource-row', dataset: { class: x.class, tonnes: String(x.tonnes), grade: x.mean_grade === null ? '' : String(x.mean_grade), contained: x.contained_t === null ? '' : String(x.contained_t) } },
            h('td', null, classLabel(x.class)),
            h('td', { class: 'num' }, tonnes(x.tonnes)),
            h('td', { class: 'num' }, x.mean_grade === null ? t('none') : num(x.mean_grade, 2)),
            h('td', { class: 'num' }, tonnes(x.contained_t)),
          ),
        ),
      ),
    ),
    h('div', { testid: 'es-versions-slot' }),
  );
  drawGradeTonnage(r);
  renderVersions();
  if (r.blocks_geojson) {
    // showBlocks takes the grade range before its first await: the legend follows it.
    void showBlocks(r.blocks_geojson, form.colour);
    els.result.querySelector('[data-testid="estimate-legend"]')?.replaceWith(legend(form.colour, unit, r.commodity));
  }
}

function drawGradeTonnage(r: EstimateResult): void {
  const canvas = els.result.querySelector<HTMLCanvasElement>('[data-testid="estimate-gt-chart"]');
  if (!canvas) return;
  const unit = r.unit || '';
  const rows = r.grade_tonnage;
  chart(canvas, {
    type: 'bar',
    data: {
      labels: rows.map((g) => `≥ ${num(g.cutoff, 2)} ${unit}`),
      datasets: [
        { type: 'bar', label: t('re_tonnes_axis'), data: rows.map((g) => g.tonnes / 1e6), backgroundColor: '#6baed6', yAxisID: 'y' },
        { type: 'line', label: t('re_grade_axis', { unit }), data: rows.map((g) => g.mean_grade), borderColor: '#d94801', backgroundColor: '#d94801', yAxisID: 'y1' },
      ],
    },
    options: {
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        x: { title: { display: true, text: t('re_cutoff') } },
        y: { position: 'left', beginAtZero: true, title: { display: true, text: t('re_tonnes_axis') } },
        y1: { position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: t('re_grade_axis', { unit }) } },
      },
    },
  });
}

function renderVersions(): void {
  const slot = els.result.querySelector('[data-testid="es-versions-slot"]');
  if (!slot) return;
  const current = st.job.result?.analysis?.version ?? null;
  const v = st.versions;
  const mi = (x: EstimateVersion) => x.resources?.find((r) => r.class === 'Measured + Indicated') ?? x.resources?.[0];
  replace(
    slot,
    h('h4', null, t('es_versions')),
    st.versionsError ? problemsBox(st.versionsError, 'es-versions-problems') : null,
    v === null && !st.versionsError ? h('p', { class: 'muted' }, t('loading')) : null,
    v
      ? h(
          'table',
          { class: 'data compact', testid: 'estimate-versions' },
          h('thead', null, h('tr', null, h('th', { class: 'num' }, t('d_version')), h('th', null, t('re_date')), h('th', null, t('es_actor')), h('th', null, t('re_commodity')), h('th', null, t('re_method')), h('th', { class: 'num' }, t('es_mi_tonnes')))),
          h(
            'tbody',
            null,
            v
              .slice()
              .reverse()
              .map((x) => {
                const r = mi(x);
                return h(
                  'tr',
                  { testid: 'version-row', dataset: { version: String(x.version), current: String(x.version === current) }, class: x.version === current ? 'current' : undefined },
                  h('td', { class: 'num' }, String(x.version), x.version === current ? [' ', h('span', { class: 'badge current' }, t('es_new'))] : null),
                  h('td', null, x.created_at ? date(x.created_at, true) : t('none')),
                  h('td', null, x.actor ?? ''),
                  h('td', null, x.commodity ?? ''),
                  h('td', { class: 'small' }, x.method ?? ''),
                  h('td', { class: 'num' }, r ? tonnes(r.tonnes) : t('none')),
                );
              }),
          ),
        )
      : null,
    tmfId !== null ? h('p', null, h('a', { href: `#/history/${tmfId}`, testid: 'es-versions-history' }, `${t('d_history')} →`)) : null,
  );
}

/** Errors thrown before a request (a required file missing, a field that is not a number). */
export function isFormProblem(e: unknown): boolean {
  return e instanceof FormProblem;
}
