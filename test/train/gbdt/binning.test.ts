import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../../../src/data/dataset.js';
import { mulberry32 } from '../../../src/data/random.js';
import { binMatrix, fitBins, numberBin } from '../../../src/train/gbdt/binning.js';

/** Quantile edges the plain way: sort everything, cut half way between neighbours (as scikit-learn does). */
function referenceEdges(values: Float64Array, maxBins: number): number[] {
  const s = Float64Array.from(values.filter((v) => v === v)).sort();
  const m = s.length;
  const distinct = new Set(s).size;
  const edges: number[] = [];
  if (distinct <= maxBins) {
    for (let i = 1; i < m; i++) if (s[i] !== s[i - 1]) edges.push(s[i - 1] + (s[i] - s[i - 1]) / 2);
    return edges;
  }
  for (let k = 1; k < maxBins; k++) {
    const pos = Math.floor((k * m) / maxBins);
    const edge = s[pos - 1] === s[pos] ? s[pos - 1] : s[pos - 1] + (s[pos] - s[pos - 1]) / 2;
    if (edge >= s[m - 1]) break;
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

function column(n: number, seed: number, draw: (random: () => number) => number): Float64Array {
  const random = mulberry32(seed);
  return Float64Array.from({ length: n }, () => draw(random));
}

const gauss = (random: () => number) => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());

describe('gbdt binning', () => {
  const cases: [string, Float64Array][] = [
    ['gaussian', column(50_000, 1, gauss)],
    ['heavy-tailed with missing values', column(50_000, 2, (r) => (r() < 0.1 ? NaN : gauss(r) ** 5 * 1e6))],
    ['many ties', column(50_000, 3, (r) => Math.round(gauss(r) * 40) / 4)],
    ['few distinct values', column(10_000, 4, (r) => Math.floor(r() * 7))],
    ['one outlier', column(20_000, 5, (r) => (r() < 0.0001 ? 1e300 : r()))],
    ['infinities', column(20_000, 6, (r) => (r() < 0.01 ? -Infinity : r() < 0.01 ? Infinity : gauss(r)))],
  ];
  for (const [name, values] of cases) {
    it(`places the same quantile edges as a full sort (${name})`, () => {
      const x: FeatureMatrix = { rows: values.length, columns: [{ name: 'v', kind: 'number', values }] };
      for (const maxBins of [255, 16]) {
        const [bins] = fitBins(x, maxBins);
        expect(Array.from(bins.edges)).toEqual(referenceEdges(values, maxBins));
      }
    });

    it(`bins every value as the binary search does (${name})`, () => {
      const x: FeatureMatrix = { rows: values.length, columns: [{ name: 'v', kind: 'number', values }] };
      const bins = fitBins(x, 255);
      const out = new Uint8Array(values.length);
      binMatrix(x, bins, out);
      for (let i = 0; i < values.length; i++) {
        if (out[i] !== numberBin(values[i], bins[0].edges)) expect([i, out[i]]).toEqual([i, numberBin(values[i], bins[0].edges)]);
      }
      // Values it was not fitted on: each edge, just either side of it, and the extremes.
      const edges = Array.from(bins[0].edges);
      const probe = Float64Array.from([...edges, ...edges.map((e) => e - Math.abs(e) * 1e-15 - 1e-300), ...edges.map((e) => e + Math.abs(e) * 1e-15 + 1e-300), -Infinity, Infinity, NaN, -1e308, 1e308, 0]);
      const px: FeatureMatrix = { rows: probe.length, columns: [{ name: 'v', kind: 'number', values: probe }] };
      const pout = new Uint8Array(probe.length);
      binMatrix(px, bins, pout);
      expect(Array.from(pout)).toEqual(Array.from(probe, (v) => numberBin(v, bins[0].edges)));
    });
  }
});
