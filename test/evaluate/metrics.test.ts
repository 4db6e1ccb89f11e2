import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  LOG_LOSS_EPS,
  binaryMetrics,
  computeMetrics,
  higherIsBetter,
  multiclassAccuracyAndMacroF1,
  multiclassMetrics,
  primaryMetric,
  regressionMetrics,
} from '../../src/evaluate/metrics.js';

interface BinaryCase {
  kind: 'binary';
  y_true: number[];
  y_score: number[];
  roc_auc: number;
  log_loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}
interface MulticlassCase {
  kind: 'multiclass';
  y_true: number[];
  y_pred: number[];
  accuracy: number;
  macro_f1: number;
}
interface RegressionCase {
  kind: 'regression';
  y_true: number[];
  y_pred: number[];
  mae: number;
  rmse: number;
  r2: number;
}
type ReferenceCase = BinaryCase | MulticlassCase | RegressionCase;

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/reference/metrics.json', import.meta.url), 'utf8'),
) as ReferenceCase[];
const binaryCases = reference.filter((c): c is BinaryCase => c.kind === 'binary');
const multiclassCases = reference.filter((c): c is MulticlassCase => c.kind === 'multiclass');
const regressionCases = reference.filter((c): c is RegressionCase => c.kind === 'regression');

const f64 = (xs: readonly number[]): Float64Array => Float64Array.from(xs);

function expectClose(actual: number | undefined, expected: number, tolerance = 1e-9): void {
  expect(actual).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tolerance);
}

describe('reference cases from scikit-learn', () => {
  it('has every kind of case to check against', () => {
    expect(binaryCases.length).toBeGreaterThanOrEqual(2);
    expect(multiclassCases.length).toBeGreaterThanOrEqual(1);
    expect(regressionCases.length).toBeGreaterThanOrEqual(1);
  });

  for (const c of binaryCases) {
    it(`binary, ${c.y_true.length} rows with tied scores: matches sklearn`, () => {
      const m = binaryMetrics(f64(c.y_true), f64(c.y_score));
      expectClose(m.auc, c.roc_auc);
      expectClose(m.logLoss, c.log_loss);
      expectClose(m.accuracy, c.accuracy);
      expectClose(m.precision, c.precision);
      expectClose(m.recall, c.recall);
      expectClose(m.f1, c.f1);
    });
  }

  for (const c of multiclassCases) {
    it(`multiclass, ${c.y_true.length} rows: accuracy and macro f1 match sklearn`, () => {
      const k = Math.max(...c.y_true, ...c.y_pred) + 1;
      const m = multiclassAccuracyAndMacroF1(f64(c.y_true), f64(c.y_pred), k);
      expectClose(m.accuracy, c.accuracy);
      expectClose(m.macroF1, c.macro_f1);
    });

    it(`multiclass, ${c.y_true.length} rows: probabilities peaked on the predicted class give the same numbers`, () => {
      const k = Math.max(...c.y_true, ...c.y_pred) + 1;
      const n = c.y_true.length;
      const probs = new Float64Array(n * k);
      const other = 0.3 / (k - 1);
      let expectedLoss = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) probs[i * k + j] = j === c.y_pred[i] ? 0.7 : other;
        expectedLoss -= Math.log(probs[i * k + c.y_true[i]]);
      }
      const m = multiclassMetrics(f64(c.y_true), probs, k);
      expectClose(m.accuracy, c.accuracy);
      expectClose(m.macroF1, c.macro_f1);
      expectClose(m.logLoss, expectedLoss / n);
    });
  }

  for (const c of regressionCases) {
    it(`regression, ${c.y_true.length} rows: matches sklearn`, () => {
      const m = regressionMetrics(f64(c.y_true), f64(c.y_pred));
      expectClose(m.mae, c.mae);
      expectClose(m.rmse, c.rmse);
      expectClose(m.r2, c.r2);
    });
  }
});

