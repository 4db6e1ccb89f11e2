/** Display helpers: dates, durations, metrics. Everything shown in the browser's time zone. */

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
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

export function metric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

export function signed(v: number, digits = 4): string {
  return (v > 0 ? '+' : v < 0 ? '−' : '±') + Math.abs(v).toFixed(digits);
}

export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '';
  return `${Math.round(fraction * 100)}%`;
}

/** Metric names as people read them. */
export function metricName(name: string): string {
  const names: Record<string, string> = { auc: 'AUC', f1: 'F1', rmse: 'RMSE', mae: 'MAE', r2: 'R²', logLoss: 'log loss', accuracy: 'accuracy', precision: 'precision', recall: 'recall', macroF1: 'macro F1' };
  return names[name] ?? name;
}
