// Plan / schedule: the options of the reprocessing schedule, a Run button (analyst) that starts
// POST plan/schedules and follows the job, then the MILP against greedy-by-rank, the capital
// committed each year against the budget, the start years and any constraint violation.
import { chart, destroyCharts } from '../charts';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { musd, num, pct, tonnes, usd } from '../format';
import { banner, canRun, jobLine, jobState, objectiveLabel, optionFields, runHint, startPlanJob, type OptionValues } from './plan-common';
import { label } from '../state';
import type { Objective, Schedule, ScheduleResult } from '../types';

let root: HTMLElement | null = null;
const values: OptionValues = {};
const run = jobState<ScheduleResult>();
let openTmf: (id: number) => void = () => {};

export function mountSchedule(container: HTMLElement, onOpen: (id: number) => void): void {
  root = container;
  openTmf = onOpen;
  root.dataset.state = 'idle';
}

function start(): Promise<void> {
  return startPlanJob(run, 'plan/schedules', values, render);
}

export function objectiveText(v: number | null | undefined, o: Objective): string {
  if (v === null || v === undefined) return t('none');
  if (o === 'npv') return usd(v);
  if (o === 'tonnes') return tonnes(v);
  return `${num(v)} ${t('sd_person_years')}`;
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

export function render(): void {
  if (!root) return;
  destroyCharts(root);
  root.dataset.state = run.running ? 'running' : run.result ? 'ready' : run.error ? 'error' : 'idle';
  const button = h('button', { type: 'submit', class: 'primary', testid: 'schedule-run', disabled: !canRun() || run.running }, run.running ? t('pl_running') : t('pl_run'));
  const form = h(
    'form',
    {
      class: 'plan-form',
      testid: 'schedule-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (canRun() && !run.running) void start();
      },
    },
    h('div', { class: 'form-grid' }, optionFields(values, ['objective', 'budget_musd', 'capacity_mt', 'region_capacity', 'first_year', 'last_year', 'solver', 'time_limit_s', 'gap_pct', 'residential_first'], 'schedule')),
    h('div', { class: 'form-actions' }, button),
    runHint(),
    h('p', { class: 'muted small' }, t('sd_help')),
  );
  replace(root, h('h3', null, t('sd_title')), form, jobLine(run), run.result ? resultView(run.result) : null);
  if (run.result) drawChart(run.result);
}

