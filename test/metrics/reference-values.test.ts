// Per-value scores against exact hand computations and against SciPy/NumPy reference values
// (scipy 1.17: stats.shapiro, stats.norm, stats.rankdata, stats.spearmanr; numpy.polyfit), quoted to full precision.
import { describe, expect, it } from 'vitest';
import { bestAlignedAxes, column, maxAxisCorrelation } from '../../src/metrics/axes.js';
import { accuracy, classReport, confusionMatrix, fitThresholdClassifier, predictThreshold, sortedLabels, weightedF1 } from '../../src/metrics/classification.js';
import { pearson, rankData, spearman } from '../../src/metrics/correlation.js';
import { nearestLevel, scoreEstimates } from '../../src/metrics/estimates.js';
import { normalCdf, normalPdf, normalQuantile, normalSf } from '../../src/metrics/normal-distribution.js';
import { shapiroWilk, shapiroWilkCoefficients, shapiroWilkPValue } from '../../src/metrics/normality.js';
import { reconstructionErrors } from '../../src/metrics/reconstruction.js';
import { linearFit, linearR2, polyFit, quadraticFit, quadraticR2, solveSymmetric } from '../../src/metrics/regression.js';
import { Rng } from '../../src/util/random.js';

describe('normal distribution (scipy.stats.norm)', () => {
  it('upper tail on both sides of the series/continued-fraction switch and far out', () => {
    const sf: [number, number][] = [
      [-2.5, 0.9937903346742238],
      [0, 0.5],
      [0.3, 0.3820885778110474],
      [1.0, 0.15865525393145707],
      [2.99, 0.0013948872354922468],
      [3.01, 0.0013062384487694675],
      [5.0, 2.866515718791933e-7],
      [8.0, 6.22096057427174e-16],
      [12.0, 1.776482112077653e-33],
      [37.0, 5.7255712225239266e-300],
    ];
    for (const [x, want] of sf) expect(normalSf(x) / want).toBeCloseTo(1, 12);
    expect(normalSf(41)).toBe(0);
    expect(normalSf(-41)).toBe(1);
    expect(normalSf(NaN)).toBeNaN();
    expect(normalCdf(-3.01) / 0.0013062384487694675).toBeCloseTo(1, 12);
    expect(normalCdf(1)).toBeCloseTo(1 - 0.15865525393145707, 15);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalPdf(0.7)).toBeCloseTo(0.31225393336676127, 15);
  });

  it('quantile in the central and both tail regions, and its limits', () => {
    const ppf: [number, number][] = [
      [1e-300, -37.0470962993612],
      [1e-20, -9.262340089798409],
      [1e-12, -7.034483825301131],
      [1e-5, -4.264890793922825],
      [0.02, -2.053748910631823],
      [0.1, -1.2815515655446004],
      [0.3, -0.5244005127080409],
      [0.7, 0.5244005127080407],
      [0.9, 1.2815515655446004],
      [0.99, 2.3263478740408408],
      [1 - 1e-10, 6.361340889697422],
    ];
    for (const [p, want] of ppf) expect(normalQuantile(p)).toBeCloseTo(want, 9);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    for (const p of [-0.1, 1.1, NaN]) expect(normalQuantile(p)).toBeNaN();
  });
});

