import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random.js';
import { HistTeam, idleTrainingThreadIds } from '../../../src/train/gbdt/hist-team.js';
import { ARG, CMD, gradientBits, gradientShift, nextSpin, SPIN_MIN_MS, SPIN_MS, TASK, workerSource } from '../../../src/train/gbdt/histogram.js';
import { binMatrix, fitBins } from '../../../src/train/gbdt/binning.js';
import { TreeBuilder } from '../../../src/train/gbdt/tree-builder.js';
import type { Column } from '../../../src/data/dataset.js';

/** A team over `rows` random rows of `features` features with 16 bins each (+ missing), root rows in place. */
async function team(rows: number, features: number, threads: number, recycleBytes?: number): Promise<HistTeam> {
  const histOffsets = Int32Array.from({ length: features + 1 }, (_, f) => f * 17);
  const t = HistTeam.create({ rows, features, outputs: 1, histOffsets, leafCap: 8, threads, integerLabels: true, ...(recycleBytes === undefined ? {} : { recycleBytes }) }, new Float64Array(rows));
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
    plan.gh[2 * i] = random() - 0.5;
    plan.gh[2 * i + 1] = random();
  }
  for (let f = 0; f < features; f++) plan.feats[f] = f;
  return t;
}

/** Enough rows for a team of two threads to cut them into several blocks. */
const ROWS = 40_000;