function resultView(r: ScheduleResult): HTMLElement {
  const c = r.comparison;
  const s = r.settings;
  const greedyStart = new Map(c.greedy.starts.map((x) => [x.id, x.year]));
  const row = (sched: Schedule, secs: number, gap: string, method: 'milp' | 'greedy') =>
    h(
      'tr',
      { testid: 'schedule-method', dataset: { method, objective: String(sched.objective_value), projects: String(sched.starts.length) } },
      h('td', null, sched.method),
      h('td', { class: 'num' }, objectiveText(sched.objective_value, sched.objective)),
      h('td', { class: 'num' }, String(sched.starts.length)),
      h('td', { class: 'num' }, usd(sum(sched.capex_by_year))),
      h('td', { class: 'num' }, tonnes(sum(sched.tonnes_by_year))),
      h('td', { class: 'num' }, secs < 0.01 ? `< ${num(0.01, 2)} ${t('u_s')}` : `${num(secs, 2)} ${t('u_s')}`),
      h('td', { class: 'num' }, gap),
    );
  const regional = Object.entries(s.regional_capacity_tpa || {});
  return h(
    'div',
    { class: 'plan-result', testid: 'schedule-result' },
    banner(r),
    c.violations.length
      ? h(
          'div',
          { class: 'violations', role: 'alert', testid: 'schedule-violations', dataset: { count: String(c.violations.length) } },
          h('strong', null, t('sd_violations', { n: c.violations.length })),
          h('ul', null, c.violations.map((v) => h('li', { testid: 'schedule-violation' }, v))),
        )
      : h('p', { class: 'notice', testid: 'schedule-violations', dataset: { count: '0' } }, t('sd_no_violations')),
    h('h3', null, t('sd_comparison')),
    h(
      'table',
      { class: 'data compact', testid: 'schedule-comparison' },
      h(
        'thead',
        null,
        h('tr', null, h('th', null, t('sd_method')), h('th', { class: 'num' }, t('sd_objective_value', { o: objectiveLabel(c.milp.objective) })), h('th', { class: 'num' }, t('sd_projects')), h('th', { class: 'num' }, t('sd_capital')), h('th', { class: 'num' }, t('sd_tonnes')), h('th', { class: 'num' }, t('sd_time')), h('th', { class: 'num' }, t('sd_gap'))),
      ),
      h('tbody', null, row(c.milp, c.solve_seconds, pct(c.gap, 3), 'milp'), row(c.greedy, c.greedy_seconds, t('none'), 'greedy')),
    ),
    h(
      'dl',
      { class: 'facts schedule-facts' },
      h('dt', null, t('sd_solver')),
      h('dd', { testid: 'schedule-solver' }, c.solver),
      h('dt', null, t('sd_status')),
      h('dd', { testid: 'schedule-status' }, c.status),
      h('dt', null, t('sd_gap')),
      h('dd', { testid: 'schedule-gap', dataset: { gap: String(c.gap) } }, pct(c.gap, 3)),
      h('dt', null, t('sd_bound')),
      h('dd', null, objectiveText(c.bound, c.milp.objective)),
      h('dt', null, t('sd_improvement')),
      h('dd', { testid: 'schedule-improvement', dataset: { improvement: String(c.improvement_over_greedy ?? '') } }, c.improvement_over_greedy === null ? t('none') : `${c.improvement_over_greedy >= 0 ? '+' : ''}${pct(c.improvement_over_greedy, 2)}`),
      h('dt', null, t('sd_size')),
      h('dd', null, t('sd_size_v', { v: num(c.variables), c: num(c.constraints) })),
      h('dt', null, t('sd_candidates')),
      h('dd', { testid: 'schedule-projects' }, num(r.projects)),
    ),
    h('h3', null, t('sd_settings')),
    h(
      'dl',
      { class: 'facts', testid: 'schedule-settings' },
      h('dt', null, t('opt_objective')),
      h('dd', null, objectiveLabel(s.objective)),
      h('dt', null, t('sd_years')),
      h('dd', null, `${s.first_year}–${s.last_year}`),
      h('dt', null, t('opt_budget')),
      h('dd', { testid: 'schedule-budget', dataset: { usd: String(s.annual_budget_usd) } }, musd(s.annual_budget_usd)),
      h('dt', null, t('opt_capacity')),
      h('dd', null, num(s.default_capacity_tpa / 1e6, 2)),
      regional.length ? [h('dt', null, t('opt_region_capacity')), h('dd', null, regional.map(([reg, v]) => `${label('region', reg)} ${num(v / 1e6, 2)}`).join(', '))] : null,
      h('dt', null, t('sd_discount')),
      h('dd', null, pct(s.discount_rate, 1)),
      h('dt', null, t('opt_residential_first')),
      h('dd', null, s.residential_first ? t('yes') : t('no')),
      s.precedence?.length ? [h('dt', null, t('sd_precedence')), h('dd', null, s.precedence.map(([b, a]) => `${b} → ${a}`).join(', '))] : null,
      h('dt', null, t('opt_solver')),
      h('dd', null, `${s.solver}, ${t('sd_limit_v', { s: num(s.time_limit_s), gap: pct(s.mip_rel_gap, 2) })}`),
    ),
    h('h3', null, t('sd_capex_chart')),
    h('div', { class: 'chart-box' }, h('canvas', { testid: 'chart-schedule-capex', role: 'img', 'aria-label': t('sd_capex_chart') })),
    h('h3', null, t('sd_starts', { n: c.milp.starts.length })),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data compact clickable', testid: 'schedule-starts' },
        h(
          'thead',
          null,
          h('tr', null, h('th', { class: 'num' }, t('sd_start')), h('th', null, t('col_external_id')), h('th', null, t('col_region')), h('th', { class: 'num' }, t('sd_capital_musd')), h('th', { class: 'num' }, t('sd_value')), h('th', { class: 'num' }, t('sd_greedy_start'))),
        ),
        h(
          'tbody',
          null,
          c.milp.starts.map((x) =>
            h(
              'tr',
              { testid: 'schedule-start-row', tabindex: 0, dataset: { id: String(x.id), year: String(x.year) }, onclick: () => openTmf(x.id), onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && openTmf(x.id) },
              h('td', { class: 'num' }, String(x.year)),
              h('td', { class: 'nowrap' }, x.external_id),
              h('td', null, label('region', x.region)),
              h('td', { class: 'num' }, musd(x.capex_usd)),
              h('td', { class: 'num' }, objectiveText(x.objective_value, c.milp.objective)),
              h('td', { class: 'num' }, greedyStart.has(x.id) ? String(greedyStart.get(x.id)) : t('none')),
            ),
          ),
        ),
      ),
    ),
  );
}

function drawChart(r: ScheduleResult): void {
  const canvas = root?.querySelector<HTMLCanvasElement>('[data-testid="chart-schedule-capex"]');
  if (!canvas) return;
  const s = r.settings;
  const years: number[] = [];
  for (let y = s.first_year; y <= s.last_year; y++) years.push(y);
  const at = (o: Record<string, number>, y: number) => (o[String(y)] ?? 0) / 1e6;
  chart(canvas, {
    type: 'bar',
    data: {
      labels: years.map(String),
      datasets: [
        { type: 'bar', label: t('sd_milp_capex'), data: years.map((y) => at(r.comparison.milp.capex_by_year, y)), backgroundColor: '#b5651d' },
        { type: 'bar', label: t('sd_greedy_capex'), data: years.map((y) => at(r.comparison.greedy.capex_by_year, y)), backgroundColor: '#9ecae1' },
        { type: 'line', label: t('sd_budget_line'), data: years.map(() => s.annual_budget_usd / 1e6), borderColor: '#d62728', backgroundColor: '#d62728', pointRadius: 0, borderDash: [6, 4] },
      ],
    },
    options: {
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: { y: { beginAtZero: true, title: { display: true, text: t('sd_capex_axis') } } },
    },
  });
}