describe('Shapiro-Wilk against scipy.stats.shapiro', () => {
  const cases: [number[], number, number][] = [
    [[1.0, 2.0, 4.0], 0.9642857142857142, 0.6368868450289689],
    [[0.5, 1.7, 2.0, 4.2], 0.941526863317984, 0.663658681453096],
    [[2.3, 0.1, 1.1, 5.0, 2.2], 0.9349316353938901, 0.6303634929392471],
    [[3.1, 0.4, 2.2, 1.9, 7.5, 2.6], 0.8401328408016119, 0.13069556738748694],
    [[1.2, 3.4, 0.7, 2.2, 2.9, 8.1, 1.8], 0.8038150195541058, 0.04467390920321406],
    [[4.1, 2.2, 3.3, 1.0, 5.6, 2.9, 3.1, 7.7, 0.4, 3.0, 2.5], 0.9264126294071291, 0.3757107787947689],
    [[2.1, 0.3, 5.9, 1.4, 3.3, 2.2, 7.7, 0.1, 4.4, 2.8, 9.5, 1.9], 0.9064348178446587, 0.19199898024440243],
    [[0, 0, 0, 1], 0.629776264554299, 0.0012407259151036264],
    [[1, 1, 1, 1, 1, 5], 0.49609440328801946, 2.0729244369479206e-5],
    [
      [
        0.346, 0.822, 0.33, -1.303, 0.905, 0.446, -0.537, 0.581, 0.365, 0.294, 0.028, 0.547, -0.736, -0.163, -0.482, 0.599, 0.04, -0.292, -0.782, -0.257, 0.008,
        -0.276, 1.294, 1.007, -2.711, -1.889, -0.175, -0.422, 0.214, 0.217, 2.118, -1.112, -0.378, 2.043, 0.647, 0.663, -0.514, -1.648, 0.167, 0.109,
      ],
      0.9650953107542738,
      0.24909128653814805,
    ],
  ];

  it('W and p for n = 3 to 12 and 40 (every branch of Royston\'s approximation)', () => {
    for (const [x, w, p] of cases) {
      const r = shapiroWilk(x);
      expect(r.n).toBe(x.length);
      expect(r.subsampled).toBe(false);
      expect(r.w).toBeCloseTo(w, 7);
      expect(r.p / p).toBeCloseTo(1, 5);
      // Non-finite values are dropped; order does not matter.
      expect(shapiroWilk([NaN, ...[...x].reverse(), Infinity]).w).toBeCloseTo(r.w, 12);
    }
  });

  it('undefined for fewer than 3 values or no spread; W = 1 gives p = 1; a W far below the null range gives p ~ 0', () => {
    expect(shapiroWilk([1, 2]).w).toBeNaN();
    expect(shapiroWilk([1, 2, NaN]).p).toBeNaN();
    expect(shapiroWilk([1, 2, NaN]).n).toBe(2);
    const flat = shapiroWilk([3, 3, 3, 3]);
    expect(flat.w).toBeNaN();
    expect(flat.p).toBeNaN();
    expect(flat.n).toBe(4);
    expect(shapiroWilkPValue(1, 20)).toBe(1);
    // Symmetric about 0 (the range is still 2): exactly normal-looking for n = 3.
    expect(shapiroWilk([-1, 0, 1]).w).toBeCloseTo(1, 12);
    expect(shapiroWilk([-1, 0, 1]).p).toBeCloseTo(1, 6);
    expect(shapiroWilkPValue(1, 8)).toBe(1);
    expect(shapiroWilkPValue(0.2, 4)).toBe(1e-99);
    // n = 3: exact distribution, clamped to [0, 1].
    expect(shapiroWilkPValue(0.75, 3)).toBeCloseTo(0, 12);
    expect(shapiroWilkPValue(0.7, 3)).toBe(0);
    expect(shapiroWilkPValue(1, 3)).toBe(1);
  });

  it('coefficients: exact for n = 3, unit norm, antisymmetric weights decreasing from the extremes, and n >= 3 only', () => {
    expect(Array.from(shapiroWilkCoefficients(3))).toEqual([Math.SQRT1_2]);
    for (const n of [4, 5, 6, 9, 30]) {
      const a = shapiroWilkCoefficients(n);
      expect(a.length).toBe(Math.floor(n / 2));
      expect(2 * a.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 12);
      for (let i = 1; i < a.length; i++) expect(a[i]).toBeLessThan(a[i - 1]);
      expect(a[a.length - 1]).toBeGreaterThan(0);
    }
    // Shapiro & Wilk (1965) table, n = 4, 5, 6 (Royston's approximation is within 2e-3 of it).
    [0.6872, 0.1677].forEach((v, i) => expect(shapiroWilkCoefficients(4)[i]).toBeCloseTo(v, 2));
    [0.6646, 0.2413].forEach((v, i) => expect(shapiroWilkCoefficients(5)[i]).toBeCloseTo(v, 2));
    [0.6431, 0.2806, 0.0875].forEach((v, i) => expect(shapiroWilkCoefficients(6)[i]).toBeCloseTo(v, 2));
    expect(() => shapiroWilkCoefficients(2)).toThrow('Shapiro-Wilk needs n >= 3 (got 2)');
    expect(() => shapiroWilkCoefficients(4.5)).toThrow('Shapiro-Wilk needs n >= 3 (got 4.5)');
  });

  it('a sample just above the validated size is subsampled with its seed', () => {
    const rng = new Rng(7);
    const x = Float64Array.from({ length: 5001 }, () => rng.uniform());
    const a = shapiroWilk(x, 1);
    const b = shapiroWilk(x, 2);
    expect(a.subsampled).toBe(true);
    expect(a.n).toBe(5000);
    expect(a.w).not.toBe(b.w);
    const perm = new Rng(1).permutation(x.length);
    expect(a.w).toBe(shapiroWilk(Array.from(perm.subarray(0, 5000), (i) => x[i])).w);
    expect(shapiroWilk(x.subarray(0, 5000)).subsampled).toBe(false);
  });
});

