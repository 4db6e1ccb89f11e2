import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { RefitProcess, call, freePort } from '../helpers/cluster.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../helpers/refit-cli.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function serve(dataDir: string): Promise<RefitProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', String(port), '--data-dir', dataDir], { cwd: ROOT, env: { ...process.env, REFIT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = new RefitProcess('api', child);
  await p.waitFor(/listening on/);
  p.url = `http://127.0.0.1:${port}`;
  return p;
}

/**
 * Score from `clients` concurrent loops until `enough` scores are acknowledged, then `stop` the
 * server while requests are still in flight. Returns every acknowledged score id.
 */
async function scoreUntil(p: RefitProcess, enough: number, stop: () => void): Promise<string[]> {
  const acknowledged: string[] = [];
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      try {
        const res = await call(p.url, 'POST', '/api/v1/models/churn/score', { items: [{ features: { age: 30 + (acknowledged.length % 40) } }, { features: { age: 50 } }] });
        if (res.status !== 200) continue;
        for (const item of res.json.items as { scoreId: string }[]) acknowledged.push(item.scoreId);
        if (!stopped && acknowledged.length >= enough) {
          stopped = true;
          stop();
        }
      } catch {
        // The server went away with this request in flight: it was never acknowledged.
        stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, loop));
  await p.exited;
  return acknowledged;
}

function storedIds(dataDir: string): Set<string> {
  const db = new Database(join(dataDir, 'refit.db'));
  try {
    return new Set((db.prepare("select id from scores where model_id = 'churn'").all() as { id: string }[]).map((r) => r.id));
  } finally {
    db.close();
  }
}

describe('scores under load survive the server stopping', () => {
  it.each([
    ['killed (kill -9)', 'SIGKILL' as const],
    ['stopped cleanly (SIGTERM)', 'SIGTERM' as const],
  ])('when it is %s, every acknowledged score is stored and labels can join to it after a restart', async (_, signal) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'refit-durability-'));
    dirs.push(dataDir);
    const first = await serve(dataDir);
    expect((await call(first.url, 'POST', '/api/v1/models', { id: 'churn', task: 'binary', features: [{ name: 'age', type: 'number' }], trainer: 'logistic' })).status).toBe(201);
    const acknowledged = await scoreUntil(first, 3_000, () => first.kill(signal));
    expect(acknowledged.length).toBeGreaterThanOrEqual(3_000);
    // A clean stop ends with exit code 0 once the store has closed (a service manager reads it).
    expect(await first.exited).toBe(signal === 'SIGTERM' ? 0 : null);

    const stored = storedIds(dataDir);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);

    // After a restart, feedback joins to scores made before the stop, by id.
    const second = await serve(dataDir);
    try {
      const sample = [acknowledged[0], acknowledged[Math.floor(acknowledged.length / 2)], acknowledged[acknowledged.length - 1]];
      const res = await call(second.url, 'POST', '/api/v1/models/churn/labels', { items: sample.map((scoreId) => ({ scoreId, label: 1 })) });
      expect(res.status).toBe(201);
      expect(res.json.accepted).toBe(3);
    } finally {
      second.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 120_000);
});
