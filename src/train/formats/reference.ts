import type { FeatureMatrix } from '../../data/dataset.js';
import { RefitError } from '../../errors.js';
import type { Predictor } from '../trainer.js';

/**
 * A version of an externally served model: only the reference its command printed (a tag, a
 * URL). It serves nothing; asking it to predict is the EXTERNAL_SERVING problem.
 */
export class ReferencePredictor implements Predictor {
  /** Artifact kind of an externally served model's versions. */
  readonly kind = 'external';
  /** Not used: it never predicts. */
  readonly outputsPerRow = 1;
  /** None: it never predicts. */
  readonly classes: readonly string[] = [];

  constructor(
    /** What the command printed. */
    readonly reference: string,
  ) {}

  predictRows(): Float64Array {
    throw new RefitError('EXTERNAL_SERVING', `This model is served outside Refit (version reference '${this.reference}'); Refit serves no scores for it.`);
  }

  predictMatrix(_x: FeatureMatrix): Float64Array {
    return this.predictRows();
  }

  serialize(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ reference: this.reference }));
  }
}

/** Load a ReferencePredictor from its artifact. */
export function loadReference(bytes: Uint8Array): ReferencePredictor {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { reference?: unknown };
  if (typeof parsed.reference !== 'string') throw new Error('not an external model reference');
  return new ReferencePredictor(parsed.reference);
}
