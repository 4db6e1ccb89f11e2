import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ModelVersion } from '../../src/domain/entities.js';
import { RefitError } from '../../src/errors.js';
import { type ArtifactSource, PredictorCache } from '../../src/train/predictor-cache.js';
import { getTrainer, registerTrainer } from '../../src/train/registry.js';
import type { Predictor, Trainer } from '../../src/train/trainer.js';

/** Every load of the test trainer, by the value its artifact holds. */
const loads: number[] = [];

function constantPredictor(value: number): Predictor {
  return {
    kind: 'test-cache-constant',
    outputsPerRow: 1,
    classes: [],
    predictRows: (rows) => new Float64Array(rows.length).fill(value),
    predictMatrix: (x) => new Float64Array(x.rows).fill(value),
    serialize: () => new TextEncoder().encode(String(value)),
  };
}

const constantTrainer: Trainer<Record<string, never>> = {
  name: 'test-cache-constant',
  paramsSchema: z.object({}).strict(),
  tasks: ['regression'],
  fit: async () => constantPredictor(0),
  load: (bytes) => {
    const value = Number(new TextDecoder().decode(bytes));
    loads.push(value);
    return constantPredictor(value);
  },
};
if (!getTrainer(constantTrainer.name)) registerTrainer(constantTrainer);

/** A source of versions `1`…`n` of model `m` whose artifact `sha-<v>` predicts v; `gone` versions were deleted by retention. */
function source(options: { gone?: string[]; missing?: string[] } = {}): ArtifactSource & { reads: number } {
  const src = {
    reads: 0,
    async getVersion(modelId: string, version: string): Promise<ModelVersion | null> {
      if (modelId !== 'm' || !/^\d+$/.test(version)) return null;
      return {
        modelId,
        version,
        trainer: { type: constantTrainer.name, params: {} },
        artifactSha256: `sha-${version}`,
        artifactDeletedAt: options.gone?.includes(version) ? new Date('2026-01-01T00:00:00Z') : null,
      } as unknown as ModelVersion;
    },
    async getArtifact(sha256: string): Promise<Uint8Array | null> {
      src.reads++;
      const version = sha256.slice('sha-'.length);
      return options.missing?.includes(version) ? null : new TextEncoder().encode(version);
    },
  };
  return src;
}

const predict = (p: Predictor) => p.predictRows([{}])[0];

describe('the predictor cache shared by scoring, monitoring and rollout', () => {
  it('loads a version once, whoever asks first and however many ask at once', async () => {
    loads.length = 0;
    const src = source();
    const cache = new PredictorCache(src);
    const [a, b] = await Promise.all([cache.get('m', '1'), cache.get('m', '1')]);
    expect(a).toBe(b);
    await cache.preload('m', '1');
    expect(await cache.get('m', '1')).toBe(a);
    expect(predict(a)).toBe(1);
    expect(loads).toEqual([1]);
    expect(src.reads).toBe(1);
  });

  it('keeps four versions per model, drops the oldest loaded first, and reloads one after evict', async () => {
    loads.length = 0;
    const cache = new PredictorCache(source());
    for (const v of ['1', '2', '3', '4', '5']) await cache.get('m', v);
    await cache.get('m', '5');
    await cache.get('m', '2');
    expect(loads).toEqual([1, 2, 3, 4, 5]);
    await cache.get('m', '1');
    expect(loads).toEqual([1, 2, 3, 4, 5, 1]);
    cache.evict('m');
    await cache.get('m', '5');
    expect(loads).toEqual([1, 2, 3, 4, 5, 1, 5]);
  });

  it('says why a version cannot load, caches nothing then, and `load` never caches', async () => {
    loads.length = 0;
    const cache = new PredictorCache(source({ gone: ['2'], missing: ['3'] }));
    const code = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => (err instanceof RefitError ? err.code : String(err)));
    expect(await code(cache.get('m', 'nope'))).toBe('VERSION_NOT_FOUND');
    expect(await code(cache.get('m', '2'))).toBe('VERSION_NOT_RETAINED');
    expect(await code(cache.get('m', '3'))).toBe('ARTIFACT_CORRUPT');
    expect(await code(cache.preload('m', '3'))).toBe('ARTIFACT_CORRUPT');
    expect(loads).toEqual([]);
    const first = await cache.load('m', '1');
    expect(await cache.load('m', '1')).not.toBe(first);
    expect(loads).toEqual([1, 1]);
  });
});
