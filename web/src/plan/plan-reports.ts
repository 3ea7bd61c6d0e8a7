// Plan / reports: the national report and a TMF's fact sheet as HTML and PDF (POST reports,
// analyst; a job whose files are downloaded from jobs/{id}/files/{name}). The drawer's
// "Fact sheet (PDF)" action uses the same runner.
import { h, replace } from '../dom';
import { t } from '../i18n';
import { bytes } from '../format';
import { jobFileUrl, runJob } from '../jobs';
import { banner, canRun, jobLine, jobState, optionFields, optionsBody, planQuery, runHint, type JobState, type OptionValues } from './plan-common';
import type { ReportOptions, ReportResult } from '../types';

let root: HTMLElement | null = null;
/** Schedule options of the reports (the drawer's fact sheet uses them too). */
const values: OptionValues = {};
const national = jobState<ReportResult>();
const factSheet = jobState<ReportResult>();
let tmfId = '';
const seqs = { national: 0, tmf: 0 };
let suggestions: () => string[] = () => [];

export function mountReports(container: HTMLElement, ids: () => string[]): void {
  root = container;
  suggestions = ids;
  root.dataset.state = 'idle';
}

/**
 * Runs a report job into `s`, calling `update` on each change. `filters`: the plan filters go
 * into the query string (the national report over a subset); the drawer's fact sheet sends none.
 */
export async function runReport(s: JobState<ReportResult>, body: ReportOptions, update: () => void, isCurrent: () => boolean, filters = true): Promise<void> {
  s.error = null;
  s.result = null;
  s.job = null;
  s.running = true;
  update();
  try {
    const { job, result } = await runJob<ReportResult>('reports', body, filters ? planQuery() : undefined, (j) => {
      if (!isCurrent()) return;
      s.job = j;
      update();
    });
    if (!isCurrent()) return;
    s.job = job;
    s.result = result;
  } catch (e) {
    if (!isCurrent()) return;
    s.error = e;
  }
  s.running = false;
  update();
}

/** Download links of a finished report job: HTML opens in a tab, the PDF downloads. */
export function reportFiles(s: JobState<ReportResult>, testid = 'report-file'): HTMLElement | null {
  if (!s.result || !s.job) return null;
  const job = s.job;
  return h(
    'ul',
    { class: 'report-files', testid: `${testid}s` },
    s.result.files.map((f) => {
      const pdf = /pdf/i.test(f.content_type) || f.name.endsWith('.pdf');
      return h(
        'li',
        null,
        h(
          'a',
          {
            href: jobFileUrl(job, f.name),
            testid,
            class: 'button-link',
            dataset: { name: f.name, type: f.content_type, bytes: String(f.bytes) },
            ...(pdf ? { download: f.name } : { target: '_blank', rel: 'noopener' }),
          },
          pdf ? t('rp_download_pdf') : t('rp_open_html'),
          ` — ${f.name} (${bytes(f.bytes)})`,
        ),
      );
    }),
  );
}

/** The body of POST reports: the schedule options set on this tab, the report and the TMF. */
export function reportBody(report: 'national' | 'tmf', id?: string): { body: ReportOptions; problems: string[] } {
  const { body, problems } = optionsBody(values);
  return { body: { ...body, report, ...(id ? { id } : {}) }, problems };
}

async function startNational(): Promise<void> {
  const my = ++seqs.national;
  const { body, problems } = reportBody('national');
  if (problems.length) {
    national.error = new Error(problems.join('; '));
    render();
    return;
  }
  await runReport(national, body, render, () => my === seqs.national);
}

async function startTmf(): Promise<void> {
  const id = tmfId.trim();
  const my = ++seqs.tmf;
  if (!id) {
    factSheet.error = new Error(t('rp_need_id'));
    render();
    return;
  }
  const { body, problems } = reportBody('tmf', id);
  if (problems.length) {
    factSheet.error = new Error(problems.join('; '));
    render();
    return;
  }
  await runReport(factSheet, body, render, () => my === seqs.tmf);
}

function resultBlock(s: JobState<ReportResult>, kind: 'national' | 'tmf'): HTMLElement {
  return h(
    'div',
    { class: 'report-block', testid: `report-${kind}-result`, dataset: { state: s.running ? 'running' : s.result ? 'ready' : s.error ? 'error' : 'idle' } },
    jobLine(s, `job-status-${kind}`),
    s.result ? banner(s.result) : null,
    reportFiles(s),
  );
}

export function render(): void {
  if (!root) return;
  const any = national.running || factSheet.running;
  root.dataset.state = any ? 'running' : 'idle';
  const idInput = h('input', { type: 'text', testid: 'report-tmf-id', id: 'report-tmf-id', value: tmfId, list: 'report-tmf-ids', placeholder: 'KZ-TMF-0012', oninput: () => (tmfId = idInput.value) });
  replace(
    root,
    h('h3', null, t('rp_title')),
    h('p', { class: 'muted small' }, t('rp_help')),
    runHint(),
    h(
      'form',
      { class: 'plan-form report-options', testid: 'report-options', onsubmit: (e: Event) => e.preventDefault() },
      h('p', { class: 'small' }, t('rp_options')),
      h('div', { class: 'form-grid' }, optionFields(values, ['objective', 'budget_musd', 'capacity_mt', 'time_limit_s', 'residential_first'], 'report')),
    ),
    h(
      'section',
      { class: 'card report-card' },
      h('h4', null, t('rp_national')),
      h('p', { class: 'small' }, t('rp_national_help')),
      h('button', { type: 'button', class: 'primary', testid: 'report-national', disabled: !canRun() || national.running, onclick: () => void startNational() }, national.running ? t('pl_running') : t('rp_national_run')),
      resultBlock(national, 'national'),
    ),
    h(
      'section',
      { class: 'card report-card' },
      h('h4', null, t('rp_tmf')),
      h(
        'form',
        {
          class: 'inline-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (canRun() && !factSheet.running) void startTmf();
          },
        },
        h('label', { for: 'report-tmf-id' }, h('span', null, t('rp_tmf_id')), idInput),
        h('datalist', { id: 'report-tmf-ids' }, suggestions().map((x) => h('option', { value: x }))),
        h('button', { type: 'submit', class: 'primary', testid: 'report-tmf', disabled: !canRun() || factSheet.running }, factSheet.running ? t('pl_running') : t('rp_tmf_run')),
      ),
      resultBlock(factSheet, 'tmf'),
    ),
  );
}
