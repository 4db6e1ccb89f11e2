/**
 * Limited-memory BFGS for smooth convex objectives on typed arrays. Written by hand: no maintained
 * JS library trains sparse L2 logistic / ridge models on typed arrays with progress reporting and
 * abort between iterations, and the optimiser is small. All buffers are allocated up front; an
 * iteration allocates nothing.
 */

/** Writes the gradient at `x` into `grad` and returns the objective value at `x`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/** What one L-BFGS iteration concluded. */
export type LbfgsStatus = 'running' | 'converged' | 'stalled';

/** Options of `Lbfgs`. */
export interface LbfgsOptions {
  /** Stop when the largest absolute gradient component is at most this. Default 1e-6. */
  readonly tol?: number;
  /** Correction pairs kept. Default 10. */
  readonly memory?: number;
}

const ARMIJO = 1e-4;
const MAX_LINE_SEARCH = 40;
// Relative decrease below which the objective has stopped moving (SciPy's ftol for sklearn's lbfgs).
const FTOL = 64 * Number.EPSILON;

/** An L-BFGS minimiser advanced one iteration at a time by `step()` (so the caller can yield and abort). */
export class Lbfgs {
  private x: Float64Array;
  private g: Float64Array;
  private xNext: Float64Array;
  private gNext: Float64Array;
  private readonly direction: Float64Array;
  private readonly s: Float64Array;
  private readonly y: Float64Array;
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private readonly dim: number;
  private readonly memory: number;
  private readonly tol: number;
  private head = 0;
  private stored = 0;
  private gamma = 1;
  private f: number;
  /** Iterations completed. */
  iterations = 0;

  constructor(
    private readonly objective: Objective,
    x0: Float64Array,
    options: LbfgsOptions = {},
  ) {
    this.dim = x0.length;
    this.memory = options.memory ?? 10;
    this.tol = options.tol ?? 1e-6;
    this.x = Float64Array.from(x0);
    this.g = new Float64Array(this.dim);
    this.xNext = new Float64Array(this.dim);
    this.gNext = new Float64Array(this.dim);
    this.direction = new Float64Array(this.dim);
    this.s = new Float64Array(this.memory * this.dim);
    this.y = new Float64Array(this.memory * this.dim);
    this.rho = new Float64Array(this.memory);
    this.alpha = new Float64Array(this.memory);
    this.f = objective(this.x, this.g);
    if (!Number.isFinite(this.f)) throw new Error('L-BFGS: the objective is not finite at the starting point');
  }

  /** Current point (a live view; copy it to keep it). */
  get point(): Float64Array {
    return this.x;
  }

  /** Objective value at the current point. */
  get value(): number {
    return this.f;
  }

  /** Largest absolute gradient component at the current point. */
  gradientNorm(): number {
    return maxAbs(this.g);
  }

  /** One iteration: a quasi-Newton direction, a backtracking (Armijo) line search, a memory update. */
  step(): LbfgsStatus {
    if (maxAbs(this.g) <= this.tol) return 'converged';
    let dg = this.computeDirection();
    if (!(dg < 0)) {
      this.resetToSteepest();
      dg = -dot(this.g, this.g);
    }
    let t = this.stored === 0 ? Math.min(1, 1 / Math.sqrt(-dg)) : 1;
    let fNext = this.lineSearch(t, dg);
    if (fNext === null && this.stored > 0) {
      // The quasi-Newton model misled us: forget it and retry along the gradient.
      this.resetToSteepest();
      dg = -dot(this.g, this.g);
      t = Math.min(1, 1 / Math.sqrt(-dg));
      fNext = this.lineSearch(t, dg);
    }
    if (fNext === null) return 'stalled';

    this.remember();
    const fPrev = this.f;
    this.f = fNext;
    let swap = this.x;
    this.x = this.xNext;
    this.xNext = swap;
    swap = this.g;
    this.g = this.gNext;
    this.gNext = swap;
    this.iterations++;

    if (maxAbs(this.g) <= this.tol) return 'converged';
    if (fPrev - this.f <= FTOL * Math.max(Math.abs(fPrev), Math.abs(this.f), 1)) return 'converged';
    return 'running';
  }

  /** Two-loop recursion: direction = -H g; returns direction · g. */
  private computeDirection(): number {
    const d = this.direction;
    const dim = this.dim;
    d.set(this.g);
    for (let k = 0; k < this.stored; k++) {
      const slot = (this.head - 1 - k + this.memory) % this.memory;
      const base = slot * dim;
      let a = 0;
      for (let j = 0; j < dim; j++) a += this.s[base + j] * d[j];
      a *= this.rho[slot];
      this.alpha[slot] = a;
      for (let j = 0; j < dim; j++) d[j] -= a * this.y[base + j];
    }
    for (let j = 0; j < dim; j++) d[j] *= this.gamma;
    for (let k = this.stored - 1; k >= 0; k--) {
      const slot = (this.head - 1 - k + this.memory) % this.memory;
      const base = slot * dim;
      let b = 0;
      for (let j = 0; j < dim; j++) b += this.y[base + j] * d[j];
      b = this.alpha[slot] - this.rho[slot] * b;
      for (let j = 0; j < dim; j++) d[j] += b * this.s[base + j];
    }
    let dg = 0;
    for (let j = 0; j < dim; j++) {
      d[j] = -d[j];
      dg += d[j] * this.g[j];
    }
    return dg;
  }

  private resetToSteepest(): void {
    this.stored = 0;
    this.head = 0;
    this.gamma = 1;
    for (let j = 0; j < this.dim; j++) this.direction[j] = -this.g[j];
  }

  /** Backtracking with quadratic interpolation; fills xNext/gNext and returns f there, or null. */
  private lineSearch(initialStep: number, dg: number): number | null {
    let t = initialStep;
    for (let k = 0; k < MAX_LINE_SEARCH; k++) {
      for (let j = 0; j < this.dim; j++) this.xNext[j] = this.x[j] + t * this.direction[j];
      const f = this.objective(this.xNext, this.gNext);
      if (Number.isFinite(f) && f <= this.f + ARMIJO * t * dg) return f;
      // Minimiser of the quadratic through f(0), f'(0) and f(t), kept within [0.1 t, 0.5 t].
      const next = Number.isFinite(f) ? (-dg * t * t) / (2 * (f - this.f - dg * t)) : 0.1 * t;
      t = Math.min(0.5 * t, Math.max(0.1 * t, next));
    }
    return null;
  }

  /** Store the pair s = xNext - x, y = gNext - g when it has positive curvature. */
  private remember(): void {
    const dim = this.dim;
    const base = this.head * dim;
    let sy = 0;
    let yy = 0;
    for (let j = 0; j < dim; j++) {
      const sj = this.xNext[j] - this.x[j];
      const yj = this.gNext[j] - this.g[j];
      this.s[base + j] = sj;
      this.y[base + j] = yj;
      sy += sj * yj;
      yy += yj * yj;
    }
    if (!(sy > 1e-12 * yy) || yy === 0) return;
    this.rho[this.head] = 1 / sy;
    this.gamma = sy / yy;
    this.head = (this.head + 1) % this.memory;
    if (this.stored < this.memory) this.stored++;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) {
    const v = Math.abs(a[j]);
    if (v > m) m = v;
  }
  return m;
}
