// The national plan view (#/plan/<tab>): its filters (region, kind, data options), the sub-tabs
// and the wiring to each tab's module. Tabs: ranking, residential, rare-metals (GET plan/ranking,
// plan/roadmap), scenarios, schedule, reports (jobs, analyst or above).
import { h, replace } from '../dom';
import { t, type Key } from '../i18n';
import { knownExternalIds, loadNames, planFilterBar } from './plan-common';
import { invalidateRanking, loadRanking, mountRanking, render as renderRanking } from './plan-ranking';
import { invalidateRoadmap, loadRoadmap, mountRoadmap, render as renderRoadmap } from './plan-roadmap';
import { mountReports, render as renderReports } from './plan-reports';
import { mountScenarios, render as renderScenarios } from './plan-scenarios';
import { mountSchedule, render as renderSchedule } from './plan-schedule';

export type PlanTab = 'ranking' | 'residential' | 'rare-metals' | 'scenarios' | 'schedule' | 'reports';
export const PLAN_TABS: { tab: PlanTab; key: Key }[] = [
  { tab: 'ranking', key: 'pt_ranking' },
  { tab: 'residential', key: 'pt_residential' },
  { tab: 'rare-metals', key: 'pt_rare_metals' },
  { tab: 'scenarios', key: 'pt_scenarios' },
  { tab: 'schedule', key: 'pt_schedule' },
  { tab: 'reports', key: 'pt_reports' },
];

let root: HTMLElement | null = null;
let headEl: HTMLElement;
let current: PlanTab = 'ranking';
let sections: Record<PlanTab, HTMLElement>;

export function planTab(part: string | undefined): PlanTab {
  return PLAN_TABS.some((x) => x.tab === part) ? (part as PlanTab) : 'ranking';
}

export function mountPlan(container: HTMLElement, openTmf: (id: number) => void): void {
  root = container;
  headEl = h('div', { class: 'plan-head' });
  sections = Object.fromEntries(PLAN_TABS.map(({ tab }) => [tab, h('section', { class: `plan-tab plan-${tab}`, testid: `plan-${tab}`, hidden: true })])) as Record<PlanTab, HTMLElement>;
  replace(root, headEl, PLAN_TABS.map(({ tab }) => sections[tab]));
  mountRanking(sections.ranking, openTmf);
  mountRoadmap(sections.residential, sections['rare-metals'], openTmf);
  mountScenarios(sections.scenarios);
  mountSchedule(sections.schedule, openTmf);
  mountReports(sections.reports, knownExternalIds);
}

function renderHead(): void {
  if (!root) return;
  root.dataset.tab = current;
  replace(
    headEl,
    h('div', { class: 'plan-title' }, h('h2', null, t('pl_title')), h('p', { class: 'muted small' }, t('pl_intro'))),
    h(
      'nav',
      { class: 'plan-nav', 'aria-label': t('pl_title') },
      PLAN_TABS.map(({ tab, key }) =>
        h('a', { href: `#/plan/${tab}`, testid: `plan-tab-${tab}`, class: tab === current ? 'active' : undefined, 'aria-current': tab === current ? 'page' : undefined }, t(key)),
      ),
    ),
    planFilterBar(onFilters, current === 'ranking'),
  );
}

function onFilters(): void {
  invalidateRanking();
  invalidateRoadmap();
  void loadTab();
}

function loadTab(): Promise<void> | void {
  if (current === 'ranking') return loadRanking();
  if (current === 'residential' || current === 'rare-metals') return loadRoadmap();
  renderTab();
}

function renderTab(): void {
  if (current === 'scenarios') renderScenarios();
  else if (current === 'schedule') renderSchedule();
  else if (current === 'reports') renderReports();
}

/** Shows a tab (the router calls it for #/plan/<tab>). */
export function showPlan(tab: PlanTab): void {
  current = tab;
  loadNames(renderPlan);
  for (const { tab: x } of PLAN_TABS) sections[x].hidden = x !== tab;
  renderHead();
  void loadTab();
}

/** Re-renders everything (language change, login or logout). */
export function renderPlan(): void {
  if (!root) return;
  renderHead();
  renderRanking();
  renderRoadmap();
  renderScenarios();
  renderSchedule();
  renderReports();
}

/** A TMF changed (an edit): the ranking and the roadmap are recomputed when next shown. */
export function planDataChanged(): void {
  invalidateRanking();
  invalidateRoadmap();
}
