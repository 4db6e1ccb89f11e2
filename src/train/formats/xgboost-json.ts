import { encodeRows } from '../../data/build-dataset.js';
import type { FeatureMatrix } from '../../data/dataset.js';
import type { FeatureRow } from '../../domain/entities.js';
import { UnrecoverableError } from '../../errors.js';
import { Ensemble } from '../gbdt/ensemble.js';
import { GbdtPredictor } from '../gbdt/gbdt-predictor.js';
import type { Predictor } from '../trainer.js';
import { encodeEnvelope, type ExternalModelMeta } from './envelope.js';

/** The parts of an XGBoost `save_model` JSON tree that prediction reads. */
interface XgbTree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  default_left: (number | boolean)[];
  split_type?: number[];
}

/** The objective each task needs. */
const OBJECTIVE = { binary: 'binary:logistic', multiclass: 'multi:softprob', regression: 'reg:squarederror' } as const;

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The largest float32 below the float32 `t`: for a float32 x, `x < t` ⟺ `x <= below32(t)`. */
export function below32(t: number): number {
  f32[0] = t;
  const bits = i32[0];
  if (t === 0) return -1.401298464324817e-45;
  i32[0] = t > 0 ? bits - 1 : bits + 1;
  return f32[0];
}

/** The smallest float32 above the double `t`: for a float32 x, `x <= t` ⟺ `x < above32(t)`. */
export function above32(t: number): number {
  f32[0] = t;
  if (f32[0] > t) return f32[0];
  const bits = i32[0];
  if (f32[0] === 0) return 1.401298464324817e-45;
  i32[0] = f32[0] > 0 ? bits + 1 : bits - 1;
  return f32[0];
}

function fail(message: string): never {
  throw new UnrecoverableError(`unreadable xgboost-json model: ${message}`);
}

/** XGBoost 1.x writes base_score as "5E-1"; 3.x as "[5E-1]". */
function parseBaseScore(raw: unknown): number {
  const text = typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(',')[0] : raw;
  const v = Number(text);
  if (!Number.isFinite(v)) fail(`base_score ${JSON.stringify(raw)} is not a number`);
  return v;
}

/**
 * An XGBoost model running on Refit's own tree predictor: inputs are rounded to float32 and each
 * threshold t becomes the float32 just below it, so `x <= t'` decides exactly as XGBoost's
 * `x < t` does; missing values follow each node's default direction.
 */
export class XgboostPredictor implements Predictor {
  /** Artifact kind of an imported (or command-trained) XGBoost model. */
  readonly kind = 'xgboost-json';
  /** 1 for binary and regression, the number of classes for multiclass. */
  readonly outputsPerRow: number;
  /** Class names in output order. */
  readonly classes: readonly string[];

  constructor(
    readonly meta: ExternalModelMeta,
    /** The model file as XGBoost wrote it. */
    readonly model: Uint8Array,
    private readonly trees: GbdtPredictor,
  ) {
    this.classes = meta.classes;
    this.outputsPerRow = trees.outputsPerRow;
  }

  predictRows(rows: readonly FeatureRow[]): Float64Array {
    return this.predictMatrix(encodeRows(this.meta.features, rows, {}));
  }

  predictMatrix(x: FeatureMatrix): Float64Array {
    // XGBoost reads its input as float32.
    const columns = x.columns.map((c) => (c.kind === 'number' ? { ...c, values: c.values.map(Math.fround) } : c));
    return this.trees.predictMatrix({ rows: x.rows, columns });
  }

  serialize(): Uint8Array {
    return encodeEnvelope(this.meta, this.model);
  }
}

/**
 * Load XGBoost's `save_model` JSON (binary:logistic, multi:softprob, reg:squarederror; numeric
 * splits) for a model of `meta`'s task and features. Throws UnrecoverableError naming what does not fit.
 */
