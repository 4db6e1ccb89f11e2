import { buildDataset, categoryLevels, encodeRows, extendLevels } from '../data/build-dataset.js';
import type { Column, FeatureMatrix } from '../data/dataset.js';
import type { Clock } from '../domain/clock.js';
import type { FeatureRow, FeatureSpec, Model } from '../domain/entities.js';
import type { FeedbackStore } from '../store/roles/feedback-store.js';
import type { RegistryStore } from '../store/roles/registry-store.js';
import type { PredictorCache } from '../train/predictor-cache.js';
import type { DriftReference, DriftReport, FeatureDrift } from './drift-report.js';
import { sortedFinite } from '../stats/ks.js';
import { binCountsSorted, psiEdges } from '../stats/psi.js';
import { driftReport, prepareReference } from './drift-report.js';

/** The drift of a model's active version: its features and its scores, now. */
export interface DriftResult {
  readonly modelId: string;
  readonly version: string | null;
  /** `ok` when a report was computed; otherwise why not. */
  readonly status: 'ok' | 'no-version' | 'no-reference' | 'insufficient';
  readonly reason: string;
  readonly computedAt: string;
  readonly referenceRows: number;
  readonly currentRows: number;
  /** True when at least `featureShare` of the features drifted. */
  readonly drifted: boolean;
  readonly driftedShare: number;
  readonly driftedFeatures: string[];
  readonly featureShare: number;
  /** Per feature: `{name, test, statistic, pValue?, distance?, threshold, drifted}` (and PSI for numbers). */
  readonly features: readonly FeatureDrift[];
  /** The predicted score distribution, compared the same way (not counted in the share). */
  readonly score: FeatureDrift | null;
  /** Reference and current distributions per feature (and `score`), for charts. */
  readonly distributions: readonly FeatureDistribution[];
}

/**
 * Shares of reference and current values per bucket: for numbers the ten reference-quantile
 * buckets PSI uses (labelled by their upper edge), for categories and booleans one bucket per
 * reference level, plus `(unseen)` when the current window holds levels the reference never had.
 */
export interface FeatureDistribution {
  readonly name: string;
  readonly buckets: readonly { readonly label: string; readonly reference: number; readonly current: number }[];
}

function shares(counts: Float64Array): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return Array.from(counts, (c) => (total > 0 ? c / total : 0));
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The reference half of a feature's chart buckets, the same for every report of a version. */
type ReferenceBuckets =
  | { readonly kind: 'number'; readonly name: string; readonly edges: Float64Array; readonly shares: number[] }
  | { readonly kind: 'category'; readonly name: string; readonly labels: readonly string[]; readonly shares: number[] };

function numericBuckets(name: string, ref: Float64Array): ReferenceBuckets | null {
  const sorted = sortedFinite(ref);
  if (sorted.length === 0) return null;
  // PSI's own decile edges; repeated edges (a column with few distinct values) are shown once.
  const edges = psiEdges(sorted).filter((e, i, all) => i === 0 || e > all[i - 1]);
  return { kind: 'number', name, edges, shares: shares(binCountsSorted(sorted, edges)) };
}

/** Counts of category codes (or 0/1 booleans) below `levels`; codes from `levels` on (levels the reference never had) go to the last slot. */
function levelCounts(col: Column, levels: number): Float64Array {
  const into = new Float64Array(levels + 1);
  if (col.kind === 'category') {
    for (let i = 0; i < col.codes.length; i++) if (col.codes[i] >= 0) into[Math.min(col.codes[i], levels)]++;
  } else if (col.kind === 'number') {
    for (const v of col.values) if (v === 0 || v === 1) into[v]++;
  }
  return into;
}

function categoryBuckets(ref: Column): ReferenceBuckets | null {
  if (ref.kind === 'text') return null;
  const labels = ref.kind === 'category' ? [...ref.levels] : ['false', 'true'];
  return { kind: 'category', name: ref.name, labels, shares: shares(levelCounts(ref, labels.length)).slice(0, labels.length) };
}

