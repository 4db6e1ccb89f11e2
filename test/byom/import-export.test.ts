import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';
import { onnxLogistic, python, xgboostPredict } from './python.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('imported and exported models on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const upload = (model: string, format: string, bytes: Uint8Array) =>
    t.app.inject({ method: 'POST', url: `/api/v1/models/${model}/versions?format=${format}`, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(bytes) });
  const rnd = mulberry32(21);
  // The truth is a logistic model: P(1) = sigmoid(2a - 3b + 0.5).
  const rows = (n: number) =>
    Array.from({ length: n }, () => {
      const a = rnd() * 2 - 1;
      const b = rnd() * 2 - 1;
      return { features: { a, b }, label: rnd() < sigmoid(2 * a - 3 * b + 0.5) ? 1 : 0 };
    });
  const create = async (id: string, trainer: unknown = 'logistic') => {
    const res = await req('POST', '/api/v1/models', { id, task: 'binary', features: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }], trainer });
    expect(res.statusCode).toBe(201);
    expect((await req('POST', `/api/v1/models/${id}/labels`, { items: rows(500) })).statusCode).toBe(201);
  };
  const job = async (id: string) => {
    await t.parts.queue.whenIdle();
    return (await req('GET', `/api/v1/jobs/${id}`)).json();
  };
  const probe = rows(100).map((r) => r.features);
  const score = async (id: string) => (await req('POST', `/api/v1/models/${id}/score`, { items: probe.map((features) => ({ features })) })).json().items as { score: number; version: string }[];

  it('imports an ONNX model: a job evaluates it, promotes it, and it scores through the API', async () => {
    await create('lr');
    const res = await upload('lr', 'onnx', onnxLogistic([2, -3], 0.5));
    expect(res.statusCode).toBe(202);
    const done = await job(res.json().jobId);
    expect(done).toMatchObject({ status: 'completed', trigger: 'import', result: { promoted: true } });
    expect(done.result.newMetrics.auc).toBeGreaterThan(0.8);
    const items = await score('lr');
    expect(items[0].version).toBe(done.result.newVersion);
    const worst = Math.max(...items.map((it, k) => Math.abs(it.score - sigmoid(2 * probe[k].a - 3 * probe[k].b + 0.5))));
    expect(worst).toBeLessThan(1e-6);
    const versions = (await req('GET', '/api/v1/models/lr/versions')).json().items;
    expect(versions[0].trainer).toEqual({ type: 'onnx', params: { source: 'import' } });
  });

  it('refuses an import worse than the champion by the same gates as a retrain', async () => {
    const before = (await score('lr'))[0].version;
    const res = await upload('lr', 'onnx', onnxLogistic([-2, 3], -0.5));
    const done = await job(res.json().jobId);
    expect(done.status).toBe('completed');
    expect(done.result.promoted).toBe(false);
    expect(done.result.decision).toMatch(/^rejected: /);
    expect(done.result.oldMetrics.auc).toBeGreaterThan(done.result.newMetrics.auc);
    const versions = (await req('GET', '/api/v1/models/lr/versions')).json();
    expect(versions.activeVersion).toBe(before);
    expect(versions.items[0]).toMatchObject({ version: done.result.newVersion, status: 'rejected' });
    expect((await score('lr'))[0].version).toBe(before);
  });

  it('imports an XGBoost model trained elsewhere, which scores as XGBoost does', async () => {
    await create('xg');
    const dir = mkdtempSync(join(tmpdir(), 'refit-xgimport-'));
    python(
      `import numpy as np, xgboost as xgb
rng = np.random.default_rng(1)
x = rng.uniform(-1, 1, size=(800, 2)).astype(np.float32)
x[::9, 1] = np.nan
y = (rng.uniform(size=800) < 1 / (1 + np.exp(-(2 * x[:, 0] - 3 * np.nan_to_num(x[:, 1]) + 0.5)))).astype(int)
b = xgb.train({'objective': 'binary:logistic', 'max_depth': 3, 'eta': 0.3}, xgb.DMatrix(x, label=y), num_boost_round=40)
b.save_model(INPUT['path'])
OUTPUT = True`,
      { path: join(dir, 'model.json') },
    );
    const file = readFileSync(join(dir, 'model.json'));
    const res = await upload('xg', 'xgboost-json', file);
    expect(res.statusCode).toBe(202);
    const done = await job(res.json().jobId);
    expect(done).toMatchObject({ status: 'completed', result: { promoted: true } });
    const withMissing = probe.map((f, k) => (k % 5 === 0 ? { a: f.a, b: null } : f));
    const items = (await req('POST', '/api/v1/models/xg/score', { items: withMissing.map((features) => ({ features })) })).json().items as { score: number }[];
    const theirs = xgboostPredict(file, withMissing.map((f) => [f.a, f.b]));
    expect(Math.max(...items.map((it, k) => Math.abs(it.score - theirs[k])))).toBeLessThan(1e-6);
  });

  it('names what is wrong with an import: the format field, a file that does not load', async () => {
    const bad = await upload('lr', 'pickle', new Uint8Array([1, 2, 3]));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([{ path: '/query/format', message: 'must be one of xgboost-json, onnx' }]);
    const garbage = await upload('lr', 'onnx', new Uint8Array([1, 2, 3]));
    expect(garbage.statusCode).toBe(202);
    const done = await job(garbage.json().jobId);
    expect(done.status).toBe('failed');
    expect(done.error).toContain('unreadable onnx model');
    const wrongTask = await upload('lr', 'xgboost-json', new TextEncoder().encode(JSON.stringify({ learner: { objective: { name: 'reg:squarederror' } } })));
    const failed = await job(wrongTask.json().jobId);
    expect(failed.error).toBe("unreadable xgboost-json model: objective 'reg:squarederror' does not fit a binary model (it needs 'binary:logistic')");
    expect((await upload('missing', 'onnx', new Uint8Array([1]))).statusCode).toBe(404);
    const asJson = await req('POST', '/api/v1/models/lr/versions?format=onnx', { not: 'a file' });
    expect(asJson.statusCode).toBe(415);
    expect(asJson.json().detail).toBe('Send the model file as the body, with content-type application/octet-stream.');
  });

  it("exports Refit's own gbdt model as XGBoost JSON that XGBoost loads and predicts the same", async () => {
    await create('g', { type: 'gbdt', params: { numTrees: 40, maxDepth: 4, minSamplesLeaf: 5 } });
    await req('POST', '/api/v1/models/g/retrain', {});
    await t.parts.queue.whenIdle();
    const version = (await req('GET', '/api/v1/models/g/versions')).json().activeVersion as string;
    const exported = await req('GET', `/api/v1/models/g/versions/${version}/export?format=xgboost-json`);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('application/json');
    const withMissing = probe.map((f, k) => (k % 4 === 0 ? { a: null, b: f.b } : f));
    const ours = (await req('POST', '/api/v1/models/g/score', { items: withMissing.map((features) => ({ features })) })).json().items as { score: number }[];
    const theirs = xgboostPredict(exported.rawPayload, withMissing.map((f) => [f.a, f.b]), ['a', 'b']);
    // Inputs are float32 in XGBoost, and so are its leaf values: equal to float32 precision.
    expect(Math.max(...ours.map((o, k) => Math.abs(o.score - theirs[k])))).toBeLessThan(1e-5);
    await create('plain');
    await req('POST', '/api/v1/models/plain/retrain', {});
    await t.parts.queue.whenIdle();
    const lr = (await req('GET', '/api/v1/models/plain/versions')).json().activeVersion as string;
    const refused = await req('GET', `/api/v1/models/plain/versions/${lr}/export?format=xgboost-json`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('EXPORT_UNSUPPORTED');
  });
});
