// Import page: upload a CSV/XLSX/GeoJSON inventory (optionally as a dry run); shows the counts on
// success or the row-level problems of a 422 answer.
import { ApiError, apiUrl, request } from '../api';
import { h, replace } from '../dom';
import { t } from '../i18n';
import { emit, hasRole, state } from '../state';
import type { ImportReport, ProblemError } from '../types';

let root: HTMLElement | null = null;
let result: { ok: boolean; report: ImportReport | null; errors: ProblemError[]; message: string } | null = null;
let busy = false;
let dryRun = true;

export function mountImport(container: HTMLElement): void {
  root = container;
}

export function render(): void {
  if (!root) return;
  const file = h('input', { type: 'file', name: 'file', testid: 'import-file', accept: '.csv,.txt,.xlsx,.geojson,.json', required: true });
  const dry = h('input', { type: 'checkbox', name: 'dry_run', testid: 'import-dry-run', checked: dryRun, onchange: () => (dryRun = dry.checked) });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'import-submit', disabled: busy }, busy ? t('i_uploading') : t('i_submit'));
  const form = h(
    'form',
    {
      class: 'import-form',
      testid: 'import-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const f = file.files?.[0];
        if (!f) {
          result = { ok: false, report: null, errors: [], message: t('i_choose') };
          render();
          return;
        }
        void upload(f, dry.checked);
      },
    },
    h('label', null, h('span', null, t('i_file')), file),
    h('label', { class: 'checkbox' }, dry, h('span', null, t('i_dry_run'))),
    h('div', { class: 'form-actions' }, submit),
  );
  replace(
    root,
    h('h2', null, t('i_title')),
    h('p', { class: 'muted' }, t('i_help')),
    !state.user ? h('p', { class: 'notice' }, h('a', { href: '#/login' }, t('i_login'))) : !hasRole('editor') ? h('p', { class: 'notice' }, t('i_forbidden')) : null,
    form,
    result ? renderResult() : null,
  );
}

function renderResult(): HTMLElement {
  const r = result!;
  const counts = r.report?.counts;
  return h(
    'div',
    { class: 'import-result', testid: 'import-result', dataset: { ok: String(r.ok) } },
    h('p', { class: r.ok ? 'notice' : 'error', role: r.ok ? 'status' : 'alert', testid: 'import-message' }, r.message),
    counts
      ? h(
          'dl',
          { class: 'counts', testid: 'import-counts' },
          ([['i_create', counts.create], ['i_update', counts.update], ['i_unchanged', counts.unchanged], ['i_rejected_n', counts.rejected]] as const).map(([k, v]) => [
            h('dt', null, t(k)),
            h('dd', { testid: `import-count-${k.slice(2)}` }, String(v ?? 0)),
          ]),
        )
      : null,
    r.errors.length
      ? h(
          'table',
          { class: 'data', testid: 'import-errors' },
          h('thead', null, h('tr', null, h('th', null, t('i_col_file')), h('th', { class: 'num' }, t('i_col_row')), h('th', null, t('i_col_field')), h('th', null, t('i_col_reason')))),
          h(
            'tbody',
            null,
            r.errors.map((e) =>
              h('tr', { testid: 'import-error-row' }, h('td', null, e.file ?? ''), h('td', { class: 'num' }, e.row === undefined || e.row === null ? '' : String(e.row)), h('td', null, e.field ?? ''), h('td', null, e.reason)),
            ),
          ),
        )
      : null,
  );
}

async function upload(file: File, dry: boolean): Promise<void> {
  busy = true;
  result = null;
  render();
  const body = new FormData();
  body.append('file', file, file.name);
  try {
    const report = await request<ImportReport>(apiUrl('imports', { dry_run: dry }), { method: 'POST', body });
    result = { ok: true, report, errors: [], message: dry ? t('i_ok_dry') : t('i_ok') };
    if (!dry) emit('tmf-updated');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      result = null; // the login page is shown
    } else if (e instanceof ApiError) {
      const report = (e.problem.report as ImportReport | undefined) ?? null;
      const errors = e.problem.errors?.length ? e.problem.errors : report?.problems ?? [];
      const message = e.status === 422 ? t('i_rejected') : e.status === 403 ? `${t('i_forbidden')} ${e.problem.detail ?? ''}` : t('error', { msg: e.message });
      result = { ok: false, report, errors, message };
    } else {
      result = { ok: false, report: null, errors: [], message: t('error', { msg: (e as Error).message }) };
    }
  } finally {
    busy = false;
    render();
  }
}