/** A chart's buckets: the version's reference shares with the current window's beside them. */
function distribution(ref: ReferenceBuckets, cur: Column): FeatureDistribution {
  if (ref.kind === 'number') {
    const cs = cur.kind === 'number' ? shares(binCountsSorted(sortedFinite(cur.values), ref.edges)) : ref.shares.map(() => 0);
    const edge = (i: number) => Number(ref.edges[i].toPrecision(4));
    const last = ref.edges.length - 1;
    return {
      name: ref.name,
      buckets: ref.shares.map((share, i) => ({ label: i <= last ? `< ${edge(i)}` : `≥ ${edge(last)}`, reference: round4(share), current: round4(cs[i]) })),
    };
  }
  const cs = shares(levelCounts(cur, ref.labels.length));
  const buckets = ref.labels.map((label, i) => ({ label, reference: round4(ref.shares[i]), current: round4(cs[i]) }));
  const unseen = cs[ref.labels.length];
  if (unseen > 0) buckets.push({ label: '(unseen)', reference: 0, current: round4(unseen) });
  return { name: ref.name, buckets };
}

/** What computing drift needs. */
export interface DriftDeps {
  readonly store: FeedbackStore & RegistryStore;
  readonly clock: Clock;
  /** The process's loaded predictors, to score the reference sample. */
  readonly predictors: PredictorCache;
}

/** A predictor's output as one number per row: P(positive), the value, or the top class probability. */
function scoreColumn(out: Float64Array, k: number, rows: number): Float64Array {
  if (k === 1) return out;
  const col = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 0; c < k; c++) best = Math.max(best, out[r * k + c]);
    col[r] = best;
  }
  return col;
}

function loggedScore(s: number | readonly number[]): number {
  return typeof s === 'number' ? s : Math.max(...s);
}

function numeric(name: string, values: Float64Array): Column {
  return { name, kind: 'number', values };
}

/** The reference side of a version's drift reports: the same for every report of that version. */
interface ReferenceSide {
  readonly rows: number;
  /** The version's features that drift compares (text is left out). */
  readonly features: readonly FeatureSpec[];
  readonly refMatrix: FeatureMatrix;
  readonly reference: DriftReference;
  readonly scoreReference: DriftReference;
  /** The reference half of the chart buckets, per compared feature (null where there is none), then the score's. */
  readonly buckets: readonly (ReferenceBuckets | null)[];
  readonly scoreBuckets: ReferenceBuckets | null;
}

/** Prepared reference sides per service instance (its predictor cache), by model, version and sample hash. */
const referenceSides = new WeakMap<PredictorCache, Map<string, ReferenceSide>>();
const REFERENCE_SIDES_KEPT = 64;

/**
 * Load, encode, score and prepare a version's reference sample once, not on every report (the
 * dashboard asks for drift every minute): the sample never changes for a version.
 */
async function referenceSide(deps: DriftDeps, modelId: string, version: string, sha: string, allFeatures: readonly FeatureSpec[]): Promise<ReferenceSide | null> {
  const key = `${modelId}\u0000${version}\u0000${sha}`;
  let sides = referenceSides.get(deps.predictors);
  if (!sides) referenceSides.set(deps.predictors, (sides = new Map()));
  const cached = sides.get(key);
  if (cached) return cached;
  const bytes = await deps.store.getArtifact(sha);
  if (!bytes) return null;
  const referenceRows = JSON.parse(new TextDecoder().decode(bytes)) as FeatureRow[];
  // Category levels come from the reference, so both sides share one coding; levels the
  // reference never had get codes after its own in the current window (see computeDrift).
  const features = allFeatures.filter((f) => f.type !== 'text');
  const refMatrix = buildDataset('regression', features, referenceRows.map((features, i) => ({ id: i, features, label: 0 }))).x;
  const predictor = await deps.predictors.get(modelId, version);
  const refScores = scoreColumn(predictor.predictRows(referenceRows), predictor.outputsPerRow, referenceRows.length);
  const side: ReferenceSide = {
    rows: referenceRows.length,
    features,
    refMatrix,
    reference: prepareReference(refMatrix.columns),
    scoreReference: prepareReference([numeric('score', refScores)]),
    buckets: features.map((f, i) => {
      const c = refMatrix.columns[i];
      if (f.type === 'number') return c.kind === 'number' ? numericBuckets(f.name, c.values) : null;
      return categoryBuckets(c);
    }),
    scoreBuckets: numericBuckets('score', refScores),
  };
  if (sides.size >= REFERENCE_SIDES_KEPT) sides.delete(sides.keys().next().value!);
  sides.set(key, side);
  return side;
}

