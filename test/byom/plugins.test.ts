import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { startServer } from '../../src/server.js';

// A plug-in trainer as a user would write it: plain JavaScript, no import from Refit. It predicts
// the share of positive labels it saw; enough to show where it runs.
const PLUGIN = `
const params = { safeParse: (p) => ({ success: true, data: p ?? {} }) };
const predictor = (rate) => ({
  kind: 'base-rate',
  outputsPerRow: 1,
  classes: ['0', '1'],
  predictRows: (rows) => new Float64Array(rows.length).fill(rate),
  predictMatrix: (x) => new Float64Array(x.rows).fill(rate),
  serialize: () => new TextEncoder().encode(JSON.stringify({ rate })),
});
export default {
  name: 'base-rate',
  paramsSchema: params,
  tasks: ['binary'],
  async fit(data) {
    let sum = 0;
    for (const y of data.y) sum += y;
    return predictor(sum / data.y.length);
  },
  load: (bytes) => predictor(JSON.parse(new TextDecoder().decode(bytes)).rate),
};
`;

describe('JavaScript plug-in trainers', () => {
  it('a trainer module named in the config file trains in the training worker and scores in the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-plugin-'));
    writeFileSync(join(dir, 'base-rate.mjs'), PLUGIN);
    writeFileSync(
      join(dir, 'refit.config.json'),
      JSON.stringify({ plugins: ['./base-rate.mjs'], models: [{ id: 'p', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'base-rate' }] }),
    );
    // The default executor: a worker thread per retrain, which must load the plug-in itself.
    const server = await startServer(loadSettings({}, { port: 0, dataDir: dir, logLevel: 'silent' }), { cwd: dir });
    try {
      const items = Array.from({ length: 40 }, (_, i) => ({ features: { x: i }, label: i % 4 === 0 ? 1 : 0 }));
      await server.refit.addLabels('p', items);
      const { job } = await server.refit.retrain('p');
      await server.parts.queue.whenIdle();
      expect(await server.refit.getJob(job.id)).toMatchObject({ status: 'completed', result: { promoted: true } });
      const [scored] = await server.refit.score('p', [{ features: { x: 1 } }]);
      expect(scored.score).toBeCloseTo(0.25, 1);
      expect((await server.refit.listVersions('p'))[0].trainer.type).toBe('base-rate');
    } finally {
      await server.close();
    }
  });

  it('a plug-in that exports no trainer stops start-up with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-plugin-'));
    writeFileSync(join(dir, 'nothing.mjs'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'refit.config.json'), JSON.stringify({ plugins: ['./nothing.mjs'], models: [] }));
    await expect(startServer(loadSettings({}, { port: 0, dataDir: dir, logLevel: 'silent' }), { cwd: dir })).rejects.toMatchObject({
      errors: [{ path: '/plugins', message: expect.stringContaining('exports no trainer') }],
    });
  });
});
