import type { FieldProblem } from '../errors.js';

/** Shown for a missing value in tables. */
export const NONE = '—';

/** Columns aligned with two spaces between them; the header row first. Trailing spaces trimmed. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** `Key:  value` lines with the values aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([k]) => k.length + 1));
  return pairs.map(([k, v]) => `${(k + ':').padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}

/** A metric or score for people: four significant digits, no trailing zeros; `—` when missing. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  return String(Number(x.toPrecision(4)));
}

/** A duration for people: `850ms`, `4.2s`, `3m 05s`; `—` when missing. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** An ISO timestamp shortened to minutes in UTC (`2026-11-23 06:00Z`); `—` when missing. */
export function when(iso: string | null | undefined): string {
  if (!iso) return NONE;
  return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');
}

/** `n` followed by the noun, plural unless n is 1 (`1 row`, `3 rows`). */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** A problem title and detail followed by every named problem, indented, one a line. */
export function problemText(title: string, detail: string, errors: readonly FieldProblem[]): string {
  const head = detail && detail !== title ? `${title}: ${detail}` : title;
  return [head, ...errors.map((e) => `  ${e.path}: ${e.message}`)].join('\n') + '\n';
}

/** A size for people: `512 B`, `4.0 KiB`, `198.2 MiB`; `—` when unknown. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE;
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
