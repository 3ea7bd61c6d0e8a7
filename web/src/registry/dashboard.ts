// National dashboard: stock by region and kind, contained metal, TMFs near settlements, top-valued TMFs.
import { get } from '../api';
import { chart, destroyCharts, PALETTE } from '../charts';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { num, tonnes, usd } from '../format';
import { KIND_COLOURS } from './map';
import { label, loadAllFeatures, loadStats, tmfName } from '../state';
import type { ProximityReport, Stats, TmfCollection } from '../types';

const NEAR_KM = 1;
let root: HTMLElement | null = null;
let data: { stats: Stats; prox: ProximityReport; all: TmfCollection } | null = null;
let error: string | null = null;
let openTmf: (id: number) => void = () => {};

export function mountDashboard(container: HTMLElement, onOpen: (id: number) => void): void {
  root = container;
  openTmf = onOpen;
}

export async function loadDashboard(force = false): Promise<void> {
  if (!root) return;
  if (!data || force) {
    root.dataset.state = 'loading';
    render();
    try {
      const [stats, prox, all] = await Promise.all([loadStats(force), get<ProximityReport>('proximity', { radius_km: NEAR_KM }), loadAllFeatures(force)]);
      data = { stats, prox, all };
      error = null;
    } catch (e) {
      error = (e as Error).message;
    }
  }
  render();
}

function kpi(value: string, key: string, testid: string): HTMLElement {
  return h('div', { class: 'kpi', testid }, h('div', { class: 'kpi-value' }, value), h('div', { class: 'kpi-label' }, key));
}