export function loadXgboostJson(model: Uint8Array, meta: ExternalModelMeta): XgboostPredictor {
  let doc: { learner?: Record<string, unknown> };
  try {
    doc = JSON.parse(new TextDecoder().decode(model)) as typeof doc;
  } catch (err) {
    fail(`not JSON (${(err as Error).message})`);
  }
  const learner = doc?.learner as
    | { learner_model_param?: Record<string, unknown>; objective?: { name?: string }; gradient_booster?: { name?: string; model?: { trees?: XgbTree[]; tree_info?: number[] } } }
    | undefined;
  if (!learner) fail('no "learner" object (is it a save_model JSON file?)');
  const objective = learner.objective?.name;
  const want = OBJECTIVE[meta.task];
  if (objective !== want) fail(`objective '${String(objective)}' does not fit a ${meta.task} model (it needs '${want}')`);
  const booster = learner.gradient_booster;
  if (booster?.name !== 'gbtree' || !Array.isArray(booster.model?.trees)) fail(`booster '${String(booster?.name)}' is not supported (only gbtree)`);
  const param = learner.learner_model_param ?? {};
  const numFeature = Number(param.num_feature);
  if (numFeature !== meta.features.length) fail(`it has ${numFeature} features, the model declares ${meta.features.length}`);
  const outputs = meta.task === 'multiclass' ? Number(param.num_class) : 1;
  if (meta.task === 'multiclass' && outputs !== meta.classes.length) fail(`it has ${outputs} classes, the model declares ${meta.classes.length}`);
  const baseScore = parseBaseScore(param.base_score ?? 0.5);
  // XGBoost turns base_score into a margin with the objective's link: logit for logistic, none otherwise.
  const baseMargin = meta.task === 'binary' ? Math.log(baseScore / (1 - baseScore)) : baseScore;
  const trees = booster.model!.trees!;
  const info = booster.model!.tree_info ?? [];
  const e = new Ensemble();
  trees.forEach((tree, t) => addTree(e, tree, t, meta.task === 'multiclass' ? (info[t] ?? t % outputs) : 0, numFeature));
  const gbdt = new GbdtPredictor(
    {
      task: meta.task,
      classes: meta.classes,
      features: meta.features,
      levels: {},
      mode: 'gbdt',
      rounds: Math.ceil(trees.length / outputs),
      base: new Float64Array(outputs).fill(Math.fround(baseMargin)),
      gain: new Float64Array(meta.features.length),
      splits: new Float64Array(meta.features.length),
    },
    e,
  );
  return new XgboostPredictor(meta, model, gbdt);
}

/** Copy one XGBoost tree into the ensemble, children laid out as adjacent pairs in breadth-first order. */
function addTree(e: Ensemble, tree: XgbTree, t: number, output: number, width: number): void {
  const n = tree.left_children?.length ?? 0;
  if (n === 0) fail(`tree ${t} has no nodes`);
  for (const k of ['right_children', 'split_indices', 'split_conditions', 'default_left'] as const) {
    if (!Array.isArray(tree[k]) || tree[k].length !== n) fail(`tree ${t}: ${k} has ${tree[k]?.length ?? 0} entries, ${n} expected`);
  }
  if (tree.split_type?.some((s) => s !== 0)) fail(`tree ${t} has categorical splits, which Refit does not load`);
  const root = e.addNodes(1);
  e.addTree(root, output);
  // Pairs (xgboost node, ensemble slot), breadth first, so children always follow their parent.
  const queue: [number, number][] = [[0, root]];
  let seen = 0;
  for (let q = 0; q < queue.length; q++) {
    const [src, dst] = queue[q];
    if (++seen > n) fail(`tree ${t} is not a tree (a node is reached twice)`);
    const l = tree.left_children[src];
    e.catOffset[dst] = -1;
    e.catCount[dst] = 0;
    if (l < 0) {
      e.feature[dst] = -1;
      e.threshold[dst] = 0;
      e.value[dst] = Math.fround(tree.split_conditions[src]);
      continue;
    }
    const r = tree.right_children[src];
    const f = tree.split_indices[src];
    if (!(l < n && r >= 0 && r < n && f >= 0 && f < width)) fail(`tree ${t} node ${src} points outside the tree or the features`);
    const pair = e.addNodes(2);
    e.feature[dst] = f;
    e.threshold[dst] = below32(Math.fround(tree.split_conditions[src]));
    e.defaultLeft[dst] = Number(tree.default_left[src]) === 1 ? 1 : 0;
    e.left[dst] = pair;
    e.value[dst] = 0;
    queue.push([l, pair], [r, pair + 1]);
  }
}
