import { describe, expect, it } from 'vitest';
import { classifierFromJson, evaluateLatents, formatEvaluation, type Evaluation } from '../../src/metrics/evaluation.js';

/** Pearson r^2 of y on x, the direct way (the R^2 of a least-squares line). */
function pearsonR2(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return (sxy * sxy) / (sxx * syy);
}

describe('evaluateLatents on a small hand-checked split', () => {
  // 6 rows, 2 axes. Axis 0 against A = axis^2 (monotone on the labelled rows, one label missing);
  // axis 1 against CN, levels 4 and 6 decreasing along the axis, one row at 5 (not a level).
  const z = Float32Array.from([0, 5, 1, 4, 2, 3, 3, 2, 4, 1, 5, 0]);
  const A = [0, 1, 4, 9, NaN, 25];
  const CN = [4, 4, 4, 5, 6, 6];
  const y = Float64Array.from(A.flatMap((a, i) => [a, CN[i]]));
  const spectra = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const recon = spectra.map((v, i) => v + (i % 2 === 0 ? 0.5 : -1.5));
  // The training split has no 5: the classifier knows levels 4 and 6 only.
  const keep = [0, 1, 2, 4, 5];
  const train = { z: Float32Array.from(keep.flatMap((i) => [z[2 * i], z[2 * i + 1]])), y: Float64Array.from(keep.flatMap((i) => [A[i], CN[i]])), n: 5 };
  const base = { names: ['A', 'CN'], discrete: ['CN'], d: 2, spectra, reconstructions: recon, m: 2 };

  it('scores each axis on its labelled rows, reports what it left out and why, and fits the classifier on the training split', () => {
    const ev = evaluateLatents({ ...base, evaluated: { z, y, n: 6, label: 'test' }, train });
    expect(ev.split).toBe('test');
    expect(ev.n).toBe(6);
    const a = ev.descriptors.A;
    expect(a.axis).toBe(0);
    expect(a.n).toBe(5);
    expect(a.spearman).toBeCloseTo(1, 12);
    expect(a.r2).toBeCloseTo(pearsonR2([0, 1, 2, 3, 5], [0, 1, 4, 9, 25]), 10);
    expect(a.r2).toBeLessThan(0.99);
    expect(a.r2Quadratic).toBeCloseTo(1, 10);
    expect(a.dropped).toEqual({ missingLabel: 1 });
    expect(a.classifier).toBeUndefined();
    const cn = ev.descriptors.CN;
    expect(cn.axis).toBe(1);
    expect(cn.n).toBe(6);
    // Pearson of the average ranks: axis [6,5,4,3,2,1] against CN [2,2,2,4,5.5,5.5].
    expect(cn.spearman).toBeCloseTo(-Math.sqrt(pearsonR2([6, 5, 4, 3, 2, 1], [2, 2, 2, 4, 5.5, 5.5])), 12);
    expect(cn.spearman).toBeGreaterThan(-0.99);
    // 5 is not a training level: left out of the classifier only.
    expect(cn.dropped).toEqual({ missingLabel: 0, notALevel: { rows: 1, values: [5], levels: [4, 6] } });
    const c = cn.classifier!;
    expect(c.classes).toEqual([4, 6]);
    expect(c.direction).toBe(-1);
    expect(c.trainAccuracy).toBe(1);
    expect(c.accuracy).toBe(1);
    expect(c.weightedF1).toBe(1);
    expect(c.confusion).toEqual([
      [3, 0],
      [0, 2],
    ]);
    // The axes are exactly anti-ordered.
    expect(ev.maxInterAxisSpearman).toBeCloseTo(1, 12);
    expect(ev.maxInterAxisPair).toEqual([0, 1]);
    expect(ev.interAxisSpearman[0][0]).toBe(1);
    expect(ev.interAxisSpearman[1][1]).toBe(1);
    expect(ev.interAxisSpearman[0][1]).toBeCloseTo(-1, 12);
    expect(ev.interAxisSpearman[1][0]).toBeCloseTo(-1, 12);
    expect(ev.reconstruction.mse).toBeCloseTo((0.25 + 2.25) / 2, 6);
    expect(ev.reconstruction.mae).toBeCloseTo((0.5 + 1.5) / 2, 6);
    // Each axis is 0..5: mean 2.5, sample std sqrt(17.5 / 5).
    expect(ev.normality.map((s) => s.axis)).toEqual([0, 1]);
    for (const s of ev.normality) {
      expect(s.mean).toBeCloseTo(2.5, 12);
      expect(s.std).toBeCloseTo(Math.sqrt(17.5 / 5), 12);
      expect(s.w).toBeGreaterThan(0.9);
      expect(s.w).toBeLessThan(1);
      expect(s.p).toBeGreaterThan(0.5);
    }
  });

  it('a stored classifier is used as given, and without one or a training split a discrete descriptor is an error', () => {
    // Cut at 2.5 increasing: the stored classifier calls axis values above it 6 (the data go the other way).
    const stored = classifierFromJson({ classes: [4, 6], cuts: [2.5], direction: 1, trainAccuracy: 0.75 });
    const ev = evaluateLatents({ ...base, evaluated: { z, y, n: 6, label: 'validation' }, classifiers: { CN: stored } });
    const c = ev.descriptors.CN.classifier!;
    expect(c.direction).toBe(1);
    expect(c.cuts).toEqual([2.5]);
    expect(c.trainAccuracy).toBe(0.75);
    expect(c.accuracy).toBe(0);
    expect(c.weightedF1).toBe(0);
    expect(c.confusion).toEqual([
      [0, 3],
      [2, 0],
    ]);
    expect(() => evaluateLatents({ ...base, evaluated: { z, y, n: 6, label: 'test' } })).toThrow('evaluateLatents: no training split or fitted classifier for CN');
  });

  it('needs 3 labelled rows for Spearman and the line, 4 for the quadratic, 3 for Shapiro-Wilk', () => {
    const score = (rows: number) =>
      evaluateLatents({
        names: ['A'],
        discrete: [],
        d: 1,
        evaluated: { z: Float32Array.from({ length: rows }, (_, i) => i), y: Float64Array.from({ length: rows }, (_, i) => i * i), n: rows, label: 'test' },
        spectra: new Float32Array(rows),
        reconstructions: new Float32Array(rows),
        m: 1,
      });
    const two = score(2);
    expect(two.descriptors.A.spearman).toBeNaN();
    expect(two.descriptors.A.r2).toBeNaN();
    expect(two.descriptors.A.r2Quadratic).toBeNaN();
    expect(two.descriptors.A.dropped).toBeUndefined();
    expect(two.normality[0].w).toBeNaN();
    expect(two.normality[0].p).toBeNaN();
    expect(two.normality[0].std).toBeCloseTo(Math.SQRT1_2, 12);
    const three = score(3);
    expect(three.descriptors.A.spearman).toBeCloseTo(1, 12);
    expect(three.descriptors.A.r2).toBeCloseTo(pearsonR2([0, 1, 2], [0, 1, 4]), 10);
    expect(three.descriptors.A.r2Quadratic).toBeNaN();
    expect(three.normality[0].w).toBeCloseTo(1, 6);
    expect(score(4).descriptors.A.r2Quadratic).toBeCloseTo(1, 10);
    // One row: its own mean, zero spread (not a division by zero).
    const one = score(1);
    expect(one.normality[0].mean).toBe(0);
    expect(one.normality[0].std).toBe(0);
  });

  it('scores only the first n rows of the split, and lists the off-level values sorted', () => {
    // 5 rows scored out of arrays holding 6; the 6th row's labels would change every score.
    const zz = Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, -100]);
    const yy = Float64Array.from([1, 4, 2, 5.5, 3, 4, 4, 5, 5, 6, 100, 3]);
    const clf = classifierFromJson({ classes: [4, 6], cuts: [2.5], direction: 1 });
    const ev = evaluateLatents({ ...base, evaluated: { z: zz, y: yy, n: 5, label: 'test' }, classifiers: { CN: clf }, spectra: spectra.subarray(0, 10), reconstructions: recon.subarray(0, 10) });
    expect(ev.descriptors.A.n).toBe(5);
    expect(ev.descriptors.A.dropped).toBeUndefined();
    expect(ev.descriptors.A.spearman).toBeCloseTo(1, 12);
    expect(ev.descriptors.A.r2).toBeCloseTo(1, 12);
    expect(ev.descriptors.CN.dropped).toEqual({ missingLabel: 0, notALevel: { rows: 2, values: [5, 5.5], levels: [4, 6] } });
    expect(ev.descriptors.CN.classifier!.confusion).toEqual([
      [2, 0],
      [0, 1],
    ]);
    expect(ev.normality[1].mean).toBe(2);
  });

  it('a discrete descriptor whose labels are all levels drops nothing', () => {
    const clf = classifierFromJson({ classes: [4, 5, 6], cuts: [1.5, 2.5], direction: -1 });
    const ev = evaluateLatents({ ...base, evaluated: { z, y, n: 6, label: 'test' }, classifiers: { CN: clf } });
    expect(ev.descriptors.CN.dropped).toBeUndefined();
    expect(ev.descriptors.CN.classifier!.accuracy).toBe(1);
  });

  it('a discrete descriptor with no labelled row gets no classifier', () => {
    const ev = evaluateLatents({
      names: ['CN'],
      discrete: ['CN'],
      d: 1,
      evaluated: { z: Float32Array.from([0, 1, 2]), y: Float64Array.from([NaN, NaN, NaN]), n: 3, label: 'test' },
      spectra: new Float32Array(3),
      reconstructions: new Float32Array(3),
      m: 1,
    });
    expect(ev.descriptors.CN.classifier).toBeUndefined();
    expect(ev.descriptors.CN.dropped).toEqual({ missingLabel: 3 });
    expect(ev.descriptors.CN.n).toBe(0);
  });
});

