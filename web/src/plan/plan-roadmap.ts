// Plan / residential and rare metals: the programme for removing TMFs from residential areas
// and the rare-metal roadmap (totals by commodity and region, candidates with route, TRL and
// timeline). Both from one GET plan/roadmap with the plan filters.
import { get } from '../api';
import { chart, destroyCharts } from '../charts';
import { h, replace } from '../dom';
import { t, tMaybe } from '../i18n';
import { musd, num, tonnes, usd } from '../format';
import { banner, consequenceLabel, planName, planQuery, provenanceBox } from './plan-common';
import { label } from '../state';
import type { RoadmapCandidate, RoadmapResponse } from '../types';

let residentialEl: HTMLElement | null = null;
let rareEl: HTMLElement | null = null;
let data: RoadmapResponse | null = null;
let dataKey = '';
let error: string | null = null;
let loading = false;
let seq = 0;
let openTmf: (id: number) => void = () => {};

export function mountRoadmap(residential: HTMLElement, rare: HTMLElement, onOpen: (id: number) => void): void {
  residentialEl = residential;
  rareEl = rare;
  openTmf = onOpen;
}

export function invalidateRoadmap(): void {
  dataKey = '';
}

export async function loadRoadmap(): Promise<void> {
  const q = planQuery();
  const key = JSON.stringify(q);
  if (data && key === dataKey) {
    render();
    return;
  }
  const my = ++seq;
  loading = true;
  render();
  try {
    const r = await get<RoadmapResponse>('plan/roadmap', q);
    if (my !== seq) return;
    data = r;
    dataKey = key;
    error = null;
  } catch (e) {
    if (my !== seq) return;
    error = (e as Error).message;
  }
  loading = false;
  render();
}

export function render(): void {
  renderResidential();
  renderRare();
}

function setState(el: HTMLElement): boolean {
  el.dataset.state = loading ? 'loading' : error ? 'error' : data ? 'ready' : 'loading';
  destroyCharts(el);
  if (!data || (error && !loading)) {
    replace(el, error ? h('p', { class: 'error', role: 'alert', testid: 'plan-error' }, t('error', { msg: error })) : h('p', { class: 'muted' }, t('loading')));
    return false;
  }
  return true;
}

/** Height of a horizontal bar chart with `n` rows, so labels never overlap. */
const chartHeight = (n: number) => `${Math.max(230, n * 20 + 90)}px`;
const PHASE_COLOURS = ['#ff7f0e', '#1f77b4', '#9467bd', '#8c564b', '#e377c2'];

const km = (v: number | null) => (v === null ? t('none') : `${num(v, 2)} ${t('km')}`);

