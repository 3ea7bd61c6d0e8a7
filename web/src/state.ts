// Application state shared by the views, and small helpers over it.
import { get } from './api';
import { lang, t, type Key } from './i18n';
import type { Role, Stats, TmfCollection, User, Vocab, VocabName } from './types';

export interface Filters {
  region: string;
  kind: string;
  commodity: string;
  status: string;
  legal_class: string;
  owner_known: '' | 'true' | 'false';
  q: string;
}
export const emptyFilters = (): Filters => ({ region: '', kind: '', commodity: '', status: '', legal_class: '', owner_known: '', q: '' });

export const state = {
  user: null as User | null,
  vocab: {} as Vocab,
  filters: emptyFilters(),
  stats: null as Stats | null,
  /** GeoJSON for the current filters (map and table share it). */
  features: null as TmfCollection | null,
  featuresKey: '',
};

export function filterParams(f: Filters = state.filters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v && String(v).trim()) out[k] = String(v).trim();
  return out;
}

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, editor: 3, admin: 4 };
export function hasRole(role: Role): boolean {
  return !!state.user && (RANK[state.user.role] ?? 0) >= RANK[role];
}

// ------------------------------------------------------------------ vocabularies
const CONFIDENCE_KEYS: Record<string, Key> = { high: 'conf_high', medium: 'conf_medium', low: 'conf_low', unverified: 'conf_unverified' };

export function vocabTerms(name: VocabName): { code: string; label: string }[] {
  return (state.vocab[name] || []).map((v) => ({ code: v.code, label: v[lang()] || v.en || v.code }));
}
export function label(name: VocabName, code: string | null | undefined): string {
  if (!code) return t('none');
  const term = state.vocab[name]?.find((v) => v.code === code);
  if (term) return term[lang()] || term.en || code;
  if (name === 'confidence' && CONFIDENCE_KEYS[code]) return t(CONFIDENCE_KEYS[code]);
  return code;
}
export function roleLabel(role: string): string {
  const key = `role_${role}` as Key;
  return ['viewer', 'analyst', 'editor', 'admin'].includes(role) ? t(key) : role;
}

/** The TMF's name in the interface language, falling back to the Latin name. */
export function tmfName(o: { name: string; name_kk?: string | null; name_ru?: string | null }): string {
  const l = lang();
  return (l === 'kk' && o.name_kk) || (l === 'ru' && o.name_ru) || o.name;
}

// ------------------------------------------------------------------ data shared by views
export async function loadFeatures(force = false): Promise<TmfCollection> {
  const params = filterParams();
  const key = JSON.stringify(params);
  if (!force && state.features && state.featuresKey === key) return state.features;
  const fc = await get<TmfCollection>('tmfs.geojson', params);
  if (JSON.stringify(filterParams()) === key) {
    state.features = fc;
    state.featuresKey = key;
  }
  return fc;
}

let allFeatures: Promise<TmfCollection> | null = null;
/** Every TMF, unfiltered (dashboard). */
export function loadAllFeatures(force = false): Promise<TmfCollection> {
  if (force || !allFeatures) allFeatures = get<TmfCollection>('tmfs.geojson').catch((e) => { allFeatures = null; throw e; });
  return allFeatures;
}

let statsPromise: Promise<Stats> | null = null;
export function loadStats(force = false): Promise<Stats> {
  if (force || !statsPromise) statsPromise = get<Stats>('stats').then((s) => (state.stats = s)).catch((e) => { statsPromise = null; throw e; });
  return statsPromise;
}

// ------------------------------------------------------------------ events
type Handler = (arg?: unknown) => void;
const handlers = new Map<string, Handler[]>();
export function on(event: 'filters' | 'tmf-updated' | 'session' | 'lang', f: Handler): void {
  handlers.set(event, [...(handlers.get(event) || []), f]);
}
export function emit(event: 'filters' | 'tmf-updated' | 'session' | 'lang', arg?: unknown): void {
  for (const f of handlers.get(event) || []) f(arg);
}
