import { describe, expect, it } from 'vitest';
import { fitReadout, predictReadout, readoutScores } from '../../src/export/readout.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

describe('readout: a descriptor read off the latent position from a few labels', () => {
  it('recovers a linear law from 10 labelled points among unlabelled ones, with a leave-one-out error equal to refitting without each point', () => {
    const rng = new Rng(5);
    const n = 200;
    const d = 2;
    const z = Float64Array.from({ length: n * d }, () => rng.normal());
    const truth = (i: number) => 0.4 + 0.3 * z[i * d] - 0.1 * z[i * d + 1];
    const y = Float64Array.from({ length: n }, () => NaN);
    const labelled = [3, 17, 40, 55, 71, 90, 120, 150, 170, 199];
    for (const i of labelled) y[i] = truth(i) + 0.01 * rng.normal();
    const r = fitReadout('x', z, n, d, y, { ridge: 0 });
    expect(r.n).toBe(10);
    expect(r.coef[0]).toBeCloseTo(0.3, 1);
    expect(r.coef[1]).toBeCloseTo(-0.1, 1);
    const p = predictReadout(r, z, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(p[i] - truth(i)));
    expect(worst).toBeLessThan(0.05);
    // Brute-force leave-one-out: refit without each labelled point.
    let press = 0;
    for (const i of labelled) {
      const yi = Float64Array.from(y);
      yi[i] = NaN;
      const ri = fitReadout('x', z, n, d, yi, { ridge: 0 });
      press += (predictReadout(ri, z.subarray(i * d, i * d + d), 1)[0] - y[i]) ** 2;
    }
    expect(r.looRmse).toBeCloseTo(Math.sqrt(press / 10), 10);
    const s = readoutScores(r, z, n, Float64Array.from({ length: n }, (_, i) => truth(i)));
    expect(s.n).toBe(n);
    expect(s.r2).toBeGreaterThan(0.99);
  });

  it('needs at least 3 labelled spectra', () => {
    expect(() => fitReadout('x', [0, 1, 2, 3], 2, 2, [1, NaN])).toThrow(UserError);
  });
});
