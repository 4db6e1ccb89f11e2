import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { startServer } from '../../src/server.js';
import { refit } from '../cli/cli-harness.js';
import { PYTHON } from './python.js';

describe('refit log', () => {
  it("prints a command job's output, and names an unknown job", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'refit-cli-log-'));
    const config = {
      commands: { noisy: { run: [PYTHON, '-c', "print('reading rows', flush=True); raise SystemExit('no model today')"] } },
      models: [{ id: 'cmd', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'command', params: { command: 'noisy' } } }],
    };
    await writeFile(join(dir, 'refit.config.json'), JSON.stringify(config));
    const server = await startServer(loadSettings({}, { port: 0, dataDir: dir, logLevel: 'silent' }), { cwd: dir });
    try {
      await server.refit.addLabels('cmd', Array.from({ length: 20 }, (_, i) => ({ features: { x: i }, label: i % 2 })));
      const { job } = await server.refit.retrain('cmd');
      await server.parts.queue.whenIdle();
      const shown = await refit(['log', job.id, '--server', server.url], { cwd: dir });
      expect(shown.code).toBe(0);
      expect(shown.out).toBe('reading rows\nno model today\n');
      const unknown = await refit(['log', 'nope', '--server', server.url], { cwd: dir });
      expect(unknown.code).not.toBe(0);
      expect(unknown.err).toContain("Retrain job 'nope' does not exist.");
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
