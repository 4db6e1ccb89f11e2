import { z } from 'zod';
import { categoryLevels } from '../../data/build-dataset.js';
import type { Dataset } from '../../data/dataset.js';
import { UnrecoverableError } from '../../errors.js';
import type { FitOptions, Trainer } from '../trainer.js';
import { FeatureTransform } from './feature-transform.js';
import { LinearPredictor, loadLinearPredictor } from './linear-predictor.js';
import { ridgeObjective } from './objectives.js';
import { runLbfgs, throwIfAborted } from './run-lbfgs.js';

/** Parameters of the ridge trainer; `parse({})` gives every default. */
export const ridgeParamsSchema = z
  .object({
    /** L2 strength on the weights (not the intercept), as scikit-learn's Ridge alpha. Default 1.0. */
    alpha: z.number().nonnegative().finite().default(1),
    /** L-BFGS iteration budget. Default 200. */
    maxIter: z.number().int().positive().default(200),
    /** Stop when the largest gradient component (on standardised targets) is below this. Default 1e-6. */
    tol: z.number().positive().default(1e-6),
    /** Hash buckets per text feature are 2 ** hashBits (4..20; memory grows with it). Default 16. */
    hashBits: z.number().int().min(4).max(20).default(16),
  })
  .strict();

/** Parameters of the ridge trainer, with defaults filled in. */
export type RidgeParams = z.infer<typeof ridgeParamsSchema>;

/**
 * Ridge regression minimising ||y - Xw - b||² + alpha * ||w||² (scikit-learn's Ridge objective,
 * intercept not penalised) by L-BFGS on standardised numbers, one-hot categories and hashed text.
 * Deterministic: the seed is not used.
 */
export const ridgeTrainer: Trainer<RidgeParams> = {
  name: 'ridge',
  paramsSchema: ridgeParamsSchema,
  tasks: ['regression'],

  async fit(data: Dataset, params: RidgeParams, options: FitOptions): Promise<LinearPredictor> {
    const p = ridgeParamsSchema.parse(params);
    if (data.task !== 'regression') throw new UnrecoverableError(`the ridge trainer cannot learn a ${data.task} task`);
    const n = data.x.rows;
    if (n === 0) throw new UnrecoverableError('cannot train on an empty dataset');
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(data.y[i])) throw new UnrecoverableError(`label at row ${i} is not a finite number`);
    }
    throwIfAborted(options.signal);

    const transform = FeatureTransform.fit(data.x, { hashBits: p.hashBits });
    const x = transform.apply(data.x);
    const d = transform.width;

    // The minimiser is linear in y, so fit on standardised targets (making `tol` scale-free) and
    // map the solution back: w = sd * w', b = sd * b' + mean.
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data.y[i];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (data.y[i] - mean) ** 2;
    const sd = Math.sqrt(ss / n) > 0 ? Math.sqrt(ss / n) : 1;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = (data.y[i] - mean) / sd;

    const result = await runLbfgs(ridgeObjective(x, y, p.alpha), new Float64Array(d + 1), {
      maxIter: p.maxIter,
      tol: p.tol,
      signal: options.signal,
      onProgress: options.onProgress,
    });

    const weights = result.x.slice(0, d);
    for (let j = 0; j < d; j++) weights[j] *= sd;
    return new LinearPredictor({
      kind: 'ridge',
      task: 'regression',
      classes: [],
      features: data.features,
      levels: categoryLevels(data.x),
      transform,
      weights,
      intercepts: Float64Array.of(result.x[d] * sd + mean),
    });
  },

  load(bytes: Uint8Array): LinearPredictor {
    return loadLinearPredictor('ridge', bytes);
  },
};
