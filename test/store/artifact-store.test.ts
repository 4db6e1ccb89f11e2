import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { ManualClock } from '../../src/domain/clock.js';
import { RefitError } from '../../src/errors.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit } from '../../src/service/index.js';
import type { ArtifactStore } from '../../src/store/artifact-store.js';
import { createStore } from '../../src/store/create-store.js';
import { DirectoryArtifactStore } from '../../src/store/directory-artifact-store.js';
import type { Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

const pgUrl = process.env.REFIT_TEST_DATABASE_URL;
const tmp = mkdtempSync(join(tmpdir(), 'refit-artifacts-'));
const pgSchemas: string[] = [];
let serial = 0;

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await dropTestSchemas();
  if (!pgUrl || pgSchemas.length === 0) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    for (const s of pgSchemas) await client.query(`drop schema if exists "${s}" cascade`);
  } finally {
    await client.end();
  }
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.from(a).equals(Buffer.from(b));

/** An artifact store under test, with a way to damage what it keeps behind its back. */
interface Opened {
  readonly artifacts: ArtifactStore;
  corrupt(sha: string): Promise<void>;
  close(): Promise<void>;
}

const CASES: { name: string; open(): Promise<Opened> }[] = [
  {
    name: 'the database (sqlite)',
    async open() {
      const path = join(tmp, `db-${serial++}.db`);
      const store = await createStore({ url: `sqlite:${path}` });
      return {
        artifacts: store.artifacts,
        async corrupt(sha) {
          const raw = new SqliteDatabase(path);
          try {
            raw.prepare('update artifacts set bytes = ? where sha256 = ?').run(Buffer.from('tampered'), sha);
          } finally {
            raw.close();
          }
        },
        close: () => store.close(),
      };
    },
  },
  ...(pgUrl
    ? [
        {
          name: 'the database (postgres)',
          async open(): Promise<Opened> {
            const schema = `refit_test_art_${randomBytes(6).toString('hex')}`;
            pgSchemas.push(schema);
            const store = await createStore({ url: pgUrl, schema });
            return {
              artifacts: store.artifacts,
              async corrupt(sha) {
                const client = new pg.Client({ connectionString: pgUrl });
                await client.connect();
                try {
                  await client.query(`update "${schema}".artifacts set bytes = $1 where sha256 = $2`, [Buffer.from('tampered'), sha]);
                } finally {
                  await client.end();
                }
              },
              close: () => store.close(),
            };
          },
        },
      ]
    : []),
  {
    name: 'a directory',
    async open() {
      const dir = join(tmp, `dir-${serial++}`);
      return {
        artifacts: new DirectoryArtifactStore(dir),
        async corrupt(sha) {
          writeFileSync(join(dir, sha.slice(0, 2), sha), 'tampered');
        },
        close: async () => {},
      };
    },
  },
];

describe.each(CASES)('artifacts in $name', ({ open }) => {
  let opened: Opened;
  let artifacts: ArtifactStore;
  beforeEach(async () => {
    opened = await open();
    artifacts = opened.artifacts;
  });
  afterEach(async () => {
    await opened.close();
  });

  it('round-trips bytes under the sha256 it computes, idempotently', async () => {
    const bytes = new Uint8Array(randomBytes(4096));
    const sha = await artifacts.put(bytes);
    expect(sha).toBe(sha256(bytes));
    expect(await artifacts.put(bytes)).toBe(sha);
    expect(await artifacts.has(sha)).toBe(true);
    expect(same(await artifacts.get(sha), bytes)).toBe(true);
  });

  it('stores only the bytes of a view, and empty bytes', async () => {
    const whole = new Uint8Array(randomBytes(1000));
    const view = whole.subarray(100, 300);
    const sha = await artifacts.put(view);
    expect(sha).toBe(sha256(view));
    expect(same(await artifacts.get(sha), view)).toBe(true);
    const empty = await artifacts.put(new Uint8Array(0));
    expect((await artifacts.get(empty))?.byteLength).toBe(0);
  });

  it('answers null for an unknown or misspelt sha256', async () => {
    const sha = await artifacts.put(new TextEncoder().encode('model bytes'));
    expect(await artifacts.get('0'.repeat(64))).toBeNull();
    expect(await artifacts.get(sha.toUpperCase())).toBeNull();
    expect(await artifacts.has('0'.repeat(64))).toBe(false);
  });

  it('detects bytes changed behind its back: ARTIFACT_CORRUPT, not wrong bytes', async () => {
    const sha = await artifacts.put(new TextEncoder().encode('the real model'));
    await opened.corrupt(sha);
    const err = await artifacts.get(sha).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RefitError);
    expect((err as RefitError).code).toBe('ARTIFACT_CORRUPT');
  });

  it('deletes bytes, answering how many were freed', async () => {
    const sha = await artifacts.put(new Uint8Array([1, 2, 3, 4]));
    expect(await artifacts.delete(sha)).toBe(4);
    expect(await artifacts.delete(sha)).toBe(0);
    expect(await artifacts.get(sha)).toBeNull();
    expect(await artifacts.has(sha)).toBe(false);
  });
});