export function render(): void {
  if (!root) return;
  destroyCharts(root);
  if (!data) {
    replace(root, h('h2', null, t('db_title')), error ? h('p', { class: 'error', role: 'alert' }, t('error', { msg: error })) : h('p', { class: 'muted' }, t('loading')));
    return;
  }
  root.dataset.state = 'ready';
  const { stats, prox, all } = data;
  const n = stats.national;
  const near = prox.tmfs.filter((x) => x.near_settlement);
  const pop1 = (x: ProximityReport['tmfs'][number]) => x.population_within?.find((p) => p.radius_km === 1)?.population ?? 0;
  near.sort((a, b) => pop1(b) - pop1(a) || (a.nearest?.edge_distance_km ?? 0) - (b.nearest?.edge_distance_km ?? 0));
  const valued = all.features.filter((f) => typeof f.properties.npv_usd === 'number');
  const top = valued.slice().sort((a, b) => (b.properties.npv_usd as number) - (a.properties.npv_usd as number)).slice(0, 10);
  const pv = n.provenance;
  const contained = Object.entries(n.contained).sort((a, b) => b[1].tonnes - a[1].tonnes);

  replace(
    root,
    h('h2', null, t('db_title')),
    h(
      'div',
      { class: 'kpis' },
      kpi(num(n.objects), t('kpi_objects'), 'kpi-objects'),
      kpi(tonnes(n.tonnage_t), t('kpi_tonnage'), 'kpi-tonnage'),
      kpi(num(n.owner_unknown ?? 0), t('kpi_owner_unknown'), 'kpi-owner-unknown'),
      kpi(num(near.length), t('kpi_near', { km: NEAR_KM }), 'kpi-near'),
      kpi(num(pv?.objects_with_conflicting_figures ?? 0), t('kpi_conflicts'), 'kpi-conflicts'),
      kpi(num(valued.length), t('kpi_valued'), 'kpi-valued'),
    ),
    pv ? h('p', { class: 'muted small' }, t('db_provenance', { n: num(pv.current_figures), d: num(pv.with_date), m: num(pv.with_method), i: num(pv.illustrative) })) : null,
    h(
      'div',
      { class: 'dash-grid' },
      h('section', { class: 'card' }, h('h3', null, t('db_by_region')), h('div', { class: 'chart-box tall' }, h('canvas', { testid: 'chart-region', role: 'img', 'aria-label': t('db_by_region') })), h('p', { class: 'muted small' }, t('db_regions_note'))),
      h('section', { class: 'card' }, h('h3', null, t('db_by_kind')), h('div', { class: 'chart-box' }, h('canvas', { testid: 'chart-kind', role: 'img', 'aria-label': t('db_by_kind') }))),
      h(
        'section',
        { class: 'card' },
        h('h3', null, t('db_contained')),
        h('div', { class: 'chart-box' }, h('canvas', { testid: 'chart-contained', role: 'img', 'aria-label': t('db_contained') })),
        h(
          'table',
          { class: 'data compact', testid: 'contained-national' },
          h('thead', null, h('tr', null, h('th', null, t('c_commodity')), h('th', { class: 'num' }, t('c_tonnes')), h('th', { class: 'num' }, t('c_objects')))),
          h('tbody', null, contained.map(([c, v]) => h('tr', null, h('td', null, c), h('td', { class: 'num' }, tonnes(v.tonnes)), h('td', { class: 'num' }, num(v.objects))))),
        ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h3', null, t('db_top')),
        h(
          'table',
          { class: 'data compact clickable', testid: 'top-valued' },
          h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, t('col_name')), h('th', null, t('col_region')), h('th', { class: 'num' }, 'NPV P50'))),
          h(
            'tbody',
            null,
            top.map((f, i) =>
              h(
                'tr',
                { testid: 'top-row', dataset: { id: String(f.properties.id) }, tabindex: 0, onclick: () => openTmf(f.properties.id) },
                h('td', null, String(i + 1)),
                h('td', null, tmfName(f.properties), h('div', { class: 'muted small' }, `${f.properties.external_id} · ${label('kind', f.properties.kind)}`)),
                h('td', null, label('region', f.properties.region)),
                h('td', { class: 'num' }, usd(f.properties.npv_usd)),
              ),
            ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card wide' },
        h('h3', null, `${t('db_near')} (${near.length})`),
        h(
          'table',
          { class: 'data compact clickable', testid: 'near-table' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, t('col_external_id')), h('th', null, t('col_name')), h('th', null, t('pr_nearest')), h('th', { class: 'num' }, t('pr_edge')), h('th', { class: 'num' }, t('db_pop1'))),
          ),
          h(
            'tbody',
            null,
            near.map((x) => {
              const f = all.features.find((g) => g.properties.id === x.id);
              return h(
                'tr',
                { testid: 'near-row', dataset: { id: String(x.id) }, tabindex: 0, onclick: () => openTmf(x.id) },
                h('td', null, x.external_id),
                h('td', null, f ? tmfName(f.properties) : x.name),
                h('td', null, x.nearest ? `${x.nearest.name} (${num(x.nearest.population)})` : t('none')),
                h('td', { class: 'num' }, x.nearest ? `${num(x.nearest.edge_distance_km, 2)} ${t('km')}` : t('none')),
                h('td', { class: 'num' }, num(pop1(x))),
              );
            }),
          ),
        ),
        h('p', { class: 'muted small' }, t('geonames')),
      ),
    ),
  );

  const regions = Object.entries(stats.by_region).sort((a, b) => b[1].tonnage_t - a[1].tonnage_t);
  chart(root.querySelector('[data-testid="chart-region"]') as HTMLCanvasElement, {
    type: 'bar',
    data: { labels: regions.map(([c]) => label('region', c)), datasets: [{ label: t('db_stock_axis'), data: regions.map(([, v]) => v.tonnage_t / 1e6), backgroundColor: '#4a78a8' }] },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${tonnes((c.raw as number) * 1e6)} · ${t('c_objects')}: ${regions[c.dataIndex][1].objects}` } } },
      scales: { x: { title: { display: true, text: t('db_stock_axis') } }, y: { ticks: { autoSkip: false } } },
    },
  });
  const kinds = Object.entries(stats.by_kind).sort((a, b) => b[1].tonnage_t - a[1].tonnage_t);
  chart(root.querySelector('[data-testid="chart-kind"]') as HTMLCanvasElement, {
    type: 'bar',
    data: {
      labels: kinds.map(([c]) => label('kind', c)),
      datasets: [{ label: t('db_stock_axis'), data: kinds.map(([, v]) => v.tonnage_t / 1e6), backgroundColor: kinds.map(([c], i) => KIND_COLOURS[c] || PALETTE[i % PALETTE.length]) }],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${tonnes((c.raw as number) * 1e6)} · ${t('c_objects')}: ${kinds[c.dataIndex][1].objects}` } } },
      scales: { x: { title: { display: true, text: t('db_stock_axis') } }, y: { ticks: { autoSkip: false } } },
    },
  });
  chart(root.querySelector('[data-testid="chart-contained"]') as HTMLCanvasElement, {
    type: 'bar',
    data: { labels: contained.map(([c]) => c), datasets: [{ label: t('c_tonnes'), data: contained.map(([, v]) => v.tonnes), backgroundColor: '#b5651d' }] },
    options: {
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${tonnes(c.raw as number)} · ${t('c_objects')}: ${contained[c.dataIndex][1].objects}` } } },
      scales: { x: { ticks: { autoSkip: false } }, y: { type: 'logarithmic', title: { display: true, text: t('db_contained_axis') } } },
    },
  });
}
