import type { CategoryColumn, Column, Dataset, FeatureMatrix } from '../../data/dataset.js';
import { mulberry32, type RandomSource } from '../../data/random.js';
import { UnrecoverableError } from '../../errors.js';
import type { FitOptions, Trainer } from '../trainer.js';
import { binMatrix, fitBins } from './binning.js';
import { Ensemble } from './ensemble.js';
import { GbdtPredictor, loadGbdtPredictor } from './gbdt-predictor.js';
import { ARG, CMD, LOSS, TASK, gradientBits, gradientShift } from './histogram.js';
import { HistTeam, canShareMemory, startTrainingThreads } from './hist-team.js';
import { gbdtParamsSchema, type GbdtParams } from './params.js';
import { EarlyStopping, earlyStopThreadFor } from './early-stopping.js';
import { TreeBuilder } from './tree-builder.js';

export { closeTrainingThreads } from './hist-team.js';

/**
 * Feature cells (rows × features) below which worker threads cost more than they save. It was
 * 200,000 while the histogram worker slept before every command (see nextSpin in histogram.ts):
 * then a retrain on 45,000 labels (31,500 training rows x 6) fitted on one thread. Measured once
 * the worker spun (medians of 7 alternated fits with validation rows): with early stopping's
 * helper thread beside a one-thread fit, as in a server's training thread, two threads took
 * 0.66-0.89x one thread's time from 500 to 31,500 rows x 6 (0.83x at 31,500: 294 against 356
 * ms); without it, 0.84-0.89x from 1,000 to 16,000 rows.
 */
const THREADS_MIN_CELLS = 20_000;
// Longest stretch of training between two turns of the event loop.
const YIELD_EVERY_MS = 20;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

function report(onProgress: ((fraction: number) => void) | undefined, fraction: number): void {
  if (onProgress === undefined) return;
  try {
    onProgress(fraction);
  } catch {
    // A failing progress listener must not fail the training run.
  }
}

/** Category codes of `x` re-expressed in `levels` (the union with the champion's), so old trees keep their codes. */
function remapLevels(x: FeatureMatrix, levels: Readonly<Record<string, readonly string[]>>): FeatureMatrix {
  const columns = x.columns.map((c): Column => {
    if (c.kind !== 'category') return c;
    const target = levels[c.name];
    const index = new Map(target.map((l, i) => [l, i]));
    const map = c.levels.map((l) => index.get(l) ?? -1);
    const codes = new Int32Array(c.codes.length);
    for (let i = 0; i < codes.length; i++) codes[i] = c.codes[i] >= 0 ? map[c.codes[i]] : -1;
    return { name: c.name, kind: 'category', codes, levels: target } satisfies CategoryColumn;
  });
  return { rows: x.rows, columns };
}

function toRowMajor(x: FeatureMatrix): Float64Array {
  const F = x.columns.length;
  const out = new Float64Array(x.rows * F);
  x.columns.forEach((c, f) => {
    for (let r = 0; r < x.rows; r++) out[r * F + f] = c.kind === 'number' ? c.values[r] : c.kind === 'category' ? c.codes[r] : NaN;
  });
  return out;
}

function median(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  const m = s.length;
  return m === 0 ? 0 : m % 2 === 1 ? s[(m - 1) >> 1] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

function checkData(data: Dataset): number {
  const n = data.x.rows;
  if (n === 0) throw new UnrecoverableError('cannot train on an empty dataset');
  const K = data.task === 'multiclass' ? data.classes.length : 1;
  if (data.task === 'multiclass' && K < 2) throw new UnrecoverableError('a multiclass dataset needs at least two classes');
  for (let i = 0; i < n; i++) {
    const v = data.y[i];
    const ok =
      data.task === 'regression' ? Number.isFinite(v) : data.task === 'binary' ? v === 0 || v === 1 : Number.isInteger(v) && v >= 0 && v < K;
    if (!ok) throw new UnrecoverableError(`label ${v} at row ${i} is not valid for a ${data.task} task`);
  }
  return K;
}

function initialScores(data: Dataset, p: GbdtParams, K: number): Float64Array {
  const y = data.y;
  const n = y.length;
  const base = new Float64Array(K);
  if (data.task === 'binary') {
    let pos = 0;
    for (let i = 0; i < n; i++) pos += y[i];
    base[0] = Math.log((pos + 0.5) / (n - pos + 0.5));
  } else if (data.task === 'multiclass') {
    const counts = new Float64Array(K);
    for (let i = 0; i < n; i++) counts[y[i]]++;
    for (let k = 0; k < K; k++) base[k] = Math.log((counts[k] + 0.5) / (n + 0.5 * K));
  } else if (p.loss === 'squared') {
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i];
    base[0] = s / n;
  } else {
    base[0] = median(y);
  }
  return base;
}

