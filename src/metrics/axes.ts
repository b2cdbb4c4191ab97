import { pearson, rankData, spearman } from './correlation.js';

/**
 * How independent the latent axes are, and which axis carries which
 * descriptor. Spearman (rank) correlation is used throughout because the
 * RankAAE constraint is only about order, not linearity.
 */

/** Column j of an n x d row-major matrix. */
export function column(Z: ArrayLike<number>, n: number, d: number, j: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Z[i * d + j];
  return out;
}

/** Result of {@link maxAxisCorrelation}. */
export interface AxisCorrelation {
  /** Largest |Spearman rho| over all pairs of distinct axes (0 with fewer than 2 axes). */
  maxAbs: number;
  /** The pair reaching it. */
  pair: [number, number] | null;
  /** d x d matrix of Spearman rho between axes, row-major (diagonal 1). */
  matrix: Float64Array;
}

/**
 * Max |Spearman| between latent axes over all pairs.
 * @param Z n x d latent values, row-major
 */
export function maxAxisCorrelation(Z: ArrayLike<number>, n: number, d: number): AxisCorrelation {
  // Each axis ranked once; Spearman of a pair is Pearson of their ranks.
  const ranks = Array.from({ length: d }, (_, j) => rankData(column(Z, n, d, j)));
  const matrix = new Float64Array(d * d);
  let maxAbs = 0;
  let pair: [number, number] | null = null;
  for (let a = 0; a < d; a++) {
    matrix[a * d + a] = 1;
    for (let b = a + 1; b < d; b++) {
      const r = pearson(ranks[a], ranks[b]);
      matrix[a * d + b] = matrix[b * d + a] = r;
      if (Number.isFinite(r) && Math.abs(r) >= maxAbs) {
        if (pair === null || Math.abs(r) > maxAbs) pair = [a, b];
        maxAbs = Math.abs(r);
      }
    }
  }
  return { maxAbs, pair, matrix };
}

/** The latent axis that follows one descriptor best. */
export interface AxisAlignment {
  /** Descriptor name. */
  descriptor: string;
  /** Index of the axis with the largest |Spearman rho| (-1 when no axis has a defined correlation). */
  axis: number;
  /** Signed Spearman rho of that axis with the descriptor. */
  spearman: number;
  /** Spearman rho of every axis with the descriptor. */
  perAxis: number[];
  /** Rows with a finite descriptor value that were used. */
  n: number;
}

/**
 * Best-aligned axis per descriptor (max |Spearman|, sign kept). Rows whose
 * descriptor is NaN (missing label) are skipped for that descriptor.
 * @param Z n x d latent values, row-major
 * @param descriptors n x k descriptor values, row-major
 * @param names the k descriptor names
 */
export function bestAlignedAxes(
  Z: ArrayLike<number>,
  n: number,
  d: number,
  descriptors: ArrayLike<number>,
  names: string[],
): AxisAlignment[] {
  const k = names.length;
  return names.map((name, c) => {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(descriptors[i * k + c])) rows.push(i);
    const y = Float64Array.from(rows, (i) => descriptors[i * k + c]);
    const perAxis: number[] = [];
    let axis = -1;
    let best = NaN;
    for (let j = 0; j < d; j++) {
      const x = Float64Array.from(rows, (i) => Z[i * d + j]);
      const r = spearman(x, y);
      perAxis.push(r);
      if (Number.isFinite(r) && (axis < 0 || Math.abs(r) > Math.abs(best))) {
        axis = j;
        best = r;
      }
    }
    return { descriptor: name, axis, spearman: best, perAxis, n: rows.length };
  });
}