describe('ranks and correlations (scipy.stats)', () => {
  const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
  const y = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8];

  it('average ranks for ties, Spearman with ties and Pearson', () => {
    expect(Array.from(rankData(x))).toEqual([4.5, 1.5, 6.0, 1.5, 7.5, 10.0, 3.0, 9.0, 7.5, 4.5]);
    expect(Array.from(rankData(y))).toEqual([4.0, 6.0, 1.5, 8.5, 4.0, 8.5, 1.5, 8.5, 4.0, 8.5]);
    expect(Array.from(rankData([]))).toEqual([]);
    expect(Array.from(rankData([7]))).toEqual([1]);
    expect(spearman(x, y)).toBeCloseTo(0.13471506281091267, 14);
    expect(pearson(x, y)).toBeCloseTo(0.10492284287735881, 14);
    expect(spearman(y, x)).toBeCloseTo(0.13471506281091267, 14);
  });

  it('NaN for a constant input, fewer than two finite pairs, and an error for different lengths', () => {
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearson([4, 4, 4], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(spearman([1, NaN], [NaN, 2])).toBeNaN();
    expect(spearman([1, 2, NaN], [2, 1, 3])).toBeCloseTo(-1, 14);
    expect(spearman([1, 2, NaN, 3], [1, 2, 0, 3])).toBeCloseTo(1, 14);
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow('pearson: lengths differ (2 vs 3)');
    expect(() => spearman([1, 2, 3], [1])).toThrow('spearman: lengths differ (3 vs 1)');
  });
});

describe('polynomial fits (numpy.polyfit)', () => {
  const xs = [0.5, 1.5, 2.0, 3.5, 4.0, 6.0, 7.5];
  const ys = [1.2, 1.9, 3.2, 3.1, 5.5, 5.2, 8.8];

  it('coefficients and R^2 of the line and the parabola', () => {
    const l = linearFit(xs, ys);
    expect(l.n).toBe(7);
    expect(l.coefficients[0]).toBeCloseTo(0.6545454545454518, 12);
    expect(l.coefficients[1]).toBeCloseTo(0.9727272727272732, 12);
    expect(l.r2).toBeCloseTo(0.885174924296115, 12);
    const q = quadraticFit(xs, ys);
    [1.1190867693670508, 0.6183310495647004, 0.04415839665600913].forEach((c, i) => expect(q.coefficients[i]).toBeCloseTo(c, 11));
    expect(q.r2).toBeCloseTo(0.8926208391114205, 12);
    // Shifting x far from 0 changes only the intercepts.
    const far = polyFit(xs.map((v) => v + 1e4), ys, 2);
    expect(far.r2).toBeCloseTo(0.8926208391114205, 8);
  });

  it('too few or constant points give NaN coefficients; different lengths are an error', () => {
    expect(linearFit([1], [2])).toEqual({ coefficients: [NaN, NaN], r2: NaN, n: 1 });
    expect(quadraticFit([1, 2], [2, 3])).toEqual({ coefficients: [NaN, NaN, NaN], r2: NaN, n: 2 });
    expect(linearFit([1, 2, NaN], [2, 4, 5])).toEqual({ coefficients: [0, 2], r2: 1, n: 2 });
    expect(quadraticFit([1, 2, 3], [1, 4, 9]).coefficients.map((c) => Math.round(c * 1e9) / 1e9)).toEqual([0, 0, 1]);
    expect(linearFit([2, 2, 2], [1, 2, 3]).coefficients).toEqual([NaN, NaN]);
    // Constant y: the line is exact (slope 0) but R^2 undefined.
    const flat = linearFit([1, 2, 3], [4, 4, 4]);
    expect(flat.r2).toBeNaN();
    expect(flat.coefficients[0]).toBeCloseTo(4, 12);
    expect(flat.coefficients[1]).toBeCloseTo(0, 12);
    expect(() => polyFit([1, 2], [1], 1)).toThrow('polyFit: lengths differ (2 vs 1)');
    // Two distinct x values cannot fix a parabola: singular normal equations.
    expect(quadraticFit([1, 1, 2, 2], [1, 2, 3, 4])).toEqual({ coefficients: [NaN, NaN, NaN], r2: NaN, n: 4 });
    expect(linearR2(xs, ys)).toBe(linearFit(xs, ys).r2);
    expect(quadraticR2(xs, ys)).toBe(quadraticFit(xs, ys).r2);
  });

  it('solveSymmetric pivots on the larger entry and refuses a singular system', () => {
    expect(Array.from(solveSymmetric(Float64Array.from([0, 1, 1, 0]), Float64Array.from([2, 3]), 2)!)).toEqual([3, 2]);
    const s = solveSymmetric(Float64Array.from([1, 2, 0, 2, 1, 3, 0, 3, 1]), Float64Array.from([5, 13, 9]), 3)!;
    // x = [1, 2, 3]
    s.forEach((v, i) => expect(v).toBeCloseTo(i + 1, 12));
    expect(solveSymmetric(Float64Array.from([1, 2, 2, 4]), Float64Array.from([1, 2]), 2)).toBeNull();
    // The second column needs a row swap once the first is eliminated: x = [1, 2, 3].
    const piv = solveSymmetric(Float64Array.from([1, 1, 1, 1, 1, 2, 1, 2, 3]), Float64Array.from([6, 9, 14]), 3)!;
    piv.forEach((v, i) => expect(v).toBeCloseTo(i + 1, 12));
    expect(solveSymmetric(Float64Array.from([0, 0, 0, 0]), Float64Array.from([1, 2]), 2)).toBeNull();
  });
});

