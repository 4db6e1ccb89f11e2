import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { CaptureIo, tempDir } from './cli-harness.js';

describe('refit serve logging', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('--log-file appends JSON lines to the file while standard output stays readable', async () => {
    const io = new CaptureIo(tmp.dir, {}, true);
    const serving = runCli(['serve', '--port', '0', '--data-dir', 'data', '--log-file', 'logs/refit.jsonl'], io);
    const [, url] = await io.waitFor(/listening on (http:\/\/\S+)/);
    expect((await fetch(`${url}/api/v1/models/nope`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/models`)).status).toBe(200);
    io.interrupt('SIGTERM');
    expect(await serving).toBe(0);

    const lines = (await readFile(join(tmp.dir, 'logs', 'refit.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown });
    expect(lines.some((l) => /^Refit \S+ listening on http/.test(l.msg))).toBe(true);
    // The 404 once, at info, without a stack; the 200 not at all.
    const requests = lines.filter((l) => l.msg.startsWith('GET '));
    expect(requests).toEqual([{ level: 30, msg: "GET /api/v1/models/nope 404 MODEL_NOT_FOUND: Model 'nope' does not exist.", time: expect.any(Number), pid: process.pid, hostname: expect.any(String), reqId: expect.any(String), http: { method: 'GET', url: '/api/v1/models/nope', status: 404, code: 'MODEL_NOT_FOUND' } }]);
    // A terminal: readable lines, not JSON.
    expect(io.out).toMatch(/INFO: .*GET \/api\/v1\/models\/nope 404 MODEL_NOT_FOUND/);
    expect(io.out).not.toContain('{"level"');
  });

  it('--log-format json writes JSON lines even on a terminal', async () => {
    const io = new CaptureIo(tmp.dir, { REFIT_LOG_FORMAT: 'pretty' }, true);
    const serving = runCli(['serve', '--port', '0', '--data-dir', 'data', '--log-format', 'json'], io);
    const [, url] = await io.waitFor(/listening on (http:\/\/\S+)/);
    expect((await fetch(`${url}/api/v1/models`)).status).toBe(200);
    io.interrupt('SIGTERM');
    expect(await serving).toBe(0);
    const lines = io.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: expect.stringMatching(/^Refit \S+ listening on http/) }));
  });
});
