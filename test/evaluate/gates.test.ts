import { describe, it, expect } from 'vitest';
import type { Metrics, Task } from '../../src/domain/entities.js';
import { decideGates, type GateInput } from '../../src/evaluate/gates.js';

type Gates = GateInput['gates'];

const noMinimums: Gates = { minimums: {}, maxDegradation: 0.05 };

function decide(
  challenger: Metrics,
  champion: Metrics | null,
  options: { task?: Task; gates?: Gates; schemaCompatible?: boolean } = {},
): ReturnType<typeof decideGates> {
  return decideGates({
    task: options.task ?? 'binary',
    challenger,
    champion,
    gates: options.gates ?? noMinimums,
    schemaCompatible: options.schemaCompatible ?? true,
  });
}

describe('decideGates: first version', () => {
  it('passes without a champion and says so', () => {
    const d = decide({ auc: 0.7 }, null);
    expect(d.pass).toBe(true);
    expect(d.reasons).toContain('no champion: first version');
    expect(d.primaryMetric).toBe('auc');
    expect(d.improvementPct).toBeNull();
  });

  it('names the primary metric of each task', () => {
    expect(decide({}, null, { task: 'multiclass' }).primaryMetric).toBe('accuracy');
    expect(decide({}, null, { task: 'regression' }).primaryMetric).toBe('rmse');
  });
});

describe('decideGates: schema', () => {
  it('fails an incompatible schema even when the metrics are better', () => {
    const d = decide({ auc: 0.95 }, { auc: 0.8 }, { schemaCompatible: false });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(["the feature schema is not compatible with the champion's"]);
    // the comparison is still reported, so a user sees what they would have gained
    expect(d.improvementPct).toBeCloseTo(18.75, 10);
  });

  it('mentions a compatible schema among the reasons for passing', () => {
    expect(decide({ auc: 0.9 }, null).reasons).toContain('the feature schema is compatible');
  });
});

describe('decideGates: minimums', () => {
  const gates: Gates = { minimums: { auc: 0.7, rmse: 1.5 }, maxDegradation: 0.05 };

  it('passes a score at or above its minimum', () => {
    const above = decide({ auc: 0.75 }, null, { gates: { minimums: { auc: 0.7 }, maxDegradation: 0.05 } });
    expect(above.pass).toBe(true);
    expect(above.reasons).toContain('auc 0.75 meets the minimum 0.7');
    expect(decide({ auc: 0.7 }, null, { gates: { minimums: { auc: 0.7 }, maxDegradation: 0.05 } }).pass).toBe(true);
  });

  it('fails a score below its minimum', () => {
    const d = decide({ auc: 0.65 }, null, { gates: { minimums: { auc: 0.7 }, maxDegradation: 0.05 } });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(['auc 0.65 is below the minimum 0.7']);
  });

  it('treats the bound of an error metric as a maximum', () => {
    const ok = decide({ rmse: 1.5 }, null, { task: 'regression', gates: { minimums: { rmse: 1.5 }, maxDegradation: 0.05 } });
    expect(ok.pass).toBe(true);
    expect(ok.reasons).toContain('rmse 1.5 meets the maximum 1.5');
    const bad = decide({ rmse: 1.6 }, null, { task: 'regression', gates: { minimums: { rmse: 1.5 }, maxDegradation: 0.05 } });
    expect(bad.pass).toBe(false);
    expect(bad.reasons).toEqual(['rmse 1.6 is above the maximum 1.5']);
  });

  it('treats logLoss and mae as error metrics too', () => {
    const g: Gates = { minimums: { logLoss: 0.5, mae: 1 }, maxDegradation: 0.05 };
    expect(decide({ logLoss: 0.4, mae: 0.9 }, null, { gates: g }).pass).toBe(true);
    const d = decide({ logLoss: 0.6, mae: 1.1 }, null, { gates: g });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(['logLoss 0.6 is above the maximum 0.5', 'mae 1.1 is above the maximum 1']);
  });

  it('fails a gate whose metric the challenger does not have', () => {
    const d = decide({ auc: 0.8 }, null, { gates });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(["rmse is missing from the challenger's metrics (maximum 1.5)"]);
  });

  it('fails a gate whose metric is not a finite number', () => {
    const d = decide({ auc: Number.NaN }, null, { gates: { minimums: { auc: 0.7 }, maxDegradation: 0.05 } });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(["auc is missing from the challenger's metrics (minimum 0.7)"]);
  });
});