// ------------------------------------------------------------------ residential
function renderResidential(): void {
  const el = residentialEl;
  if (!el || !setState(el) || !data) return;
  const p = data.residential;
  if (!p) {
    replace(el, banner(data), h('p', { class: 'muted' }, t('rm_none')));
    return;
  }
  replace(
    el,
    banner(data),
    loading ? h('p', { class: 'muted small' }, t('loading')) : null,
    h('h3', null, t('rm_title', { km: num(p.near_km, 1) })),
    h(
      'p',
      {
        class: 'plan-totals',
        testid: 'removal-totals',
        dataset: { rows: String(p.rows.length), netTotalUsd: String(p.net_total_usd), reprocess: String(p.reprocess_count), relocate: String(p.relocate_count), people: String(p.population_at_risk_total), tonnes: String(p.tonnes_total) },
      },
      t('rm_totals', {
        n: p.rows.length,
        km: num(p.near_km, 1),
        net: usd(p.net_total_usd),
        r: p.reprocess_count,
        l: p.relocate_count,
        people: num(p.population_at_risk_total),
        t: tonnes(p.tonnes_total),
      }),
      ' ',
      h('span', { class: p.net_total_usd >= 0 ? 'notice' : 'warning' }, p.net_total_usd >= 0 ? t('rm_pays') : t('rm_costs')),
    ),
    p.rows.length ? h('div', { class: 'chart-box', style: { height: chartHeight(p.rows.length) } }, h('canvas', { testid: 'chart-removal', role: 'img', 'aria-label': t('rm_chart') })) : null,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data compact clickable', testid: 'removal-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { class: 'num' }, '#'),
            h('th', null, t('col_external_id')),
            h('th', null, t('col_name')),
            h('th', null, t('rm_settlement')),
            h('th', { class: 'num' }, t('rm_edge')),
            h('th', { class: 'num' }, t('rm_people')),
            h('th', { class: 'num' }, t('rm_hazard')),
            h('th', null, t('rm_gistm')),
            h('th', { class: 'num' }, t('rm_urgency')),
            h('th', { class: 'num' }, t('rm_tonnage')),
            h('th', { class: 'num' }, t('rm_npv')),
            h('th', { class: 'num' }, t('rm_relocation')),
            h('th', null, t('rm_option')),
            h('th', { class: 'num' }, t('rm_net')),
            h('th', { class: 'num' }, t('rm_rank')),
          ),
        ),
        h(
          'tbody',
          null,
          p.rows.map((r) =>
            h(
              'tr',
              { testid: 'removal-row', tabindex: 0, dataset: { id: String(r.id), order: String(r.order), externalId: r.external_id, net: String(r.net_usd ?? '') }, onclick: () => openTmf(r.id), onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && openTmf(r.id) },
              h('td', { class: 'num' }, String(r.order)),
              h('td', { class: 'nowrap' }, r.external_id),
              h('td', null, planName(r.id, r.name)),
              h('td', null, r.settlement ?? t('none')),
              h('td', { class: 'num nowrap' }, r.inside_settlement ? h('span', { class: 'warning' }, t('rm_inside')) : km(r.edge_distance_km)),
              h('td', { class: 'num' }, num(r.population_at_risk)),
              h('td', { class: 'num' }, num(r.hazard_index, 2)),
              h('td', null, consequenceLabel(r.consequence_class)),
              h('td', { class: 'num' }, num(r.urgency, 2)),
              h('td', { class: 'num' }, tonnes(r.tonnage_t)),
              h('td', { class: 'num' }, musd(r.reprocess_npv_usd)),
              h('td', { class: 'num' }, r.relocation_cost_usd === null ? t('none') : musd(-r.relocation_cost_usd)),
              h('td', null, h('span', { class: `badge option-${r.option}` }, tMaybe(`rm_opt_${r.option}`, r.option))),
              h('td', { class: 'num' }, musd(r.net_usd)),
              h('td', { class: 'num' }, String(r.national_rank)),
            ),
          ),
        ),
      ),
    ),
    h('p', { class: 'muted small' }, t('rm_note'), ' ', t('geonames')),
    provenanceBox(p.provenance, 'rm_settings'),
  );
  const canvas = el.querySelector<HTMLCanvasElement>('[data-testid="chart-removal"]');
  if (canvas) {
    const rows = p.rows;
    chart(canvas, {
      type: 'bar',
      data: {
        labels: rows.map((r) => `${r.order}. ${r.external_id}`),
        datasets: [
          {
            label: t('rm_net'),
            data: rows.map((r) => (r.net_usd === null ? 0 : r.net_usd / 1e6)),
            backgroundColor: rows.map((r) => (r.option === 'reprocess' ? '#31a354' : r.option === 'relocate' ? '#de2d26' : '#999')),
          },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => { const r = rows[items[0].dataIndex]; return `${r.external_id} ${planName(r.id, r.name)}`; }, label: (c) => `${tMaybe(`rm_opt_${rows[c.dataIndex].option}`, rows[c.dataIndex].option)}: ${usd(rows[c.dataIndex].net_usd)}` } },
        },
        scales: { x: { title: { display: true, text: t('rm_net_axis') } }, y: { ticks: { autoSkip: false } } },
      },
    });
  }
}

// ------------------------------------------------------------------ rare metals
function timelineStart(c: RoadmapCandidate): number {
  return (c.phases[0]?.from_year ?? c.production_from) - c.delay_years;
}

