import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import type { ArmNumbers } from '../../src/rollout/analysis.js';
import { armNumbers, decideChallenger, decideWatch } from '../../src/rollout/analysis.js';
import { canaryArm, stickyUnit } from '../../src/rollout/routing.js';
import { mulberry32 } from '../../src/data/random.js';

const policy = parseModelSpec({ id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic', retrain: { rollout: { policy: 'canary' } } }).retrain.rollout;
const now = new Date('2026-01-02T00:00:00Z');
const later = new Date('2026-01-03T00:00:00Z');

function arm(labels: number, successRate: number, extra: Partial<ArmNumbers> = {}): ArmNumbers {
  const successes = Math.round(labels * successRate);
  return { version: 'v', labels, successes, successRate: labels ? successes / labels : null, metrics: {}, attempts: 1000, errors: 0, errorRate: 0, latencyP95Ms: 5, ...extra };
}

describe('the statistics behind rollout decisions', () => {
  it('does not let 30 labels decide a canary, however bad they look', () => {
    const d = decideChallenger('binary', policy, arm(300, 0.9), arm(30, 0.3), { now, endsAt: later });
    expect(d.decision).toBe('continue');
    expect(d.reason).toMatch(/waiting for labels: challenger 30/);
  });

  it('keeps a challenger whose small dip is not significant, and aborts one significantly worse', () => {
    const close = decideChallenger('binary', policy, arm(2000, 0.86), arm(220, 0.84), { now, endsAt: later });
    expect(close.decision).toBe('promote');
    expect((close.numbers.test as { pValue: number }).pValue).toBeGreaterThan(0.05);
    const worse = decideChallenger('binary', policy, arm(2000, 0.95), arm(400, 0.85), { now, endsAt: later });
    expect(worse.decision).toBe('abort');
    expect(worse.reason).toMatch(/significantly worse/);
  });

  it('aborts on the success-rate threshold, error rate and latency p95, and is inconclusive at the end without labels', () => {
    expect(decideChallenger('binary', policy, arm(2000, 0.78), arm(300, 0.78), { now, endsAt: later }).reason).toMatch(/below the 0.8 success-rate threshold/);
    expect(decideChallenger('binary', policy, arm(2000, 0.9), arm(300, 0.9, { attempts: 200, errors: 20, errorRate: 0.1 }), { now, endsAt: later }).reason).toMatch(/error rate 0.1 over 200 attempts is above 0.05/);
    expect(decideChallenger('binary', policy, arm(2000, 0.9), arm(300, 0.9, { latencyP95Ms: 140 }), { now, endsAt: later }).reason).toMatch(/latency p95 140 ms is above 100 ms/);
    // Too few attempts for the guardrails to judge.
    expect(decideChallenger('binary', policy, arm(2000, 0.9), arm(300, 0.9, { attempts: 10, errors: 5, errorRate: 0.5 }), { now, endsAt: later }).decision).toBe('promote');
    const end = decideChallenger('binary', policy, arm(150, 0.9), arm(20, 0.9), { now: later, endsAt: later });
    expect(end.decision).toBe('abort');
    expect(end.reason).toMatch(/inconclusive/);
  });

  it('rolls back a watched version only when it is significantly below the threshold, or over a guardrail', () => {
    expect(decideWatch(policy, arm(60, 0.7), { now, endsAt: later }).decision).toBe('continue');
    const bad = decideWatch(policy, arm(300, 0.6), { now, endsAt: later });
    expect(bad.decision).toBe('rollback');
    expect(bad.reason).toMatch(/below the rollback threshold 0.75/);
    expect(decideWatch(policy, arm(300, 0.9, { latencyP95Ms: 250 }), { now, endsAt: later }).reason).toMatch(/latency p95 250 ms is above the rollback limit 200 ms/);
    expect(decideWatch(policy, arm(300, 0.9, { errors: 150, errorRate: 0.15 }), { now, endsAt: later }).decision).toBe('rollback');
    expect(decideWatch(policy, arm(300, 0.9), { now: later, endsAt: later }).decision).toBe('pass');
  });
});

describe('the live numbers of an arm', () => {
  it('counts binary successes at 0.5, multiclass by the most probable class, and serving errors and latency', () => {
    const binary = armNumbers(
      'binary',
      'v2',
      [
        { version: 'v2', arm: 'challenger', shadow: false, score: 0.7, label: 1 },
        { version: 'v2', arm: 'challenger', shadow: false, score: 0.4, label: 1 },
        { version: 'v2', arm: 'challenger', shadow: false, score: 0.2, label: 0 },
        { version: 'v1', arm: 'champion', shadow: false, score: 0.9, label: 0 },
      ],
      [{ version: 'v2', attempts: 40, errors: 2, latenciesMs: Array.from({ length: 20 }, (_, i) => i + 1) }],
      [],
    );
    expect(binary).toMatchObject({ labels: 3, successes: 2, attempts: 40, errors: 2, errorRate: 0.05 });
    expect(binary.successRate).toBeCloseTo(2 / 3, 12);
    expect(binary.latencyP95Ms).toBeCloseTo(19.05, 12);
    expect(binary.metrics.accuracy).toBeCloseTo(2 / 3, 12);
    const multi = armNumbers(
      'multiclass',
      'v',
      [
        { version: 'v', arm: 'champion', shadow: false, score: [0.1, 0.7, 0.2], label: 'b' },
        { version: 'v', arm: 'champion', shadow: false, score: [0.5, 0.3, 0.2], label: 'c' },
      ],
      [],
      ['a', 'b', 'c'],
    );
    expect(multi).toMatchObject({ labels: 2, successes: 1, successRate: 0.5, attempts: 0, errorRate: null, latencyP95Ms: null });
    const regression = armNumbers('regression', 'v', [{ version: 'v', arm: 'champion', shadow: false, score: 3, label: 2.5 }], [], []);
    expect(regression).toMatchObject({ labels: 1, successes: null, successRate: null });
    expect(regression.metrics.mae).toBeCloseTo(0.5, 12);
  });
});

describe('canary routing', () => {
  it('is sticky per key and model, and splits keys near the share', () => {
    expect(stickyUnit('user-1', 'm', 42)).toBe(stickyUnit('user-1', 'm', 42));
    expect(stickyUnit('user-1', 'm', 42)).not.toBe(stickyUnit('user-1', 'other', 42));
    const random = mulberry32(1);
    let n = 0;
    for (let i = 0; i < 10_000; i++) if (canaryArm(0.1, { entityKey: `k${i}`, modelId: 'm', seed: 42, random }) === 'challenger') n++;
    expect(n / 10_000).toBeGreaterThan(0.085);
    expect(n / 10_000).toBeLessThan(0.115);
  });
});
