/**
 * Drift report over make-data.mjs rows (bench/make-data.mjs), the counterpart of
 * bench/anchors/anchor-drift.py. Reference = the rows of DIR (or its training rows when no
 * --current is given), current = the rows of --current DIR2 (or DIR's test rows).
 *
 *   npm run bench:drift -- DIR [--current DIR2] [--rows N] [--repeat 3] [--shift S]
 *
 * make-data.mjs's --drift moves the concept (labels), not the inputs, so its current rows are
 * drawn like the reference; --shift S adds S to every current value of the first half of the
 * features, to time a report where half the features really moved.
 * Prints one JSON line. `seconds` times driftReport(reference, current) given a prepared
 * reference (first, cold run); `prepare_seconds` times prepareReference (done once per version,
 * at its first drift report, and kept for the later ones); loading and transposing the float32
 * files is not timed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Column } from '../src/data/dataset.js';
import { driftReport, prepareReference } from '../src/monitor/drift-report.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const dir = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
if (!dir) {
  console.error('usage: npm run bench:drift -- DIR [--current DIR2] [--shift S] [--rows N] [--repeat 3]');
  process.exit(2);
}
const currentDir = flag('current');
const maxRows = Number(flag('rows') ?? 0);
const repeat = Number(flag('repeat') ?? 3);
const shift = Number(flag('shift') ?? 0);

interface Meta {
  rows: number;
  features: number;
  trainRows: number;
  featureNames: string[];
}

function load(d: string): { meta: Meta; x: Float32Array } {
  const meta = JSON.parse(readFileSync(join(d, 'meta.json'), 'utf8')) as Meta;
  const buf = readFileSync(join(d, 'X.f32'));
  const x = new Float32Array(buf.buffer, buf.byteOffset, meta.rows * meta.features);
  return { meta, x };
}

/** Columns of rows [from, to) of a row-major matrix, at most maxRows of them. */
function columns(meta: Meta, x: Float32Array, from: number, to: number): Column[] {
  if (maxRows > 0) to = Math.min(to, from + maxRows);
  const f = meta.features;
  const out: Column[] = [];
  for (let j = 0; j < f; j++) {
    const values = new Float64Array(to - from);
    for (let i = from; i < to; i++) values[i - from] = x[i * f + j];
    out.push({ name: meta.featureNames[j], kind: 'number', values });
  }
  return out;
}

const ref = load(dir);
let refCols: Column[];
let curCols: Column[];
if (currentDir) {
  const cur = load(currentDir);
  refCols = columns(ref.meta, ref.x, 0, ref.meta.rows);
  curCols = columns(cur.meta, cur.x, 0, cur.meta.rows);
} else {
  refCols = columns(ref.meta, ref.x, 0, ref.meta.trainRows);
  curCols = columns(ref.meta, ref.x, ref.meta.trainRows, ref.meta.rows);
}

if (shift !== 0) {
  for (let j = 0; j < curCols.length / 2; j++) {
    const values = (curCols[j] as { values: Float64Array }).values;
    for (let i = 0; i < values.length; i++) values[i] += shift;
  }
}

let t0 = performance.now();
const reference = prepareReference(refCols);
const prepareSeconds = (performance.now() - t0) / 1000;

t0 = performance.now();
const report = driftReport(reference, curCols);
const seconds = (performance.now() - t0) / 1000;
const warm: number[] = [];
for (let r = 0; r < repeat; r++) {
  t0 = performance.now();
  driftReport(reference, curCols);
  warm.push((performance.now() - t0) / 1000);
}
warm.sort((a, b) => a - b);

const round = (s: number) => Math.round(s * 1000) / 1000;
const numbers = report.features.filter((f) => f.kind === 'number');
console.log(
  JSON.stringify({
    library: 'refit',
    timed: 'driftReport(prepared reference, current): KS statistic + p-value, PSI, Wasserstein per feature',
    features: refCols.length,
    shift,
    reference_rows: (refCols[0] as { values: Float64Array }).values.length,
    current_rows: (curCols[0] as { values: Float64Array }).values.length,
    seconds: round(seconds),
    warm_median_seconds: warm.length ? round(warm[Math.floor(warm.length / 2)]) : null,
    prepare_seconds: round(prepareSeconds),
    // Preparation (sorting the reference) included, as the SciPy anchor's seconds include its sorts.
    total_seconds: round(prepareSeconds + seconds),
    drifted_ks_p05: numbers.filter((f) => (f.pValue ?? 1) < 0.05).length,
    drifted_features: report.driftedFeatures,
    model_drifted: report.drifted,
    max_ks_statistic: round(Math.max(...numbers.map((f) => f.ksStatistic ?? 0)) * 1e6) / 1e6,
    max_psi: round(Math.max(...numbers.map((f) => f.psi ?? 0)) * 1e6) / 1e6,
  }),
);