/**
 * Boost `rounds` rounds on `data`, from scratch or on top of `prev` (warm start). The shared core
 * of `fit` and `continueTraining`.
 */
async function train(prev: GbdtPredictor | null, data: Dataset, params: GbdtParams, options: FitOptions, rounds: number): Promise<GbdtPredictor> {
  const p = gbdtParamsSchema.parse(params);
  if (!gbdtTrainer.tasks.includes(data.task)) throw new UnrecoverableError(`the gbdt trainer cannot learn a ${data.task} task`);
  throwIfAborted(options.signal);
  const K = checkData(data);
  const task = data.task;
  const n = data.x.rows;
  const F = data.x.columns.length;
  const rf = p.mode === 'rf';

  let levels: Record<string, readonly string[]> = {};
  for (const c of data.x.columns) if (c.kind === 'category') levels[c.name] = c.levels;
  let x = data.x;
  let validation = options.validation;
  if (prev !== null) {
    const info = prev.info;
    const same =
      info.task === task &&
      info.mode === p.mode &&
      info.features.length === F &&
      info.features.every((f, j) => f.name === data.features[j].name && f.type === data.features[j].type) &&
      (task !== 'multiclass' || info.classes.join('\u0000') === data.classes.join('\u0000'));
    if (!same) throw new UnrecoverableError('warm start needs the same task, mode, features and classes as the previous model');
    // Old levels keep their codes; new ones are appended.
    levels = {};
    for (const c of data.x.columns) {
      if (c.kind !== 'category') continue;
      const old = info.levels[c.name] ?? [];
      const seen = new Set(old);
      levels[c.name] = [...old, ...c.levels.filter((l) => !seen.has(l))];
    }
    x = remapLevels(x, levels);
    if (validation !== undefined) validation = { ...validation, x: remapLevels(validation.x, levels) };
  }

  const threads = p.threads > 1 && n * F >= THREADS_MIN_CELLS && canShareMemory() ? p.threads : 1;
  // Workers that are not running yet start now, in the background, while the bins are made; the
  // fit takes them on once they are up.
  startTrainingThreads(threads);
  const featureBins = fitBins(x, p.maxBins);
  const histOffsets = new Int32Array(F + 1);
  for (let f = 0; f < F; f++) histOffsets[f + 1] = histOffsets[f] + featureBins[f].nBins + 1;

  const leafwise = p.growPolicy === 'leafwise';
  const maxDepth = p.maxDepth === 0 ? Infinity : p.maxDepth;
  const leafCap = p.maxLeaves > 0 ? p.maxLeaves : leafwise && p.maxDepth === 0 ? 31 : 2 ** Math.min(p.maxDepth, 16);
  const usable: number[] = [];
  for (let f = 0; f < F; f++) if (featureBins[f].kind !== 'ignored') usable.push(f);
  const colsampleByNode = p.colsampleByNode ?? (rf ? Math.sqrt(usable.length) / Math.max(1, usable.length) : 1);
  const subsample = rf && p.subsample === 1 ? 0.632 : p.subsample;

  let stoppingOf: EarlyStopping | null = null;
  let builderOf: TreeBuilder | null = null;
  let ensembleOf: Ensemble | null = null;
  const team = HistTeam.create({ rows: n, features: F, outputs: K, histOffsets, leafCap, threads, integerLabels: task !== 'regression' }, data.y);
  try {
    const plan = team.plan;
    binMatrix(x, featureBins, plan.bins);
    const builder = (builderOf = new TreeBuilder(team, featureBins, {
      leafwise,
      maxDepth,
      leafCap,
      minChildWeight: p.minChildWeight,
      minSamplesLeaf: p.minSamplesLeaf,
      minSplitGain: p.minSplitGain,
      l2: p.l2,
      colsampleByNode,
      leafRows: task === 'regression' && p.loss === 'absolute',
    }));
    const random: RandomSource = mulberry32(options.seed);
    const y = data.y;
    const base = prev !== null ? Float64Array.from(prev.info.base) : initialScores(data, p, K);
    const ensemble = (ensembleOf = prev !== null ? prev.ensemble : new Ensemble());
    const firstNewTree = ensemble.trees;
    const gain = prev !== null ? Float64Array.from(prev.info.gain) : new Float64Array(F);
    const splits = prev !== null ? Float64Array.from(prev.info.splits) : new Float64Array(F);
    const prevRounds = prev?.info.rounds ?? 0;

    // Raw margins of the training rows, row-major, K per row.
    const margins = plan.margins;
    if (prev !== null && !rf) {
      margins.set(prev.rawMargins(x));
    } else {
      // A forest's new trees fit the residual of the base score, like its old ones.
      for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) margins[i * K + k] = base[k];
    }
    plan.args[ARG.outputs] = K;
    plan.args[ARG.task] = task === 'binary' ? TASK.binary : task === 'multiclass' ? TASK.multiclass : TASK.regression;
    plan.args[ARG.loss] = p.loss === 'squared' ? LOSS.squared : p.loss === 'absolute' ? LOSS.absolute : LOSS.huber;
    plan.fargs[0] = p.huberDelta;
    // Quantized gradients (see histogram.ts, quantizeRows): classification only, where gradients
    // lie in [-1, 1] and hessians in [0, 1/4] whatever the margins.
    const bits = task !== 'regression' && p.quantizedGradients ? gradientBits(n) : 0;
    plan.args[ARG.quant] = bits;
    plan.args[ARG.qshift] = gradientShift(n, bits);
    // Each tree's rounding draws come from the seed and the tree's number (so a fit is repeatable).
    const saltBase = Math.imul(options.seed | 0, 0x2545f491);
    const { idx, blocks, blockStart, sampled, nodeStart, nodeEnd } = plan;
    const values = plan.leafValue;
    const treeFeats = new Int32Array(F);

    const early = !rf && p.earlyStoppingRounds > 0 && validation !== undefined && validation.x.rows > 0;
    const vx = early && validation !== undefined ? toRowMajor(validation.x) : null;
    const vy = validation?.y ?? new Float64Array(0);
    const vn = early ? vy.length : 0;
    let vm: Float64Array = new Float64Array(0);
    if (early && validation !== undefined) {
      if (prev !== null) vm = prev.rawMargins(validation.x);
      else {
        vm = new Float64Array(vn * K);
        for (let i = 0; i < vn; i++) for (let k = 0; k < K; k++) vm[i * K + k] = base[k];
      }
    }
    const earlyThread = early && options.helperThreads === true ? earlyStopThreadFor(threads === 1 ? p.threads : 1) : null;
    const stopping =
      early && vx !== null
        ? new EarlyStopping(
            {
              task,
              loss: p.loss,
              delta: p.huberDelta,
              x: vx,
              width: F,
              y: vy,
              margins: vm,
              outputs: K,
              patience: p.earlyStoppingRounds,
              rounds,
              firstTree: firstNewTree,
              // Only beside a fit on one thread: a team of two would share its cores with it.
              thread: earlyThread,
              // A team of two: the fit's thread does each pass while the other starts on the next
              // tree's first histograms (the early-stopping thread would take a core from both).
              alongside: earlyThread === null && threads > 1 ? (work) => team.alongsideNextBuild(work) : null,
            },
            gain,
            splits,
          )
        : null;
    stoppingOf = stopping;

    // One output, every row in every tree: a tree's margin update is deferred to the next
    // tree's gradient command (see BuildPlan.leafOf).
    const deferUpdates = !rf && K === 1 && subsample >= 1 && 2 * leafCap + 1 <= 65_535;
    let applyPending = false;
    let lastYield = performance.now();
    let done = 0;
    for (let round = 0; round < rounds; round++) {
      throwIfAborted(options.signal);
      if (task === 'multiclass' && (!rf || round === 0)) team.run(CMD.probs);
      // Column sample for this round's trees.
      let nTreeFeats = usable.length;
      for (let j = 0; j < usable.length; j++) treeFeats[j] = usable[j];
      if (p.colsampleByTree < 1 && usable.length > 1) {
        const k = Math.max(1, Math.round(p.colsampleByTree * usable.length));
        for (let i = 0; i < k; i++) {
          const j = i + Math.floor(random() * (usable.length - i));
          const t = treeFeats[i];
          treeFeats[i] = treeFeats[j];
          treeFeats[j] = t;
        }
        nTreeFeats = k;
        treeFeats.subarray(0, k).sort();
      }
      const treesBefore = ensemble.trees;
      const catWordsBefore = ensemble.catWords;
      for (let k = 0; k < K; k++) {
        // Rows for this tree: all, or a Bernoulli sample (ascending, so partitions stay ascending).
        let m = 0;
        if (subsample < 1) {
          for (let b = 0; b < blocks; b++) sampled[b] = 0;
          let b = 0;
          for (let i = 0; i < n; i++) {
            if (random() >= subsample) continue;
            while (i >= blockStart[b + 1]) b++;
            idx[blockStart[b] + sampled[b]++] = i;
            m++;
          }
          if (m === 0) {
            const i = Math.floor(random() * n);
            let c = 0;
            while (i >= blockStart[c + 1]) c++;
            idx[blockStart[c]] = i;
            sampled[c] = 1;
            m = 1;
          }
        } else {
          // The gradient command puts every row at its own position, block by block.
          m = n;
        }
        plan.args[ARG.allRows] = m === n && subsample >= 1 ? 1 : 0;
        // The last tree's leaves, recorded per row, go into the margins with these gradients.
        plan.args[ARG.apply] = applyPending ? 1 : 0;
        applyPending = false;
        // Gradients and hessians of the loss at the current margins (a forest: at the base score).
        plan.args[ARG.output] = k;
        plan.args[ARG.salt] = saltBase ^ Math.imul(ensemble.trees + 1, 0x9e3779b9);
        team.run(CMD.gradients);
        builder.grow(treeFeats, nTreeFeats, random);

        const shrink = rf ? 1 : p.learningRate;
        const nodes = builder.nodeCount;
        let nLeaves = 0;
        for (let node = 0; node < nodes; node++) {
          if (builder.child[node] >= 0) continue;
          // Quantized hessians may round to 0 row by row; should a leaf's sum to 0 with no l2
          // (split search's row estimate normally keeps such a side out), it takes no step.
          const denominator = builder.sumH[node] + p.l2;
          let v = denominator > 0 ? -builder.sumG[node] / denominator : 0;
          if (task === 'regression' && p.loss === 'absolute') {
            const res = new Float64Array(builder.rowsOf(node));
            const at = plan.nodeBuf[node] === 0 ? idx : plan.sIdx;
            let j = 0;
            for (let b = 0; b < blocks; b++) {
              const e = nodeEnd[node * blocks + b];
              for (let i = nodeStart[node * blocks + b]; i < e; i++) res[j++] = y[at[i]] - margins[at[i] * K + k];
            }
            v = median(res);
          }
          values[node] = v * shrink;
          if (builder.unranged[node] === 0) plan.leaves[nLeaves++] = node;
        }
        if (!rf) {
          if (deferUpdates) {
            // The next gradient command finds each row's leaf of this tree (leavesBlock, block
            // by block, from the row ranges and the last level's splits left as they are until
            // then) and adds it to the margins in row order: no command of its own, so one
            // fewer a tree for the threads to wait on each other (the last tree's leaves are
            // never needed).
            plan.args[ARG.count] = nLeaves;
            plan.args[ARG.pending] = builder.pending;
            applyPending = true;
          } else if (m === n) {
            plan.args[ARG.count] = nLeaves;
            plan.args[ARG.pending] = builder.pending;
            team.run(CMD.update);
          } else {
            for (let i = 0; i < n; i++) margins[i * K + k] += values[builder.binnedLeaf(i)];
          }
        }
        builder.commit(ensemble, values, k, gain, splits);
      }
      done = round + 1;
      report(options.onProgress, done / rounds);

      if (stopping !== null && stopping.afterRound(ensemble, done, treesBefore, ensemble.trees, catWordsBefore, gain, splits)) break;
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    throwIfAborted(options.signal);
    let kept = done;
    let finalGain: Float64Array = gain;
    let finalSplits: Float64Array = splits;
    if (stopping !== null) {
      stopping.finish(ensemble);
      kept = stopping.bestRound;
      ensemble.truncate(firstNewTree + kept * K);
      finalGain = stopping.bestGain;
      finalSplits = stopping.bestSplits;
    }
    if (rf) {
      // A forest averages its trees: rescale the old ones (already / prevRounds) and the new ones.
      const total = prevRounds + kept;
      const firstNewNode = firstNewTree < ensemble.trees ? ensemble.roots[firstNewTree] : ensemble.nodes;
      for (let i = 0; i < ensemble.nodes; i++) {
        if (ensemble.feature[i] >= 0) continue;
        ensemble.value[i] *= i < firstNewNode ? prevRounds / total : 1 / total;
      }
    }
    report(options.onProgress, 1);
    return new GbdtPredictor(
      {
        task,
        classes: data.classes,
        features: data.features,
        levels,
        mode: p.mode,
        rounds: prevRounds + kept,
        base,
        gain: finalGain,
        splits: finalSplits,
      },
      ensemble,
    );
  } finally {
    stoppingOf?.close();
    team.close();
    // See lastFit.
    team.shrink();
    lastFit = { team, builder: builderOf, ensemble: ensembleOf };
  }
}

