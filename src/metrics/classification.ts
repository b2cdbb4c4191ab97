/**
 * Scores for discrete descriptors (coordination number, oxidation state):
 * accuracy, weighted F1 and confusion matrix as scikit-learn defines them,
 * and the threshold classifier that reads a class off one latent axis.
 */

/** Sorted distinct finite values of the given arrays. */
export function sortedLabels(...arrays: ArrayLike<number>[]): number[] {
  const set = new Set<number>();
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) set.add(a[i]);
  return [...set].sort((p, q) => p - q);
}

function checkSameLength(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) throw new Error(`lengths differ (${yTrue.length} vs ${yPred.length})`);
}

/** Fraction of equal entries; NaN for empty input. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength(yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return yTrue.length ? ok / yTrue.length : NaN;
}

/** Confusion matrix over the sorted union of labels; rows = true class, columns = predicted class. */
export interface Confusion {
  labels: number[];
  /** labels.length x labels.length counts, row-major. */
  matrix: Int32Array;
}

export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels?: number[]): Confusion {
  checkSameLength(yTrue, yPred);
  const labs = labels ?? sortedLabels(yTrue, yPred);
  const index = new Map(labs.map((l, i) => [l, i]));
  const L = labs.length;
  const matrix = new Int32Array(L * L);
  for (let i = 0; i < yTrue.length; i++) {
    const a = index.get(yTrue[i]);
    const b = index.get(yPred[i]);
    if (a !== undefined && b !== undefined) matrix[a * L + b]++;
  }
  return { labels: labs, matrix };
}

/** Per-class precision, recall, F1 and support. */
export interface ClassReport {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class scores; an undefined precision or recall (0/0) counts as 0, as scikit-learn's zero_division default does. */
export function classReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): ClassReport[] {
  const { labels, matrix } = confusionMatrix(yTrue, yPred);
  const L = labels.length;
  return labels.map((label, c) => {
    const tp = matrix[c * L + c];
    let rowSum = 0;
    let colSum = 0;
    for (let k = 0; k < L; k++) {
      rowSum += matrix[c * L + k];
      colSum += matrix[k * L + c];
    }
    const precision = colSum ? tp / colSum : 0;
    const recall = rowSum ? tp / rowSum : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support: rowSum };
  });
}

/** F1 averaged over classes weighted by their support in yTrue (sklearn `average='weighted'`). */
export function weightedF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const rep = classReport(yTrue, yPred);
  let total = 0;
  let s = 0;
  for (const r of rep) {
    s += r.f1 * r.support;
    total += r.support;
  }
  return total ? s / total : NaN;
}

/**
 * An ordered-class classifier on one latent axis: classes c_0 < c_1 < ... are
 * assigned to consecutive intervals of the axis, in increasing or decreasing
 * order. Cut points are placed midway between training values.
 */
export interface ThresholdClassifier {
  /** Class labels in increasing order. */
  classes: number[];
  /** +1 when class values increase with the axis, -1 when they decrease. */
  direction: 1 | -1;
  /**
   * Boundaries along the axis in increasing axis order, length classes.length - 1.
   * With direction +1, values below cuts[0] get classes[0]; with -1 they get the last class.
   * A class whose interval is empty has two equal neighbouring cuts.
   */
  cuts: number[];
  /** Accuracy on the training values. */
  trainAccuracy: number;
}

/**
 * Fits cut points that maximize training accuracy subject to the classes
 * being monotone along the axis (exact, by dynamic programming over the
 * sorted values, O(classes x n)); both directions are tried and the better
 * one kept. Rows with a non-finite value or label are ignored.
 * @param values latent values of the training spectra (one axis)
 * @param labels their discrete descriptor values
 */
export function fitThresholdClassifier(values: ArrayLike<number>, labels: ArrayLike<number>): ThresholdClassifier {
  checkSameLength(values, labels);
  const rows: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && Number.isFinite(labels[i])) rows.push(i);
  if (rows.length === 0) throw new Error('fitThresholdClassifier: no rows with a finite value and label');
  const classes = sortedLabels(Float64Array.from(rows, (i) => labels[i]));
  const K = classes.length;
  rows.sort((a, b) => values[a] - values[b]);
  // Blocks of tied values must go to one class: count labels per block.
  const blockValue: number[] = [];
  const blockCounts: Int32Array[] = [];
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  for (const i of rows) {
    const v = values[i];
    if (blockValue.at(-1) !== v) {
      blockValue.push(v);
      blockCounts.push(new Int32Array(K));
    }
    blockCounts[blockCounts.length - 1][classIndex.get(labels[i])!]++;
  }
  let best: ThresholdClassifier | null = null;
  for (const direction of [1, -1] as const) {
    const order = direction === 1 ? classes.map((_, k) => k) : classes.map((_, k) => K - 1 - k);
    const { correct, segmentEnds } = monotoneSegments(blockCounts, order);
    // segmentEnds[s] = number of blocks in segments 0..s; cut between block e-1 and e.
    const cuts: number[] = [];
    for (let s = 0; s < K - 1; s++) {
      const e = segmentEnds[s];
      if (e <= 0) cuts.push(-Infinity);
      else if (e >= blockValue.length) cuts.push(Infinity);
      else cuts.push((blockValue[e - 1] + blockValue[e]) / 2);
    }
    const acc = correct / rows.length;
    if (!best || acc > best.trainAccuracy) best = { classes, direction, cuts, trainAccuracy: acc };
  }
  return best!;
}

/**
 * dp[s][b] = most correct assignments of the first b blocks to segments 0..s.
 * Either block b-1 belongs to segment s, or all b blocks fit in segments 0..s-1.
 */
function monotoneSegments(blocks: Int32Array[], order: number[]): { correct: number; segmentEnds: number[] } {
  const B = blocks.length;
  const K = order.length;
  const dp = Array.from({ length: K }, () => new Float64Array(B + 1));
  const tookBlock = Array.from({ length: K }, () => new Uint8Array(B + 1));
  for (let s = 0; s < K; s++) {
    const cls = order[s];
    for (let b = 1; b <= B; b++) {
      const stay = dp[s][b - 1] + blocks[b - 1][cls];
      const prev = s > 0 ? dp[s - 1][b] : -Infinity;
      if (stay >= prev) {
        dp[s][b] = stay;
        tookBlock[s][b] = 1;
      } else dp[s][b] = prev;
    }
  }
  // Backtrack to find how many blocks end each segment.
  const segmentEnds = new Array<number>(K).fill(0);
  let s = K - 1;
  let b = B;
  segmentEnds[K - 1] = B;
  while (s >= 0 && b > 0) {
    if (tookBlock[s][b]) b--;
    else {
      s--;
      if (s >= 0) segmentEnds[s] = b;
    }
  }
  for (let t = s - 1; t >= 0; t--) segmentEnds[t] = 0;
  return { correct: dp[K - 1][B], segmentEnds };
}

/** Applies a fitted threshold classifier to axis values (NaN stays NaN). */
export function predictThreshold(model: ThresholdClassifier, values: ArrayLike<number>): Float64Array {
  const { classes, cuts, direction } = model;
  const K = classes.length;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    let seg = 0;
    while (seg < cuts.length && v > cuts[seg]) seg++;
    out[i] = direction === 1 ? classes[seg] : classes[K - 1 - seg];
  }
  return out;
}
