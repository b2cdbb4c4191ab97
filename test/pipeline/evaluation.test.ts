import { describe, expect, it } from 'vitest';
import { fitThresholdClassifier, predictThreshold } from '../../src/metrics/classification.js';
import { classifierFromJson, evaluateLatents, formatEvaluation } from '../../src/metrics/evaluation.js';
import { Rng } from '../../src/util/random.js';

describe('evaluateLatents', () => {
  const rng = new Rng(5);
  const n = 400;
  const d = 3;
  // axis 0 follows a continuous descriptor, axis 1 a discrete one (3 levels), axis 2 is noise
  const z = new Float32Array(n * d);
  const y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = rng.uniform();
    const cls = 4 + rng.int(3);
    y[i * 2] = a;
    y[i * 2 + 1] = cls;
    z[i * d] = 2 * a - 1 + 0.01 * rng.normal();
    z[i * d + 1] = -(cls - 5) + 0.2 * rng.normal(); // decreasing with the class
    z[i * d + 2] = rng.normal();
  }
  const spectra = new Float32Array(n * 4).map(() => rng.uniform());
  const recon = spectra.map((v) => v + 0.1);

  it('scores each axis against its descriptor, fits a threshold classifier, and checks the axes', () => {
    const ev = evaluateLatents({
      names: ['A', 'CN'],
      discrete: ['CN'],
      d,
      evaluated: { z, y, n, label: 'test' },
      train: { z, y, n },
      spectra,
      reconstructions: recon,
      m: 4,
    });
    expect(ev.descriptors.A.spearman).toBeGreaterThan(0.99);
    expect(ev.descriptors.A.r2).toBeGreaterThan(0.99);
    expect(ev.descriptors.CN.spearman).toBeLessThan(-0.9);
    expect(ev.descriptors.CN.classifier!.direction).toBe(-1);
    expect(ev.descriptors.CN.classifier!.accuracy).toBeGreaterThan(0.95);
    expect(ev.descriptors.CN.classifier!.confusion.flat().reduce((s, v) => s + v, 0)).toBe(n);
    expect(ev.maxInterAxisSpearman).toBeLessThan(0.2);
    expect(ev.reconstruction.mse).toBeCloseTo(0.01, 6);
    expect(ev.reconstruction.mae).toBeCloseTo(0.1, 6);
    expect(ev.normality[2].w).toBeGreaterThan(0.98);
    expect(formatEvaluation(ev)).toContain('max inter-axis |spearman|');
  });

  it('a classifier stored as JSON (infinite cuts become null) predicts as the original', () => {
    // class 0 never appears low on the axis: its interval is empty at -Infinity
    const values = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const labels = Float64Array.from([2, 2, 3, 3, 4, 4, 5, 5]);
    const clf = fitThresholdClassifier(values, labels);
    const withEmpty = { ...clf, classes: [0, ...clf.classes], cuts: [-Infinity, ...clf.cuts] };
    const restored = classifierFromJson(JSON.parse(JSON.stringify(withEmpty)));
    expect(restored.cuts[0]).toBe(-Infinity);
    const probe = Float64Array.from([-3, 0.2, 2.5, 4.4, 9]);
    expect(Array.from(predictThreshold(restored, probe))).toEqual(Array.from(predictThreshold(withEmpty, probe)));
  });
});

describe('evaluationPart', () => {
  it('scores on test, else validation, else training rows, and names the split it used', async () => {
    const { evaluationPart, prepareData } = await import('../../src/pipeline/prepare-data.js');
    const { TrainConfigSchema } = await import('../../src/config/schema.js');
    const base = { data: { synth: { count: 40, points: 16 }, descriptors: ['OS', 'CN'] }, output: '/tmp/unused' };
    const pick = async (split: { train: number; validation: number; test: number }) => {
      const data = await prepareData(TrainConfigSchema.parse({ ...base, data: { ...base.data, split } }));
      const r = evaluationPart(data);
      return { label: r.label, n: r.part.n, same: r.part === data[r.label] };
    };
    expect(await pick({ train: 0.5, validation: 0.25, test: 0.25 })).toEqual({ label: 'test', n: 10, same: true });
    expect(await pick({ train: 0.75, validation: 0.25, test: 0 })).toEqual({ label: 'validation', n: 10, same: true });
    expect(await pick({ train: 1, validation: 0, test: 0 })).toEqual({ label: 'train', n: 40, same: true });
  });
});
