// HTTP client for the Qaita API v1: JSON in and out, problem+json errors, the session cookie
// (credentials: same-origin) and the X-CSRF-Token header on every write.
import type { Problem, SessionInfo } from './types';

export class ApiError extends Error {
  constructor(
    public status: number,
    public problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }
}

let csrfToken: string | null = null;
let unauthorizedHandler: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}
/** Called when a request answers 401 (the UI then shows the login page). */
export function onUnauthorized(f: () => void): void {
  unauthorizedHandler = f;
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Do not treat 401 as "log in first" (GET /session uses it to mean "not logged in"). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

export function apiUrl(path: string, params?: Record<string, string | number | boolean | undefined | null>): string {
  const url = new URL(`api/v1/${path.replace(/^\//, '')}`, document.baseURI);
  if (params) for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  return url.pathname + url.search;
}

export async function request<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method || 'GET';
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(url, { method, headers, body, credentials: 'same-origin', signal: opts.signal });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const problem: Problem = data && typeof data === 'object' ? (data as Problem) : { title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 200) };
    if (res.status === 401 && !opts.quiet401 && unauthorizedHandler) unauthorizedHandler();
    throw new ApiError(res.status, problem);
  }
  return data as T;
}

export const get = <T>(path: string, params?: Record<string, string | number | boolean | undefined | null>, opts?: RequestOptions) =>
  request<T>(apiUrl(path, params), opts);

// ------------------------------------------------------------------ session
// A hint (not a credential: the session is the HttpOnly cookie) that this browser logged in, so
// that anonymous visits do not ask GET /session only to be told 401.
const HINT = 'qaita.session';
function setHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch {
    /* storage unavailable */
  }
}
function hasHint(): boolean {
  try {
    return localStorage.getItem(HINT) === '1';
  } catch {
    return true;
  }
}
export function forgetSession(): void {
  setHint(false);
  setCsrfToken(null);
}

export async function fetchSession(): Promise<SessionInfo | null> {
  if (!hasHint()) return null;
  try {
    const s = await request<SessionInfo>(apiUrl('session'), { quiet401: true });
    setCsrfToken(s.csrf_token);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      forgetSession();
      return null;
    }
    throw e;
  }
}
export async function login(username: string, password: string): Promise<SessionInfo> {
  const s = await request<SessionInfo>(apiUrl('session'), { method: 'POST', json: { username, password }, quiet401: true });
  setCsrfToken(s.csrf_token);
  setHint(true);
  return s;
}
export async function logout(): Promise<void> {
  try {
    await request<void>(apiUrl('session'), { method: 'DELETE', quiet401: true });
  } finally {
    forgetSession();
  }
}
