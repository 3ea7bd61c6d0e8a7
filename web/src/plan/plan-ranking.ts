// Plan / ranking: every ranked TMF with its score, the six groups' points and the rank's
// stability; a row expands into the score's parts (indicator, group, raw value, score, weight,
// points) and hazard factors. GET plan/ranking with the plan filters.
import { get } from '../api';
import { chart, destroyCharts } from '../charts';
import { h, replace } from '../dom';
import { t, tMaybe } from '../i18n';
import { num, pct, sig, usd } from '../format';
import { banner, consequenceLabel, GROUP_COLOURS, GROUPS, groupLabel, indicatorLabel, planFilters, planName, planQuery, provenanceBox } from './plan-common';
import { label } from '../state';
import type { RankingResponse, RankRow } from '../types';

let root: HTMLElement | null = null;
let data: RankingResponse | null = null;
let dataKey = '';
let error: string | null = null;
let seq = 0;
const expanded = new Set<number>();
let openTmf: (id: number) => void = () => {};

export function mountRanking(container: HTMLElement, onOpen: (id: number) => void): void {
  root = container;
  openTmf = onOpen;
}

function query(): Record<string, string> {
  const q = planQuery();
  if (!planFilters.stability) q.stability = 'false';
  return q;
}

export function invalidateRanking(): void {
  dataKey = '';
}

export async function loadRanking(): Promise<void> {
  if (!root) return;
  const q = query();
  const key = JSON.stringify(q);
  if (data && key === dataKey) {
    render();
    return;
  }
  const my = ++seq;
  root.dataset.state = 'loading';
  render();
  try {
    const r = await get<RankingResponse>('plan/ranking', q);
    if (my !== seq) return;
    data = r;
    dataKey = key;
    error = null;
    expanded.clear();
  } catch (e) {
    if (my !== seq) return;
    error = (e as Error).message;
  }
  root.dataset.state = error ? 'error' : 'ready';
  render();
}

const f3 = (v: number | null | undefined) => num(v, 3);
/** An indicator's raw value in its unit: USD for the NPV, people for populations, else a number. */
function rawText(indicator: string, v: number): string {
  if (indicator === 'npv_p50') return usd(v);
  if (indicator.startsWith('population_within_')) return num(v);
  return sig(v, 4);
}

export function render(): void {
  if (!root) return;
  destroyCharts(root);
  if (!data || (error && root.dataset.state === 'error')) {
    replace(root, error ? h('p', { class: 'error', role: 'alert', testid: 'plan-error' }, t('error', { msg: error })) : h('p', { class: 'muted' }, t('loading')));
    return;
  }
  const { ranking } = data;
  const rows = ranking.rows;
  const loading = root.dataset.state === 'loading';
  const s = ranking.stability;
  replace(
    root,
    banner(data),
    loading ? h('p', { class: 'muted small' }, t('loading')) : null,
    h('p', { class: 'muted', testid: 'rank-count' }, t('rk_count', { n: rows.length })),
    h(
      'div',
      { class: 'dash-grid' },
      h(
        'section',
        { class: 'card' },
        h('h3', null, t('rk_chart')),
        h('div', { class: 'chart-box tall' }, h('canvas', { testid: 'chart-rank-groups', role: 'img', 'aria-label': t('rk_chart') })),
      ),
      h(
        'section',
        { class: 'card', testid: 'rank-stability' },
        h('h3', null, t('rk_stability')),
        s
          ? h(
              'dl',
              { class: 'facts' },
              h('dt', null, t('rk_draws')),
              h('dd', { testid: 'rank-draws' }, num(s.draws)),
              h('dt', null, t('rk_perturbation')),
              h('dd', null, t('rk_perturbation_v', { lo: num(1 - s.perturbation, 2), hi: num(1 + s.perturbation, 2), seed: s.seed })),
              h('dt', null, t('rk_spearman')),
              h('dd', { testid: 'rank-spearman' }, t('rk_spearman_v', { mean: f3(s.spearman_mean), min: f3(s.spearman_min) })),
              h('dt', null, t('rk_overlap', { n: s.top })),
              h('dd', { testid: 'rank-overlap' }, pct(s.top_overlap_mean, 0)),
            )
          : h('p', { class: 'muted' }, t('rk_no_stability')),
        ranking.notes.length ? h('ul', { class: 'notes', testid: 'rank-notes' }, ranking.notes.map((n) => h('li', null, n))) : null,
        h('h3', null, t('rk_weights')),
        h(
          'table',
          { class: 'data compact', testid: 'rank-weights' },
          h('thead', null, h('tr', null, h('th', null, t('rk_group')), h('th', null, t('rk_indicator')), h('th', { class: 'num' }, t('rk_weight')), h('th', null, t('rk_normalisation')))),
          h(
            'tbody',
            null,
            ranking.weights.map(([g, ind, w, norm]) =>
              h('tr', { testid: 'rank-weight-row', dataset: { indicator: ind } }, h('td', null, groupLabel(g)), h('td', null, indicatorLabel(ind)), h('td', { class: 'num' }, pct(w, 1)), h('td', null, tMaybe(`rk_norm_${norm}`, norm))),
            ),
          ),
        ),
        provenanceBox(ranking.provenance, 'rk_settings'),
      ),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data compact clickable', testid: 'rank-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { class: 'num' }, t('rk_rank')),
            h('th', null, t('col_external_id')),
            h('th', null, t('col_name')),
            h('th', null, t('col_region')),
            h('th', { class: 'num' }, t('rk_score')),
            GROUPS.map((g) => h('th', { class: 'num', title: groupLabel(g) }, groupLabel(g))),
            h('th', { class: 'num', title: t('rk_p5_p95_title') }, t('rk_p5_p95')),
            h('th', { class: 'num', title: t('rk_ptop_title', { n: s?.top ?? 10 }) }, t('rk_ptop', { n: s?.top ?? 10 })),
          ),
        ),
        h('tbody', null, rows.map((r) => [rankRow(r), expanded.has(r.id) ? explainRow(r) : null])),
      ),
    ),
    h('p', { class: 'muted small' }, t('rk_groups_note')),
  );
  drawChart();
}

