// Audit trail of one TMF: who changed what, when, with before and after values.
import { get } from '../api';
import { h, replace } from '../dom';
import { t, tMaybe, type Key } from '../i18n';
import { date, quantity } from '../format';
import { label, tmfName } from '../state';
import type { HistoryEntry, Tmf, VocabName } from '../types';

const FIELD_LABELS: Record<string, Key> = {
  name: 'e_name',
  name_kk: 'e_name_kk',
  name_ru: 'e_name_ru',
  operator: 'd_operator',
  owner: 'd_owner',
  status: 'd_status',
  legal_class: 'd_legal_class',
  hazard_notes: 'd_hazard',
  kind: 'd_kind',
  family: 'd_family',
  region: 'd_region',
  source_enterprise: 'd_source_enterprise',
  location: 'd_location',
  external_id: 'd_external_id',
};
const VOCAB_FIELDS = new Set(['status', 'legal_class', 'kind', 'family', 'region']);

function fieldCell(field: string): (HTMLElement | string)[] {
  const key = FIELD_LABELS[field];
  return key ? [t(key), h('div', { class: 'muted small' }, field)] : [field];
}

let root: HTMLElement | null = null;
let shown: { id: number; doc: Tmf | null; entries: HistoryEntry[] | null; error: string | null } | null = null;
let openTmf: (id: number) => void = () => {};

export function mountHistory(container: HTMLElement, onOpen: (id: number) => void): void {
  root = container;
  openTmf = onOpen;
}

export async function loadHistory(id: number): Promise<void> {
  if (!root) return;
  shown = { id, doc: null, entries: null, error: null };
  root.dataset.state = 'loading';
  render();
  try {
    const [doc, entries] = await Promise.all([get<Tmf>(`tmfs/${id}`), get<HistoryEntry[]>(`tmfs/${id}/history`)]);
    if (shown?.id !== id) return;
    shown = { id, doc, entries, error: null };
  } catch (e) {
    if (shown?.id !== id) return;
    shown = { id, doc: null, entries: null, error: (e as Error).message };
  }
  root.dataset.state = shown.error ? 'error' : 'ready';
  render();
}

function value(v: unknown, field = ''): string {
  if (v === null || v === undefined || v === '') return t('none');
  if (typeof v === 'string' && VOCAB_FIELDS.has(field)) return label(field as VocabName, v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.value === 'number' && typeof o.unit === 'string') {
      const p = (o.provenance || {}) as Record<string, unknown>;
      const parts = [p.source, p.date].filter(Boolean).join(', ');
      return `${quantity(o.value, o.unit)}${parts ? ` (${parts})` : ''}${o.current === false ? ` — ${t('d_not_current')}` : ''}`;
    }
    if (typeof o.lon === 'number' && typeof o.lat === 'number') return `${o.lat}° N, ${o.lon}° E`;
    if (o.type && o.coordinates) return String(o.type);
    const s = JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  }
  return String(v);
}

export function render(): void {
  if (!root || !shown) return;
  const { id, doc, entries, error } = shown;
  const list = (entries || []).slice().sort((a, b) => b.version - a.version || b.id - a.id);
  replace(
    root,
    h(
      'div',
      { class: 'history-head' },
      h('h2', null, t('h_title')),
      doc ? h('div', { class: 'muted' }, `${tmfName(doc)} · ${doc.external_id}`) : null,
      h('button', { type: 'button', testid: 'history-open', onclick: () => openTmf(id) }, t('h_back')),
    ),
    error ? h('p', { class: 'error', role: 'alert' }, t('error', { msg: error })) : null,
    !entries && !error ? h('p', { class: 'muted' }, t('loading')) : null,
    entries && !entries.length ? h('p', { class: 'muted' }, t('h_empty')) : null,
    h(
      'ol',
      { class: 'history', testid: 'history-view' },
      list.map((e) =>
        h(
          'li',
          { class: 'history-entry', testid: 'history-entry', dataset: { version: String(e.version), action: e.action } },
          h(
            'div',
            { class: 'history-meta' },
            h('strong', null, t('h_version', { v: e.version })),
            h('span', { class: `badge action-${e.action}` }, tMaybe(`action_${e.action}`, e.action)),
            h('span', null, `${t('h_at')}: ${date(e.at, true)}`),
            h('span', { testid: 'history-actor' }, `${t('h_actor')}: ${e.actor}`),
            e.context ? h('span', { class: 'muted' }, `${t('h_context')}: ${e.context}`) : null,
          ),
          h(
            'table',
            { class: 'data compact' },
            h('thead', null, h('tr', null, h('th', null, t('h_field')), h('th', null, t('h_before')), h('th', null, t('h_after')))),
            h(
              'tbody',
              null,
              e.changes.map((c) => h('tr', { testid: 'history-change', dataset: { field: c.field } }, h('td', null, fieldCell(c.field)), h('td', null, value(c.before, c.field)), h('td', null, value(c.after, c.field)))),
            ),
          ),
        ),
      ),
    ),
  );
}
