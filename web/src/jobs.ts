// Background jobs (POST ... -> 202 JobView; GET jobs/{id} until it succeeds or fails; GET
// jobs/{id}/result), as used by the planning views and the drawer's fact sheet.
import { ApiError, apiUrl, get, request } from './api';
import { h } from './dom';
import { num, pct } from './format';
import { t, tMaybe } from './i18n';
import type { JobView } from './types';

export class JobFailed extends Error {
  constructor(public job: JobView) {
    super(job.error || `job ${job.id} failed`);
  }
}

export interface JobRun<T> {
  job: JobView;
  result: T;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Starts a job with `POST path?params` and the JSON body, reports every poll to `onProgress`
 * and resolves with the final job and its result. Rejects with ApiError (the POST or a poll
 * refused) or JobFailed.
 */
export async function runJob<T>(
  path: string,
  body: unknown,
  params: Record<string, string> | undefined,
  onProgress: (job: JobView) => void,
  isCancelled: () => boolean = () => false,
): Promise<JobRun<T>> {
  let job = await request<JobView>(apiUrl(path, params), { method: 'POST', json: body });
  onProgress(job);
  let wait = 300;
  while (job.status === 'queued' || job.status === 'running') {
    await sleep(wait);
    if (isCancelled()) throw new Error('cancelled');
    wait = Math.min(wait * 1.4, 1500);
    job = await get<JobView>(`jobs/${job.id}`);
    onProgress(job);
  }
  if (job.status !== 'succeeded') throw new JobFailed(job);
  const result = await get<T>(`jobs/${job.id}/result`);
  return { job, result };
}

/** Where a file of a finished job is downloaded from (the session cookie suffices). */
export function jobFileUrl(job: JobView, name: string): string {
  return apiUrl(`jobs/${job.id}/files/${encodeURIComponent(name)}`);
}

/** A short human message for a failed start or run. */
export function jobErrorText(e: unknown): { status?: number; text: string; fields: string[] } {
  if (e instanceof JobFailed) return { text: e.message, fields: [] };
  if (e instanceof ApiError) {
    const fields = (e.problem.errors || []).map((x) => {
      const reason = x.reason ?? (x as unknown as { message?: string }).message ?? '';
      return x.field ? `${x.field}: ${reason}` : reason;
    });
    return { status: e.status, text: e.problem.detail || e.problem.title || e.message, fields };
  }
  return { text: (e as Error)?.message || String(e), fields: [] };
}

// ------------------------------------------------------------------ a job followed by a view
export interface JobState<T> {
  running: boolean;
  job: JobView | null;
  result: T | null;
  error: unknown;
  /** Number of the latest start: an older run's answers are dropped. */
  seq: number;
}
export const jobState = <T>(): JobState<T> => ({ running: false, job: null, result: null, error: null, seq: 0 });

/** Status of the last run: queued / running with progress, failed with the reason, or the 4xx answer. */
export function jobLine(s: JobState<unknown>, testid = 'job-status'): HTMLElement | null {
  if (s.error) {
    const e = jobErrorText(s.error);
    return h(
      'div',
      { class: 'error job-error', role: 'alert', testid: 'job-error', dataset: { status: String(e.status ?? '') } },
      e.status === 403 ? t('pl_forbidden') : e.status === 400 ? t('pl_invalid') : t('error', { msg: e.text }),
      e.status === 400 || e.status === 403 ? ` ${e.text}` : null,
      e.fields.length ? h('ul', null, e.fields.map((f) => h('li', { testid: 'job-error-field' }, f))) : null,
    );
  }
  const j = s.job;
  if (!j) return null;
  const frac = j.total > 0 ? Math.min(1, j.done / j.total) : null;
  return h(
    'div',
    { class: 'job-line', testid, dataset: { status: j.status, job: String(j.id) }, role: 'status' },
    h('span', { class: `badge job-${j.status}` }, tMaybe(`job_${j.status}`, j.status)),
    ' ',
    t('pl_job', { id: j.id }),
    frac !== null && j.status !== 'succeeded' ? [' ', h('progress', { max: 1, value: frac, testid: 'job-progress' }), ` ${pct(frac, 0)}`] : null,
    j.status === 'succeeded' && j.started_at && j.finished_at ? ` · ${t('pl_took', { s: num((Date.parse(j.finished_at) - Date.parse(j.started_at)) / 1000, 1) })}` : null,
  );
}