describe('classifierFromJson', () => {
  it('turns nulls before the first finite cut into -Infinity and after it into +Infinity, keeps numbers, and defaults the train accuracy to NaN', () => {
    const c = classifierFromJson({ classes: [1, 2, 3, 4, 5], cuts: [null, 0.5, null, -Infinity], direction: -1 });
    expect(c.cuts).toEqual([-Infinity, 0.5, Infinity, -Infinity]);
    expect(c.classes).toEqual([1, 2, 3, 4, 5]);
    expect(c.direction).toBe(-1);
    expect(c.trainAccuracy).toBeNaN();
    expect(classifierFromJson({ classes: [1, 2], cuts: [Infinity], direction: 1, trainAccuracy: 0.5 }).cuts).toEqual([Infinity]);
  });
});

describe('formatEvaluation', () => {
  const ev: Evaluation = {
    split: 'test',
    n: 12,
    descriptors: {
      CN: {
        axis: 0,
        spearman: -0.91234,
        r2: 0.8,
        r2Quadratic: NaN,
        n: 10,
        dropped: { missingLabel: 2, notALevel: { rows: 3, values: [2.6666666667, 5], levels: [4, 6] } },
        classifier: { classes: [4, 6], cuts: [0.5], direction: -1, trainAccuracy: 1, accuracy: 0.9, weightedF1: 0.875, confusion: [[3, 1], [0, 3]] },
      },
      a_long_descriptor: { axis: 1, spearman: 0.5, r2: 0.25, r2Quadratic: 0.3, n: 12 },
    },
    maxInterAxisSpearman: 0.1234,
    maxInterAxisPair: [0, 1],
    interAxisSpearman: [
      [1, 0.1234],
      [0.1234, 1],
    ],
    reconstruction: { mse: 0.00012345, mae: 0.0123 },
    normality: [
      { axis: 0, w: 0.98765, p: 0.5, mean: 0, std: 1 },
      { axis: 1, w: NaN, p: NaN, mean: 0, std: 1 },
    ],
    readouts: { CN: { n: 10, rmse: 0.12345, r2: 0.9, fittedOn: 40, looR2: 0.85 }, E: { n: 8, rmse: 1, r2: NaN } },
    baseline: { edgePosition: { n: 12, unavailable: 2, descriptors: { CN: { spearman: 0.25, n: 10 } } } },
    energyShift: { eV: 1.5, source: 'model' },
    ood: { n: 12, flagged: 3, metric: 'mahalanobis' },
    ensemble: {
      members: 3,
      rows: 'the test split',
      n: 12,
      descriptors: {
        CN: { n: 10, spearman: 0.9, r2: 0.8, mae: 0.1, rmse: 0.2, meanSpread: 0.05, accuracy: 0.95, memberSpearman: [0.8, NaN, 0.85] },
        E: { n: 10, spearman: NaN, r2: 0.1, mae: 1.2345, rmse: 2, memberSpearman: [NaN] },
      },
    },
  };

  it('prints every block of the table: descriptors, readouts, baseline, shift, left-out rows, OOD, ensemble, axes, confusion', () => {
    const w = 'a_long_descriptor'.length + 2;
    expect(formatEvaluation(ev).split('\n')).toEqual([
      'Evaluation on the test split (12 spectra)',
      '',
      `${'descriptor'.padEnd(w)} axis  spearman   R2(lin)  R2(quad)  F1(thresh)  edge-position spearman`,
      `${'CN'.padEnd(w)}    0    -0.912     0.800       n/a       0.875                   0.250`,
      `${'a_long_descriptor'.padEnd(w)}    1     0.500     0.250     0.300           -`,
      'CN read off the latent position: RMSE 0.1235, R2 0.900 on 10 labelled spectra (linear map fitted on 40 labelled training spectra, leave-one-out R2 0.850)',
      'E read off the latent position: RMSE 1.0000, R2 n/a on 8 labelled spectra',
      '',
      'baseline: Spearman of each descriptor against the edge position (E at half edge step) on the same spectra; 2 spectra had no edge to locate',
      'energy shift applied: 1.500 eV (model)',
      'CN: 2 spectra without a CN label left out of its scores',
      'CN: 3 spectra with CN = 2.66667, 5 (not one of the levels 4, 6) left out of the threshold classifier (kept for Spearman and R2)',
      'out of distribution (ood_flag): 3 of 12 spectra (mahalanobis)',
      '',
      "ensemble of 3 networks on the test split (12 spectra): estimate = members' mean of calibrated estimates, spread = their std",
      `${'descriptor'.padEnd(12)} spearman        R2       MAE  mean spread  accuracy  members' spearman`,
      `${'CN'.padEnd(12)}    0.900     0.800    0.1000       0.0500     0.950  0.800..0.850`,
      `${'E'.padEnd(12)}      n/a     0.100    1.2345          n/a         -  n/a`,
      '',
      'max inter-axis |spearman|: 0.123 (axes 0 and 1)',
      'reconstruction: MSE 1.234e-4, MAE 1.230e-2',
      'latent normality (Shapiro-Wilk W): z0 0.988, z1 n/a',
      '',
      'CN confusion matrix (rows true, columns predicted; classes 4, 6):',
      '       4 |      3      1',
      '       6 |      0      3',
    ]);
  });

  it('names an all-rows evaluation, an unconstrained model, and leaves out the blocks it has nothing for', () => {
    const bare: Evaluation = {
      split: 'all rows of data.csv',
      n: 4,
      descriptors: {},
      maxInterAxisSpearman: 0,
      maxInterAxisPair: null,
      interAxisSpearman: [[1]],
      reconstruction: { mse: 1, mae: 2 },
      normality: [{ axis: 0, w: 0.5, p: 0.1, mean: 0, std: 1 }],
      energyShift: { eV: 0, source: 'none' },
      baseline: { edgePosition: { n: 4, unavailable: 0, descriptors: {} } },
    };
    expect(formatEvaluation(bare).split('\n')).toEqual([
      'Evaluation on all rows of data.csv (4 spectra)',
      '',
      'no constrained descriptors (an unconstrained adversarial autoencoder)',
      '',
      'baseline: Spearman of each descriptor against the edge position (E at half edge step) on the same spectra',
      '',
      'max inter-axis |spearman|: 0.000',
      'reconstruction: MSE 1.000e+0, MAE 2.000e+0',
      'latent normality (Shapiro-Wilk W): z0 0.500',
    ]);
    // Without a baseline the header has no edge-position column; a descriptor dropping only non-levels says only that.
    const one: Evaluation = {
      ...bare,
      split: 'validation',
      baseline: undefined,
      energyShift: undefined,
      descriptors: {
        OS: { axis: 0, spearman: 1, r2: 1, r2Quadratic: 1, n: 4, dropped: { missingLabel: 0, notALevel: { rows: 1, values: [2.5], levels: [2, 3] } } },
        BL: { axis: 1, spearman: 0.5, r2: 0.5, r2Quadratic: 0.5, n: 2, dropped: { missingLabel: 2 } },
      },
      readouts: { OS: { n: 4, rmse: 0.5, r2: 0.75, fittedOn: 9 } },
    };
    expect(formatEvaluation(one).split('\n')).toEqual([
      'Evaluation on the validation split (4 spectra)',
      '',
      `${'descriptor'.padEnd(12)} axis  spearman   R2(lin)  R2(quad)  F1(thresh)`,
      `${'OS'.padEnd(12)}    0     1.000     1.000     1.000           -`,
      `${'BL'.padEnd(12)}    1     0.500     0.500     0.500           -`,
      'OS read off the latent position: RMSE 0.5000, R2 0.750 on 4 labelled spectra (linear map fitted on 9 labelled training spectra)',
      'OS: 1 spectra with OS = 2.5 (not one of the levels 2, 3) left out of the threshold classifier (kept for Spearman and R2)',
      'BL: 2 spectra without a BL label left out of its scores',
      '',
      'max inter-axis |spearman|: 0.000',
      'reconstruction: MSE 1.000e+0, MAE 2.000e+0',
      'latent normality (Shapiro-Wilk W): z0 0.500',
    ]);
  });
});
