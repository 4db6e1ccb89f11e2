/**
 * Gradient-boosted trees against XGBoost and scikit-learn: reads the data written by
 * bench/make-data.mjs (first 80% of rows train, the rest test), trains the gbdt trainer
 * with the settings of bench/anchors/anchor-gbdt.py and prints one JSON line with the same fields.
 *
 *   npm run bench:gbdt -- DIR [--task binary|multiclass|regression] [--trees 100] [--depth 6]
 *                            [--bins 255] [--lr 0.1] [--threads 2]
 *
 * --task only checks that DIR holds that task (make-data.mjs decides it).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Dataset, FeatureMatrix } from '../src/data/dataset.js';
import type { FeatureSpec, Task } from '../src/domain/entities.js';
import { gbdtTrainer } from '../src/train/gbdt/gbdt.js';
import { gbdtParamsSchema } from '../src/train/gbdt/params.js';

interface Meta {
  rows: number;
  features: number;
  task: Task;
  classes: number;
  trainRows: number;
  featureNames: string[];
}

const argv = process.argv.slice(2);
const dir = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (dir === undefined) {
  console.error('usage: npm run bench:gbdt -- DIR [--task binary|multiclass|regression] [--trees N] [--depth D] [--bins B] [--lr R] [--threads T]');
  process.exit(2);
}
const trees = Number(flag('trees') ?? 100);
const depth = Number(flag('depth') ?? 6);
const bins = Number(flag('bins') ?? 255);
const lr = Number(flag('lr') ?? 0.1);
const threads = Number(flag('threads') ?? 2);
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
const wanted = flag('task');
if (wanted !== undefined && wanted !== meta.task) {
  console.error(`${dir} holds ${meta.task} data, not ${wanted} (make it with make-data.mjs --task ${wanted})`);
  process.exit(2);
}

/** Rows [from, to) of X.f32 as number columns, read in chunks so the whole file is never in memory. */
function readColumns(from: number, to: number): FeatureMatrix {
  const F = meta.features;
  const n = to - from;
  const cols = Array.from({ length: F }, () => new Float64Array(n));
  const chunkRows = 65_536;
  const buf = Buffer.alloc(chunkRows * F * 4);
  const fd = openSync(join(dir as string, 'X.f32'), 'r');
  try {
    for (let r = 0; r < n; r += chunkRows) {
      const m = Math.min(chunkRows, n - r);
      readSync(fd, buf, 0, m * F * 4, (from + r) * F * 4);
      const chunk = new Float32Array(buf.buffer, buf.byteOffset, m * F);
      for (let i = 0; i < m; i++) for (let f = 0; f < F; f++) cols[f][r + i] = chunk[i * F + f];
    }
  } finally {
    closeSync(fd);
  }
  return { rows: n, columns: cols.map((values, f) => ({ name: meta.featureNames[f], kind: 'number' as const, values })) };
}

function readLabels(from: number, to: number): Float64Array {
  const raw = readFileSync(join(dir as string, 'y.f32'));
  return Float64Array.from(new Float32Array(raw.buffer, raw.byteOffset + from * 4, to - from));
}

/** Area under the ROC curve (ties get half credit). */
function auc(y: Float64Array, p: Float64Array): number {
  const order = Int32Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && p[order[j]] === p[order[i]]) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (y[order[k]] === 1) {
      pos++;
      rankSum += rank;
    }
    i = j;
  }
  const neg = y.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

const features: FeatureSpec[] = meta.featureNames.map((name) => ({ name, type: 'number' }));
const classes = meta.task === 'binary' ? ['0', '1'] : meta.task === 'multiclass' ? Array.from({ length: meta.classes }, (_, k) => String(k)) : [];
let train: Dataset | null = {
  task: meta.task,
  features,
  x: readColumns(0, meta.trainRows),
  y: readLabels(0, meta.trainRows),
  classes,
  rowIds: new Float64Array(0),
};
const params = gbdtParamsSchema.parse({
  numTrees: trees,
  maxDepth: depth,
  maxBins: bins,
  learningRate: lr,
  threads,
  // Like-for-like with XGBoost's defaults: min_child_weight 1, lambda 1, no row minimum.
  minChildWeight: 1,
  minSamplesLeaf: 1,
});
let t = performance.now();
const model = await gbdtTrainer.fit(train, params, { seed: 1 });
const fitS = (performance.now() - t) / 1000;
const trainRows = train.x.rows;
train = null;
// Release the training columns before reading the test rows, instead of whenever V8 next
// collects, so that peak memory measures training and prediction rather than the collector's
// timing (not timed).
setFlagsFromString('--expose-gc');
(runInNewContext('gc') as () => void)();

const testX = readColumns(meta.trainRows, meta.rows);
const testY = readLabels(meta.trainRows, meta.rows);
t = performance.now();
const p = model.predictMatrix(testX);
const predictS = (performance.now() - t) / 1000;
let metric: string;
let value: number;
if (meta.task === 'binary') {
  metric = 'auc';
  value = auc(testY, p);
} else if (meta.task === 'multiclass') {
  metric = 'accuracy';
  const K = meta.classes;
  let correct = 0;
  for (let i = 0; i < testY.length; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (p[i * K + k] > p[i * K + best]) best = k;
    if (best === testY[i]) correct++;
  }
  value = correct / testY.length;
} else {
  metric = 'rmse';
  let s = 0;
  for (let i = 0; i < testY.length; i++) s += (p[i] - testY[i]) ** 2;
  value = Math.sqrt(s / testY.length);
}
const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;
console.log(
  JSON.stringify({
    library: 'refit-gbdt',
    task: meta.task,
    rows: trainRows,
    features: meta.features,
    trees,
    depth,
    bins,
    threads,
    fit_s: round(fitS, 3),
    predict_s: round(predictS, 4),
    predict_rows: testY.length,
    metric,
    value: round(value, 5),
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  }),
);