describe('artifacts in a directory', () => {
  it('lays files out as <dir>/<sha[0..2]>/<sha> and leaves no temporary file behind', async () => {
    const dir = join(tmp, `layout-${serial++}`);
    const artifacts = new DirectoryArtifactStore(dir);
    const sha = await artifacts.put(new TextEncoder().encode('layout'));
    expect(readdirSync(dir)).toEqual([sha.slice(0, 2)]);
    expect(readdirSync(join(dir, sha.slice(0, 2)))).toEqual([sha]);
  });

  it('never turns something other than a sha256 into a path', async () => {
    const dir = join(tmp, `paths-${serial++}`);
    const artifacts = new DirectoryArtifactStore(join(dir, 'inner'));
    writeFileSync(join(tmp, 'outside'), 'secret');
    for (const name of ['../outside', '../../outside', `..${'/'}${'a'.repeat(61)}`, 'A'.repeat(64)]) {
      expect(await artifacts.get(name)).toBeNull();
      expect(await artifacts.has(name)).toBe(false);
      expect(await artifacts.delete(name)).toBe(0);
    }
    expect(existsSync(join(tmp, 'outside'))).toBe(true);
  });

  it('replaces a damaged copy when the same bytes are put again', async () => {
    const dir = join(tmp, `heal-${serial++}`);
    const artifacts = new DirectoryArtifactStore(dir);
    const bytes = new TextEncoder().encode('heal me');
    const sha = await artifacts.put(bytes);
    writeFileSync(join(dir, sha.slice(0, 2), sha), 'tampered');
    await artifacts.put(bytes);
    expect(same(await artifacts.get(sha), bytes)).toBe(true);
  });
});

function rows(n: number, seed: number) {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const age = Math.round(18 + rnd() * 60);
    return { features: { age, plan: rnd() < 0.5 ? 'basic' : 'pro' }, label: age + rnd() * 20 > 55 ? 1 : 0 };
  });
}

describe.each(DIALECTS)('a store on $name with a directory of artifacts', (dialect) => {
  let dir: string;
  let store: Store;
  let closed: boolean;
  beforeEach(async () => {
    dir = join(tmp, `store-${serial++}`);
    store = await dialect.open({ artifacts: { kind: 'directory', dir } });
    closed = false;
  });
  afterEach(async () => {
    if (!closed) await store.close();
  });

  it('removes files deleted in a transaction only once it commits, and keeps them when it rolls back', async () => {
    const sha = await store.artifacts.put(new Uint8Array([9, 8, 7]));
    const file = join(dir, sha.slice(0, 2), sha);
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.artifacts.delete(sha)).toBe(3);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(existsSync(file)).toBe(true);

    await store.transaction(async (tx) => {
      expect(await tx.artifacts.delete(sha)).toBe(3);
      expect(await tx.artifacts.has(sha)).toBe(false);
      expect(existsSync(file)).toBe(true);
    });
    expect(existsSync(file)).toBe(false);
    expect(await store.getArtifact(sha)).toBeNull();
  });

  it('retrains and scores with the model artifact on disk', async () => {
    const { refit, parts } = createRefit({ store, clock: new ManualClock('2026-11-23T06:00:00Z'), executor: inlineExecutor });
    try {
      await refit.createModel({ id: 'churn', task: 'binary', features: [{ name: 'age', type: 'number' }, { name: 'plan', type: 'category' }], trainer: 'logistic' });
      await refit.addLabels('churn', rows(120, 3));
      const { job } = await refit.retrain('churn');
      await parts.queue.whenIdle();
      const done = await refit.getJob(job.id);
      expect(done.status).toBe('completed');
      const version = done.result?.newVersion as string;
      const stored = await store.getVersion('churn', version);
      expect(existsSync(join(dir, stored!.artifactSha256.slice(0, 2), stored!.artifactSha256))).toBe(true);
      const [scored] = await refit.score('churn', [{ features: { age: 70, plan: 'pro' } }]);
      expect(scored.version).toBe(version);
      expect(typeof scored.score).toBe('number');
    } finally {
      await refit.close();
      closed = true;
    }
  });
});
