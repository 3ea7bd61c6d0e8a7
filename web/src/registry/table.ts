// Sortable, paged table of the TMFs that match the filters, with CSV export of all of them.
import { get } from '../api';
import { h, replace } from '../dom';
import { t, type Key } from '../i18n';
import { mt, musd } from '../format';
import { filterParams, label, loadFeatures, tmfName } from '../state';
import type { Tmf, TmfPage, TmfProps } from '../types';

type SortKey = 'external_id' | 'name' | 'region' | 'kind' | 'tonnage' | 'npv';
interface Column {
  key: Key;
  sort?: SortKey;
  num?: boolean;
  nowrap?: boolean;
  cell: (item: Tmf, p: TmfProps | undefined) => string;
}

const COLUMNS: Column[] = [
  { key: 'col_external_id', sort: 'external_id', nowrap: true, cell: (i) => i.external_id },
  { key: 'col_name', sort: 'name', cell: (i) => tmfName(i) },
  { key: 'col_region', sort: 'region', cell: (i) => label('region', i.region) },
  { key: 'col_kind', sort: 'kind', cell: (i) => label('kind', i.kind) },
  { key: 'col_status', cell: (i) => label('status', i.status) },
  { key: 'col_tonnage', sort: 'tonnage', num: true, cell: (i, p) => mt(p?.tonnage_t ?? i.derived?.tonnage_t ?? null) },
  { key: 'col_npv', sort: 'npv', num: true, cell: (i, p) => musd(p?.npv_usd ?? i.derived?.valuation?.p50_usd ?? null) },
  { key: 'col_near', cell: (i, p) => { const near = p?.near_settlement ?? i.derived?.proximity?.near_settlement; return near === undefined ? t('none') : near ? t('yes') : t('no'); } },
];

const view = { sort: 'external_id' as SortKey, order: 'asc' as 'asc' | 'desc', offset: 0, limit: 25 };
let root: HTMLElement | null = null;
let page: TmfPage | null = null;
let props = new Map<number, TmfProps>();
let error: string | null = null;
let seq = 0;
let openTmf: (id: number) => void = () => {};

export function mountTable(container: HTMLElement, onOpen: (id: number) => void): void {
  root = container;
  openTmf = onOpen;
}

export function resetPaging(): void {
  view.offset = 0;
}

export async function loadTable(): Promise<void> {
  if (!root) return;
  const my = ++seq;
  root.dataset.state = 'loading';
  render();
  try {
    const [p, fc] = await Promise.all([
      get<TmfPage>('tmfs', { ...filterParams(), sort: view.sort, order: view.order, limit: view.limit, offset: view.offset }),
      loadFeatures(),
    ]);
    if (my !== seq) return;
    page = p;
    props = new Map(fc.features.map((f) => [f.properties.id, f.properties]));
    error = null;
  } catch (e) {
    if (my !== seq) return;
    error = (e as Error).message;
  }
  root.dataset.state = error ? 'error' : 'ready';
  render();
}

