import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { createStore } from '../../src/store/create-store.js';
import { openHarness } from './harness.js';

const CHILD = fileURLToPath(new URL('./kill-child.ts', import.meta.url));
const pgUrl = process.env.REFIT_TEST_DATABASE_URL;

function runChild(args: string[]): Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const targets: { name: string; url: () => string; schema?: string; cleanup: () => Promise<void> }[] = [];
{
  const dir = mkdtempSync(join(tmpdir(), 'refit-kill-'));
  targets.push({ name: 'sqlite', url: () => join(dir, 'refit.db'), cleanup: async () => rmSync(dir, { recursive: true, force: true }) });
}
if (pgUrl) {
  const schema = `refit_kill_${randomBytes(6).toString('hex')}`;
  targets.push({
    name: 'postgres',
    url: () => pgUrl,
    schema,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    },
  });
}

describe.each(targets)('a process killed mid-promotion on $name', (target) => {
  it('leaves exactly one active version after restart, and the timeline says what happened', async () => {
    try {
      const run = await runChild([target.url(), ...(target.schema ? [target.schema] : [])]);
      expect(run.signal, `exit code ${run.code}; stdout: ${run.stdout.slice(-1000)}; stderr: ${run.stderr.slice(-3000)}`).toBe('SIGKILL');
      const { first, second, now } = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { first: string; second: string; now: string };

      const store = await createStore({ url: target.url(), ...(target.schema ? { schema: target.schema } : {}) });
      const h = await openHarness(store, { clock: new ManualClock(new Date(new Date(now).getTime() + 60_000)) });
      try {
        const { interruptedChanges } = await h.refit.recover();
        expect(interruptedChanges.map((e) => [e.action, e.version, e.fromVersion])).toEqual([['interrupted', second, first]]);
        const active = (await store.listVersions('m')).filter((v) => v.status === 'active').map((v) => v.version);
        expect(active).toEqual([first]);
        expect((await h.get('/api/v1/models/m')).json().activeVersion).toBe(first);
        expect((await h.get('/api/v1/models/m/timeline')).json().items[0]).toMatchObject({ action: 'interrupted', version: second, actor: 'recovery' });
        // Scores still come from the version that stayed active; the canary is decided again.
        const items = (await h.post('/api/v1/models/m/score', { items: Array.from({ length: 20 }, () => ({ features: { x: 1 } })) })).json().items as { version: string; arm: string }[];
        for (const i of items) expect(i.version).toBe(i.arm === 'champion' ? first : second);
        expect((await h.post('/api/v1/models/m/rollout/evaluate')).json().challenger.decision).toBe('promote');
        expect((await store.listVersions('m')).filter((v) => v.status === 'active').map((v) => v.version)).toEqual([second]);
      } finally {
        await h.close();
      }
    } finally {
      await target.cleanup();
    }
  });
});