/**
 * The last fit's team (its buffers let go: HistTeam.shrink), tree builder and trees, kept until
 * the next fit in this thread: a few kilobytes besides the trees, which are the model's own. V8
 * throws away the optimised code of the builder's and the team's methods when a full garbage
 * collection finds the objects it was compiled against gone ("weak objects" in
 * `node --trace-deopt`), and compiles it again during the next fit. A server's idle training
 * thread collects in full between two retrains. bench:gbdt forces a collection before each fit
 * (for its memory figures); a copy of it without that collection fitted 45,000 rows in 0.18-0.22 s
 * against 0.24-0.27 s. Keeping these alive took back about a third of that (the boosting loop's
 * own code, in `train`, is still thrown away, and the rest is not explained).
 */
let lastFit: { readonly team: HistTeam; readonly builder: TreeBuilder | null; readonly ensemble: Ensemble | null } | null = null;

/** What the last fit left alive in this thread (tests: the team's buffers are let go). */
export function keptAfterFit(): { readonly planBytes: number; readonly slots: number; readonly trees: number } | null {
  if (lastFit === null) return null;
  let planBytes = 0;
  for (const v of Object.values(lastFit.team.plan)) if (ArrayBuffer.isView(v)) planBytes += v.byteLength;
  return { planBytes, slots: lastFit.team.slots.length, trees: lastFit.ensemble?.trees ?? 0 };
}

