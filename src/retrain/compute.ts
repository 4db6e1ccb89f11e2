import { buildDataset, datasetHash } from '../data/build-dataset.js';
import { rowSet, splitRecent, type ChampionTraining, type RecentSplit } from '../data/holdout.js';
import type { DataRows } from '../domain/quality.js';
import { availableParallelism } from 'node:os';
import { BootstrapThread } from '../evaluate/bootstrap-thread.js';
import { pairedBootstrapShared, type PairedBootstrap } from '../evaluate/paired-bootstrap.js';
import { primaryMetric } from '../evaluate/metrics.js';
import { fitAutoWindow, type WindowChoice } from './window-choice.js';
import type { Dataset } from '../data/dataset.js';
import type { FeatureRow, Metrics, ModelSpec } from '../domain/entities.js';
import { UnrecoverableError } from '../errors.js';
import { computeMetrics } from '../evaluate/metrics.js';
import type { CommandTable } from '../train/command/command-spec.js';
import { externalFeatureProblem, type ExternalFormat } from '../train/formats/envelope.js';
import { loadModelFile } from '../train/formats/index.js';
import { loadPlugins } from '../train/plugins.js';
import { getTrainer, loadPredictor } from '../train/registry.js';
import type { Predictor } from '../train/trainer.js';
import type { LabelRow, RawLabelRow } from '../store/store.js';
import { parseLabelRow } from '../store/store.js';

/** Everything the compute part of a retrain needs; plain data, so it can cross to a worker thread. */
export interface ComputeInput {
  readonly spec: ModelSpec;
  /** The training window as stored (parsed here, off the server's event loop). */
  readonly labels: readonly RawLabelRow[];
  /** The champion's artifact, to score it on the same test rows; null without a champion. */
  readonly champion: { readonly kind: string; readonly bytes: Uint8Array } | null;
  /** The label ids the champion trained on, left out of the test rows; null without a champion. */
  readonly championTraining?: ChampionTraining | null;
  /** The job, for command trainers: its id (the job directory's name), where job directories go, the declared commands. Default none. */
  readonly job?: { readonly id: string; readonly workRoot: string; readonly commands: CommandTable } | null;
  /** An import: evaluate this model file instead of training. Default none. */
  readonly imported?: { readonly format: ExternalFormat; readonly bytes: Uint8Array } | null;
  /** Plug-in trainer modules (absolute paths) to load first; the training worker loads them itself. Default none. */
  readonly plugins?: readonly string[];
  /**
   * Names the window `labels` belongs to: the rows start with every row of the last input with
   * the same key (src/retrain/label-window.ts), so a training thread that kept those parsed is
   * sent only the rest. Default none: nothing is kept.
   */
  readonly windowKey?: string | null;
  /**
   * Most threads the trainer may use: caps a trainer's numeric `threads` param for this fit (the
   * params recorded with the version stay the spec's). Default: no cap.
   */
  readonly threads?: number | null;
  /**
   * Let the work start helper threads of this thread where `threads` allows two: half of the
   * paired bootstrap (src/evaluate/bootstrap-thread.ts) and the trainer's side work (gbdt's early
   * stopping, FitOptions.helperThreads). The server's training threads do. Default false: all
   * of it on this thread.
   */
  readonly helperThreads?: boolean;
}

/** Everything the compute part needs besides the window itself. */
export type ComputeJob = Omit<ComputeInput, 'labels' | 'windowKey'>;

/** A training window parsed and hashed. */
export interface ParsedWindow {
  /** The rows, oldest first. */
  readonly labels: readonly LabelRow[];
  /** datasetHash of the rows. */
  readonly hash: string;
  /** buildDataset of the rows for a spec, by a thread that keeps the rows encoded; default: buildDataset. */
  readonly dataset?: (task: ModelSpec['task'], features: ModelSpec['features'], classes: ModelSpec['classes']) => Dataset;
}

