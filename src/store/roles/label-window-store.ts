import type { RawLabelRow } from './feedback-store.js';

/** The labels of a model with ids up to a bound, summed up: enough to tell that none was added below it or removed. */
export interface LabelSpan {
  /** How many labels have an id at or below the bound. */
  readonly count: number;
  /** Their smallest and largest id (0 when there are none). */
  readonly firstId: number;
  readonly lastId: number;
  /** The sum of their ids (0 when there are none). */
  readonly idSum: number;
}

/**
 * Reads for a training window kept between retrains (src/retrain/label-window.ts): check that the
 * labels it holds are still the stored ones, and read only those that came after them.
 */
export interface LabelWindowStore {
  /** Count, first, last and sum of the ids of a model's labels with id ≤ `throughId`. */
  labelSpan(modelId: string, throughId: number): Promise<LabelSpan>;
  /** A model's labels with `afterId` < id ≤ `throughId`, unparsed, oldest first (read in pages). */
  loadLabelsRawBetween(modelId: string, afterId: number, throughId: number): Promise<RawLabelRow[]>;
}
