// Plan / scenarios: national stock of TMFs 2025-2050 under each scenario (POST plan/scenarios,
// analyst): a line per scenario with its low-high band, a table every five years and the start
// figures with their sources.
import { chart, destroyCharts, PALETTE } from '../charts';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { num, pct, sig, tonnes } from '../format';
import { banner, canRun, confidenceLabel, jobLine, jobState, optionFields, provenanceBox, runHint, startPlanJob, type OptionValues } from './plan-common';
import type { ScenariosResult } from '../types';

let root: HTMLElement | null = null;
const values: OptionValues = {};
const run = jobState<ScenariosResult>();

export function mountScenarios(container: HTMLElement): void {
  root = container;
  root.dataset.state = 'idle';
}

function start(): Promise<void> {
  return startPlanJob(run, 'plan/scenarios', values, render);
}

const bn = (v: number) => num(v / 1e9, 2);
const mtv = (v: number) => num(v / 1e6, 0);

export function render(): void {
  if (!root) return;
  destroyCharts(root);
  root.dataset.state = run.running ? 'running' : run.result ? 'ready' : run.error ? 'error' : 'idle';
  const button = h('button', { type: 'submit', class: 'primary', testid: 'scenarios-run', disabled: !canRun() || run.running }, run.running ? t('pl_running') : t('pl_run'));
  const form = h(
    'form',
    {
      class: 'plan-form',
      testid: 'scenarios-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (canRun() && !run.running) void start();
      },
    },
    h('div', { class: 'form-grid' }, optionFields(values, ['objective', 'budget_musd', 'capacity_mt', 'time_limit_s'], 'scenarios')),
    h('div', { class: 'form-actions' }, button),
    runHint(),
    h('p', { class: 'muted small' }, t('sc_help')),
  );
  replace(root, h('h3', null, t('sc_title')), form, jobLine(run), run.result ? resultView(run.result) : null);
  if (run.result) drawChart(run.result);
}