describe('gbdt thread team', () => {
  it('starts its workers and builds the same root histogram as a single thread', async () => {
    const one = await team(ROWS, 7, 1);
    const two = await team(ROWS, 7, 2);
    try {
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(2);
      expect(two.plan.blocks).toBeGreaterThanOrEqual(2);
      for (const t of [one, two]) {
        const slot = t.acquire();
        t.plan.jobs.set([0, slot, -1, 0, ROWS]);
        t.build(1, 7);
      }
      const a = one.slots[0];
      const b = two.slots[0];
      expect(Array.from(b)).toEqual(Array.from(a));
      // Every row lands in one bin per feature: the bins of a feature add up to all the rows' sums.
      let g = 0;
      let h = 0;
      for (let bin = 0; bin < 17; bin++) {
        g += a[bin * 2];
        h += a[bin * 2 + 1];
      }
      let gAll = 0;
      let hAll = 0;
      for (let i = 0; i < ROWS; i++) {
        gAll += one.plan.gh[2 * i];
        hAll += one.plan.gh[2 * i + 1];
      }
      expect(g).toBeCloseTo(gAll, 9);
      expect(h).toBeCloseTo(hAll, 9);
    } finally {
      one.close();
      two.close();
    }
  });

  it('partitions a node by its split on every thread: left rows in place in order, right rows in the other buffer in reverse order, gradients left by row', async () => {
    for (const threads of [1, 2]) {
      const t = await team(ROWS, 7, threads);
      try {
        const { plan } = t;
        const before = new Map<number, number>();
        // Gradients are by row (the root's positions are its rows) and a partition leaves them there.
        for (let i = 0; i < ROWS; i++) before.set(plan.idx[i], plan.gh[2 * plan.idx[i]]);
        // Node 0 on feature 3: bins <= 7 go left, and so does the missing bin (16). Its children
        // 1 (left) and 2 (right) are in buffers 0 and 1.
        plan.nodeBuf.set([0, 0, 1]);
        plan.splits.set([0, 1, 3, 7, 16, 1, 0]);
        t.partition(1);
        const goesLeft = (r: number) => plan.bins[3 * ROWS + r] <= 7 || plan.bins[3 * ROWS + r] === 16;
        const wrong: string[] = [];
        let left = 0;
        for (let b = 0; b < plan.blocks; b++) {
          for (const node of [1, 2]) {
            const idx = node === 1 ? plan.idx : plan.sIdx;
            let last = node === 1 ? -1 : Infinity;
            for (let i = plan.nodeStart[node * plan.blocks + b]; i < plan.nodeEnd[node * plan.blocks + b]; i++) {
              const r = idx[i];
              if (goesLeft(r) !== (node === 1)) wrong.push(`row ${r} on the wrong side`);
              if (node === 1 ? r <= last : r >= last) wrong.push(`row ${r} out of order`);
              if (plan.gh[2 * r] !== before.get(r)) wrong.push(`row ${r} lost its gradient`);
              last = r;
              if (node === 1) left++;
            }
          }
        }
        expect(wrong).toEqual([]);
        let want = 0;
        for (let r = 0; r < ROWS; r++) if (goesLeft(r)) want++;
        expect(left).toBe(want);
      } finally {
        t.close();
      }
    }
  });

  it('keeps its worker in step over thousands of commands, whether the worker is awake for a command, late to it or asleep (the same histograms as one thread)', async () => {
    const one = await team(ROWS, 7, 1);
    const two = await team(ROWS, 7, 2);
    try {
      expect(two.threads).toBe(2);
      const slots = [one.acquire(), two.acquire()];
      const wrong: string[] = [];
      for (let k = 0; k < 3_000; k++) {
        // Every tenth command this thread stays away long enough for the worker to stop spinning
        // and sleep: the next commands find it asleep, then late (it may take its turn when this
        // thread has already taken every unit, or be shut out).
        if (k % 10 === 9) for (const until = performance.now() + 0.3 + (k % 7) / 10; performance.now() < until; );
        const from = (k * 7_919) % 3_000;
        const to = from + 1 + ((k * 104_729) % 5_000);
        for (const [q, t] of [one, two].entries()) {
          t.plan.jobs.set([0, slots[q], -1, from, to]);
          t.build(1, 7);
        }
        const a = one.slots[slots[0]];
        const b = two.slots[slots[1]];
        for (let i = 0; i < a.length; i++) {
          if (a[i] !== b[i]) {
            wrong.push(`command ${k}, entry ${i}: ${b[i]} instead of ${a[i]}`);
            break;
          }
        }
      }
      expect(wrong).toEqual([]);
    } finally {
      one.close();
      two.close();
    }
  });

  it("runs a worker's warm-up from the worker's own source, which holds every function it calls", () => {
    // A worker runs this source with nothing else; a function missing from it would only show as
    // a worker whose warm-up fails (cold kernels) or that dies at its first command.
    const source = workerSource().replace("workerMain(require('node:worker_threads'));", 'return warmUp;');
    const warmUp = new Function('require', source)(() => ({})) as (stop: () => boolean) => void;
    expect(() => warmUp(() => false)).not.toThrow();
  });

  it('keeps its workers after a small fit, and ends them after a big one (their memory with them), starting new ones that build the same histograms', async () => {
    const rootHist = async (t: HistTeam) => {
      const slot = t.acquire();
      t.plan.jobs.set([0, slot, -1, 0, ROWS]);
      t.build(1, 7);
      return Array.from(t.slots[slot]);
    };
    const one = await team(ROWS, 7, 1);
    const expected = await rootHist(one);
    one.close();
    // A fit under the threshold gives its workers back for the next one.
    const small = await team(ROWS, 7, 2, Number.POSITIVE_INFINITY);
    expect(await rootHist(small)).toEqual(expected);
    small.close();
    const kept = idleTrainingThreadIds();
    expect(kept.length).toBeGreaterThan(0);
    // A fit at the threshold (here: any) takes those workers, and when done ends them and starts new ones.
    const big = await team(ROWS, 7, 2, 1);
    expect(big.threads).toBe(2);
    expect(await rootHist(big)).toEqual(expected);
    big.close();
    const fresh = idleTrainingThreadIds();
    expect(fresh.length).toBe(kept.length);
    for (const id of kept) expect(fresh).not.toContain(id);
    // The new workers take the next fit.
    const next = await team(ROWS, 7, 2);
    try {
      expect(await rootHist(next)).toEqual(expected);
      expect(idleTrainingThreadIds().filter((id) => fresh.includes(id))).toEqual([]);
    } finally {
      next.close();
    }
  });

  it('orders a node\'s rows the same whatever the number of threads (so that every sum over them is the same)', async () => {
    const orders: number[][] = [];
    for (const threads of [1, 2]) {
      const t = await team(ROWS, 7, threads);
      try {
        const { plan } = t;
        plan.nodeBuf.set([0, 0, 1]);
        plan.splits.set([0, 1, 3, 7, 16, 1, 0]);
        t.partition(1);
        const order: number[] = [];
        for (const node of [1, 2]) {
          const idx = node === 1 ? plan.idx : plan.sIdx;
          for (let b = 0; b < plan.blocks; b++) {
            for (let i = plan.nodeStart[node * plan.blocks + b]; i < plan.nodeEnd[node * plan.blocks + b]; i++) order.push(idx[i]);
          }
        }
        orders.push(order);
      } finally {
        t.close();
      }
    }
    expect(orders[1]).toEqual(orders[0]);
  });
});

