/**
 * `window: "auto"`: train on a few candidate windows (all the training rows, the most recent half,
 * the most recent quarter) and keep the one whose model is best on the out-of-time validation rows.
 * On drifting data the recent part often beats all history; on stable data all history wins.
 */
import { subsetDataset } from '../data/build-dataset.js';
import type { Dataset } from '../data/dataset.js';
import type { FeatureRow } from '../domain/entities.js';
import { computeMetrics, higherIsBetter, primaryMetric } from '../evaluate/metrics.js';
import type { FitOptions, Predictor, Trainer } from '../train/trainer.js';

/** The candidate windows, as shares of the training rows (most recent first kept). */
export const AUTO_WINDOW_SHARES = [1, 0.5, 0.25, 0.125] as const;

/** Fewest rows a candidate window needs to be tried. */
export const AUTO_WINDOW_MIN_ROWS = 30;

/** What `window: "auto"` chose and why. */
export interface WindowChoice {
  readonly predictor: Predictor;
  /** The training rows of the chosen window (the most recent `share` of them). */
  readonly train: Dataset;
  readonly share: number;
  /** Every candidate tried: its share, rows and validation value of the primary metric. */
  readonly candidates: readonly { readonly share: number; readonly rows: number; readonly value: number }[];
  /** In words, for the decision. */
  readonly summary: string;
}

function classesPresent(d: Dataset): number {
  const seen = new Set<number>();
  for (let i = 0; i < d.y.length; i++) seen.add(d.y[i]);
  return seen.size;
}

const shareText = (s: number) => (s === 1 ? 'all training rows' : `the most recent ${Math.round(s * 100)}%`);
const fmt = (x: number) => String(Number(x.toPrecision(4)));

/**
 * Fit each candidate window of `train` and keep the best on `validation` (its rows as FeatureRows
 * in `validationRows`). With no validation rows, or a single viable candidate, all rows are used.
 */
export async function fitAutoWindow<P>(
  trainer: Trainer<P>,
  train: Dataset,
  validation: Dataset,
  validationRows: readonly FeatureRow[],
  params: P,
  options: FitOptions,
): Promise<WindowChoice> {
  const metric = primaryMetric(train.task);
  const higher = higherIsBetter(metric);
  const n = train.y.length;
  const shares = AUTO_WINDOW_SHARES.filter((s, i) => {
    const rows = Math.ceil(n * s);
    if (i > 0 && rows < AUTO_WINDOW_MIN_ROWS) return false;
    if (train.task === 'regression') return true;
    return classesPresent(subsetDataset(train, range(n - rows, n))) >= 2;
  });
  const usable = validation.y.length > 0 ? shares : [1];
  const candidates: { share: number; rows: number; value: number }[] = [];
  let best: { predictor: Predictor; train: Dataset; share: number; value: number } | null = null;
  const classCount = Math.max(1, train.classes.length);
  for (let k = 0; k < usable.length; k++) {
    const share = usable[k];
    const rows = Math.ceil(n * share);
    const part = share === 1 ? train : subsetDataset(train, range(n - rows, n));
    const predictor = await trainer.fit(part, params, { ...options, onProgress: (f) => options.onProgress?.((k + f) / usable.length) });
    const value = validation.y.length > 0 ? (computeMetrics(train.task, validation.y, predictor.predictRows(validationRows), classCount)[metric] ?? NaN) : NaN;
    candidates.push({ share, rows, value });
    const better = best === null || (Number.isFinite(value) && (!Number.isFinite(best.value) || (higher ? value > best.value : value < best.value)));
    if (better) best = { predictor, train: part, share, value };
  }
  const chosen = best!;
  const tried = candidates.map((c) => `${shareText(c.share)} (${c.rows} rows) ${metric} ${Number.isFinite(c.value) ? fmt(c.value) : 'n/a'}`).join(', ');
  return {
    predictor: chosen.predictor,
    train: chosen.train,
    share: chosen.share,
    candidates,
    summary: `window auto: trained on ${shareText(chosen.share)} (${chosen.train.y.length} rows), best on the ${validation.y.length} out-of-time validation rows of: ${tried}`,
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
