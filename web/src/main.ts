// Qaita web UI: application shell, hash router and the wiring between views.
import './style.css';
import { ApiError, fetchSession, forgetSession, get, logout, onUnauthorized } from './api';
import { closeDrawer, drawerId, mountDrawer, openDrawer, rerenderDrawer } from './registry/drawer';
import { loadDashboard, mountDashboard, render as renderDashboard } from './registry/dashboard';
import { h, replace } from './dom';
import { mountFilters, renderFilters, setCommodities } from './registry/filters';
import { loadHistory, mountHistory, render as renderHistory } from './registry/history';
import { LANGS, lang, onLangChange, setLang, t, type Lang } from './i18n';
import { mountImport, render as renderImport } from './registry/importer';
import { mountLogin, render as renderLogin, setLoginMessage } from './login';
import { mountEstimate, renderEstimate, showEstimate } from './estimate/estimate';
import { mountPlan, planDataChanged, planTab, renderPlan, showPlan, type PlanTab } from './plan/plan';
import { focusOnMap, mountMap, refreshMap, renderChrome, resizeMap, selectOnMap } from './registry/map';
import { emit, hasRole, loadAllFeatures, loadStats, on, roleLabel, state } from './state';
import { loadTable, mountTable, render as renderTable, resetPaging } from './registry/table';
import type { Role, Vocab } from './types';

type View = 'map' | 'table' | 'dashboard' | 'plan' | 'estimate' | 'import' | 'login' | 'history';
const VIEWS: View[] = ['map', 'table', 'dashboard', 'plan', 'estimate', 'import', 'login', 'history'];
/** The header's entries; `role` hides an entry from users below it (and from guests). */
const NAV: { view: View; key: 'nav_map' | 'nav_table' | 'nav_dashboard' | 'nav_plan' | 'nav_estimate' | 'nav_import'; role?: Role }[] = [
  { view: 'map', key: 'nav_map' },
  { view: 'table', key: 'nav_table' },
  { view: 'dashboard', key: 'nav_dashboard' },
  { view: 'plan', key: 'nav_plan' },
  { view: 'estimate', key: 'nav_estimate', role: 'analyst' },
  { view: 'import', key: 'nav_import' },
];

const app = document.getElementById('app')!;
const headerEl = h('header', { class: 'topbar' });
const filtersEl = h('aside', { class: 'filters-panel', id: 'filters' });
const drawerEl = h('aside', { class: 'drawer', id: 'drawer', testid: 'detail-drawer' });
const viewEls = Object.fromEntries(VIEWS.map((v) => [v, h('section', { class: `view view-${v}`, id: `view-${v}`, testid: `view-${v}`, hidden: true })])) as Record<View, HTMLElement>;
const mainEl = h('main', { class: 'content' }, VIEWS.map((v) => viewEls[v]));
const layout = h('div', { class: 'layout' }, filtersEl, mainEl, drawerEl);
app.append(headerEl, layout);

let currentView: View | null = null;
let historyId: number | null = null;
let returnTo = '#/map';
let booted = false;
const dirty = { table: true, dashboard: true };

// ------------------------------------------------------------------ header
function renderHeader(): void {
  const langSelect = h(
    'select',
    { testid: 'lang-switcher', 'aria-label': t('language'), title: t('language'), onchange: () => setLang(langSelect.value as Lang) },
    LANGS.map((l) => h('option', { value: l.code, selected: l.code === lang() }, l.label)),
  );
  langSelect.value = lang();
  const user = state.user;
  replace(
    headerEl,
    h('a', { class: 'brand', href: '#/map', title: t('app_title') }, h('span', { class: 'brand-name' }, 'Qaita'), h('span', { class: 'brand-sub' }, t('app_short'))),
    h(
      'nav',
      { class: 'nav' },
      NAV.filter((n) => !n.role || hasRole(n.role)).map((n) => h('a', { href: `#/${n.view}`, testid: `nav-${n.view}`, class: currentView === n.view ? 'active' : undefined, 'aria-current': currentView === n.view ? 'page' : undefined }, t(n.key))),
    ),
    h('span', { class: 'spacer' }),
    h('label', { class: 'lang' }, h('span', { class: 'sr-only' }, t('language')), langSelect),
    h(
      'div',
      { class: 'user-box', testid: 'user-box' },
      user
        ? [
            h('span', { class: 'user-name', testid: 'user-name' }, user.username),
            h('span', { class: 'badge role', testid: 'user-role', title: t('role'), dataset: { role: user.role } }, roleLabel(user.role)),
            h('button', { type: 'button', testid: 'logout', onclick: () => void doLogout() }, t('logout')),
          ]
        : [h('span', { class: 'muted' }, t('guest')), h('a', { href: '#/login', class: 'button-link', testid: 'login-link' }, t('login'))],
    ),
  );
  document.title = t('app_title');
}

async function doLogout(): Promise<void> {
  try {
    await logout();
  } catch {
    /* the session is gone either way */
  }
  state.user = null;
  emit('session');
  location.hash = '#/map';
}

