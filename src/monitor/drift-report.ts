import type { Column } from '../data/dataset.js';
import { chiSquareTest } from '../stats/chi-square.js';
import { jensenShannonDistance } from '../stats/jensen-shannon.js';
import { compareNumeric, NumericWorkspace, prepareNumericReference, type NumericReference } from '../stats/numeric-reference.js';

/** Reference side of one numeric feature. */
export interface NumericFeatureReference {
  readonly name: string;
  readonly kind: 'number';
  readonly profile: NumericReference;
}

/** Reference side of one category or boolean feature: its level counts (the last slot counts unseen levels, 0 here). */
export interface CategoryFeatureReference {
  readonly name: string;
  readonly kind: 'category' | 'boolean';
  readonly levels: readonly string[];
  readonly counts: Float64Array;
  readonly total: number;
}

/** One feature of a prepared reference. */
export type FeatureReference = NumericFeatureReference | CategoryFeatureReference;

/** A reference sample prepared once per version (src/monitor/drift.ts keeps it); text columns are left out. */
export interface DriftReference {
  readonly features: readonly FeatureReference[];
}

/** Options of `driftReport`. */
export interface DriftOptions {
  /** Significance level of the KS and chi-square tests used on small windows. Default 0.05. */
  readonly alpha?: number;
  /** Non-missing current rows from which a feature uses its distance test instead of a p-value. Default 5000. */
  readonly largeWindow?: number;
  /** Normalised Wasserstein distance (W / reference std) above which a large numeric window drifts. Default 0.1. */
  readonly numericThreshold?: number;
  /** Jensen-Shannon distance (base 2) above which a large category window drifts. Default 0.1. */
  readonly categoryThreshold?: number;
  /** Share of tested features that must drift for the model to count as drifted. Default 0.5. */
  readonly featureShare?: number;
}

/** Drift of one feature. */
export interface FeatureDrift {
  readonly name: string;
  readonly kind: 'number' | 'category' | 'boolean';
  /** The test that decided: 'ks' / 'chi2' (p-value < alpha) on small windows, 'wasserstein' / 'jensen-shannon' (distance > threshold) on large ones; 'none' when the window has no value. */
  readonly test: 'ks' | 'wasserstein' | 'chi2' | 'jensen-shannon' | 'none';
  /** The deciding test's statistic (KS D, chi-square, normalised Wasserstein or JS distance). */
  readonly statistic: number;
  /** KS p-value for numbers, chi-square p-value for categories, whichever test decided. */
  readonly pValue?: number;
  /** Normalised Wasserstein distance for numbers, Jensen-Shannon distance (base 2) for categories. */
  readonly distance?: number;
  /** alpha for the p-value tests, the distance threshold for the distance tests. */
  readonly threshold: number;
  readonly drifted: boolean;
  /** Non-missing current values compared. */
  readonly currentRows: number;
  /** Numbers only: the KS statistic, PSI (10 reference-decile bins) and raw Wasserstein distance, reported alongside. */
  readonly ksStatistic?: number;
  readonly psi?: number;
  readonly wasserstein?: number;
  /** Categories only: the chi-square statistic and its degrees of freedom. */
  readonly chiSquare?: number;
  readonly dof?: number;
}

/** A drift report: per feature, plus the model-level decision. */
export interface DriftReport {
  readonly features: readonly FeatureDrift[];
  /** Features that could be tested (the current window held at least one value). */
  readonly testedFeatures: number;
  readonly driftedFeatures: number;
  /** driftedFeatures / testedFeatures (0 when nothing was tested). */
  readonly driftedShare: number;
  readonly featureShare: number;
  /** True when at least one feature drifted and driftedShare >= featureShare. */
  readonly drifted: boolean;
  /** One sentence a user can read: how many features drifted against the share rule. */
  readonly reason: string;
}

function isBooleanColumn(values: Float64Array): boolean {
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    if (v !== 0 && v !== 1) return false;
    seen++;
  }
  return seen > 0;
}

const BOOLEAN_LEVELS: readonly string[] = ['0', '1'];

/**
 * Prepares the drift reference from the training sample of a version: sorted copies, bucket
 * index and PSI edges of numeric columns, level counts of category columns. Numeric columns
 * holding only 0/1 are treated as booleans (compared like categories). Text columns are skipped.
 */
export function prepareReference(columns: readonly Column[]): DriftReference {
  const features: FeatureReference[] = [];
  for (const col of columns) {
    if (col.kind === 'number') {
      if (isBooleanColumn(col.values)) {
        const counts = new Float64Array(3);
        let total = 0;
        for (let i = 0; i < col.values.length; i++) {
          const v = col.values[i];
          if (v === 0 || v === 1) {
            counts[v]++;
            total++;
          }
        }
        features.push({ name: col.name, kind: 'boolean', levels: BOOLEAN_LEVELS, counts, total });
      } else {
        let finite = 0;
        for (let i = 0; i < col.values.length; i++) if (col.values[i] - col.values[i] === 0) finite++;
        if (finite > 0) features.push({ name: col.name, kind: 'number', profile: prepareNumericReference(col.values) });
      }
    } else if (col.kind === 'category') {
      const L = col.levels.length;
      const counts = new Float64Array(L + 1);
      let total = 0;
      for (let i = 0; i < col.codes.length; i++) {
        const c = col.codes[i];
        if (c >= 0 && c < L) {
          counts[c]++;
          total++;
        }
      }
      if (total > 0) features.push({ name: col.name, kind: 'category', levels: col.levels, counts, total });
    }
  }
  return { features };
}

