import { chiSquareSf } from './special.js';

/** Result of a chi-square test of homogeneity. */
export interface ChiSquareResult {
  readonly statistic: number;
  readonly dof: number;
  readonly pValue: number;
}

/**
 * Chi-square test of homogeneity on a contingency table (rows = samples, columns = categories),
 * SciPy's `chi2_contingency(table, correction=False)`. All-zero columns and rows are dropped
 * first, since their expected counts are zero; with fewer than 2 of either, the statistic is 0
 * with p-value 1.
 */
export function chiSquareTest(table: readonly (ArrayLike<number>)[]): ChiSquareResult {
  const rows = table.length;
  const cols = rows > 0 ? table[0].length : 0;
  const rowSum = new Float64Array(rows);
  const colSum = new Float64Array(cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = table[r][c];
      rowSum[r] += v;
      colSum[c] += v;
      total += v;
    }
  }
  let liveRows = 0;
  let liveCols = 0;
  for (let r = 0; r < rows; r++) if (rowSum[r] > 0) liveRows++;
  for (let c = 0; c < cols; c++) if (colSum[c] > 0) liveCols++;
  const dof = (liveRows - 1) * (liveCols - 1);
  if (liveRows < 2 || liveCols < 2) return { statistic: 0, dof: Math.max(0, dof), pValue: 1 };
  let statistic = 0;
  for (let r = 0; r < rows; r++) {
    if (rowSum[r] === 0) continue;
    for (let c = 0; c < cols; c++) {
      if (colSum[c] === 0) continue;
      const expected = (rowSum[r] * colSum[c]) / total;
      const d = table[r][c] - expected;
      statistic += (d * d) / expected;
    }
  }
  return { statistic, dof, pValue: chiSquareSf(statistic, dof) };
}