export function render(): void {
  if (!root) return;
  const total = page?.total ?? 0;
  const from = total ? view.offset + 1 : 0;
  const to = Math.min(view.offset + (page?.items.length ?? 0), total);
  const head = h(
    'tr',
    null,
    COLUMNS.map((c) => {
      const active = c.sort === view.sort;
      return h(
        'th',
        {
          class: `${c.num ? 'num ' : ''}${c.sort ? 'sortable' : ''}${active ? ` sorted-${view.order}` : ''}`,
          scope: 'col',
          'aria-sort': active ? (view.order === 'asc' ? 'ascending' : 'descending') : undefined,
          testid: c.sort ? `sort-${c.sort}` : undefined,
        },
        c.sort
          ? h('button', { type: 'button', class: 'th-button', title: t('sort_hint'), onclick: () => sortBy(c.sort!) }, t(c.key), h('span', { class: 'sort-mark' }, active ? (view.order === 'asc' ? ' ▲' : ' ▼') : ''))
          : t(c.key),
      );
    }),
  );
  const rows = (page?.items ?? []).map((item) =>
    h(
      'tr',
      { testid: 'table-row', dataset: { id: String(item.id) }, tabindex: 0, onclick: () => openTmf(item.id), onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') openTmf(item.id); } },
      COLUMNS.map((c) => h('td', { class: c.num ? 'num' : c.nowrap ? 'nowrap' : undefined }, c.cell(item, props.get(item.id)))),
    ),
  );
  const exportButton = h('button', { type: 'button', testid: 'csv-export', onclick: () => void exportCsv(exportButton) }, t('csv_export'));
  replace(
    root,
    h(
      'div',
      { class: 'table-toolbar' },
      h('h2', null, t('t_title')),
      h('span', { class: 'muted', testid: 'table-total' }, page ? t('matching', { n: total }) : t('loading')),
      h('span', { class: 'spacer' }),
      exportButton,
    ),
    error ? h('p', { class: 'error', role: 'alert' }, t('error', { msg: error })) : null,
    h('div', { class: 'table-scroll' }, h('table', { class: 'data', testid: 'tmf-table' }, h('thead', null, head), h('tbody', null, rows))),
    page && !total ? h('p', { class: 'muted', testid: 'table-empty' }, t('no_rows')) : null,
    h(
      'div',
      { class: 'pager' },
      h('button', { type: 'button', testid: 'page-prev', disabled: view.offset === 0, onclick: () => goto(view.offset - view.limit) }, `← ${t('prev')}`),
      h('span', { testid: 'page-info' }, page ? t('page_info', { from, to, total }) : ''),
      h('button', { type: 'button', testid: 'page-next', disabled: to >= total, onclick: () => goto(view.offset + view.limit) }, `${t('next')} →`),
      h(
        'label',
        { class: 'page-size' },
        t('page_size'),
        h(
          'select',
          { testid: 'page-size', onchange: (e: Event) => { view.limit = Number((e.target as HTMLSelectElement).value); view.offset = 0; void loadTable(); } },
          [10, 25, 50, 100].map((n) => h('option', { value: n, selected: n === view.limit }, String(n))),
        ),
      ),
    ),
  );
}

function sortBy(key: SortKey): void {
  if (view.sort === key) view.order = view.order === 'asc' ? 'desc' : 'asc';
  else {
    view.sort = key;
    view.order = key === 'tonnage' || key === 'npv' ? 'desc' : 'asc';
  }
  view.offset = 0;
  void loadTable();
}

function goto(offset: number): void {
  view.offset = Math.max(0, offset);
  void loadTable();
}

// ------------------------------------------------------------------ CSV
const CSV_COLUMNS = ['id', 'external_id', 'name', 'name_kk', 'name_ru', 'kind', 'family', 'region', 'status', 'legal_class', 'operator', 'owner', 'lon', 'lat', 'tonnage_t', 'npv_p50_usd', 'near_settlement', 'version'];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every TMF matching the filters, in the table's order (all pages). */
export async function exportCsv(button?: HTMLButtonElement): Promise<void> {
  if (button) {
    button.disabled = true;
    button.textContent = t('csv_exporting');
  }
  try {
    const items: Tmf[] = [];
    // Pages of up to 500; the offset follows what the server actually returned (it may cap limit).
    for (;;) {
      const p = await get<TmfPage>('tmfs', { ...filterParams(), sort: view.sort, order: view.order, limit: 500, offset: items.length });
      items.push(...p.items);
      if (!p.items.length || items.length >= p.total) break;
    }
    const fc = await loadFeatures();
    const byId = new Map(fc.features.map((f) => [f.properties.id, f.properties]));
    const lines = [CSV_COLUMNS.join(',')];
    for (const i of items) {
      const p = byId.get(i.id);
      const values: Record<string, unknown> = {
        ...i,
        lon: i.location.lon,
        lat: i.location.lat,
        tonnage_t: p?.tonnage_t ?? i.derived?.tonnage_t ?? null,
        npv_p50_usd: p?.npv_usd ?? i.derived?.valuation?.p50_usd ?? null,
        near_settlement: p?.near_settlement ?? i.derived?.proximity?.near_settlement ?? null,
      };
      lines.push(CSV_COLUMNS.map((c) => csvCell(values[c])).join(','));
    }
    const blob = new Blob(['\uFEFF' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `qaita-tmfs-${new Date().toISOString().slice(0, 10)}.csv`, style: { display: 'none' } });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } finally {
    if (button) {
      button.disabled = false;
      button.textContent = t('csv_export');
    }
  }
}