/**
 * Compare the most recent scored inputs (the current window: the last `windowScores` scores of
 * the active version) with the version's reference sample (training rows kept at registration),
 * feature by feature and for the predicted score, with the tests of `driftReport`.
 */
export async function computeDrift(deps: DriftDeps, model: Model): Promise<DriftResult> {
  const { store, clock } = deps;
  const t = model.spec.retrain.triggers.drift;
  const base = {
    modelId: model.spec.id,
    version: model.activeVersion,
    computedAt: clock.now().toISOString(),
    featureShare: t.featureShare,
    drifted: false,
    driftedShare: 0,
    driftedFeatures: [],
    features: [],
    score: null,
    distributions: [],
  };
  if (model.activeVersion === null) return { ...base, status: 'no-version', reason: 'no active version yet', referenceRows: 0, currentRows: 0 };
  const version = await store.getVersion(model.spec.id, model.activeVersion);
  const side = version?.referenceSha256 ? await referenceSide(deps, model.spec.id, version.version, version.referenceSha256, version.features) : null;
  if (!version || !side) return { ...base, status: 'no-reference', reason: `version ${model.activeVersion} has no reference sample`, referenceRows: 0, currentRows: 0 };
  const scores = (await store.recentScores(model.spec.id, t.windowScores)).filter((s) => s.version === model.activeVersion);
  if (scores.length < t.minScores) {
    return { ...base, status: 'insufficient', reason: `${scores.length} scores by ${model.activeVersion} in the window; ${t.minScores} needed`, referenceRows: side.rows, currentRows: scores.length };
  }
  const { features, refMatrix } = side;
  // Values the reference never had keep codes of their own (after the reference's levels), so
  // that they count as drift rather than as missing values.
  const rows = scores.map((s) => s.features);
  const curMatrix = encodeRows(features, rows, extendLevels(features, rows, categoryLevels(refMatrix)));
  const curScores = Float64Array.from(scores, (s) => loggedScore(s.score));

  const report: DriftReport = driftReport(side.reference, curMatrix.columns, { featureShare: t.featureShare });
  const scoreReport = driftReport(side.scoreReference, [numeric('score', curScores)], { featureShare: 1 });
  const drifted = report.features.filter((f) => f.drifted).map((f) => f.name);
  return {
    ...base,
    status: 'ok',
    reason: `${report.reason}${drifted.length > 0 ? ` (${drifted.join(', ')})` : ''}`,
    referenceRows: side.rows,
    currentRows: scores.length,
    drifted: report.drifted,
    driftedShare: report.driftedShare,
    driftedFeatures: drifted,
    features: report.features,
    score: scoreReport.features[0] ?? null,
    distributions: distributions(side, curMatrix.columns, curScores),
  };
}

function distributions(side: ReferenceSide, cur: readonly Column[], curScores: Float64Array): FeatureDistribution[] {
  const out: FeatureDistribution[] = [];
  side.buckets.forEach((b, i) => {
    if (b) out.push(distribution(b, cur[i]));
  });
  if (side.scoreBuckets) out.push(distribution(side.scoreBuckets, numeric('score', curScores)));
  return out;
}
