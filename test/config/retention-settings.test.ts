import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsWithConfigFile } from '../../src/config/config-file.js';
import { retentionPolicy } from '../../src/config/retention-settings.js';
import { loadSettings } from '../../src/config/settings.js';
import { RefitError, type FieldProblem } from '../../src/errors.js';

function problemsOf(fn: () => unknown): FieldProblem[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RefitError);
    return [...(err as RefitError).errors];
  }
  throw new Error('expected the settings to be refused');
}

describe('the retention settings', () => {
  it('default to scores 30 days, labels forever, a prune every 10 minutes of 2,000-row statements', () => {
    const s = loadSettings({});
    expect(s).toMatchObject({ retentionScores: 30, retentionLabels: null, retentionIntervalMinutes: 10, retentionBatchRows: 2000 });
    expect(retentionPolicy(s)).toEqual({ scoresDays: 30, labelsDays: null, intervalMs: 600_000, batchRows: 2000 });
  });

  it('take days as 45d, 45 or a number, and off (never, none, false) to keep rows forever', () => {
    expect(loadSettings({ REFIT_RETENTION_SCORES: '45d', REFIT_RETENTION_LABELS: '365' })).toMatchObject({ retentionScores: 45, retentionLabels: 365 });
    expect(loadSettings({ REFIT_RETENTION_SCORES: 'off', REFIT_RETENTION_LABELS: ' 90 days ' })).toMatchObject({ retentionScores: null, retentionLabels: 90 });
    expect(loadSettings({}, { retentionScores: 7, retentionLabels: false })).toMatchObject({ retentionScores: 7, retentionLabels: null });
    expect(loadSettings({ REFIT_RETENTION_SCORES: 'Never', REFIT_RETENTION_INTERVAL_MINUTES: '60', REFIT_RETENTION_BATCH_ROWS: '1000' })).toMatchObject({
      retentionScores: null,
      retentionIntervalMinutes: 60,
      retentionBatchRows: 1000,
    });
    // A flag (serve --retention-scores) wins over the environment.
    expect(loadSettings({ REFIT_RETENTION_SCORES: '45d' }, { retentionScores: '14d' }).retentionScores).toBe(14);
  });

  it('name every bad value with what is expected', () => {
    const problems = problemsOf(() =>
      loadSettings({ REFIT_RETENTION_SCORES: '30 weeks', REFIT_RETENTION_LABELS: '0d', REFIT_RETENTION_INTERVAL_MINUTES: '0', REFIT_RETENTION_BATCH_ROWS: 'lots' }),
    );
    expect(problems).toEqual([
      { path: '/retentionScores', message: 'must be a number of days such as 30d (1d to 36500d), or off to keep them forever; got "30 weeks"' },
      { path: '/retentionLabels', message: 'must be a number of days such as 30d (1d to 36500d), or off to keep them forever; got "0d"' },
      { path: '/retentionIntervalMinutes', message: expect.stringMatching(/>=1/) },
      { path: '/retentionBatchRows', message: expect.any(String) },
    ]);
    expect(problemsOf(() => loadSettings({}, { retentionScores: 2.5 })).map((p) => p.path)).toEqual(['/retentionScores']);
  });

  it('are read from the config file, where a bad one is named by its path there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-retention-'));
    try {
      writeFileSync(join(dir, 'refit.config.yaml'), 'settings:\n  retentionScores: 14d\n  retentionLabels: off\nmodels: []\n');
      expect(settingsWithConfigFile({}, {}, dir)).toMatchObject({ retentionScores: 14, retentionLabels: null });
      expect(settingsWithConfigFile({ REFIT_RETENTION_SCORES: '60d' }, {}, dir).retentionScores).toBe(60);
      writeFileSync(join(dir, 'refit.config.yaml'), 'settings:\n  retentionScores: -3\nmodels: []\n');
      expect(problemsOf(() => settingsWithConfigFile({}, {}, dir))).toEqual([{ path: '/settings/retentionScores', message: expect.stringMatching(/^must be a number of days such as 30d .*; got -3$/) }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
