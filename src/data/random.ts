/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * mulberry32: a small, fast, seedable 32-bit generator. Math.random cannot be seeded, and the
 * splits, subsamples and demo data must be reproducible from a seed; a generator this size is not
 * worth a dependency.
 */
export function mulberry32(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], random: RandomSource): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/**
 * mulberry32 as a state with bulk draws: the same numbers as `mulberry32(seed)` in the same
 * order, for loops that draw millions of indices (a bootstrap), where a call per number costs
 * more than the number.
 */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /**
   * The generator of `seed` after `draws` numbers, without drawing them: each number adds the same
   * constant to the state, so the state after k numbers is seed + k · 0x6d2b79f5 (mod 2^32).
   * `draws` is a whole number below 2^53.
   */
  static at(seed: number, draws: number): Mulberry32 {
    const g = new Mulberry32(seed);
    // Math.imul takes both operands mod 2^32, exactly for whole numbers below 2^53.
    g.state = ((seed >>> 0) + Math.imul(draws % 4294967296, 0x6d2b79f5)) >>> 0;
    return g;
  }

  /** Draw `n` indices in [0, n) (each `Math.floor(next() * n)`) into `out`. */
  drawIndices(out: Int32Array, n: number): void {
    // next() * n is u / 2^32 * n for a 32-bit u: exactly u * (n / 2^32) (a power-of-two scale, a
    // product below 2^53), so one multiplication and a truncation give the same index.
    const scale = n / 4294967296;
    let a = this.state | 0;
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = (((t ^ (t >>> 14)) >>> 0) * scale) | 0;
    }
    this.state = a >>> 0;
  }

  /**
   * Draw `n` indices in [0, n) as drawIndices does, adding `weight` to `counts[j]` for each draw of
   * j (32-bit wrap-around sums; nothing is cleared first). With weight 2^16, a second resample's
   * counts go in the upper half of each integer, beside a first one's in the lower half.
   */
  addDraws(counts: Int32Array, n: number, weight: number): void {
    const scale = n / 4294967296;
    let a = this.state | 0;
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const j = (((t ^ (t >>> 14)) >>> 0) * scale) | 0;
      counts[j] = (counts[j] + weight) | 0;
    }
    this.state = a >>> 0;
  }

  /** Draw `n` indices in [0, n) as drawIndices does, counting them: `counts[j]` = times j was drawn. */
  countDraws(counts: Int32Array, n: number): void {
    counts.fill(0, 0, n);
    this.addDraws(counts, n, 1);
  }
}
