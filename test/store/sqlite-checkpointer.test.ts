import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';

// The server's SQLite store checkpoints its WAL from a thread of its own: rows committed on the
// event loop reach the database file without the server's connection doing the copy (its own
// automatic checkpoint waits for 10,000 WAL pages, far more than written here).
describe('SQLite background checkpoints', () => {
  let dir: string;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function fill(s: Store): Promise<void> {
    await s.createModel(parseModelSpec({ id: 'm', task: 'binary', features: [{ name: 'a', type: 'number' }], trainer: { type: 'logistic' } }), new Date(0));
    const at = new Date(0);
    // About 2 MB of labels: a few hundred WAL pages.
    for (let b = 0; b < 4; b++) await s.insertLabels('m', Array.from({ length: 5_000 }, (_, i) => ({ features: { a: i + b / 10 }, label: i % 2, scoreId: null, occurredAt: at })), at);
  }

  it('copies committed pages into the database file while the store stays open', async () => {
    dir = mkdtempSync(join(tmpdir(), 'refit-ckpt-'));
    const file = join(dir, 'refit.db');
    store = await createStore({ url: file, sqliteBackgroundCheckpoints: true });
    const before = statSync(file).size;
    await fill(store);
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 1_000_000), { timeout: 5_000, interval: 50 });
    expect(await store.countLabels('m')).toBe(20_000);
  });

  it('without it, the pages stay in the WAL until its automatic checkpoint', async () => {
    dir = mkdtempSync(join(tmpdir(), 'refit-ckpt-'));
    const file = join(dir, 'refit.db');
    store = await createStore({ url: file });
    const before = statSync(file).size;
    await fill(store);
    expect(statSync(file).size).toBe(before);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1_000_000);
  });
});