function rankRow(r: RankRow): HTMLElement {
  const toggle = () => {
    if (expanded.has(r.id)) expanded.delete(r.id);
    else expanded.add(r.id);
    render();
    root?.querySelector<HTMLElement>(`[data-testid="rank-row"][data-id="${r.id}"]`)?.focus();
  };
  return h(
    'tr',
    {
      testid: 'rank-row',
      tabindex: 0,
      'aria-expanded': String(expanded.has(r.id)),
      dataset: { id: String(r.id), rank: String(r.rank), externalId: r.external_id, score: String(r.score) },
      onclick: toggle,
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          toggle();
        }
      },
    },
    h('td', { class: 'num' }, String(r.rank)),
    h('td', { class: 'nowrap' }, r.external_id),
    h('td', null, planName(r.id, r.name)),
    h('td', null, label('region', r.region)),
    h('td', { class: 'num', testid: 'rank-score' }, num(r.score, 3)),
    GROUPS.map((g) => h('td', { class: 'num', dataset: { group: g } }, num(r.groups[g] ?? 0, 3))),
    h('td', { class: 'num nowrap' }, r.stability ? `${r.stability.rank_p05}–${r.stability.rank_p95}` : t('none')),
    h('td', { class: 'num' }, r.stability ? pct(r.stability.top_probability, 0) : t('none')),
  );
}

function explainRow(r: RankRow): HTMLElement {
  const total = r.parts.reduce((a, p) => a + p.contribution, 0);
  return h(
    'tr',
    { class: 'explain-row', testid: 'rank-explain', dataset: { id: String(r.id) } },
    h(
      'td',
      { colspan: 13 },
      h(
        'div',
        { class: 'explain' },
        h(
          'table',
          { class: 'data compact', testid: 'rank-parts' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, t('rk_indicator')), h('th', null, t('rk_group')), h('th', { class: 'num' }, t('rk_raw')), h('th', { class: 'num' }, t('rk_part_score')), h('th', { class: 'num' }, t('rk_weight')), h('th', { class: 'num' }, t('rk_points'))),
          ),
          h(
            'tbody',
            null,
            r.parts.map((p) =>
              h(
                'tr',
                { testid: 'rank-part', dataset: { indicator: p.indicator, group: p.group, points: String(p.contribution), missing: String(p.raw === null) } },
                h('td', null, indicatorLabel(p.indicator)),
                h('td', null, groupLabel(p.group)),
                h('td', { class: 'num' }, p.raw === null ? h('span', { class: 'badge missing' }, t('rk_missing')) : rawText(p.indicator, p.raw)),
                h('td', { class: 'num' }, num(p.score, 3)),
                h('td', { class: 'num' }, num(p.weight, 3)),
                h('td', { class: 'num' }, num(p.contribution, 4)),
              ),
            ),
          ),
          h('tfoot', null, h('tr', null, h('td', { colspan: 5 }, t('rk_total')), h('td', { class: 'num', testid: 'rank-parts-total' }, num(total, 4)))),
        ),
        h(
          'div',
          { class: 'explain-side' },
          h('h4', null, t('rk_hazard')),
          h(
            'p',
            { testid: 'rank-hazard' },
            t('rk_hazard_v', { index: num(r.hazard.index, 2), people: num(r.hazard.population_at_risk), cls: consequenceLabel(r.hazard.consequence_class) }),
          ),
          h('ul', { class: 'factors' }, r.hazard.factors.map(([f, v]) => h('li', { testid: 'rank-hazard-factor' }, `${f} ${v >= 0 ? '+' : ''}${num(v, 2)}`))),
          r.stability ? h('p', { class: 'small' }, t('rk_stab_row', { p5: r.stability.rank_p05, p50: r.stability.rank_p50, p95: r.stability.rank_p95, p: pct(r.stability.top_probability, 0) })) : null,
          h('button', { type: 'button', testid: 'rank-open-tmf', onclick: (e: Event) => { e.stopPropagation(); openTmf(r.id); } }, t('pl_open_tmf')),
        ),
      ),
    ),
  );
}

function drawChart(): void {
  const canvas = root?.querySelector<HTMLCanvasElement>('[data-testid="chart-rank-groups"]');
  if (!canvas || !data) return;
  const top = data.ranking.rows.slice(0, 20);
  chart(canvas, {
    type: 'bar',
    data: {
      labels: top.map((r) => `${r.rank}. ${r.external_id}`),
      datasets: GROUPS.map((g) => ({ label: groupLabel(g), data: top.map((r) => r.groups[g] ?? 0), backgroundColor: GROUP_COLOURS[g], stack: 'score' })),
    },
    options: {
      indexAxis: 'y',
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: { callbacks: { title: (items) => { const r = top[items[0].dataIndex]; return `${r.external_id} ${planName(r.id, r.name)}`; }, label: (c) => `${c.dataset.label}: ${num(c.raw as number, 3)}` } },
      },
      scales: { x: { stacked: true, title: { display: true, text: t('rk_score_axis') } }, y: { stacked: true, ticks: { autoSkip: false } } },
    },
  });
}
