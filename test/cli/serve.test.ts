import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { CaptureIo, refit, tempDir } from './cli-harness.js';

describe('refit serve', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('refuses a bad config file, printing every problem, and exits 1', async () => {
    await writeFile(
      join(tmp.dir, 'refit.config.yaml'),
      'models:\n  - id: churn\n    task: binary-ish\n    features: [{ name: age, type: number }]\n    trainer: logistic\n  - id: other\n    task: regression\n    features: []\n    trainer: logistic\n',
    );
    const r = await refit(['serve', '--port', '0', '--data-dir', 'data', '--log-level', 'silent'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Refit did not start\. The config file .*refit\.config\.yaml is invalid\.$/m);
    expect(r.err).toMatch(/^ {2}\/models\/0\/task: /m);
    expect(r.err).toMatch(/^ {2}\/models\/1\/features: /m);
  });

  it('serves the config file models until interrupted, then closes', async () => {
    expect((await refit(['init'], { cwd: tmp.dir })).code).toBe(0);
    const io = new CaptureIo(tmp.dir);
    const serving = runCli(['serve', '--port', '0', '--data-dir', 'data', '--log-level', 'info'], io);
    const [, url] = await io.waitFor(/listening on (http:\/\/\S+)/);

    const models = await refit(['models', '--server', url], { cwd: tmp.dir });
    expect(models.out).toMatch(/^churn +binary +— +logistic +4 /m);

    io.interrupt('SIGTERM');
    expect(await serving).toBe(0);
    expect(io.err).toContain('SIGTERM: shutting down');
    const after = await refit(['models', '--server', url], { cwd: tmp.dir });
    expect(after.code).toBe(1);
    expect(after.err).toContain('The Refit server cannot be reached');
  });

  it('refuses --no-training and `refit worker` without a Redis, saying what to set, and exits 1', async () => {
    const api = await refit(['serve', '--no-training', '--port', '0', '--data-dir', 'data', '--log-level', 'silent'], { cwd: tmp.dir, env: { REFIT_REDIS_URL: undefined } });
    expect(api.code).toBe(1);
    expect(api.err).toMatch(/^Refit did not start\. refit serve --no-training needs a Redis for its job queue\.$/m);
    expect(api.err).toMatch(/^ {2}\/redisUrl: set REFIT_REDIS_URL \(or --redis-url\) to redis:\/\/host:6379$/m);
    const worker = await refit(['worker', '--log-level', 'silent'], { cwd: tmp.dir, env: { REFIT_REDIS_URL: undefined } });
    expect(worker.code).toBe(1);
    expect(worker.err).toMatch(/^Refit did not start\. refit worker needs a Redis for its job queue\.$/m);
  });
});
