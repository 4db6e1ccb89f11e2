import type { z } from 'zod';
import type { Dataset, FeatureMatrix } from '../data/dataset.js';
import type { FeatureRow } from '../domain/entities.js';
import type { CommandJob } from './command/command-spec.js';

/** Options passed to every fit. */
export interface FitOptions {
  /** Aborts training; trainers check it between iterations and throw the signal's reason. */
  readonly signal?: AbortSignal;
  /** Seed for anything random in training. */
  readonly seed: number;
  /** Called with the fraction of training done, in [0, 1]. */
  readonly onProgress?: (fraction: number) => void;
  /** Optional validation set (early stopping, for trainers that use it). */
  readonly validation?: Dataset;
  /**
   * The trainer may start helper threads of its own for side work while its params allow more
   * than one thread (gbdt: early stopping's validation passes). The server's training threads
   * allow it; default false.
   */
  readonly helperThreads?: boolean;
  /** The retrain job, for trainers that run outside Refit (the command trainer); default none. */
  readonly job?: CommandJob & {
    /** Output of the command, as it comes (the job's log). */
    readonly onLog?: (text: string) => void;
    /** The command's process group id, so the thread that owns the job can kill it. */
    readonly onStart?: (pid: number) => void;
  };
}

/**
 * A trained model. `predict` returns one value per row for binary (probability of class 1) and
 * regression, and `classes.length` values per row (row-major probabilities) for multiclass.
 */
export interface Predictor {
  /** The trainer name that made it; selects the loader. */
  readonly kind: string;
  /** Values per row in the output of `predict`. */
  readonly outputsPerRow: number;
  /** Class names for multiclass / binary ('0','1'); [] for regression. */
  readonly classes: readonly string[];
  /** Predict from raw feature rows, encoding them with what was learned in training. */
  predictRows(rows: readonly FeatureRow[]): Float64Array;
  /** Predict from an already encoded matrix (its category codes must use this predictor's levels). */
  predictMatrix(x: FeatureMatrix): Float64Array;
  /** Serialise for the artifact store; `loadPredictor(kind, bytes)` reverses it exactly. */
  serialize(): Uint8Array;
}

/** A pluggable learner. */
export interface Trainer<P = Record<string, unknown>> {
  readonly name: string;
  /** zod schema of the parameters, with defaults; unknown keys are refused. */
  readonly paramsSchema: z.ZodType<P>;
  /** Tasks the trainer supports. */
  readonly tasks: readonly ('binary' | 'multiclass' | 'regression')[];
  fit(data: Dataset, params: P, options: FitOptions): Promise<Predictor>;
  load(bytes: Uint8Array): Predictor;
  /**
   * Warm start, for trainers that can continue a model: when `params` ask for it, learn on `data`
   * on top of the champion in `championBytes` (an artifact of this trainer) instead of starting
   * over, and say what was done. Resolves null when the params do not ask for it; rejects when
   * this champion cannot be continued (the caller then trains from scratch).
   */
  continueFrom?(championBytes: Uint8Array, data: Dataset, params: P, options: FitOptions): Promise<{ predictor: Predictor; reason: string } | null>;
}