describe('decideGates: against the champion', () => {
  it('passes an improvement and reports it as a positive percentage', () => {
    const d = decide({ auc: 0.91 }, { auc: 0.88 });
    expect(d.pass).toBe(true);
    expect(d.improvementPct).toBeCloseTo(3.409090909, 6);
    expect(d.reasons).toContain('auc 0.91 vs champion 0.88 (+3.4%)');
  });

  it('passes a degradation within the limit and says it is within it', () => {
    const d = decide({ auc: 0.86 }, { auc: 0.88 });
    expect(d.pass).toBe(true);
    expect(d.improvementPct).toBeCloseTo(-2.272727, 5);
    expect(d.reasons).toContain('auc 0.86 vs champion 0.88 (-2.3%, within the limit 5%)');
  });

  it('passes a degradation of exactly the limit despite rounding', () => {
    // (0.9 - 0.855) / 0.9 is 0.05000000000000004 in floating point
    const d = decide({ auc: 0.855 }, { auc: 0.9 });
    expect(d.pass).toBe(true);
  });

  it('fails a degradation beyond the limit, with the numbers in the reason', () => {
    const d = decide({ auc: 0.812 }, { auc: 0.882 });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(["auc 0.812 is 7.9% worse than the champion's 0.882 (limit 5%)"]);
    expect(d.improvementPct).toBeCloseTo(-7.936507, 5);
  });

  it('honours a custom limit', () => {
    const strict: Gates = { minimums: {}, maxDegradation: 0 };
    expect(decide({ auc: 0.879 }, { auc: 0.88 }, { gates: strict }).pass).toBe(false);
    expect(decide({ auc: 0.88 }, { auc: 0.88 }, { gates: strict }).pass).toBe(true);
    const loose: Gates = { minimums: {}, maxDegradation: 0.1 };
    expect(decide({ auc: 0.812 }, { auc: 0.882 }, { gates: loose }).pass).toBe(true);
  });

  it('counts a higher rmse as worse and a lower one as better', () => {
    const worse = decide({ rmse: 1.1 }, { rmse: 1 }, { task: 'regression' });
    expect(worse.pass).toBe(false);
    expect(worse.improvementPct).toBeCloseTo(-10, 10);
    expect(worse.reasons).toEqual(["rmse 1.1 is 10% worse than the champion's 1 (limit 5%)"]);
    const slightlyWorse = decide({ rmse: 1.04 }, { rmse: 1 }, { task: 'regression' });
    expect(slightlyWorse.pass).toBe(true);
    const better = decide({ rmse: 0.8 }, { rmse: 1 }, { task: 'regression' });
    expect(better.pass).toBe(true);
    expect(better.improvementPct).toBeCloseTo(20, 10);
    expect(better.reasons).toContain('rmse 0.8 vs champion 1 (+20%)');
  });

  it('compares multiclass models on accuracy', () => {
    const d = decide({ accuracy: 0.6, macroF1: 0.9 }, { accuracy: 0.7, macroF1: 0.5 }, { task: 'multiclass' });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(["accuracy 0.6 is 14.3% worse than the champion's 0.7 (limit 5%)"]);
  });

  it('skips the comparison when the champion lacks the primary metric', () => {
    const d = decide({ auc: 0.5 }, { accuracy: 0.9 });
    expect(d.pass).toBe(true);
    expect(d.improvementPct).toBeNull();
    expect(d.reasons).toContain('the champion has no auc: nothing to compare against');
  });

  it('fails when the challenger lacks the primary metric the champion has', () => {
    const d = decide({ accuracy: 0.9 }, { auc: 0.8 });
    expect(d.pass).toBe(false);
    expect(d.improvementPct).toBeNull();
    expect(d.reasons).toEqual(["auc is missing from the challenger's metrics, so it cannot be compared with the champion's 0.8"]);
  });

  it('has no relative change against a champion value of 0', () => {
    const perfect = decide({ rmse: 0.1 }, { rmse: 0 }, { task: 'regression' });
    expect(perfect.pass).toBe(false);
    expect(perfect.improvementPct).toBeNull();
    expect(perfect.reasons).toEqual(["rmse 0.1 is worse than the champion's 0 (limit 5%)"]);
    const tie = decide({ rmse: 0 }, { rmse: 0 }, { task: 'regression' });
    expect(tie.pass).toBe(true);
    expect(tie.improvementPct).toBeNull();
    expect(tie.reasons).toContain('rmse 0 vs champion 0 (no change)');
    const fromZero = decide({ accuracy: 0.5 }, { accuracy: 0 }, { task: 'multiclass' });
    expect(fromZero.pass).toBe(true);
    expect(fromZero.improvementPct).toBeNull();
    expect(fromZero.reasons).toContain('accuracy 0.5 vs champion 0 (better)');
  });
});

describe('decideGates: several failures', () => {
  it('lists every failed gate and none of the passed ones', () => {
    const gates: Gates = { minimums: { auc: 0.9, accuracy: 0.5 }, maxDegradation: 0.05 };
    const d = decide({ auc: 0.7, accuracy: 0.8 }, { auc: 0.85 }, { gates, schemaCompatible: false });
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual([
      "the feature schema is not compatible with the champion's",
      'auc 0.7 is below the minimum 0.9',
      "auc 0.7 is 17.6% worse than the champion's 0.85 (limit 5%)",
    ]);
  });

  it('lists every passed gate when all pass', () => {
    const gates: Gates = { minimums: { auc: 0.7 }, maxDegradation: 0.05 };
    const d = decide({ auc: 0.9 }, { auc: 0.88 }, { gates });
    expect(d.pass).toBe(true);
    expect(d.reasons).toEqual([
      'the feature schema is compatible',
      'auc 0.9 meets the minimum 0.7',
      'auc 0.9 vs champion 0.88 (+2.3%)',
    ]);
  });
});