describe('classification scores by hand', () => {
  it('per-class precision, recall, F1 and support, with 0/0 counted as 0', () => {
    // Class 7 is predicted but never true (support 0, precision 0); class 2 is true but never predicted (recall 0).
    const yt = [1, 1, 2, 3, 3, 3];
    const yp = [1, 7, 1, 3, 3, 1];
    expect(classReport(yt, yp)).toEqual([
      { label: 1, precision: 1 / 3, recall: 1 / 2, f1: (2 * (1 / 3) * (1 / 2)) / (1 / 3 + 1 / 2), support: 2 },
      { label: 2, precision: 0, recall: 0, f1: 0, support: 1 },
      { label: 3, precision: 1, recall: 2 / 3, f1: (2 * (2 / 3)) / (1 + 2 / 3), support: 3 },
      { label: 7, precision: 0, recall: 0, f1: 0, support: 0 },
    ]);
    expect(weightedF1(yt, yp)).toBeCloseTo((2 * 0.4 + 3 * 0.8) / 6, 12);
    expect(accuracy(yt, yp)).toBeCloseTo(3 / 6, 12);
    expect(accuracy([], [])).toBeNaN();
    expect(weightedF1([], [])).toBeNaN();
    expect(() => accuracy([1], [1, 2])).toThrow('lengths differ (1 vs 2)');
    expect(() => confusionMatrix([1, 2], [1])).toThrow('lengths differ (2 vs 1)');
  });

  it('a confusion matrix over given labels counts only rows whose both labels are listed', () => {
    const c = confusionMatrix([1, 2, 3, 2], [2, 2, 1, 9], [1, 2]);
    expect(c.labels).toEqual([1, 2]);
    expect(Array.from(c.matrix)).toEqual([0, 1, 0, 1]);
    expect(sortedLabels([3, NaN, 1], [2, 3, Infinity])).toEqual([1, 2, 3]);
  });

  it('threshold classifier: midpoint cuts, the increasing direction on a tie, NaN rows ignored, values on a cut go below it', () => {
    const inc = fitThresholdClassifier([0, 1, NaN, 3, 4], [1, 1, 2, 2, 2]);
    expect(inc).toEqual({ classes: [1, 2], direction: 1, cuts: [2], trainAccuracy: 1 });
    expect(Array.from(predictThreshold(inc, [1.9, 2, 2.1, NaN]))).toEqual([1, 1, 2, NaN]);
    const dec = fitThresholdClassifier([0, 1, 3, 4], [5, 5, 2, NaN]);
    expect(dec).toEqual({ classes: [2, 5], direction: -1, cuts: [2], trainAccuracy: 1 });
    expect(Array.from(predictThreshold(dec, [-5, 2, 2.5]))).toEqual([5, 5, 2]);
    // One class: no cut, everything is that class.
    const one = fitThresholdClassifier([3, 1, 2], [4, 4, 4]);
    expect(one).toEqual({ classes: [4], direction: 1, cuts: [], trainAccuracy: 1 });
    expect(Array.from(predictThreshold(one, [-9, 9]))).toEqual([4, 4]);
    // Tied values are one block: they cannot be split between classes.
    const tied = fitThresholdClassifier([0, 1, 1, 2], [1, 1, 2, 2]);
    expect(tied.trainAccuracy).toBe(0.75);
    expect(tied.cuts[0] === 0.5 || tied.cuts[0] === 1.5).toBe(true);
    expect(() => fitThresholdClassifier([NaN, 1], [1, NaN])).toThrow('fitThresholdClassifier: no rows with a finite value and label');
    expect(() => fitThresholdClassifier([1, 2], [1])).toThrow('lengths differ (2 vs 1)');
  });

  it('a class best left empty at an end gets an infinite cut; accuracy matches an exhaustive search over cuts', () => {
    // Label 1 sits in the middle of the axis: it is out-voted by both neighbours whichever way.
    const v = [0, 1, 2, 3, 4, 5, 6];
    const y = [2, 2, 2, 1, 3, 3, 3];
    const c = fitThresholdClassifier(v, y);
    expect(c.direction).toBe(1);
    expect(c.cuts[0]).toBe(-Infinity);
    expect(c.trainAccuracy).toBeCloseTo(6 / 7, 12);
    expect(accuracy(y, predictThreshold(c, v))).toBeCloseTo(6 / 7, 12);
    // The mirror image: the empty class sits at the far end.
    const m = fitThresholdClassifier(v, [3, 3, 3, 1, 2, 2, 2]);
    expect(m.direction).toBe(-1);
    expect(m.cuts[1]).toBe(Infinity);
    expect(Array.from(predictThreshold(m, [0, 6]))).toEqual([3, 2]);
    // Random labels with ties: nothing beats the fitted cuts (every monotone assignment tried).
    const rng = new Rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const vals = Array.from({ length: 9 }, () => rng.int(5));
      const labs = Array.from({ length: 9 }, () => 1 + rng.int(3));
      const f = fitThresholdClassifier(vals, labs);
      const uniq = [...new Set(vals)].sort((a, b) => a - b);
      const mids = [-Infinity, ...uniq.slice(1).map((u, i) => (u + uniq[i]) / 2), Infinity];
      let best = 0;
      const K = f.classes.length;
      const cutSets: number[][] = K === 1 ? [[]] : K === 2 ? mids.map((a) => [a]) : mids.flatMap((a, i) => mids.slice(i).map((b) => [a, b]));
      for (const direction of [1, -1] as const)
        for (const cuts of cutSets) best = Math.max(best, accuracy(labs, predictThreshold({ classes: f.classes, cuts, direction, trainAccuracy: 0 }, vals)));
      expect(f.trainAccuracy).toBeCloseTo(best, 12);
      expect(accuracy(labs, predictThreshold(f, vals))).toBeCloseTo(best, 12);
    }
  });
});

