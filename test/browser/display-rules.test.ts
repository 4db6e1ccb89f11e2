import { describe, expect, it } from 'vitest';
import { cronProblem, mergeProblems, numberProblem, plainMessage, timeProblem, timezoneProblem } from '../../web/src/config-checks.js';
import { dateTime, labelsText, metric, serverText, sharePercent, signedPercent } from '../../web/src/format.js';
import { driftedText } from '../../web/src/monitoring.js';
import { armLines, sampledNote } from '../../web/src/rollout-numbers.js';
import { liveVerdict } from '../../web/src/verdict.js';

/* The dashboard's display rules, without a browser: what the pages show for given numbers. */

const LIMITS = { maxDropPct: 10, maxErrorRisePct: 20, minLabels: 30 };

describe('the live-metric verdict (one function for every page)', () => {
  it('calls a 0.7% drop within a 10% limit "within the limit", not a failure', () => {
    const v = liveVerdict('auc', 0.9 * 0.993, 0.9, 120, LIMITS);
    expect(v.tone).toBe('within');
    expect(v.word).toBe('within the limit');
    expect(v.detail).toBe('live 0.8937 vs test 0.9000 (−0.7%) over 120 labels: inside the −10.0% limit');
  });

  it('says "beyond the limit" past the drop limit, and "better than test" above the test value', () => {
    expect(liveVerdict('auc', 0.7, 0.9, 120, LIMITS)).toMatchObject({ tone: 'beyond', word: 'beyond the limit' });
    expect(liveVerdict('auc', 0.95, 0.9, 120, LIMITS)).toMatchObject({ tone: 'good', word: 'better than test' });
  });

  it('judges error metrics by their rise: a lower RMSE is better, 25% higher is beyond a 20% limit', () => {
    expect(liveVerdict('rmse', 9, 10, 50, LIMITS).tone).toBe('good');
    expect(liveVerdict('rmse', 11, 10, 50, LIMITS).tone).toBe('within');
    expect(liveVerdict('rmse', 12.5, 10, 50, LIMITS)).toMatchObject({ tone: 'beyond', detail: expect.stringMatching(/worse than the \+20\.0% limit$/) });
  });

  it('does not judge on fewer labels than the trigger needs, as the server does not', () => {
    expect(liveVerdict('auc', 0.5, 0.9, 12, LIMITS)).toMatchObject({ tone: 'unjudged', word: 'too few labels', detail: expect.stringMatching(/; 30 needed to judge$/) });
  });
});

describe('numbers, dates and counts', () => {
  it('shows percentages with one decimal and a true minus sign, metrics with four decimals', () => {
    expect(signedPercent(-0.7164)).toBe('−0.7%');
    expect(signedPercent(-2.5)).toBe('−2.5%');
    expect(signedPercent(12)).toBe('+12.0%');
    expect(signedPercent(-0.01)).toBe('±0.0%');
    expect(sharePercent(0.4237)).toBe('42.4%');
    expect(metric(0.9)).toBe('0.9000');
  });

  it('formats dates one way, never as raw ISO, and rewrites the ISO dates and long percentages inside server sentences', () => {
    const at = new Date(2026, 2, 12, 14, 3, 5);
    expect(dateTime(at.toISOString())).toBe('12 Mar 2026, 14:03');
    expect(dateTime(null)).toBe('—');
    const text = serverText(`live auc 0.8123 vs baseline 0.8181 (-0.7164%) over 120 outcomes; detected ${at.toISOString()}; share 66.7%, limit 5%`);
    expect(text).toBe('live auc 0.8123 vs baseline 0.8181 (−0.7%) over 120 outcomes; detected 12 Mar 2026, 14:03; share 66.7%, limit 5%');
  });

  it('says how many labels there are, how many are needed and whether that is enough', () => {
    expect(labelsText(150, 20)).toBe('150 new labels (20 needed) — ready');
    expect(labelsText(1, 20)).toBe('1 new label (20 needed) — 19 more to go');
  });

  it('says how many features drifted in words that cannot be misread', () => {
    expect(driftedText(0, 3)).toBe('no feature drifted (3 compared)');
    expect(driftedText(1, 3)).toBe('1 of 3 features drifted');
    expect(driftedText(3, 3)).toBe('all 3 features drifted');
  });
});

