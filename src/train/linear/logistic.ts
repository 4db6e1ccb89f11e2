import { z } from 'zod';
import { categoryLevels } from '../../data/build-dataset.js';
import type { Dataset } from '../../data/dataset.js';
import { UnrecoverableError } from '../../errors.js';
import type { FitOptions, Trainer } from '../trainer.js';
import { FeatureTransform } from './feature-transform.js';
import { LinearPredictor, loadLinearPredictor } from './linear-predictor.js';
import { binaryLogisticObjective, multinomialObjective } from './objectives.js';
import { runLbfgs, throwIfAborted } from './run-lbfgs.js';

/** Parameters of the logistic trainer; `parse({})` gives every default. */
export const logisticParamsSchema = z
  .object({
    /** L2 strength on the weights (not the intercept); 1 / C in scikit-learn terms. Default 1.0. */
    l2: z.number().positive().finite().default(1),
    /** L-BFGS iteration budget. Default 200. */
    maxIter: z.number().int().positive().default(200),
    /** Stop when the largest gradient component of the per-row objective is below this. Default 1e-6. */
    tol: z.number().positive().default(1e-6),
    /** Hash buckets per text feature are 2 ** hashBits (4..20; memory grows with it). Default 16. */
    hashBits: z.number().int().min(4).max(20).default(16),
  })
  .strict();

/** Parameters of the logistic trainer, with defaults filled in. */
export type LogisticParams = z.infer<typeof logisticParamsSchema>;

/** Check that `y` holds class indices in [0, classes). */
function checkClassLabels(y: Float64Array, classes: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new UnrecoverableError(`label ${v} at row ${i} is not a class index in [0, ${classes})`);
    }
  }
}

/**
 * L2-regularised logistic regression: binary (sigmoid) or multinomial (softmax), minimising
 * 0.5 * l2 * ||w||² + Σ log-loss (scikit-learn's LogisticRegression with C = 1 / l2, intercept not
 * penalised) by L-BFGS on standardised numbers, one-hot categories and hashed text. Deterministic:
 * the seed is not used.
 */
export const logisticTrainer: Trainer<LogisticParams> = {
  name: 'logistic',
  paramsSchema: logisticParamsSchema,
  tasks: ['binary', 'multiclass'],

  async fit(data: Dataset, params: LogisticParams, options: FitOptions): Promise<LinearPredictor> {
    const p = logisticParamsSchema.parse(params);
    if (data.task !== 'binary' && data.task !== 'multiclass') {
      throw new UnrecoverableError(`the logistic trainer cannot learn a ${data.task} task`);
    }
    const n = data.x.rows;
    if (n === 0) throw new UnrecoverableError('cannot train on an empty dataset');
    throwIfAborted(options.signal);

    const binary = data.task === 'binary';
    const K = binary ? 1 : data.classes.length;
    if (K === 0) throw new UnrecoverableError('a multiclass dataset needs at least one class');
    checkClassLabels(data.y, binary ? 2 : K);
    const transform = FeatureTransform.fit(data.x, { hashBits: p.hashBits });
    const x = transform.apply(data.x);
    const d = transform.width;

    // Start at zero weights and the class priors (smoothed so a missing class stays finite).
    const x0 = new Float64Array(K * d + K);
    const counts = new Float64Array(binary ? 2 : K);
    for (let i = 0; i < n; i++) counts[data.y[i]]++;
    if (binary) {
      x0[d] = Math.log((counts[1] + 0.5) / (counts[0] + 0.5));
    } else {
      for (let c = 0; c < K; c++) x0[K * d + c] = Math.log((counts[c] + 0.5) / (n + 0.5 * K));
    }

    const objective = binary ? binaryLogisticObjective(x, data.y, p.l2) : multinomialObjective(x, data.y, K, p.l2);
    const result = await runLbfgs(objective, x0, {
      maxIter: p.maxIter,
      tol: p.tol,
      signal: options.signal,
      onProgress: options.onProgress,
    });

    return new LinearPredictor({
      kind: 'logistic',
      task: data.task,
      classes: data.classes,
      features: data.features,
      levels: categoryLevels(data.x),
      transform,
      weights: result.x.slice(0, K * d),
      intercepts: result.x.slice(K * d),
    });
  },

  load(bytes: Uint8Array): LinearPredictor {
    return loadLinearPredictor('logistic', bytes);
  },
};
