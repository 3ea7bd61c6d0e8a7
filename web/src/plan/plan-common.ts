// Pieces shared by the planning views: the plan's own filters, the data label banner, settings
// provenance, labels of groups / indicators / classes, the schedule-options form, the analyst gate
// of the Run buttons and a job's progress line.
import { h } from '../dom';
import { t, tMaybe, type Key } from '../i18n';
import { date } from '../format';
import { hasRole, label, loadAllFeatures, tmfName, vocabTerms } from '../state';
import type { DataSource, Objective, ScheduleOptions, TmfProps } from '../types';
import { jobLine, jobState, runJob, type JobState } from '../jobs';

export { jobLine, jobState, type JobState };

// ------------------------------------------------------------------ filters of the plan views
export interface PlanFilters {
  region: string;
  kind: string;
  /** Use stored valuations only (TMFs without one get no economic score). */
  stored_only: boolean;
  /** Rank stability under perturbed weights (ranking only). */
  stability: boolean;
}
export const planFilters: PlanFilters = { region: '', kind: '', stored_only: false, stability: true };

/** Query parameters of every plan request: the list filters and the data options. */
export function planQuery(): Record<string, string> {
  const q: Record<string, string> = {};
  if (planFilters.region) q.region = planFilters.region;
  if (planFilters.kind) q.kind = planFilters.kind;
  if (planFilters.stored_only) q.stored_only = 'true';
  return q;
}

// ------------------------------------------------------------------ names
// Plan documents carry the Latin name only; the registry's Kazakh and Russian names come from
// the (cached) GeoJSON of every TMF when it is available.
const names = new Map<number, TmfProps>();
/** Loads the names once; calls `then` when they arrive (to re-render). */
export function loadNames(then: () => void): void {
  if (names.size) return;
  loadAllFeatures()
    .then((fc) => {
      for (const f of fc.features) names.set(f.properties.id, f.properties);
      then();
    })
    .catch(() => undefined);
}
/** External ids of every TMF (suggestions for the fact sheet), once the names are loaded. */
export function knownExternalIds(): string[] {
  return [...names.values()].map((p) => p.external_id).sort();
}
/** The TMF's name in the interface language (the plan's Latin name until the names are loaded). */
export function planName(id: number, latin: string): string {
  const n = names.get(id);
  return n ? tmfName(n) : latin;
}

// ------------------------------------------------------------------ labels
export const GROUPS = ['economic', 'exposure', 'hazard', 'strategic', 'confidence', 'legal'] as const;
export const GROUP_COLOURS: Record<string, string> = {
  economic: '#2ca02c',
  exposure: '#d62728',
  hazard: '#ff7f0e',
  strategic: '#9467bd',
  confidence: '#1f77b4',
  legal: '#8c564b',
};
export function groupLabel(g: string): string {
  return tMaybe(`pg_${g}`, g);
}
export function indicatorLabel(name: string): string {
  const m = /^population_within_(\d+(?:\.\d+)?)km$/.exec(name);
  if (m) return t('ind_population_within', { km: m[1] });
  return tMaybe(`ind_${name}`, name);
}
export function consequenceLabel(c: string): string {
  return tMaybe(`cc_${c}`, c);
}
export function objectiveLabel(o: string): string {
  return tMaybe(`obj_${o}`, o);
}
export function confidenceLabel(c: string | null | undefined): string {
  return c ? label('confidence', c) : t('none');
}

// ------------------------------------------------------------------ banner and provenance
/** The data label (ILLUSTRATIVE for the demo) and what the plan was made from. */
export function banner(doc: { label?: string | null; made_from?: string | null } | null, fallback?: string): HTMLElement | null {
  if (!doc) return null;
  const text = doc.label || fallback || '';
  const illustrative = /illustrative/i.test(text);
  return h(
    'div',
    { class: `plan-banner${illustrative ? ' illustrative' : ''}`, testid: 'plan-banner' },
    text ? h('div', { class: 'plan-label', testid: 'plan-label' }, text) : null,
    doc.made_from ? h('div', { class: 'plan-made-from muted small', testid: 'plan-made-from' }, `${t('pl_made_from')}: ${doc.made_from}`) : null,
  );
}