describe('binaryMetrics', () => {
  it('computes the AUC of the scikit-learn documentation example', () => {
    expect(binaryMetrics(f64([0, 0, 1, 1]), f64([0.1, 0.4, 0.35, 0.8])).auc).toBe(0.75);
  });

  it('counts a tie between a positive and a negative as half a correct ordering', () => {
    // positives 0.6, 0.6; negatives 0.2, 0.6: two wins, two ties → (2 + 1) / 4
    expect(binaryMetrics(f64([0, 1, 1, 0]), f64([0.2, 0.6, 0.6, 0.6])).auc).toBe(0.75);
  });

  it('gives AUC 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(binaryMetrics(f64([0, 0, 1, 1]), f64([0.1, 0.2, 0.3, 0.4])).auc).toBe(1);
    expect(binaryMetrics(f64([1, 1, 0, 0]), f64([0.1, 0.2, 0.3, 0.4])).auc).toBe(0);
  });

  it('leaves AUC undefined (NaN) when only one class is present', () => {
    const m = binaryMetrics(f64([1, 1, 1]), f64([0.2, 0.7, 0.9]));
    expect(m.auc).toBeNaN();
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.precision).toBe(1);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
  });

  it('gives AUC 0.5 when every prediction is the same', () => {
    const m = binaryMetrics(f64([0, 1, 0, 1, 1]), f64([0.5, 0.5, 0.5, 0.5, 0.5]));
    expect(m.auc).toBe(0.5);
    // 0.5 is at the threshold, so every row is predicted positive
    expect(m.precision).toBeCloseTo(0.6, 12);
    expect(m.recall).toBe(1);
    expectClose(m.logLoss, Math.log(2), 1e-15);
  });

  it('reports precision, recall and f1 of 0 when nothing is predicted positive (zero_division=0)', () => {
    const m = binaryMetrics(f64([0, 1, 0, 1]), f64([0.1, 0.2, 0.3, 0.4]));
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
    expect(m.f1).toBe(0);
    expect(m.accuracy).toBe(0.5);
    expect(m.auc).toBe(0.75);
  });

  it('reports recall and f1 of 0 when there are no positives at all', () => {
    const m = binaryMetrics(f64([0, 0]), f64([0.1, 0.2]));
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
    expect(m.f1).toBe(0);
    expect(m.accuracy).toBe(1);
  });

  it('applies the threshold, predicting positive at or above it', () => {
    const y = f64([0, 1, 1, 0]);
    const p = f64([0.3, 0.6, 0.8, 0.6]);
    expect(binaryMetrics(y, p).precision).toBeCloseTo(2 / 3, 12);
    const strict = binaryMetrics(y, p, 0.7);
    expect(strict.precision).toBe(1);
    expect(strict.recall).toBe(0.5);
    expect(strict.accuracy).toBe(0.75);
  });

  it('clips probabilities of 0 and 1 at machine epsilon in the log loss', () => {
    expect(LOG_LOSS_EPS).toBe(2.220446049250313e-16);
    const wrong = binaryMetrics(f64([1, 0]), f64([0, 1]));
    expect(wrong.logLoss).toBeCloseTo(-Math.log(Number.EPSILON), 12);
    expect(wrong.logLoss).toBeCloseTo(36.04365338911715, 10);
    const right = binaryMetrics(f64([1, 0]), f64([1, 0]));
    expect(right.logLoss).toBeGreaterThan(0);
    expect(right.logLoss).toBeLessThan(1e-15);
  });

  it('returns NaN for every metric on zero rows', () => {
    const m = binaryMetrics(new Float64Array(0), new Float64Array(0));
    expect(Object.values(m).every(Number.isNaN)).toBe(true);
  });

  it('refuses mismatched lengths, labels other than 0/1 and non-finite probabilities', () => {
    expect(() => binaryMetrics(f64([0, 1]), f64([0.5]))).toThrow(RangeError);
    expect(() => binaryMetrics(f64([0, 2]), f64([0.5, 0.5]))).toThrow(/yTrue\[1\] is 2/);
    expect(() => binaryMetrics(f64([0, 1]), f64([0.5, NaN]))).toThrow(/prob\[1\] is NaN/);
  });
});

describe('multiclassMetrics', () => {
  it('predicts the first class among equal maxima, as argmax does', () => {
    const probs = f64([0.4, 0.4, 0.2, 0.1, 0.45, 0.45]);
    const a = multiclassMetrics(f64([0, 1]), probs, 3);
    expect(a.accuracy).toBe(1);
    const b = multiclassMetrics(f64([1, 2]), probs, 3);
    expect(b.accuracy).toBe(0);
  });

  it('averages f1 over the classes present in labels or predictions only', () => {
    // class 2 of 4 never occurs; class 3 is predicted once but never true
    const m = multiclassAccuracyAndMacroF1(f64([0, 0, 1, 1]), f64([0, 0, 1, 3]), 4);
    // f1: class 0 = 1, class 1 = 2/3, class 3 = 0 → mean over three classes
    expectClose(m.macroF1, (1 + 2 / 3 + 0) / 3, 1e-15);
    expect(m.accuracy).toBe(0.75);
  });

  it('computes the log loss from the probability of the true class, clipped', () => {
    const m = multiclassMetrics(f64([0, 2]), f64([0.5, 0.25, 0.25, 0, 1, 0]), 3);
    expectClose(m.logLoss, (-Math.log(0.5) - Math.log(Number.EPSILON)) / 2, 1e-12);
    expect(m.accuracy).toBe(0.5);
  });

  it('refuses class indices outside [0, k) and probabilities of the wrong length', () => {
    expect(() => multiclassMetrics(f64([3]), f64([0.2, 0.3, 0.5]), 3)).toThrow(RangeError);
    expect(() => multiclassMetrics(f64([0.5]), f64([0.2, 0.3, 0.5]), 3)).toThrow(RangeError);
    expect(() => multiclassMetrics(f64([0, 1]), f64([0.2, 0.3, 0.5]), 3)).toThrow(/length 3, expected 6/);
    expect(() => multiclassAccuracyAndMacroF1(f64([0]), f64([-1]), 3)).toThrow(RangeError);
  });
});