/** What the compute part returns; plain data. */
export interface ComputeOutput {
  readonly datasetHash: string;
  readonly labelCount: number;
  readonly trainingSamples: number;
  readonly testSamples: number;
  readonly trainingMs: number;
  readonly trainer: { readonly type: string; readonly params: Record<string, unknown> };
  readonly challengerBytes: Uint8Array;
  readonly newMetrics: Metrics;
  /** The champion's metrics on the same rows; null without a champion or when it could not score them. */
  readonly oldMetrics: Metrics | null;
  /** Why the champion could not be scored, when it could not. */
  readonly championError: string | null;
  /** `window: "auto"`: which window was chosen and why; null otherwise. */
  readonly window: string | null;
  /** Which label rows the challenger trained, validated and was tested on. */
  readonly dataRows: DataRows;
  /** True when every recent row was in the champion's training rows: the champion was not compared. */
  readonly noFairRows: boolean;
  /** The paired bootstrap of the primary metric on the test rows; null without a champion. */
  readonly bootstrap: PairedBootstrap | null;
  /** For a gbdt trainer with `warmStart`: whether the champion's trees were continued, and why not. */
  readonly warmStart: { readonly continued: boolean; readonly reason: string } | null;
}

/** Progress and cancellation for a compute run. */
export interface ComputeOptions {
  readonly signal: AbortSignal;
  /** Training progress in [0, 1]. */
  readonly onProgress?: (fraction: number) => void;
  /** Output of a command trainer, as it comes. */
  readonly onLog?: (text: string) => void;
  /** A command trainer's process group id, as soon as it runs. */
  readonly onStart?: (pid: number) => void;
  /** The challenger's artifact (and its kind) as soon as it is trained, before it is evaluated: to store and smoke-test it meanwhile. */
  readonly onTrained?: (bytes: Uint8Array, kind: string) => void;
}

function testRows(test: Dataset, labels: readonly LabelRow[]): FeatureRow[] {
  const out: FeatureRow[] = new Array(test.rowIds.length);
  let sorted = true;
  for (let i = 1; i < labels.length && sorted; i++) sorted = labels[i - 1].id < labels[i].id;
  if (sorted) {
    // Windows come oldest first (ids ascending): find each row by bisection, no map of every row.
    for (let i = 0; i < test.rowIds.length; i++) {
      const id = test.rowIds[i];
      let lo = 0;
      let hi = labels.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (labels[mid].id < id) lo = mid + 1;
        else hi = mid;
      }
      out[i] = labels.length > 0 && labels[lo].id === id ? labels[lo].features : {};
    }
    return out;
  }
  const byId = new Map<number, FeatureRow>();
  for (const l of labels) byId.set(l.id, l.features);
  for (let i = 0; i < test.rowIds.length; i++) out[i] = byId.get(test.rowIds[i]) ?? {};
  return out;
}

/** Parse a window as stored and hash it. */
export function parseWindow(raw: readonly RawLabelRow[]): ParsedWindow {
  const labels = raw.map(parseLabelRow);
  return { labels, hash: datasetHash(labels) };
}

/** `params` with a numeric `threads` lowered to `cap` (the CPU this process leaves to training). */
export function capThreads(params: Record<string, unknown>, cap: number | null | undefined): Record<string, unknown> {
  if (cap === null || cap === undefined || typeof params.threads !== 'number' || params.threads <= cap) return params;
  return { ...params, threads: Math.max(1, Math.floor(cap)) };
}

/** Champion class probabilities re-indexed to the challenger's class order, so both score the same labels. */
function alignClasses(pred: Float64Array, from: readonly string[], to: readonly string[], rows: number): Float64Array {
  if (from.length === to.length && from.every((c, i) => c === to[i])) return pred;
  const k = to.length;
  const out = new Float64Array(rows * k);
  const index = to.map((c) => from.indexOf(c));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) out[r * k + c] = index[c] >= 0 ? pred[r * from.length + index[c]] : 0;
  }
  return out;
}