describe('gbdt thread spin', () => {
  it('shrinks while the other thread is away and grows back once commands come quickly again', () => {
    let spin = SPIN_MS;
    // A busy machine: every wait much longer than a spin, until the thread no longer spins at all.
    for (let i = 0; i < 20; i++) spin = nextSpin(spin, 5);
    expect(spin).toBeLessThan(SPIN_MIN_MS);
    // A fit again: waits of a few microseconds (asleep, since it no longer spins) bring the spin back.
    const after: number[] = [];
    for (let i = 0; i < 8; i++) {
      spin = nextSpin(spin, 0.02);
      after.push(spin);
    }
    expect(after[0]).toBe(SPIN_MIN_MS);
    expect(spin).toBe(SPIN_MS);
    // A wait just over the longest spin still counts as long.
    expect(nextSpin(SPIN_MS, SPIN_MS * 1.5)).toBe(SPIN_MS / 2);
  });
});

describe('gbdt sweeps', () => {
  /**
   * A depth-6 tree over `rows` x `F` rows (the last a category of 12 levels, some values missing) on a
   * team of `threads`, with sweeps or not (`sweep`), packed gradients from
   * labels that depend on three features; `onSweep` sees each sweep's node count.
   */
  async function grow(rows: number, F: number, threads: number, sweep: boolean, onSweep?: (count: number) => void) {
    const random = mulberry32(11);
    const columns: Column[] = [];
    for (let f = 0; f < F - 1; f++) {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows; i++) values[i] = f === 3 && random() < 0.05 ? NaN : random() * (f + 1);
      columns.push({ name: `x${f}`, kind: 'number', values });
    }
    const codes = new Int32Array(rows);
    for (let i = 0; i < rows; i++) codes[i] = Math.floor(random() * 12);
    columns.push({ name: 'c', kind: 'category', codes, levels: Array.from({ length: 12 }, (_, k) => `l${k}`) });
    const x = { rows, columns };
    const y = new Float64Array(rows);
    const v = (f: number, i: number) => (columns[f] as { values: Float64Array }).values[i];
    for (let i = 0; i < rows; i++) y[i] = v(0, i) + v(1, i) / 2 - (codes[i] % 3) * 0.3 + random() * 0.5 > 0.9 ? 1 : 0;
    const featureBins = fitBins(x, 255);
    const histOffsets = new Int32Array(F + 1);
    for (let f = 0; f < F; f++) histOffsets[f + 1] = histOffsets[f] + featureBins[f].nBins + 1;
    const t = HistTeam.create({ rows, features: F, outputs: 1, histOffsets, leafCap: 64, threads, integerLabels: true, sweep }, y);
    await t.ready();
    if (onSweep !== undefined) {
      const sweep = t.sweep.bind(t);
      t.sweep = (count: number, nFeats: number) => {
        onSweep(count);
        sweep(count, nFeats);
      };
    }
    const { plan } = t;
    binMatrix(x, featureBins, plan.bins);
    for (let b = 0; b < plan.blocks; b++) plan.sampled[b] = plan.blockStart[b + 1] - plan.blockStart[b];
    plan.args[ARG.outputs] = 1;
    plan.args[ARG.task] = TASK.binary;
    plan.args[ARG.quant] = gradientBits(rows);
    plan.args[ARG.qshift] = gradientShift(rows, plan.args[ARG.quant]);
    plan.args[ARG.allRows] = 1;
    plan.args[ARG.salt] = 7;
    t.run(CMD.gradients);
    const builder = new TreeBuilder(t, featureBins, { leafwise: false, maxDepth: 6, leafCap: 64, minChildWeight: 0, minSamplesLeaf: 1, minSplitGain: 0, l2: 1, colsampleByNode: 1, leafRows: false });
    builder.grow(Int32Array.from({ length: F }, (_, f) => f), F, mulberry32(1));
    const n = builder.nodeCount;
    const tree = { nodes: n, child: Array.from(builder.child.subarray(0, n)), g: Array.from(builder.sumG.subarray(0, n)), h: Array.from(builder.sumH.subarray(0, n)), threads: t.threads, canSweep: t.sweepCapacity > 0 };
    t.close();
    return tree;
  }

  it('builds the histograms of fourteen features in one pass with packed gradients, as a count row by row gives them, on one thread and on two', async () => {
    for (const threads of [1, 2]) {
      const t = await team(ROWS, 14, threads);
      try {
        const { plan } = t;
        const bits = gradientBits(ROWS);
        const shift = gradientShift(ROWS, bits);
        plan.args[ARG.quant] = bits;
        plan.args[ARG.qshift] = shift;
        const random = mulberry32(5);
        const gq = new Int32Array(ROWS);
        const hq = new Int32Array(ROWS);
        for (let r = 0; r < ROWS; r++) {
          gq[r] = Math.floor(random() * 2 ** (bits + 1)) - 2 ** bits;
          hq[r] = Math.floor(random() * 2 ** bits);
          plan.q[r] = gq[r] * 2 ** shift + hq[r];
        }
        const slot = t.acquire();
        plan.jobs.set([0, slot, -1, 0, ROWS]);
        t.build(1, 14);
        const hist = t.slots[slot];
        for (let f = 0; f < 14; f++) {
          const g = new Float64Array(17);
          const h = new Float64Array(17);
          for (let r = 0; r < ROWS; r++) {
            g[plan.bins[f * ROWS + r]] += gq[r];
            h[plan.bins[f * ROWS + r]] += hq[r];
          }
          for (let bin = 0; bin < 17; bin++) {
            expect(hist[2 * (f * 17 + bin)]).toBe(g[bin] * 2 ** -bits);
            expect(hist[2 * (f * 17 + bin) + 1]).toBe(h[bin] * 2 ** -(bits + 2));
          }
        }
      } finally {
        t.close();
      }
    }
  });

  // 14 features: one pass of fourteen; 12: two of six (four, one and one).
  it.each([14, 12])('builds deep nodes by sweeps over the rows when the plan has them, growing the very tree a build by positions grows, on one thread and on two (%i features)', async (F) => {
    const rows = 40_000;
    const counts: number[] = [];
    const positions = await grow(rows, F, 1, false);
    const swept1 = await grow(rows, F, 1, true, (c) => counts.push(c));
    const swept2 = await grow(rows, F, 2, true);
    expect(positions.canSweep).toBe(false);
    expect(swept1.canSweep).toBe(true);
    expect(swept2.threads).toBe(2);
    // The deep levels went to sweeps, several nodes each.
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(4);
    expect(positions.nodes).toBeGreaterThan(63);
    for (const swept of [swept1, swept2]) {
      expect(swept.nodes).toBe(positions.nodes);
      expect(swept.child).toEqual(positions.child);
      expect(swept.g).toEqual(positions.g);
      expect(swept.h).toEqual(positions.h);
    }
  });
});
