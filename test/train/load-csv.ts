import { readFileSync } from 'node:fs';
import type { LabelledRow } from '../../src/data/build-dataset.js';
import type { FeatureSpec } from '../../src/domain/entities.js';

/** A fixture numeric data set: every column but the last is a number feature, the last is the label. */
export interface CsvData {
  readonly features: FeatureSpec[];
  readonly rows: LabelledRow[];
}

/** Read test/fixtures/datasets/<name> (header row, numeric columns, label last). */
export function loadSharedCsv(name: string): CsvData {
  const url = new URL(`../fixtures/datasets/${name}`, import.meta.url);
  const lines = readFileSync(url, 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const names = header.slice(0, -1);
  const features: FeatureSpec[] = names.map((name) => ({ name, type: 'number' }));
  const rows = lines.slice(1).map((line, i): LabelledRow => {
    const cells = line.split(',').map(Number);
    const values: Record<string, number> = {};
    names.forEach((name, j) => (values[name] = cells[j]));
    return { id: i + 1, features: values, label: cells[cells.length - 1] };
  });
  return { features, rows };
}