describe('regressionMetrics', () => {
  it('computes mae, rmse and r2 of a small example by hand', () => {
    // errors 0.5, 0.5, 0, 1; mean of y 2.875; total sum of squares 29.1875 (sklearn docs example)
    const m = regressionMetrics(f64([3, -0.5, 2, 7]), f64([2.5, 0, 2, 8]));
    expect(m.mae).toBe(0.5);
    expectClose(m.rmse, Math.sqrt(1.5 / 4), 1e-15);
    expectClose(m.r2, 0.9486081370449679, 1e-15);
  });

  it('gives r2 of 1 for a constant target predicted exactly and 0 when missed, as sklearn', () => {
    expect(regressionMetrics(f64([2, 2, 2]), f64([2, 2, 2])).r2).toBe(1);
    expect(regressionMetrics(f64([2, 2, 2]), f64([2, 2, 3])).r2).toBe(0);
  });

  it('leaves r2 undefined for a single row', () => {
    const m = regressionMetrics(f64([2]), f64([3]));
    expect(m.r2).toBeNaN();
    expect(m.mae).toBe(1);
    expect(m.rmse).toBe(1);
  });

  it('refuses non-finite values', () => {
    expect(() => regressionMetrics(f64([1, 2]), f64([1, Infinity]))).toThrow(RangeError);
  });
});

describe('computeMetrics', () => {
  it('returns the binary metrics for a binary task', () => {
    const m = computeMetrics('binary', f64([0, 1, 0, 1]), f64([0.2, 0.8, 0.6, 0.9]), 2);
    expect(Object.keys(m).sort()).toEqual(['accuracy', 'auc', 'f1', 'logLoss', 'precision', 'recall']);
    expect(m.auc).toBe(1);
    expect(m.accuracy).toBe(0.75);
  });

  it('drops an undefined AUC so that the record survives JSON', () => {
    const m = computeMetrics('binary', f64([0, 0]), f64([0.2, 0.7]), 2);
    expect('auc' in m).toBe(false);
    expect(m.accuracy).toBe(0.5);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('returns the multiclass metrics for a multiclass task', () => {
    const m = computeMetrics('multiclass', f64([0, 1, 2]), f64([0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.6, 0.2, 0.2]), 3);
    expect(Object.keys(m).sort()).toEqual(['accuracy', 'logLoss', 'macroF1']);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('returns the regression metrics for a regression task, without an undefined r2', () => {
    expect(Object.keys(computeMetrics('regression', f64([1, 2]), f64([1, 3]), 0)).sort()).toEqual(['mae', 'r2', 'rmse']);
    expect(computeMetrics('regression', f64([1]), f64([1.5]), 0)).toEqual({ mae: 0.5, rmse: 0.5 });
  });

  it('returns an empty record for zero rows', () => {
    expect(computeMetrics('binary', new Float64Array(0), new Float64Array(0), 2)).toEqual({});
  });
});

describe('metric directions', () => {
  it('ranks binary models by auc, multiclass by accuracy and regression by rmse', () => {
    expect(primaryMetric('binary')).toBe('auc');
    expect(primaryMetric('multiclass')).toBe('accuracy');
    expect(primaryMetric('regression')).toBe('rmse');
  });

  it('treats mae, rmse and logLoss as errors and every other metric as a score', () => {
    for (const m of ['mae', 'rmse', 'logLoss']) expect(higherIsBetter(m)).toBe(false);
    for (const m of ['auc', 'accuracy', 'precision', 'recall', 'f1', 'macroF1', 'r2']) expect(higherIsBetter(m)).toBe(true);
  });
});
