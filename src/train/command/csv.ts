import type { Dataset } from '../../data/dataset.js';

function field(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A dataset as CSV for a command: a header of the feature names then `label`; numbers as written,
 * booleans 1/0, categories and text as their strings, a missing value as an empty field; the
 * label is 0/1 (binary), the class index (multiclass, in the schema's class order) or the value.
 */
export function datasetCsv(data: Dataset): string {
  const lines: string[] = [[...data.features.map((f) => field(f.name)), 'label'].join(',')];
  const n = data.y.length;
  for (let r = 0; r < n; r++) {
    const cells = data.x.columns.map((c) => {
      if (c.kind === 'number') return Number.isNaN(c.values[r]) ? '' : String(c.values[r]);
      if (c.kind === 'category') return c.codes[r] < 0 ? '' : field(c.levels[c.codes[r]]);
      return field(c.values[r]);
    });
    cells.push(String(data.y[r]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}
