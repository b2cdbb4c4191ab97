import { describe, expect, it } from 'vitest';
import { nearestLevel, scoreEstimates } from '../../src/metrics/estimates.js';

describe('scoreEstimates', () => {
  it('scores the rows with a finite label and estimate against a hand computation', () => {
    // Rows 3 (no estimate) and 4 (no label) drop out: e = [1, 2, 4], y = [1, 3, 3].
    // mean y = 7/3; SS_res = 0 + 1 + 1 = 2; SS_tot = 16/9 + 4/9 + 4/9 = 8/3; r2 = 1 - 2 / (8/3) = 0.25.
    // Ranks e = [1, 2, 3], y = [1, 2.5, 2.5] -> rho = 1.5 / sqrt(2 * 1.5) = sqrt(3) / 2.
    // Nearest levels of e: [1, 2, 3] against y = [1, 3, 3] -> 2 of 3 right.
    const s = scoreEstimates([1, 2, 4, NaN, 3], [1, 3, 3, 2, NaN], [0.1, 0.2, 0.3, 0.4, 0.5], [1, 2, 3]);
    expect(s.n).toBe(3);
    expect(s.r2).toBeCloseTo(0.25, 12);
    expect(s.mae).toBeCloseTo(2 / 3, 12);
    expect(s.rmse).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(s.spearman).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(s.meanSpread).toBeCloseTo(0.2, 12);
    expect(s.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('r2 is negative for estimates worse than the mean; accuracy counts only rows labelled with a level', () => {
    // e = [3, 1], y = [1, 3]: mean 2, SS_res = 8, SS_tot = 2 -> r2 = -3; mae 2, rmse 2.
    // Label 2.5 is no level, so accuracy is over rows 0 (1 -> 1, right) and 1 (1 -> 1, label 3:
    // wrong) only: 1/2 (counting row 2, 2.6 -> 3 against 2.5, would give 1/3).
    const s = scoreEstimates([1, 1, 2.6], [1, 3, 2.5], undefined, [1, 2, 3]);
    expect(s.n).toBe(3);
    const two = scoreEstimates([3, 1], [1, 3]);
    expect(two.r2).toBeCloseTo(-3, 12);
    expect(two.mae).toBe(2);
    expect(two.rmse).toBe(2);
    expect(two.spearman).toBeNaN(); // fewer than three pairs
    expect(two.meanSpread).toBeUndefined();
    expect(two.accuracy).toBeUndefined();
    expect(s.accuracy).toBe(0.5);
  });

  it('undefined scores are NaN, never a number made up', () => {
    const none = scoreEstimates([NaN, 1], [1, NaN], [1, 1], [1, 2]);
    expect(none.n).toBe(0);
    expect(none.mae).toBeNaN();
    expect(none.rmse).toBeNaN();
    expect(none.r2).toBeNaN();
    expect(none.meanSpread).toBeNaN();
    expect(none.accuracy).toBeNaN();
    // Constant labels: SS_tot = 0, so r2 is undefined while the errors are not.
    const flat = scoreEstimates([1, 2, 3], [2, 2, 2]);
    expect(flat.r2).toBeNaN();
    expect(flat.mae).toBeCloseTo(2 / 3, 12);
    // One row: r2 undefined, errors defined.
    const one = scoreEstimates([1.5], [1]);
    expect(one.r2).toBeNaN();
    expect(one.mae).toBe(0.5);
    // Levels given but empty: no accuracy.
    expect(scoreEstimates([1, 2, 3], [1, 2, 3], undefined, []).accuracy).toBeUndefined();
  });
});

describe('nearestLevel', () => {
  it('picks the nearest level, the lower one on a tie', () => {
    expect(nearestLevel([1, 2, 3], 2.4)).toBe(2);
    expect(nearestLevel([1, 2, 3], 2.6)).toBe(3);
    expect(nearestLevel([1, 2, 3], 2.5)).toBe(2);
    expect(nearestLevel([1, 2, 3], -10)).toBe(1);
    expect(nearestLevel([1, 2, 3], 10)).toBe(3);
  });
});