/**
 * The CPU-bound part of a retrain, free of I/O: hash the window, build and split the dataset
 * (seeded, stratified), train the challenger, and score challenger and champion on the same
 * test rows. Runs inline or in a worker thread (src/retrain/train-worker.ts).
 */
export async function trainAndEvaluate(input: ComputeInput, options: ComputeOptions): Promise<ComputeOutput> {
  return trainAndEvaluateWindow(input, parseWindow(input.labels), options);
}

/**
 * The bootstrap thread this compute may use: when helper threads are allowed, and two threads are
 * allowed now and there. Allowed helpers start (in the background, warming up) even when two
 * threads are not allowed now, so that they are up and compiled when they are.
 */
function bootstrapHelper(input: ComputeJob): BootstrapThread | null {
  if (input.helperThreads !== true || availableParallelism() < 2) return null;
  const thread = BootstrapThread.shared();
  return (input.threads ?? Infinity) >= 2 ? thread : null;
}

/** trainAndEvaluate on a window already parsed and hashed (a training thread keeps windows parsed between retrains). */
export async function trainAndEvaluateWindow(input: ComputeJob, window: ParsedWindow, options: ComputeOptions): Promise<ComputeOutput> {
  const { spec } = input;
  // The bootstrap's helper thread, if it may have one, starts now (in the background).
  bootstrapHelper(input);
  if (input.plugins?.length) await loadPlugins(input.plugins);
  const { labels, hash } = window;
  if (labels.length < 3) throw new UnrecoverableError(`Only ${labels.length} labels in the training window; at least 3 are needed.`);
  const dataset = window.dataset ? window.dataset(spec.task, spec.features, spec.classes) : buildDataset(spec.task, spec.features, labels, spec.classes);
  if (spec.task !== 'regression') {
    const present = new Set<number>();
    for (let i = 0; i < dataset.y.length; i++) present.add(dataset.y[i]);
    if (present.size < 2) throw new UnrecoverableError('Every label in the training window is the same class; a classifier needs at least two.');
  }
  // Out of time: the test rows are the newest labels that the champion did not train on.
  const split = splitRecent(dataset, input.champion ? (input.championTraining ?? null) : null);

  const start = performance.now();
  if (input.imported) {
    // An import trains nothing: the model file is the challenger, judged on the same test rows.
    const problem = externalFeatureProblem(spec.features);
    if (problem) throw new UnrecoverableError(problem);
    const meta = { format: input.imported.format, task: spec.task, features: spec.features, classes: dataset.classes };
    const imported = loadModelFile(input.imported.bytes, meta);
    return evaluate(input, labels, split, dataset.classes, hash, imported, { type: input.imported.format, params: { source: 'import' } }, Math.round(performance.now() - start), null, null, options);
  }
  const trainer = getTrainer(spec.trainer.type);
  if (!trainer) throw new UnrecoverableError(`Unknown trainer '${spec.trainer.type}'.`);
  const parsed = trainer.paramsSchema.safeParse(spec.trainer.params);
  if (!parsed.success) throw new UnrecoverableError(`Invalid params for trainer '${spec.trainer.type}': ${parsed.error.message}`);
  const params = parsed.data as Record<string, unknown>;
  // The version records the spec's params; the fit gets them with threads capped to what this process leaves to training.
  const fitParams = capThreads(params, input.threads);
  const job = input.job ? { ...input.job, champion: input.champion, onLog: options.onLog, onStart: options.onStart } : undefined;
  const fitOptions = { signal: options.signal, seed: spec.retrain.seed, validation: split.validation, onProgress: options.onProgress, helperThreads: input.helperThreads === true, ...(job ? { job } : {}) };
  let warmStart: ComputeOutput['warmStart'] = null;
  let challenger: Predictor | null = null;
  if (trainer.continueFrom && input.champion?.kind === trainer.name) {
    // Warm start (when the params ask for it): continue the champion on this window. A champion
    // that cannot be continued (other features, classes or mode) gets a full retrain.
    try {
      const continued = await trainer.continueFrom(input.champion.bytes, split.train, fitParams, fitOptions);
      if (continued) {
        challenger = continued.predictor;
        warmStart = { continued: true, reason: continued.reason };
      }
    } catch (err) {
      if (options.signal.aborted) throw err;
      warmStart = { continued: false, reason: `full retrain: the champion could not be continued (${(err as Error).message})` };
    }
  }
  let windowChoice: WindowChoice | null = null;
  if (!challenger && spec.retrain.window.kind === 'auto') {
    windowChoice = await fitAutoWindow(trainer, split.train, split.validation, testRows(split.validation, labels), fitParams, fitOptions);
    challenger = windowChoice.predictor;
  }
  challenger ??= await trainer.fit(split.train, fitParams, fitOptions);
  const trainingMs = Math.round(performance.now() - start);
  options.onProgress?.(1);
  return evaluate(input, labels, split, dataset.classes, hash, challenger, { type: trainer.name, params }, trainingMs, warmStart, windowChoice, options);
}