function sameLevels(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Current level counts in the reference's level order; levels the reference never saw go to the last slot. */
function currentCounts(ref: CategoryFeatureReference, col: Column): { counts: Float64Array; total: number } | null {
  const L = ref.levels.length;
  const counts = new Float64Array(L + 1);
  let total = 0;
  if (col.kind === 'number') {
    for (let i = 0; i < col.values.length; i++) {
      const v = col.values[i];
      if (v !== v) continue;
      counts[v === 0 || v === 1 ? v : L]++;
      total++;
    }
  } else if (col.kind === 'category') {
    const map = new Int32Array(col.levels.length);
    if (sameLevels(ref.levels, col.levels)) for (let i = 0; i < map.length; i++) map[i] = i;
    else {
      const index = new Map(ref.levels.map((l, i) => [l, i]));
      for (let i = 0; i < map.length; i++) map[i] = index.get(col.levels[i]) ?? L;
    }
    for (let i = 0; i < col.codes.length; i++) {
      const c = col.codes[i];
      if (c < 0 || c >= map.length) continue;
      counts[map[c]]++;
      total++;
    }
  } else return null;
  return { counts, total };
}

/**
 * Compares the current window with a prepared reference, feature by feature (matched by name;
 * features missing from `current` are skipped). Numbers: KS p-value < alpha on windows under
 * `largeWindow` non-missing rows, normalised Wasserstein > threshold from there on (a p-value
 * alone flags trivial shifts on 100k rows; W / std reads as "mean shift in reference standard
 * deviations"); PSI, KS and raw Wasserstein are reported alongside. Categories and booleans:
 * chi-square p-value < alpha on small windows, Jensen-Shannon distance (base 2) > threshold on
 * large ones. The model drifts when driftedShare >= featureShare.
 */
export function driftReport(reference: DriftReference, current: readonly Column[], options: DriftOptions = {}): DriftReport {
  const alpha = options.alpha ?? 0.05;
  const largeWindow = options.largeWindow ?? 5000;
  const numericThreshold = options.numericThreshold ?? 0.1;
  const categoryThreshold = options.categoryThreshold ?? 0.1;
  const featureShare = options.featureShare ?? 0.5;
  const byName = new Map(current.map((c) => [c.name, c]));
  const ws = new NumericWorkspace();
  const features: FeatureDrift[] = [];
  for (const ref of reference.features) {
    const col = byName.get(ref.name);
    if (!col) continue;
    if (ref.kind === 'number') {
      const cmp = col.kind === 'number' ? compareNumeric(ref.profile, col.values, ws) : null;
      if (!cmp) {
        features.push({ name: ref.name, kind: 'number', test: 'none', statistic: 0, threshold: alpha, drifted: false, currentRows: 0 });
        continue;
      }
      const small = cmp.currentRows < largeWindow;
      const common = {
        name: ref.name,
        kind: 'number' as const,
        pValue: cmp.ks.pValue,
        distance: cmp.normalizedWasserstein,
        currentRows: cmp.currentRows,
        ksStatistic: cmp.ks.statistic,
        psi: cmp.psi,
        wasserstein: cmp.wasserstein,
      };
      features.push(
        small
          ? { ...common, test: 'ks', statistic: cmp.ks.statistic, threshold: alpha, drifted: cmp.ks.pValue < alpha }
          : { ...common, test: 'wasserstein', statistic: cmp.normalizedWasserstein, threshold: numericThreshold, drifted: cmp.normalizedWasserstein > numericThreshold },
      );
    } else {
      const cur = currentCounts(ref, col);
      if (!cur || cur.total === 0) {
        features.push({ name: ref.name, kind: ref.kind, test: 'none', statistic: 0, threshold: alpha, drifted: false, currentRows: 0 });
        continue;
      }
      const chi = chiSquareTest([ref.counts, cur.counts]);
      const js = jensenShannonDistance(ref.counts, cur.counts);
      const small = cur.total < largeWindow;
      const common = { name: ref.name, kind: ref.kind, pValue: chi.pValue, distance: js, currentRows: cur.total, chiSquare: chi.statistic, dof: chi.dof };
      features.push(
        small
          ? { ...common, test: 'chi2', statistic: chi.statistic, threshold: alpha, drifted: chi.pValue < alpha }
          : { ...common, test: 'jensen-shannon', statistic: js, threshold: categoryThreshold, drifted: js > categoryThreshold },
      );
    }
  }
  let tested = 0;
  let drifted = 0;
  for (const f of features) {
    if (f.test === 'none') continue;
    tested++;
    if (f.drifted) drifted++;
  }
  const driftedShare = tested > 0 ? drifted / tested : 0;
  const isDrifted = drifted > 0 && driftedShare >= featureShare;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const reason =
    tested === 0
      ? 'no feature of the current window could be compared with the reference'
      : `${drifted} of ${tested} features drifted (${pct(driftedShare)}), ${isDrifted ? 'at or above' : 'below'} the ${pct(featureShare)} share`;
  return { features, testedFeatures: tested, driftedFeatures: drifted, driftedShare, featureShare, drifted: isDrifted, reason };
}
