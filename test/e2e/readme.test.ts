import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

/** One curl command of a README shell block: method, path and JSON body. */
interface Curl {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body: unknown;
}

/** The curl commands of the first shell block after a heading, joined across `\` and open quotes. */
function curlsAfter(heading: string): Curl[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const from = readme.indexOf(heading);
  expect(from, `README heading ${heading}`).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from))![1];
  const commands: string[] = [];
  let current = '';
  for (const line of block.split('\n')) {
    current += (current ? '\n' : '') + line.replace(/\\$/, '');
    const quotes = (current.match(/'/g) ?? []).length;
    if (!line.endsWith('\\') && quotes % 2 === 0) {
      if (current.trim().startsWith('curl')) commands.push(current.replace(/\s+#.*$/, ''));
      current = '';
    }
  }
  return commands.map((c) => {
    const url = /(https?:\/\/\S+?)(?=['\s]|$)/.exec(c)![1];
    const body = /-d '([\s\S]*?)'/.exec(c)?.[1];
    const method = (/-X (\w+)/.exec(c)?.[1] ?? (body === undefined ? 'GET' : 'POST')) as Curl['method'];
    return { method, path: new URL(url).pathname + new URL(url).search, body: body === undefined ? undefined : JSON.parse(body) };
  });
}

describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('the README on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('"Declaring a model" runs as written: the model is created, retrained, promoted, and scores carry its version', async () => {
    const curls = curlsAfter('## Declaring a model');
    expect(curls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /api/v1/models',
      'POST /api/v1/models/churn/labels',
      'POST /api/v1/models/churn/retrain',
      'GET /api/v1/models/churn/retrain/status',
      'POST /api/v1/models/churn/score',
    ]);
    const answers = [];
    for (const c of curls) {
      const res = await t.app.inject({ method: c.method, url: c.path, ...(c.body === undefined ? {} : { payload: c.body as object }) });
      expect(res.statusCode, `${c.method} ${c.path}: ${res.body}`).toBeLessThan(300);
      answers.push(res.json());
      // The README's reader waits a moment before asking for the status; the test waits for the job.
      if (c.path.endsWith('/retrain')) await t.parts.queue.whenIdle();
    }
    const status = answers[3];
    expect(status).toMatchObject({ status: 'completed', activeVersion: expect.stringMatching(/^1\.0\.0-/) });
    expect(status.lastJob.result.promoted).toBe(true);
    expect(answers[4].items[0]).toMatchObject({ version: status.activeVersion, score: expect.any(Number), scoreId: expect.any(String) });
  });
});
