import { describe, expect, it } from 'vitest';
import { Lbfgs, type Objective } from '../../../src/train/linear/lbfgs.js';
import { runLbfgs } from '../../../src/train/linear/run-lbfgs.js';

const rosenbrock: Objective = (x, g) => {
  const [a, b] = [x[0], x[1]];
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe('Lbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const opt = new Lbfgs(rosenbrock, Float64Array.of(-1.2, 1), { tol: 1e-10 });
    let status = opt.step();
    while (status === 'running' && opt.iterations < 500) status = opt.step();
    expect(status).toBe('converged');
    expect(opt.point[0]).toBeCloseTo(1, 6);
    expect(opt.point[1]).toBeCloseTo(1, 6);
  });

  it('solves an ill-conditioned quadratic', () => {
    const scales = Float64Array.from({ length: 50 }, (_, i) => 10 ** (i / 12));
    const quadratic: Objective = (x, g) => {
      let f = 0;
      for (let j = 0; j < x.length; j++) {
        g[j] = scales[j] * (x[j] - 1);
        f += 0.5 * scales[j] * (x[j] - 1) ** 2;
      }
      return f;
    };
    const opt = new Lbfgs(quadratic, new Float64Array(50), { tol: 1e-9 });
    let status = opt.step();
    while (status === 'running' && opt.iterations < 2000) status = opt.step();
    expect(status).toBe('converged');
    expect(opt.value).toBeLessThan(1e-10);
    for (const v of opt.point) expect(v).toBeCloseTo(1, 4);
  });
});

describe('runLbfgs', () => {
  it('lets the event loop run, so an abort from a timer stops a long run', async () => {
    // Unbounded below: without an abort this would run for all 2e7 iterations.
    const downhill: Objective = (x, g) => {
      g[0] = -1;
      return -x[0];
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 0);
    await expect(runLbfgs(downhill, new Float64Array(1), { maxIter: 2e7, tol: 1e-9, signal: controller.signal })).rejects.toThrow('stop');
  });

  it('reports convergence and progress ending at 1', async () => {
    const seen: number[] = [];
    const result = await runLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIter: 500, tol: 1e-8, onProgress: (f) => seen.push(f) });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(seen.at(-1)).toBe(1);
  });

  it('keeps training when a progress listener throws', async () => {
    const result = await runLbfgs(rosenbrock, Float64Array.of(-1.2, 1), {
      maxIter: 500,
      tol: 1e-8,
      onProgress: () => {
        throw new Error('listener bug');
      },
    });
    expect(result.converged).toBe(true);
  });
});
