import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, type ServerConfig } from '../../src/config/config-file.js';
import { mulberry32 } from '../../src/data/random.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

// examples/refit.config.yaml as a user would start it from the repository root.
describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('the examples/ on $name', (dialect) => {
  let t: TestApp;
  let config: ServerConfig;
  beforeAll(async () => {
    config = await loadServerConfig('examples/refit.config.yaml');
    t = await openTestApp(dialect, { commands: config.commands, workRoot: join(mkdtempSync(join(tmpdir(), 'refit-examples-')), 'jobs') });
    for (const spec of config.models) await t.refit.upsertModel(spec);
  });
  afterAll(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST', url: string, payload?: unknown) => t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const rnd = mulberry32(9);
  const rows = (n: number) =>
    Array.from({ length: n }, () => {
      const age = 18 + Math.floor(rnd() * 60);
      const tenure = rnd() < 0.1 ? null : Math.floor(rnd() * 120);
      const annual = rnd() < 0.5;
      return { features: { age, tenure, annual }, label: (tenure ?? 60) / 120 - age / 100 + (annual ? 0.3 : 0) + (rnd() - 0.5) * 0.4 > 0 ? 0 : 1 };
    });

  it('declares the three example commands and models', () => {
    expect(Object.keys(config.commands)).toEqual(['xgb', 'logreg', 'pull']);
    expect(config.models.map((m) => m.id)).toEqual(['churn-xgb', 'churn-onnx', 'assistant']);
  });

  it('the ONNX example trains, is promoted, and scores through onnxruntime', async () => {
    await req('POST', '/api/v1/models/churn-onnx/labels', { items: rows(400) });
    await req('POST', '/api/v1/models/churn-onnx/retrain', {});
    await t.parts.queue.whenIdle();
    const job = (await req('GET', '/api/v1/models/churn-onnx/retrain/history')).json().items[0];
    expect(job).toMatchObject({ status: 'completed', result: { promoted: true } });
    expect(job.result.newMetrics.auc).toBeGreaterThan(0.8);
    expect((await req('GET', `/api/v1/jobs/${job.id}/log`)).json().log).toContain('saved model.onnx (3 features');
    const scored = (await req('POST', '/api/v1/models/churn-onnx/score', { items: [{ features: { age: 70, tenure: 2, annual: false } }, { features: { age: 20, tenure: null, annual: true } }] })).json();
    expect(scored.items[0].version).toBe(job.result.newVersion);
    expect(scored.items[0].score).toBeGreaterThan(scored.items[1].score);
  });

  it("the external example's command records the reference it prints", async () => {
    await req('POST', '/api/v1/models/assistant/retrain', { force: true });
    await t.parts.queue.whenIdle();
    const versions = (await req('GET', '/api/v1/models/assistant/versions')).json();
    expect(versions.items[0].trainer.params.reference).toBe('ollama/assistant-g1');
  });
});
