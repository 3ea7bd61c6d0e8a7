// Filter panel: region, kind, commodity, status, legal class, owner known and free text. Every
// change updates state.filters and emits 'filters' (map and table reload from the API).
import { h, replace } from '../dom';
import { t } from '../i18n';
import { emit, emptyFilters, state, vocabTerms, type Filters } from '../state';
import type { VocabName } from '../types';

let root: HTMLElement | null = null;
let commodities: string[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

export function mountFilters(container: HTMLElement): void {
  root = container;
  renderFilters();
}

export function setCommodities(list: string[]): void {
  commodities = list.slice().sort((a, b) => a.localeCompare(b));
  renderFilters();
}

function change(name: keyof Filters, value: string): void {
  (state.filters as unknown as Record<string, string>)[name] = value;
  emit('filters');
}

function vocabSelect(name: keyof Filters, vocab: VocabName, testid: string, titleKey: Parameters<typeof t>[0]): HTMLElement {
  const value = state.filters[name];
  const select = h(
    'select',
    { id: `filter-${name}`, name, testid, onchange: () => change(name, select.value) },
    h('option', { value: '' }, t('all')),
    vocabTerms(vocab).map((v) => h('option', { value: v.code, selected: v.code === value }, v.label)),
  );
  select.value = value;
  return h('label', { for: `filter-${name}` }, h('span', null, t(titleKey)), select);
}

export function renderFilters(): void {
  if (!root) return;
  const f = state.filters;
  const active = document.activeElement as HTMLElement | null;
  const hadFocus = active?.id === 'filter-q' ? (active as HTMLInputElement) : null;
  const caret = hadFocus?.selectionStart ?? null;
  const q = h('input', {
    id: 'filter-q',
    type: 'search',
    testid: 'filter-q',
    value: f.q,
    placeholder: t('q_placeholder'),
    autocomplete: 'off',
    oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(() => change('q', q.value), 300);
    },
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        clearTimeout(timer);
        change('q', q.value);
      }
    },
  });
  const commodity = h(
    'select',
    { id: 'filter-commodity', testid: 'filter-commodity', onchange: () => change('commodity', commodity.value) },
    h('option', { value: '' }, t('all')),
    (commodities.includes(f.commodity) || !f.commodity ? commodities : [...commodities, f.commodity]).map((c) => h('option', { value: c, selected: c === f.commodity }, c)),
  );
  commodity.value = f.commodity;
  const owner = h(
    'select',
    { id: 'filter-owner_known', testid: 'filter-owner-known', onchange: () => change('owner_known', owner.value) },
    h('option', { value: '' }, t('all')),
    h('option', { value: 'true' }, t('owner_known')),
    h('option', { value: 'false' }, t('owner_unknown')),
  );
  owner.value = f.owner_known;
  replace(
    root,
    h('h2', { class: 'panel-title' }, t('filters')),
    h(
      'form',
      { class: 'filters', testid: 'filter-panel', onsubmit: (e: Event) => e.preventDefault() },
      h('label', { for: 'filter-q' }, h('span', null, t('f_q')), q),
      vocabSelect('region', 'region', 'filter-region', 'f_region'),
      vocabSelect('kind', 'kind', 'filter-kind', 'f_kind'),
      h('label', { for: 'filter-commodity' }, h('span', null, t('f_commodity')), commodity),
      vocabSelect('status', 'status', 'filter-status', 'f_status'),
      vocabSelect('legal_class', 'legal_class', 'filter-legal-class', 'f_legal_class'),
      h('label', { for: 'filter-owner_known' }, h('span', null, t('f_owner_known')), owner),
      h(
        'button',
        {
          type: 'button',
          testid: 'filter-reset',
          onclick: () => {
            clearTimeout(timer);
            state.filters = emptyFilters();
            renderFilters();
            emit('filters');
          },
        },
        t('reset'),
      ),
    ),
  );
  if (hadFocus) {
    q.focus();
    if (caret !== null) q.setSelectionRange(caret, caret);
  }
}