/** Where the settings of a computation come from (the `provenance` of the plan documents). */
export function provenanceBox(ds: DataSource | null | undefined, title: Key, testid = 'plan-provenance'): HTMLElement | null {
  if (!ds) return null;
  return h(
    'section',
    { class: 'plan-provenance', testid, dataset: { illustrative: String(!!ds.illustrative) } },
    h('h4', null, t(title)),
    h(
      'dl',
      { class: 'provenance' },
      h('dt', null, t('p_source')),
      h('dd', null, ds.source),
      h('dt', null, t('p_date')),
      h('dd', null, date(ds.date)),
      h('dt', null, t('p_confidence')),
      h('dd', null, confidenceLabel(ds.confidence)),
      ds.illustrative ? [h('dt', null, ''), h('dd', null, h('span', { class: 'badge illustrative' }, t('p_illustrative')))] : null,
      ds.note ? [h('dt', null, t('p_note')), h('dd', null, ds.note)] : null,
    ),
  );
}

// ------------------------------------------------------------------ run gate and job progress
/** Whether the current user may start planning jobs (analyst or above). */
export const canRun = (): boolean => hasRole('analyst');

export function runHint(): HTMLElement | null {
  if (canRun()) return null;
  return h('p', { class: 'muted small run-hint', testid: 'run-hint' }, t('pl_login_analyst'), ' ', h('a', { href: '#/login', testid: 'run-login' }, t('login')));
}


/** Starts a planning job (POST `path`) from the option values and follows it into `s`,
 * calling `render` at each change; a later start supersedes it. */
export async function startPlanJob<T>(s: JobState<T>, path: string, values: OptionValues, render: () => void): Promise<void> {
  const { body, problems } = optionsBody(values);
  const my = ++s.seq;
  s.error = null;
  s.result = null;
  s.job = null;
  if (problems.length) {
    s.error = new Error(problems.join('; '));
    render();
    return;
  }
  s.running = true;
  render();
  try {
    const { job, result } = await runJob<T>(path, body, planQuery(), (j) => {
      if (my !== s.seq) return;
      s.job = j;
      render();
    });
    if (my !== s.seq) return;
    s.job = job;
    s.result = result;
  } catch (e) {
    if (my !== s.seq) return;
    s.error = e;
  }
  s.running = false;
  render();
}

// ------------------------------------------------------------------ schedule options form
export type OptionName = 'objective' | 'budget_musd' | 'capacity_mt' | 'region_capacity' | 'first_year' | 'last_year' | 'residential_first' | 'solver' | 'time_limit_s' | 'gap_pct';
/** The form's values as typed (strings; checkbox as 'true'/'false'). */
export type OptionValues = Partial<Record<OptionName, string>>;

const OPTION_LABELS: Record<OptionName, Key> = {
  objective: 'opt_objective',
  budget_musd: 'opt_budget',
  capacity_mt: 'opt_capacity',
  region_capacity: 'opt_region_capacity',
  first_year: 'opt_first_year',
  last_year: 'opt_last_year',
  residential_first: 'opt_residential_first',
  solver: 'opt_solver',
  time_limit_s: 'opt_time_limit',
  gap_pct: 'opt_gap',
};
const DEFAULT_PLACEHOLDER: Partial<Record<OptionName, string>> = {
  budget_musd: '300',
  capacity_mt: '20',
  region_capacity: 'karaganda=40, pavlodar=15',
  first_year: '2026',
  last_year: '2050',
  time_limit_s: '60',
  gap_pct: '1',
};

/** Labelled inputs for `names`, reading and writing `values`. */
export function optionFields(values: OptionValues, names: OptionName[], prefix: string): HTMLElement[] {
  return names.map((name) => {
    const id = `${prefix}-${name}`;
    const testid = `opt-${name.replace(/_/g, '-')}`;
    const set = (v: string) => (values[name] = v);
    let input: HTMLElement;
    if (name === 'objective') {
      const s = h(
        'select',
        { id, testid, onchange: () => set(s.value) },
        (['npv', 'tonnes', 'exposure'] as Objective[]).map((o) => h('option', { value: o, selected: (values.objective || 'npv') === o }, objectiveLabel(o))),
      );
      s.value = values.objective || 'npv';
      input = s;
    } else if (name === 'solver') {
      const s = h(
        'select',
        { id, testid, onchange: () => set(s.value) },
        h('option', { value: 'highs' }, t('opt_solver_highs')),
        h('option', { value: 'microlp' }, t('opt_solver_microlp')),
      );
      s.value = values.solver || 'highs';
      input = s;
    } else if (name === 'residential_first') {
      const c = h('input', { id, testid, type: 'checkbox', checked: values.residential_first === 'true', onchange: () => set(String(c.checked)) });
      return h('label', { class: 'checkbox', for: id }, c, h('span', null, t(OPTION_LABELS[name])));
    } else if (name === 'region_capacity') {
      const i = h('input', { id, testid, type: 'text', value: values[name] || '', placeholder: DEFAULT_PLACEHOLDER[name], oninput: () => set(i.value) });
      input = i;
    } else {
      const i = h('input', {
        id,
        testid,
        type: 'number',
        step: name === 'first_year' || name === 'last_year' ? '1' : 'any',
        value: values[name] || '',
        placeholder: DEFAULT_PLACEHOLDER[name],
        oninput: () => set(i.value),
      });
      input = i;
    }
    return h('label', { for: id }, h('span', null, t(OPTION_LABELS[name])), input);
  });
}

