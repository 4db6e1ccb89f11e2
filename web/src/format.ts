/**
 * Display helpers: dates, durations, numbers. One format per kind of value, used everywhere, so
 * the same thing reads the same on every card. Dates show in the browser's time zone; the full
 * ISO timestamp goes in a title tooltip (see `When` in components/common.tsx).
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** "12 Mar 2026, 14:03": day, month, year and 24-hour time in the browser's zone; '—' without a date. */
export function dateTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "12 Mar, 14:03": for chart ticks, where the year would crowd the axis. */
export function shortDateTime(t: number): string {
  const d = new Date(t);
  return `${d.getDate()} ${MONTHS[d.getMonth()]}, ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "14:03:05": for chart ticks within one day. */
export function clockTime(t: number): string {
  const d = new Date(t);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The full ISO timestamp, for the title tooltip of a formatted date. */
export function isoTitle(iso: string | number | null | undefined): string | undefined {
  if (iso === null || iso === undefined || iso === '') return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** "3 min ago", "in 2 h": coarse, for a glance; the exact time goes in a title attribute. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  if (abs < 5000) return 'just now';
  for (const [ms, name] of units) {
    if (abs >= ms) {
      const n = Math.round(abs / ms);
      return diff < 0 ? `${n} ${name} ago` : `in ${n} ${name}`;
    }
  }
  return 'just now';
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Decimals of a metric value (AUC, accuracy, RMSE…): always four, so values line up. */
export const METRIC_DIGITS = 4;
/** Decimals of a percentage (a change, a share): always one. */
export const PERCENT_DIGITS = 1;
/** Decimals of a statistic (KS D, PSI, a distance): always three. */
export const STAT_DIGITS = 3;

/** A metric value with fixed precision; large values (RMSE in currency) with one decimal. */
export function metric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(METRIC_DIGITS);
}

/** A signed difference of two metric values: "+0.0123", "−0.0040", "±0.0000". */
export function signed(v: number, digits = METRIC_DIGITS): string {
  return (v > 0 ? '+' : v < 0 ? '−' : '±') + Math.abs(v).toFixed(digits);
}

/** A signed percentage with one decimal and a true minus sign: "+2.5%", "−0.7%", "±0.0%". */
export function signedPercent(pct: number | null | undefined): string {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return '—';
  const r = Number(Math.abs(pct).toFixed(PERCENT_DIGITS));
  return (r === 0 ? '±' : pct > 0 ? '+' : '−') + r.toFixed(PERCENT_DIGITS) + '%';
}

/** A fraction (0–1) as a whole percentage: "50%". */
export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '';
  return `${Math.round(fraction * 100)}%`;
}

/** A fraction (0–1) as a percentage with one decimal: "42.5%". */
export function sharePercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(PERCENT_DIGITS)}%`;
}

/** A statistic or distance with fixed precision ('—' when absent). */
export function statistic(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(STAT_DIGITS);
}

/** Small p-values as 1e-40, others with three decimals. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (p === 0) return '0';
  return p < 0.001 ? p.toExponential(1) : p.toFixed(STAT_DIGITS);
}

/** A count with its noun: "1 label", "3 labels". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "150 new labels (20 needed) — ready", "5 new labels (20 needed) — 15 more to go". */
export function labelsText(count: number, needed: number): string {
  const head = `${count} new label${count === 1 ? '' : 's'} (${needed} needed)`;
  return count >= needed ? `${head} — ready` : `${head} — ${needed - count} more to go`;
}

/** Metric names as people read them. */
export function metricName(name: string): string {
  const names: Record<string, string> = { auc: 'AUC', f1: 'F1', rmse: 'RMSE', mae: 'MAE', r2: 'R²', logLoss: 'log loss', accuracy: 'accuracy', precision: 'precision', recall: 'recall', macroF1: 'macro F1' };
  return names[name] ?? name;
}

/** ISO timestamps inside a server's sentence ("detected 2026-03-12T14:03:05.120Z"). */
const ISO_IN_TEXT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;
/** Percentages with decimals ("-0.7164%", "-1.8%"): shown with one decimal and a true minus sign. */
const PERCENT_IN_TEXT = /(^|[^\w.])([+\-−]?)(\d+\.\d+)%/g;

/**
 * A sentence written by the server (a decision, a reason), in the dashboard's formats: its ISO
 * timestamps as dates, its percentages with one decimal. The words stay the server's.
 */
export function serverText(text: string): string {
  return text
    .replace(ISO_IN_TEXT, (iso) => dateTime(iso))
    .replace(PERCENT_IN_TEXT, (_all, before: string, sign: string, digits: string) => `${before}${sign === '-' ? '−' : sign}${Number(digits).toFixed(PERCENT_DIGITS)}%`);
}
