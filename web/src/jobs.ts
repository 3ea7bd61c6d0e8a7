// Background jobs (POST ... -> 202 JobView; GET jobs/{id} until it succeeds or fails; GET
// jobs/{id}/result), as used by the planning views and the drawer's fact sheet.
import { ApiError, apiUrl, get, request } from './api';
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