// ------------------------------------------------------------------ router
function parseHash(): { view: View; id: number | null; tab: PlanTab } {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const view = parts[0] as View | 'tmf';
  const tab = planTab(view === 'plan' ? parts[1] : undefined);
  if (view === 'tmf' && /^\d+$/.test(parts[1] || '')) return { view: 'map', id: Number(parts[1]), tab };
  if (view === 'history' && /^\d+$/.test(parts[1] || '')) return { view: 'history', id: Number(parts[1]), tab };
  if (view === 'estimate') return { view: 'estimate', id: /^\d+$/.test(parts[1] || '') ? Number(parts[1]) : null, tab };
  return { view: VIEWS.includes(view as View) && view !== 'history' ? (view as View) : 'map', id: null, tab };
}

function route(): void {
  const { view, id, tab } = parseHash();
  if (!booted && view !== 'login') return;
  show(view);
  if (view === 'plan') showPlan(tab);
  if (view === 'estimate') showEstimate(id);
  if (view === 'map' && id !== null && location.hash.startsWith('#/tmf/')) void openDrawer(id);
  if (view === 'history' && id !== null) {
    historyId = id;
    void loadHistory(id);
  }
}

function show(view: View): void {
  const changed = view !== currentView;
  if (changed && currentView !== null && drawerId() !== null) closeDrawer();
  currentView = view;
  for (const v of VIEWS) viewEls[v].hidden = v !== view;
  filtersEl.hidden = !(view === 'map' || view === 'table');
  layout.dataset.view = view;
  if (changed) renderHeader();
  if (view === 'map') requestAnimationFrame(resizeMap);
  if (view === 'table' && dirty.table) {
    dirty.table = false;
    void loadTable();
  }
  if (view === 'dashboard') {
    const force = dirty.dashboard;
    dirty.dashboard = false;
    void loadDashboard(force);
  }
  if (view === 'import') renderImport();
  if (view === 'login') renderLogin();
}

function openTmf(id: number): void {
  void openDrawer(id);
}

// ------------------------------------------------------------------ wiring
on('filters', () => {
  resetPaging();
  void refreshMap(true);
  if (currentView === 'table') void loadTable();
  else dirty.table = true;
});
on('tmf-updated', () => {
  state.features = null;
  state.featuresKey = '';
  void loadAllFeatures(true).catch(() => undefined);
  void loadStats(true).catch(() => undefined);
  void refreshMap();
  dirty.dashboard = true;
  planDataChanged();
  if (currentView === 'table') void loadTable();
  else dirty.table = true;
  if (currentView === 'history' && historyId !== null) void loadHistory(historyId);
});
on('session', () => {
  renderHeader();
  rerenderDrawer();
  renderPlan();
  renderEstimate();
  if (currentView === 'import') renderImport();
});
onLangChange(() => {
  renderHeader();
  renderFilters();
  renderChrome();
  renderTable();
  renderDashboard();
  renderImport();
  renderHistory();
  renderPlan();
  renderEstimate();
  if (currentView === 'login') renderLogin();
  rerenderDrawer();
  emit('lang');
});
onUnauthorized(() => {
  state.user = null;
  forgetSession();
  renderHeader();
  if (currentView !== 'login') returnTo = location.hash && !location.hash.startsWith('#/login') ? location.hash : '#/map';
  setLoginMessage(t('l_required'));
  if (location.hash !== '#/login') location.hash = '#/login';
  else show('login');
});

mountDrawer(drawerEl, {
  onClose: () => selectOnMap(null),
  onShow: (d) => {
    selectOnMap(d.id, d.footprint);
    if (currentView === 'map' && location.hash.startsWith('#/tmf/')) focusOnMap(d.location.lon, d.location.lat, drawerEl.offsetWidth, d.footprint);
  },
});
mountTable(viewEls.table, openTmf);
mountDashboard(viewEls.dashboard, openTmf);
mountHistory(viewEls.history, (id) => {
  location.hash = '#/map';
  void openDrawer(id);
});
mountPlan(viewEls.plan, openTmf);
mountEstimate(viewEls.estimate, (id) => {
  location.hash = `#/tmf/${id}`;
});
mountImport(viewEls.import);
mountLogin(viewEls.login, () => {
  const target = returnTo.startsWith('#/login') ? '#/map' : returnTo;
  returnTo = '#/map';
  if (!booted) void boot();
  if (location.hash === target) route();
  else location.hash = target;
});
window.addEventListener('hashchange', route);
document.documentElement.lang = lang();

async function boot(): Promise<void> {
  try {
    state.vocab = await get<Vocab>('vocab');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // login page shown by the handler
    state.vocab = {};
    console.warn('vocabularies unavailable:', (e as Error).message);
  }
  booted = true;
  mountFilters(filtersEl);
  mountMap(viewEls.map, openTmf);
  loadStats()
    .then((s) => setCommodities(Object.keys(s.national.contained)))
    .catch(() => undefined);
  route();
}

renderHeader();
void (async () => {
  try {
    const s = await fetchSession();
    state.user = s?.user ?? null;
  } catch (e) {
    console.warn('session check failed:', (e as Error).message);
  }
  renderHeader();
  if (parseHash().view === 'login') show('login');
  await boot();
})();