describe('axes by hand', () => {
  it('column, the inter-axis matrix and the first pair reaching the maximum', () => {
    // 3 axes on 4 rows: axis 1 = reversed axis 0, axis 2 = axis 0; axis 0 against 1 is -1, 0 against 2 is 1.
    const Z = [0, 3, 0, 1, 2, 1, 2, 1, 2, 3, 0, 3];
    expect(Array.from(column(Z, 4, 3, 1))).toEqual([3, 2, 1, 0]);
    const c = maxAxisCorrelation(Z, 4, 3);
    expect(c.maxAbs).toBeCloseTo(1, 14);
    expect(c.pair).toEqual([0, 1]);
    expect(Array.from(c.matrix).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, -1, 1, -1, 1, -1, 1, -1, 1]);
    // A constant axis has no correlation: NaN in the matrix, skipped for the maximum.
    const k = maxAxisCorrelation([1, 5, 2, 5, 3, 5, 4, 5], 4, 2);
    expect(k.matrix[1]).toBeNaN();
    expect(k.maxAbs).toBe(0);
    expect(k.pair).toBeNull();
    // Weaker then stronger pair: the stronger is reported.
    const w = maxAxisCorrelation([1, 1, 1, 2, 3, 2, 3, 2, 3, 4, 4, 4], 4, 3);
    expect(w.pair).toEqual([0, 2]);
    expect(w.maxAbs).toBeCloseTo(1, 14);
    expect(maxAxisCorrelation([1, 2, 3], 3, 1)).toEqual({ maxAbs: 0, pair: null, matrix: Float64Array.from([1]) });
    // Uncorrelated axes (rho exactly 0): the maximum is 0, reached by that pair.
    const zero = maxAxisCorrelation([1, 1, 2, 2, 3, 2, 4, 1], 4, 2);
    expect(zero.matrix[1]).toBe(0);
    expect(zero.maxAbs).toBe(0);
    expect(zero.pair).toEqual([0, 1]);
  });

  it('best axis: largest |rho| with its sign, the first on a tie, -1 when no axis correlates', () => {
    const Z = [0, 3, 5, 1, 2, 5, 2, 1, 5, 3, 0, 5];
    const y = [10, NaN, 11, 7, 12, NaN, 13, 9];
    const al = bestAlignedAxes(Z, 4, 3, y, ['up', 'p']);
    expect(al[0]).toEqual({ descriptor: 'up', axis: 0, spearman: expect.closeTo(1, 12), perAxis: [expect.closeTo(1, 12), expect.closeTo(-1, 12), NaN], n: 4 });
    // p: labelled rows 1 and 3 only: axis 0 (1, 3) against (7, 9) is +1, axis 1 (2, 0) is -1: the first wins.
    expect(al[1].axis).toBe(0);
    expect(al[1].n).toBe(2);
    expect(al[1].spearman).toBeCloseTo(1, 12);
    const none = bestAlignedAxes(Z, 4, 3, [1, 1, 1, 1], ['flat']);
    expect(none[0].axis).toBe(-1);
    expect(none[0].spearman).toBeNaN();
    const lone = bestAlignedAxes(Z, 4, 3, [1, NaN, NaN, NaN], ['one']);
    expect(lone[0].perAxis).toEqual([NaN, NaN, NaN]);
    expect(lone[0].n).toBe(1);
    // A stronger negative axis beats a weaker positive one.
    const neg = bestAlignedAxes([0, 3, 1, 2, 2, 0, 3, 1], 4, 2, [1, 2, 4, 3], ['y']);
    expect(neg[0].axis).toBe(1);
    expect(neg[0].spearman).toBeCloseTo(-1, 12);
  });
});

