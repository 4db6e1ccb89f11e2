import { describe, expect, it } from 'vitest';
import type { JobWire } from '../../src/contract/index.js';
import { RetrainProgress } from '../../src/cli/retrain-progress.js';
import { CaptureIo } from './cli-harness.js';

const ended = { stages: ['loading labels', 'training', 'validating', 'promoting'].map((name) => ({ name, startedAt: '', durationMs: 1 })) } as unknown as JobWire;

describe('RetrainProgress', () => {
  it('redraws one bar line with \\r on a terminal and moves on at the next stage', () => {
    const io = new CaptureIo('/', {}, true);
    const view = new RetrainProgress(io);
    view.update({ stage: 'loading labels', progress: null, stagesDone: [] });
    view.update({ stage: 'training', progress: 0, stagesDone: [] });
    view.update({ stage: 'training', progress: 0.5, stagesDone: [] });
    view.update({ stage: 'training', progress: 0.505, stagesDone: [] }); // same percent: no redraw
    view.update({ stage: 'validating', progress: null, stagesDone: [] });
    view.finish(ended);
    expect(io.out).toBe(
      '  loading labels\n' +
        '\r  training [------------------------------]   0%' +
        '\r  training [###############---------------]  50%' +
        '\r  training [##############################] 100%\n' +
        '  validating\n' +
        '  promoting\n',
    );
  });

  it('prints occasional progress lines without a terminal, and stages a poll missed, in order', () => {
    const io = new CaptureIo('/');
    const view = new RetrainProgress(io);
    view.update({ stage: 'training', progress: 0.3, stagesDone: ['loading labels'] });
    view.update({ stage: 'training', progress: 0.4, stagesDone: ['loading labels'] });
    view.update({ stage: 'training', progress: 0.8, stagesDone: ['loading labels'] });
    view.finish(ended);
    expect(io.out).toBe('  loading labels\n  training\n  training 25%\n  training 75%\n  validating\n  promoting\n');
  });
});
