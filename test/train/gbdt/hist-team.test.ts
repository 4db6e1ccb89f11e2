import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random.js';
import { HistTeam } from '../../../src/train/gbdt/hist-team.js';

/** A team over `rows` random rows of `features` features with 16 bins each (+ missing), root rows in place. */
async function team(rows: number, features: number, threads: number): Promise<HistTeam> {
  const histOffsets = Int32Array.from({ length: features + 1 }, (_, f) => f * 17);
  const t = HistTeam.create({ rows, features, outputs: 1, histOffsets, leafCap: 8, threads, integerLabels: true }, new Float64Array(rows));
  const random = mulberry32(3);
  const { plan } = t;
  for (let i = 0; i < rows * features; i++) plan.bins[i] = Math.floor(random() * 17);
  await t.ready();
  for (let b = 0; b < plan.blocks; b++) {
    plan.nodeStart[b] = plan.blockStart[b];
    plan.nodeEnd[b] = plan.blockStart[b + 1];
    plan.sampled[b] = plan.blockStart[b + 1] - plan.blockStart[b];
  }
  for (let i = 0; i < rows; i++) {
    plan.idx[i] = i;
    plan.og[i] = random() - 0.5;
    plan.oh[i] = random();
  }
  for (let f = 0; f < features; f++) plan.feats[f] = f;
  return t;
}

describe('gbdt thread team', () => {
  it('starts its workers and builds the same root histogram as a single thread', async () => {
    const one = await team(5000, 7, 1);
    const two = await team(5000, 7, 2);
    try {
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(2);
      expect(two.plan.blocks).toBe(2);
      for (const t of [one, two]) {
        const slot = t.acquire();
        t.plan.jobs[0] = 0;
        t.plan.jobs[1] = slot;
        t.plan.jobs[2] = -1;
        t.build(1, 7);
      }
      const a = one.slots[0];
      const b = two.slots[0];
      expect(Array.from(b)).toEqual(Array.from(a));
      // Every row lands in one bin per feature.
      let count = 0;
      for (let bin = 0; bin < 17; bin++) count += a[bin * 3 + 2];
      expect(count).toBe(5000);
    } finally {
      one.close();
      two.close();
    }
  });
});