/**
 * Histogram gradient-boosted trees (XGBoost / LightGBM style): binary (logistic), multiclass
 * (softmax) and regression (squared, absolute or Huber loss), or a random forest with `mode: 'rf'`.
 * Numbers are quantile-binned with a learned direction for missing values, categories are split
 * natively, text features are ignored. Deterministic for a given seed, whatever `threads`.
 */
export const gbdtTrainer: Trainer<GbdtParams> = {
  name: 'gbdt',
  paramsSchema: gbdtParamsSchema,
  tasks: ['binary', 'multiclass', 'regression'],

  fit(data: Dataset, params: GbdtParams, options: FitOptions): Promise<GbdtPredictor> {
    return train(null, data, params, options, gbdtParamsSchema.parse(params).numTrees);
  },

  load(bytes: Uint8Array): GbdtPredictor {
    return loadGbdtPredictor(bytes);
  },

  async continueFrom(championBytes: Uint8Array, data: Dataset, params: GbdtParams, options: FitOptions) {
    const p = gbdtParamsSchema.parse(params);
    if (!p.warmStart) return null;
    const predictor = await continueTraining(championBytes, data, p, p.numTrees, options);
    return { predictor, reason: `added up to ${p.numTrees} rounds to the champion's trees` };
  },
};

/**
 * Warm start: load the champion from `predictorBytes` and add `extraTrees` rounds learned on
 * `dataset`, keeping every earlier tree. Needs the same task, mode, features and classes; options
 * default to seed 0 and no validation (so no early stopping).
 */
export function continueTraining(
  predictorBytes: Uint8Array,
  dataset: Dataset,
  params: GbdtParams,
  extraTrees: number,
  options: FitOptions = { seed: 0 },
): Promise<GbdtPredictor> {
  if (!(Number.isInteger(extraTrees) && extraTrees > 0)) throw new RangeError(`extraTrees must be a positive integer, got ${extraTrees}`);
  return train(loadGbdtPredictor(predictorBytes), dataset, params, options, extraTrees);
}