describe('reconstruction and estimates edge cases', () => {
  it('refuses shapes that do not match and is NaN on nothing', () => {
    expect(() => reconstructionErrors([1, 2, 3], [1, 2, 3], 2, 2)).toThrow('reconstructionErrors: expected 2 x 2 = 4 values, got 3 and 3');
    expect(() => reconstructionErrors([1, 2, 3, 4], [1, 2, 3], 2, 2)).toThrow('got 4 and 3');
    expect(() => reconstructionErrors([1, 2, 3], [1, 2, 3, 4], 2, 2)).toThrow('got 3 and 4');
    const none = reconstructionErrors([], [], 0, 3);
    expect(none.mse).toBeNaN();
    expect(none.mae).toBeNaN();
    const neg = reconstructionErrors([0, 0], [1, -3], 1, 2);
    expect(neg.mae).toBe(2);
    expect(neg.mse).toBe(5);
  });

  it('estimates: spread averaged over the scored rows only; nearest level of a single level', () => {
    const s = scoreEstimates([1, 2, 3, 4], [1, NaN, 3, 5], [1, 100, 3, 5]);
    expect(s.meanSpread).toBe(3);
    expect(s.n).toBe(3);
    expect(s.spearman).toBeCloseTo(1, 14);
    expect(scoreEstimates([2, 1], [1, 2], undefined, [1, 2]).accuracy).toBe(0);
    expect(nearestLevel([4], -100)).toBe(4);
    expect(nearestLevel([3, 1, 2], 1.2)).toBe(1);
  });
});
