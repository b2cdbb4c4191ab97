import { describe, expect, it } from 'vitest';
import {
  accuracy,
  confusionMatrix,
  fitThresholdClassifier,
  predictThreshold,
  weightedF1,
} from '../../src/metrics/classification.js';
import { Rng } from '../../src/util/random.js';

describe('classification scores', () => {
  it('confusion matrix, accuracy and weighted F1 by their definitions', () => {
    const yt = [4, 4, 4, 6, 6, 5];
    const yp = [4, 6, 4, 6, 5, 5];
    const cm = confusionMatrix(yt, yp);
    expect(cm.labels).toEqual([4, 5, 6]);
    expect(Array.from(cm.matrix)).toEqual([2, 0, 1, 0, 1, 0, 0, 1, 1]);
    expect(accuracy(yt, yp)).toBeCloseTo(4 / 6, 12);
    // class 4: P=1, R=2/3, F1=0.8; class 5: P=1/2, R=1, F1=2/3; class 6: P=1/2, R=1/2, F1=1/2
    expect(weightedF1(yt, yp)).toBeCloseTo((3 * 0.8 + 1 * (2 / 3) + 2 * 0.5) / 6, 12);
  });

  it('threshold classifier finds the accuracy-optimal monotone cuts, in either direction', () => {
    const rng = new Rng(1);
    const classes = [4, 5, 6];
    const centers = [2, 0, -2]; // decreasing axis
    const v: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 300; i++) {
      const c = i % 3;
      v.push(centers[c] + 0.3 * rng.normal());
      y.push(classes[c]);
    }
    const model = fitThresholdClassifier(v, y);
    expect(model.direction).toBe(-1);
    expect(model.classes).toEqual([4, 5, 6]);
    expect(model.cuts[0]).toBeGreaterThan(-1.5);
    expect(model.cuts[0]).toBeLessThan(-0.5);
    expect(model.cuts[1]).toBeGreaterThan(0.5);
    expect(model.cuts[1]).toBeLessThan(1.5);
    expect(accuracy(y, predictThreshold(model, v))).toBeCloseTo(model.trainAccuracy, 12);
    expect(model.trainAccuracy).toBeGreaterThan(0.98);
    // Brute force over all cut pairs at midpoints: nothing beats the DP.
    const sorted = [...v].sort((a, b) => a - b);
    const mids = [-Infinity, ...sorted.slice(1).map((s, i) => (s + sorted[i]) / 2), Infinity];
    let bestAcc = 0;
    for (let a = 0; a < mids.length; a += 3)
      for (let b = a; b < mids.length; b += 3) {
        const acc = accuracy(y, predictThreshold({ ...model, cuts: [mids[a], mids[b]] }, v));
        bestAcc = Math.max(bestAcc, acc);
      }
    expect(model.trainAccuracy).toBeGreaterThanOrEqual(bestAcc - 1e-12);
    expect(Array.from(predictThreshold(model, [3, 0, -3]))).toEqual([4, 5, 6]);
  });
});