function resultView(r: ScenariosResult): HTMLElement {
  const s = r.scenarios;
  const every5 = (y: number) => (y - s.base_year) % 5 === 0 || y === s.end_year;
  return h(
    'div',
    { class: 'plan-result', testid: 'scenarios-result' },
    banner(r, t('sc_label_fallback')),
    h('div', { class: 'chart-box tall' }, h('canvas', { testid: 'chart-scenarios', role: 'img', 'aria-label': t('sc_chart') })),
    h(
      'ul',
      { class: 'scenario-list', testid: 'scenario-list' },
      s.results.map((x) =>
        h(
          'li',
          { testid: 'scenario-item', dataset: { scenario: x.name, end: String(x.years.at(-1)?.stock_t[1] ?? '') } },
          h('strong', null, x.name),
          `: ${x.label}. `,
          t('sc_summary', { from: s.base_year + 1, to: s.end_year, r: tonnes(x.reprocessed_total_t), p: tonnes(x.projects_total_t), end: `${bn(x.years.at(-1)?.stock_t[1] ?? 0)} ${t('u_bn_t')}` }),
        ),
      ),
    ),
    h('h3', null, t('sc_table')),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data compact', testid: 'scenario-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, t('sc_scenario')),
            h('th', { class: 'num' }, t('sc_year')),
            h('th', { class: 'num' }, t('sc_share')),
            h('th', { class: 'num' }, t('sc_generation')),
            h('th', { class: 'num' }, t('sc_reprocessed')),
            h('th', { class: 'num' }, t('sc_projects')),
            h('th', { class: 'num' }, t('sc_stock_low')),
            h('th', { class: 'num' }, t('sc_stock_base')),
            h('th', { class: 'num' }, t('sc_stock_high')),
          ),
        ),
        h(
          'tbody',
          null,
          s.results.map((x) =>
            x.years
              .filter((y) => every5(y.year))
              .map((y) =>
                h(
                  'tr',
                  { testid: 'scenario-row', dataset: { scenario: x.name, year: String(y.year), stock: String(y.stock_t[1]) } },
                  h('td', null, x.name),
                  h('td', { class: 'num' }, String(y.year)),
                  h('td', { class: 'num' }, pct(y.share, 0)),
                  h('td', { class: 'num' }, mtv(y.generation_t[1])),
                  h('td', { class: 'num' }, mtv(y.reprocessed_t[1])),
                  h('td', { class: 'num' }, num(y.projects_t / 1e6, 1)),
                  h('td', { class: 'num' }, bn(y.stock_t[0])),
                  h('td', { class: 'num' }, bn(y.stock_t[1])),
                  h('td', { class: 'num' }, bn(y.stock_t[2])),
                ),
              ),
          ),
        ),
      ),
    ),
    h('h3', null, t('sc_start')),
    h(
      'p',
      { testid: 'stock-range', dataset: { low: String(s.start_stock_t[0]), base: String(s.start_stock_t[1]), high: String(s.start_stock_t[2]) } },
      t('sc_start_range', { y: s.base_year, lo: bn(s.start_stock_t[0]), hi: bn(s.start_stock_t[2]), base: bn(s.start_stock_t[1]) }),
    ),
    h(
      'table',
      { class: 'data compact', testid: 'stock-figures' },
      h(
        'thead',
        null,
        h('tr', null, h('th', { class: 'num' }, t('sc_figure')), h('th', { class: 'num' }, t('sc_year')), h('th', null, t('p_source')), h('th', null, t('p_date')), h('th', null, t('p_confidence')), h('th', { class: 'num' }, t('sc_carried', { y: s.base_year }))),
      ),
      h(
        'tbody',
        null,
        s.start_stock_estimates.map(([v, f]) =>
          h(
            'tr',
            { testid: 'stock-figure-row' },
            h('td', { class: 'num' }, `${sig(f.value_bn_t, 4)} ${t('u_bn_t')}`),
            h('td', { class: 'num' }, String(f.year)),
            h('td', null, f.source),
            h('td', null, f.date),
            h('td', null, confidenceLabel(f.confidence)),
            h('td', { class: 'num' }, `${bn(v)} ${t('u_bn_t')}`),
          ),
        ),
      ),
    ),
    h(
      'dl',
      { class: 'facts', testid: 'stock-flows' },
      h('dt', null, t('sc_generation_range')),
      h('dd', null, t('sc_generation_v', { lo: num(s.generation.low), base: num(s.generation.base), hi: num(s.generation.high) }), h('div', { class: 'muted small' }, `${s.generation.source} (${s.generation.date}; ${confidenceLabel(s.generation.confidence)})`)),
      h('dt', null, t('sc_share_today')),
      h(
        'dd',
        null,
        pct(s.reprocessed_share.value, 0),
        h('div', { class: 'muted small' }, `${s.reprocessed_share.source} (${s.reprocessed_share.date}; ${confidenceLabel(s.reprocessed_share.confidence)})`),
        s.reprocessed_share.note ? h('div', { class: 'muted small' }, s.reprocessed_share.note) : null,
      ),
    ),
    provenanceBox(s.provenance, 'sc_settings'),
  );
}

function alpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function drawChart(r: ScenariosResult): void {
  const canvas = root?.querySelector<HTMLCanvasElement>('[data-testid="chart-scenarios"]');
  if (!canvas) return;
  const s = r.scenarios;
  const years = s.results[0]?.years.map((y) => y.year) ?? [];
  // Each scenario: low (no fill), high (filled down to low: the band), then the base line.
  const datasets = s.results.flatMap((x, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const byYear = new Map(x.years.map((y) => [y.year, y.stock_t]));
    const series = (k: 0 | 1 | 2) => years.map((y) => (byYear.get(y)?.[k] ?? NaN) / 1e9);
    return [
      { label: `${x.name} (low)`, data: series(0), borderColor: alpha(colour, 0.35), backgroundColor: alpha(colour, 0.12), borderWidth: 1, pointRadius: 0, fill: false },
      { label: `${x.name} (high)`, data: series(2), borderColor: alpha(colour, 0.35), backgroundColor: alpha(colour, 0.12), borderWidth: 1, pointRadius: 0, fill: '-1' },
      { label: x.name, data: series(1), borderColor: colour, backgroundColor: colour, borderWidth: 2, pointRadius: 0, fill: false },
    ];
  });
  chart(canvas, {
    type: 'line',
    data: { labels: years.map(String), datasets },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12, filter: (item) => !/\((low|high)\)$/.test(item.text) } },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${num(c.raw as number, 2)} ${t('u_bn_t')}` } },
      },
      scales: { y: { title: { display: true, text: t('sc_axis') } }, x: { title: { display: true, text: t('sc_year') } } },
    },
  });
}