function renderRare(): void {
  const el = rareEl;
  if (!el || !setState(el) || !data) return;
  const r = data.rare_metals;
  if (!r) {
    replace(el, banner(data), h('p', { class: 'muted' }, t('ra_none')));
    return;
  }
  const present = r.totals.filter((x) => x.contained_t > 0);
  const absent = r.totals.filter((x) => !(x.contained_t > 0)).map((x) => x.commodity);
  replace(
    el,
    banner(data),
    loading ? h('p', { class: 'muted small' }, t('loading')) : null,
    h('h3', null, t('ra_totals')),
    h(
      'table',
      { class: 'data compact', testid: 'rare-totals' },
      h('thead', null, h('tr', null, h('th', null, t('c_commodity')), h('th', null, t('ra_rare_earth')), h('th', { class: 'num' }, t('ra_contained')), h('th', { class: 'num' }, t('ra_tmfs')), h('th', null, t('ra_by_region')))),
      h(
        'tbody',
        null,
        present.map((x) =>
          h(
            'tr',
            { testid: 'rare-total-row', dataset: { commodity: x.commodity, contained: String(x.contained_t), tmfs: String(x.tmfs) } },
            h('td', null, x.commodity),
            h('td', null, x.rare_earth ? t('yes') : t('no')),
            h('td', { class: 'num' }, tonnes(x.contained_t)),
            h('td', { class: 'num' }, String(x.tmfs)),
            h(
              'td',
              null,
              h(
                'ul',
                { class: 'inline-list' },
                Object.entries(x.by_region)
                  .sort((a, b) => b[1] - a[1])
                  .map(([reg, v]) => h('li', { testid: 'rare-region', dataset: { region: reg } }, `${label('region', reg)}: ${tonnes(v)}`)),
              ),
            ),
          ),
        ),
      ),
    ),
    absent.length ? h('p', { class: 'muted small' }, t('ra_absent', { list: absent.join(', ') })) : null,
    h('p', { class: 'muted small' }, t('ra_tonnes_note')),
    h('h3', null, t('ra_candidates', { n: r.candidates.length })),
    r.candidates.length ? h('div', { class: 'chart-box', style: { height: chartHeight(r.candidates.length) } }, h('canvas', { testid: 'chart-rare-timeline', role: 'img', 'aria-label': t('ra_timeline') })) : null,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data compact clickable', testid: 'rare-candidates' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { class: 'num' }, t('rm_rank')),
            h('th', null, t('col_external_id')),
            h('th', null, t('col_name')),
            h('th', null, t('col_region')),
            h('th', null, t('ra_contained')),
            h('th', null, t('ra_route')),
            h('th', { class: 'num' }, t('ra_trl')),
            h('th', null, t('ra_timeline')),
            h('th', { class: 'num' }, t('ra_production')),
          ),
        ),
        h(
          'tbody',
          null,
          r.candidates.map((c) =>
            h(
              'tr',
              { testid: 'rare-candidate-row', tabindex: 0, dataset: { id: String(c.id), externalId: c.external_id, production: String(c.production_from) }, onclick: () => openTmf(c.id), onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && openTmf(c.id) },
              h('td', { class: 'num' }, c.national_rank === null ? t('none') : String(c.national_rank)),
              h('td', { class: 'nowrap' }, c.external_id),
              h('td', null, planName(c.id, c.name), h('div', { class: 'muted small' }, label('kind', c.kind))),
              h('td', null, label('region', c.region)),
              h('td', null, h('ul', { class: 'inline-list' }, Object.entries(c.commodities).map(([k, v]) => h('li', null, `${k} ${tonnes(v)}`)))),
              h('td', null, c.route),
              h('td', { class: 'num' }, String(c.trl)),
              h(
                'td',
                null,
                h(
                  'ul',
                  { class: 'timeline-list' },
                  c.delay_reasons.map((d) => h('li', { class: 'muted', testid: 'rare-delay' }, `${t('ra_licensing')}: ${d}`)),
                  c.phases.map((p) => h('li', { testid: 'rare-phase', dataset: { from: String(p.from_year), to: String(p.to_year) } }, `${p.name} ${p.from_year}–${p.to_year}`)),
                ),
              ),
              h('td', { class: 'num' }, String(c.production_from)),
            ),
          ),
        ),
      ),
    ),
    provenanceBox(r.provenance, 'ra_settings'),
  );
  drawTimeline(el, r.candidates);
}

/** Gantt-like chart: licensing delay, each development phase, then production, per candidate. */
function drawTimeline(el: HTMLElement, cands: RoadmapCandidate[]): void {
  const canvas = el.querySelector<HTMLCanvasElement>('[data-testid="chart-rare-timeline"]');
  if (!canvas) return;
  // Phases in development order: the longest timeline gives it, others add what it lacks.
  const phaseNames: string[] = [];
  for (const c of cands.slice().sort((a, b) => b.phases.length - a.phases.length)) for (const p of c.phases) if (!phaseNames.includes(p.name)) phaseNames.push(p.name);
  const lastYear = Math.max(...cands.map((c) => c.production_from)) + 2;
  const startYear = Math.min(...cands.map(timelineStart));
  const datasets = [
    {
      label: t('ra_licensing'),
      data: cands.map((c) => (c.delay_years > 0 ? [timelineStart(c), timelineStart(c) + c.delay_years] : null)),
      backgroundColor: '#bbbbbb',
    },
    ...phaseNames.map((name, i) => ({
      label: name,
      data: cands.map((c) => {
        const p = c.phases.find((x) => x.name === name);
        return p ? [p.from_year, p.to_year + 1] : null;
      }),
      backgroundColor: PHASE_COLOURS[i % PHASE_COLOURS.length],
    })),
    { label: t('ra_production'), data: cands.map((c) => [c.production_from, lastYear]), backgroundColor: 'rgba(44, 160, 44, 0.45)' },
  ];
  chart(canvas, {
    type: 'bar',
    data: { labels: cands.map((c) => c.external_id), datasets: datasets.map((d) => ({ ...d, grouped: false, barPercentage: 0.7 })) as never },
    options: {
      indexAxis: 'y',
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (c) => {
              const v = c.raw as [number, number] | null;
              if (!v) return '';
              return c.datasetIndex === datasets.length - 1 ? `${c.dataset.label} ${v[0]}` : `${c.dataset.label}: ${v[0]}–${v[1] - 1}`;
            },
          },
        },
      },
      scales: { x: { type: 'linear', min: startYear, max: lastYear, ticks: { stepSize: 1, callback: (v) => String(v) } }, y: { ticks: { autoSkip: false } } },
    },
  });
}