describe('configuration problems in plain words', () => {
  it("rewords the server's validation messages", () => {
    expect(plainMessage('Too big: expected number to be <=1')).toBe('Must be at most 1.');
    expect(plainMessage('Too small: expected number to be >0')).toBe('Must be more than 0.');
    expect(plainMessage('Too small: expected number to be >=10')).toBe('Must be at least 10.');
    expect(plainMessage('Invalid input: expected int, received number')).toBe('Enter a whole number.');
    expect(plainMessage('Invalid input: expected number, received string')).toBe('Enter a number.');
    expect(plainMessage("invalid cron expression '61 * * * *': Invalid value for minute: 61")).toBe('“61 * * * *” is not a valid cron expression: invalid value for minute: 61.');
    expect(plainMessage("unknown time zone 'Mars/Olympus'")).toBe(timezoneProblem('Mars/Olympus'));
    expect(plainMessage('time must be HH:MM (00:00 to 23:59)')).toBe(timeProblem('25:00'));
  });

  it('checks in the browser what a later server pass would name', () => {
    expect(cronProblem('0 6 * * *')).toBeNull();
    expect(cronProblem('*/15 9-17 * * mon-fri')).toBeNull();
    expect(cronProblem('@daily')).toBeNull();
    expect(cronProblem('61 * * * *')).toBe('“61 * * * *” is not a valid cron expression: 61 is not a valid minute (0 to 59).');
    expect(cronProblem('every hour')).toMatch(/needs five fields/);
    expect(timezoneProblem('Europe/Paris')).toBeNull();
    expect(timezoneProblem('')).toBeNull();
    expect(numberProblem('2', { gt: 0, max: 1 })).toBe('Must be at most 1.');
    expect(numberProblem('3.5', { int: true, min: 10 })).toBe('Enter a whole number.');
    expect(numberProblem('', { min: 0 })).toBe('Enter a number.');
  });

  it("keeps the server's words for a field it named and adds the browser's for the others", () => {
    const byField = mergeProblems(
      [{ field: 'retries', message: 'Too big: expected number to be <=10' }],
      [
        { field: 'retries', message: 'Must be at most 10.' },
        { field: 'schedule', message: 'bad cron' },
      ],
    );
    expect([...byField.entries()]).toEqual([
      ['retries', ['Must be at most 10.']],
      ['schedule', ['bad cron']],
    ]);
  });
});

describe("a rollout's live numbers", () => {
  const arm = (version: string, extra: Record<string, unknown> = {}) => ({ version, labels: 120, successes: 90, successRate: 0.75, metrics: {}, attempts: 400, errors: 2, errorRate: 0.005, latencyP95Ms: 1.234, ...extra });

  it('lists the challenger before the champion, with what each decision rests on', () => {
    const lines = armLines({ champion: arm('v1'), challenger: arm('v2', { labels: 30, successRate: null }), thresholds: {}, minLabels: 100 });
    expect(lines.map((l) => [l.arm, l.version, l.labels, l.successRate, l.attempts])).toEqual([
      ['challenger', 'v2', 30, null, 400],
      ['champion', 'v1', 120, 0.75, 400],
    ]);
    expect(sampledNote(lines)).toBeNull();
  });

  it('says when an arm was judged on its most recent rows only, and leaves out what is not an arm', () => {
    const canary = armLines({ champion: arm('v1', { sampled: true }), challenger: arm('v2', { sampled: false }), test: { z: 1 } });
    expect(sampledNote(canary)).toBe('The champion numbers are those of the most recent outcomes and scores only (both arms from the same recent traffic): the rollout has more than one check reads.');
    const watch = armLines({ watched: arm('v3', { sampled: true }) });
    expect(watch.map((l) => l.arm)).toEqual(['watched']);
    expect(sampledNote(watch)).toBe('The watched numbers are those of the most recent outcomes and scores only: the rollout has more than one check reads.');
    expect(armLines({ champion: 'v1', challenger: { labels: 3 } })).toEqual([]);
    expect(armLines(null)).toEqual([]);
  });
});
