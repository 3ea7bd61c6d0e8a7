// Numbers, masses, money and dates in the current language.
import { lang, locale, t, type Key } from './i18n';

// Browsers built without Kazakh locale data (Chromium's bundled ICU among them) format 'kk' with
// English conventions; Kazakhstan writes numbers like Russian (1 234,5) and dates as 23.11.2026.
const kkSupported = new Intl.NumberFormat('kk-KZ').format(1234.5) !== new Intl.NumberFormat('en').format(1234.5);
export function numLocale(): string {
  return lang() === 'kk' && !kkSupported ? 'ru-RU' : locale();
}

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  return new Intl.NumberFormat(numLocale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v);
}
/** Significant-figure formatting for values of any size. */
export function sig(v: number | null | undefined, s = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  return new Intl.NumberFormat(numLocale(), { maximumSignificantDigits: s }).format(v);
}
export function pct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  return new Intl.NumberFormat(numLocale(), { style: 'percent', maximumFractionDigits: digits }).format(v);
}
/** A mass in tonnes with the unit that keeps 1-3 digits before the decimal point. */
export function tonnes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  const a = Math.abs(v);
  const [div, unit]: [number, Key] = a >= 1e9 ? [1e9, 'u_Gt'] : a >= 1e6 ? [1e6, 'u_Mt'] : a >= 1e3 ? [1e3, 'u_kt'] : [1, 'u_t'];
  return `${sig(v / div, 3)} ${t(unit)}`;
}
export function usd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  const a = Math.abs(v);
  if (a >= 1e9) return `${sig(v / 1e9, 3)} ${t('u_usd_bn')}`;
  if (a >= 1e6) return `${sig(v / 1e6, 3)} ${t('u_usd_m')}`;
  if (a >= 1e3) return `${sig(v / 1e3, 3)} ${t('u_usd_k')}`;
  return `${num(v)} USD`;
}
export function musd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  return num(v / 1e6, Math.abs(v) < 1e7 ? 1 : 0);
}
export function mt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  return sig(v / 1e6, 3);
}
export function date(iso: string | null | undefined, withTime = false): string {
  if (!iso) return t('none');
  // Dates as stored: YYYY, YYYY-MM or YYYY-MM-DD are shown as written when not a full timestamp.
  if (/^\d{4}(-\d{2})?$/.test(iso)) return iso;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (lang() === 'kk') {
    const p = (n: number) => String(n).padStart(2, '0');
    const day = `${p(d.getDate())}.${p(d.getMonth() + 1)}.${d.getFullYear()}`;
    return withTime ? `${day}, ${p(d.getHours())}:${p(d.getMinutes())}` : day;
  }
  return new Intl.DateTimeFormat(locale(), withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' }).format(d);
}
/** Field value as entered: 14.5 Mt, 0.35 %, 1.2 g/t. */
export function quantity(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 4;
  return `${num(value, digits)} ${unit}`;
}
/** A file size: 812 B, 34.5 kB, 1.2 MB. */
export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t('none');
  if (v < 1000) return `${num(v)} ${t('u_B')}`;
  if (v < 1e6) return `${sig(v / 1e3, 3)} ${t('u_kB')}`;
  return `${sig(v / 1e6, 3)} ${t('u_MB')}`;
}
