/**
 * Gradient-boosted trees against XGBoost: reads the data written by bench/make-data.mjs (first 80%
 * of rows train, the rest test), runs the XGBoost anchor (bench/anchors/anchor-gbdt.py --only
 * xgboost, with Debian's /usr/bin/python3 and python3-xgboost) and the gbdt trainer with the same
 * settings, and prints one JSON line: Refit's figures, the anchor's (xgb_fit_s, xgb_value,
 * xgb_peak_rss_mb, xgb_predict_s) and the ratios (fit_ratio = Refit fit_s / XGBoost fit_s,
 * rss_ratio = Refit peak RSS / XGBoost peak RSS, <metric>_diff = Refit value - XGBoost value,
 * e.g. auc_diff).
 *
 *   npm run bench:gbdt -- DIR [--task binary|multiclass|regression] [--trees 100] [--depth 6]
 *                            [--bins 255] [--lr 0.1] [--threads 2] [--repeat 1] [--no-anchor]
 *
 * --repeat N runs N rounds, each the anchor first (a fresh Python process, as the anchor always
 * is) then one Refit fit in this process (so from the second round on, Refit's training threads
 * are already running, as in a service that trains more than once), and reports the median fit_s
 * of each side; fit_s_runs and xgb_fit_s_runs list every round, fit_first_s is Refit's first
 * (cold) fit. Interleaving keeps both sides under the same machine load. Peak RSS is each side's
 * whole-process peak (Refit: all rounds, the test-set prediction included; XGBoost: the largest
 * of its runs). Predictions and the metric come from Refit's last model (every fit gives the same
 * model). --no-anchor skips XGBoost (Refit's fields only). --task only checks that DIR holds that
 * task (make-data.mjs decides it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Dataset, FeatureMatrix } from '../src/data/dataset.js';
import type { FeatureSpec, Task } from '../src/domain/entities.js';
import { gbdtTrainer } from '../src/train/gbdt/gbdt.js';
import type { Predictor } from '../src/train/trainer.js';
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
/** Flags that take a value (the others are switches). */
const VALUE_FLAGS = new Set(['task', 'trees', 'depth', 'bins', 'lr', 'threads', 'repeat']);
const dir = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !VALUE_FLAGS.has(argv[i - 1].slice(2))));
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (dir === undefined) {
  console.error('usage: npm run bench:gbdt -- DIR [--task binary|multiclass|regression] [--trees N] [--depth D] [--bins B] [--lr R] [--threads T] [--repeat N] [--no-anchor]');
  process.exit(2);
}
const trees = Number(flag('trees') ?? 100);
const depth = Number(flag('depth') ?? 6);
const bins = Number(flag('bins') ?? 255);
const lr = Number(flag('lr') ?? 0.1);
const threads = Number(flag('threads') ?? 2);
const repeat = Number(flag('repeat') ?? 1);
const withAnchor = !argv.includes('--no-anchor');
if (!(Number.isInteger(repeat) && repeat >= 1)) {
  console.error(`--repeat takes a positive integer, not ${flag('repeat')}`);
  process.exit(2);
}
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

/** What anchor-gbdt.py prints for one library (the fields this benchmark uses). */
interface AnchorResult {
  fit_s: number;
  predict_s: number;
  metric: string;
  value: number;
  peak_rss_mb: number;
}

/** Debian's interpreter, which has python3-xgboost (a virtualenv's python3 may not). */
const PYTHON = '/usr/bin/python3';

/** bench/anchors/anchor-gbdt.py, found upwards from this file (it runs as bench/gbdt.ts or dist-bench/bench/gbdt.js). */
function anchorScript(): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const candidate = join(d, 'bench', 'anchors', 'anchor-gbdt.py');
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) throw new Error('bench/anchors/anchor-gbdt.py not found above this script');
  }
}

/** Exit with a clear message unless Debian's python3 can import xgboost. */
function checkAnchor(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import xgboost'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const detail = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop() ?? String(err);
    console.error(
      `bench:gbdt needs XGBoost for its anchor: ${PYTHON} -c 'import xgboost' failed (${detail}).\n` +
        'Install it as root with: apt-get install -y python3-xgboost python3-sklearn python3-scipy python3-pandas\n' +
        'or pass --no-anchor for Refit\'s figures alone.',
    );
    process.exit(2);
  }
}

/** One run of the XGBoost anchor on DIR with this benchmark's settings (a fresh Python process). */
function runAnchor(script: string): AnchorResult {
  const args = [script, dir as string, '--only', 'xgboost', '--trees', String(trees), '--depth', String(depth), '--bins', String(bins), '--lr', String(lr), '--threads', String(threads)];
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as AnchorResult;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length;
  return m % 2 === 1 ? s[(m - 1) >> 1] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

const script = withAnchor ? anchorScript() : '';
if (withAnchor) checkAnchor();

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
const fitRuns: number[] = [];
const anchorRuns: AnchorResult[] = [];
let model: Predictor | null = null;
for (let r = 0; r < repeat; r++) {
  // The anchor first in every round: it runs in its own process, before this one's fit.
  if (withAnchor) anchorRuns.push(runAnchor(script));
  model = null;
  const t = performance.now();
  model = await gbdtTrainer.fit(train, params, { seed: 1 });
  fitRuns.push((performance.now() - t) / 1000);
}
const trainRows = train.x.rows;
train = null;
// Release the training columns before reading the test rows, instead of whenever V8 next
// collects, so that peak memory measures training and prediction rather than the collector's
// timing (not timed).
setFlagsFromString('--expose-gc');
(runInNewContext('gc') as () => void)();

const testX = readColumns(meta.trainRows, meta.rows);
const testY = readLabels(meta.trainRows, meta.rows);
const t = performance.now();
const p = (model as Predictor).predictMatrix(testX);
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
const fitS = median(fitRuns);
const peakRss = process.resourceUsage().maxRSS / 1024;
const result: Record<string, unknown> = {
  library: 'refit-gbdt',
  task: meta.task,
  rows: trainRows,
  features: meta.features,
  trees,
  depth,
  bins,
  threads,
  repeat,
  fit_s: round(fitS, 3),
  fit_first_s: round(fitRuns[0], 3),
  fit_s_runs: fitRuns.map((v) => round(v, 3)),
  predict_s: round(predictS, 4),
  predict_rows: testY.length,
  metric,
  value: round(value, 5),
  peak_rss_mb: round(peakRss, 1),
};
if (withAnchor) {
  const xgbFit = median(anchorRuns.map((a) => a.fit_s));
  const xgbValue = median(anchorRuns.map((a) => a.value));
  const xgbRss = Math.max(...anchorRuns.map((a) => a.peak_rss_mb));
  Object.assign(result, {
    xgb_fit_s: round(xgbFit, 3),
    xgb_fit_s_runs: anchorRuns.map((a) => a.fit_s),
    xgb_predict_s: round(median(anchorRuns.map((a) => a.predict_s)), 4),
    xgb_value: round(xgbValue, 5),
    xgb_peak_rss_mb: round(xgbRss, 1),
    fit_ratio: round(fitS / xgbFit, 3),
    [`${metric}_diff`]: round(value - xgbValue, 5),
    rss_ratio: round(peakRss / xgbRss, 3),
  });
}
console.log(JSON.stringify(result));