/**
 * The request body from the form: only what was filled in (the server's defaults otherwise).
 * Returns the problems found before sending (a malformed region capacity, a number that is not one).
 */
export function optionsBody(values: OptionValues): { body: ScheduleOptions; problems: string[] } {
  const body: ScheduleOptions = {};
  const problems: string[] = [];
  const number = (name: OptionName, key: keyof ScheduleOptions, scale = 1) => {
    const v = (values[name] ?? '').trim();
    if (!v) return;
    const x = Number(v);
    if (!Number.isFinite(x)) problems.push(`${key}: ${t('pl_not_number', { v })}`);
    else (body as Record<string, unknown>)[key] = x * scale;
  };
  if (values.objective) body.objective = values.objective as Objective;
  number('budget_musd', 'budget_musd');
  number('capacity_mt', 'capacity_mt');
  number('first_year', 'first_year');
  number('last_year', 'last_year');
  number('time_limit_s', 'time_limit_s');
  number('gap_pct', 'gap', 0.01);
  if (values.residential_first === 'true') body.residential_first = true;
  if (values.solver) body.solver = values.solver as 'highs' | 'microlp';
  const rc = (values.region_capacity ?? '').trim();
  if (rc) {
    const caps: Record<string, number> = {};
    const regions = new Set(vocabTerms('region').map((r) => r.code));
    for (const item of rc.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean)) {
      const m = /^([a-z_]+)\s*[=:]\s*(-?\d+(?:[.,]\d+)?)$/i.exec(item);
      if (!m) {
        problems.push(`region_capacity: ${t('pl_bad_region_capacity', { item })}`);
        continue;
      }
      const code = m[1].toLowerCase();
      if (regions.size && !regions.has(code)) problems.push(`region_capacity: ${t('pl_unknown_region', { r: code })}`);
      caps[code] = Number(m[2].replace(',', '.'));
    }
    body.region_capacity = caps;
  }
  if (planFilters.stored_only) body.stored_only = true;
  return { body, problems };
}

/** Region and kind selects of the plan views plus the data options. */
export function planFilterBar(onChange: () => void, showStability: boolean): HTMLElement {
  const sel = (name: 'region' | 'kind', key: Key) => {
    const s = h(
      'select',
      {
        id: `plan-filter-${name}`,
        testid: `plan-filter-${name}`,
        onchange: () => {
          planFilters[name] = s.value;
          onChange();
        },
      },
      h('option', { value: '' }, t('all')),
      vocabTerms(name).map((v) => h('option', { value: v.code }, v.label)),
    );
    s.value = planFilters[name];
    return h('label', { for: `plan-filter-${name}` }, h('span', null, t(key)), s);
  };
  const check = (name: 'stored_only' | 'stability', key: Key) => {
    const c = h('input', {
      type: 'checkbox',
      id: `plan-filter-${name}`,
      testid: `plan-filter-${name.replace('_', '-')}`,
      checked: planFilters[name],
      onchange: () => {
        planFilters[name] = c.checked;
        onChange();
      },
    });
    return h('label', { class: 'checkbox', for: `plan-filter-${name}` }, c, h('span', null, t(key)));
  };
  return h(
    'form',
    { class: 'plan-filters', testid: 'plan-filters', onsubmit: (e: Event) => e.preventDefault() },
    sel('region', 'f_region'),
    sel('kind', 'f_kind'),
    check('stored_only', 'pl_stored_only'),
    showStability ? check('stability', 'pl_stability') : null,
  );
}