/** Score the challenger and the champion on the same test rows. */
async function evaluate(
  input: ComputeJob,
  labels: readonly LabelRow[],
  split: RecentSplit,
  classes: readonly string[],
  hash: string,
  challenger: Predictor,
  trainer: ComputeOutput['trainer'],
  trainingMs: number,
  warmStart: ComputeOutput['warmStart'],
  windowChoice: WindowChoice | null,
  options: ComputeOptions,
): Promise<ComputeOutput> {
  const { spec } = input;
  const challengerBytes = challenger.serialize();
  options.onTrained?.(challengerBytes, trainer.type);
  const test = split.test;
  // With window auto, the rows of the chosen window are the ones trained on.
  const trainedOn = windowChoice ? windowChoice.train : split.train;
  const rows = testRows(test, labels);
  const classCount = Math.max(1, classes.length);
  const challengerPred = challenger.predictRows(rows);
  const newMetrics = computeMetrics(spec.task, test.y, challengerPred, classCount);
  let oldMetrics: Metrics | null = null;
  let championError: string | null = null;
  let bootstrap: PairedBootstrap | null = null;
  if (input.champion && !split.noFairRows) {
    try {
      const champion = loadPredictor(input.champion.kind, input.champion.bytes);
      let pred = champion.predictRows(rows);
      if (spec.task === 'multiclass') pred = alignClasses(pred, champion.classes, classes, rows.length);
      oldMetrics = computeMetrics(spec.task, test.y, pred, classCount);
      const { alpha, resamples } = spec.retrain.gates.significance;
      const metric = primaryMetric(spec.task);
      // Both metrics are computed above on these rows: the bootstrap need not compute them again.
      const observed = { a: newMetrics[metric] ?? NaN, b: oldMetrics[metric] ?? NaN };
      bootstrap = await pairedBootstrapShared(spec.task, metric, test.y, challengerPred, pred, classCount, { alpha, resamples, seed: spec.retrain.seed, observed }, bootstrapHelper(input));
    } catch (err) {
      // A champion that cannot score these rows (changed schema, unloadable artifact) is compared as absent.
      championError = (err as Error).message ?? String(err);
    }
  }
  return {
    datasetHash: hash,
    labelCount: labels.length,
    trainingSamples: trainedOn.y.length,
    testSamples: test.y.length,
    trainingMs,
    trainer,
    challengerBytes,
    newMetrics,
    oldMetrics,
    championError,
    dataRows: windowChoice ? { ...split.rows, train: rowSet(trainedOn.rowIds) } : split.rows,
    noFairRows: split.noFairRows,
    bootstrap,
    window: windowChoice ? windowChoice.summary : null,
    warmStart,
  };
}
