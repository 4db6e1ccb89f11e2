import { z } from 'zod';
import { encodeRows, type CategoryLevels } from '../../data/build-dataset.js';
import type { FeatureMatrix } from '../../data/dataset.js';
import type { FeatureRow, FeatureSpec, Task } from '../../domain/entities.js';
import type { Predictor } from '../trainer.js';
import { FeatureTransform } from './feature-transform.js';
import { sigmoid } from './objectives.js';

/** Everything a fitted linear model consists of. */
export interface LinearModelState {
  /** Trainer name ('logistic', 'ridge'). */
  readonly kind: string;
  readonly task: Task;
  /** ['0','1'] for binary, class names for multiclass, [] for regression. */
  readonly classes: readonly string[];
  readonly features: readonly FeatureSpec[];
  /** Category levels by feature name, used to encode raw rows. */
  readonly levels: CategoryLevels;
  readonly transform: FeatureTransform;
  /** One row of `transform.width` weights per linear output (row-major). */
  readonly weights: Float64Array;
  /** One intercept per linear output: 1 for binary and regression, one per class for multiclass. */
  readonly intercepts: Float64Array;
}

const FORMAT = 'refit-linear/1';

const featureSpecSchema = z.object({
  name: z.string(),
  type: z.enum(['number', 'category', 'boolean', 'text']),
});

const columnSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('number'), mean: z.number(), scale: z.number() }),
  z.object({ kind: z.literal('category'), size: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('text'), hashBits: z.number().int().min(1).max(30) }),
]);

const artifactSchema = z.object({
  format: z.literal(FORMAT),
  kind: z.string(),
  task: z.enum(['binary', 'multiclass', 'regression']),
  classes: z.array(z.string()),
  features: z.array(featureSpecSchema),
  levels: z.record(z.string(), z.array(z.string())),
  transform: z.object({ columns: z.array(columnSchema) }),
  weights: z.object({
    length: z.number().int().nonnegative(),
    indices: z.array(z.number().int().nonnegative()),
    values: z.array(z.number()),
  }),
  intercepts: z.array(z.number()),
});

/** -0 → +0, so that a model and its JSON round trip (which drops the sign of zero) compute alike. */
function withoutNegativeZero(values: Float64Array): Float64Array {
  for (let i = 0; i < values.length; i++) values[i] = values[i] + 0;
  return values;
}

/**
 * A fitted linear model (logistic or ridge) as a Predictor: binary → P(class 1), multiclass →
 * row-major softmax probabilities, regression → the linear value.
 */
export class LinearPredictor implements Predictor {
  /** Trainer name; selects the loader. */
  readonly kind: string;
  /** 1 for binary and regression, the number of classes for multiclass. */
  readonly outputsPerRow: number;
  /** Class names ('0','1' for binary); [] for regression. */
  readonly classes: readonly string[];
  /** The learned model. */
  readonly state: LinearModelState;
  private readonly outputs: number;

  constructor(state: LinearModelState) {
    const outputs = state.intercepts.length;
    if (state.weights.length !== outputs * state.transform.width) {
      throw new Error(`linear model: ${state.weights.length} weights for ${outputs} x ${state.transform.width}`);
    }
    if (state.task === 'multiclass' ? outputs !== state.classes.length : outputs !== 1) {
      throw new Error(`linear model: ${outputs} outputs for a ${state.task} task with ${state.classes.length} classes`);
    }
    withoutNegativeZero(state.weights);
    withoutNegativeZero(state.intercepts);
    this.state = state;
    this.kind = state.kind;
    this.classes = state.classes;
    this.outputs = outputs;
    this.outputsPerRow = state.task === 'multiclass' ? outputs : 1;
  }

  /** Encode raw rows with the training levels, then predict. */
  predictRows(rows: readonly FeatureRow[]): Float64Array {
    return this.predictMatrix(encodeRows(this.state.features, rows, this.state.levels));
  }

  /** Predict from an encoded matrix whose category codes use this model's levels. */
  predictMatrix(x: FeatureMatrix): Float64Array {
    const { transform, weights, intercepts, task } = this.state;
    const { rows, indptr, indices, values } = transform.apply(x);
    const d = transform.width;
    const K = this.outputs;
    const out = new Float64Array(rows * K);
    for (let i = 0; i < rows; i++) {
      const start = indptr[i];
      const end = indptr[i + 1];
      const row = i * K;
      let max = -Infinity;
      for (let c = 0; c < K; c++) {
        const base = c * d;
        let z = intercepts[c];
        for (let k = start; k < end; k++) z += values[k] * weights[base + indices[k]];
        out[row + c] = z;
        if (z > max) max = z;
      }
      if (task === 'binary') {
        out[row] = sigmoid(out[row]);
      } else if (task === 'multiclass') {
        let sum = 0;
        for (let c = 0; c < K; c++) {
          const e = Math.exp(out[row + c] - max);
          out[row + c] = e;
          sum += e;
        }
        for (let c = 0; c < K; c++) out[row + c] /= sum;
      }
    }
    return out;
  }

  /** UTF-8 JSON; weights stored sparsely (hashed text leaves most of them at zero). */
  serialize(): Uint8Array {
    const s = this.state;
    const indices: number[] = [];
    const values: number[] = [];
    for (let j = 0; j < s.weights.length; j++) {
      if (s.weights[j] !== 0) {
        indices.push(j);
        values.push(s.weights[j]);
      }
    }
    const artifact: z.infer<typeof artifactSchema> = {
      format: FORMAT,
      kind: s.kind,
      task: s.task,
      classes: [...s.classes],
      features: s.features.map((f) => ({ name: f.name, type: f.type })),
      levels: Object.fromEntries(Object.entries(s.levels).map(([k, v]) => [k, [...v]])),
      transform: { columns: s.transform.columns.map((c) => ({ ...c })) },
      weights: { length: s.weights.length, indices, values },
      intercepts: Array.from(s.intercepts),
    };
    return new TextEncoder().encode(JSON.stringify(artifact));
  }
}

/** Rebuild a LinearPredictor from `serialize()` bytes; throws if they are not a `kind` linear model. */
export function loadLinearPredictor(kind: string, bytes: Uint8Array): LinearPredictor {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new Error(`not a ${kind} model artifact: invalid UTF-8 JSON`, { cause });
  }
  const parsed = artifactSchema.safeParse(json);
  if (!parsed.success) throw new Error(`not a ${kind} model artifact: ${z.prettifyError(parsed.error)}`);
  const a = parsed.data;
  if (a.kind !== kind) throw new Error(`model artifact is a ${a.kind} model, not ${kind}`);
  if (a.weights.indices.length !== a.weights.values.length) throw new Error(`${kind} model artifact: malformed weights`);
  const weights = new Float64Array(a.weights.length);
  a.weights.indices.forEach((j, k) => {
    if (j >= weights.length) throw new Error(`${kind} model artifact: weight index ${j} out of range`);
    weights[j] = a.weights.values[k];
  });
  return new LinearPredictor({
    kind: a.kind,
    task: a.task,
    classes: a.classes,
    features: a.features,
    levels: a.levels,
    transform: new FeatureTransform(a.transform.columns),
    weights,
    intercepts: Float64Array.from(a.intercepts),
  });
}
