import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompareConfigSchema } from '../../src/config/baseline.js';
import type { SpectralDataset } from '../../src/data/dataset.js';
import { writeSpectra } from '../../src/data/formats/index.js';
import { splitRows } from '../../src/data/split.js';
import { writeModelDir } from '../../src/export/model-dir.js';
import { runCompare } from '../../src/pipeline/compare.js';
import { UserError } from '../../src/util/errors.js';
import { linearModel } from '../export/linear-model.js';

/** `compare` takes the split from the model it scores: the fractions and seed of the model's training config. */
const dir = mkdtempSync(join(tmpdir(), 'xlatent-compare-split-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lm = linearModel();
const n = 120;
const s = lm.sample(n);
const ds: SpectralDataset = {
  energies: lm.energies,
  spectra: s.x,
  n,
  m: lm.m,
  ids: Array.from({ length: n }, (_, i) => `s${i}`),
  descriptorNames: ['CN', 'OS'],
  descriptors: Float64Array.from({ length: n * 2 }, (_, j) => (j % 2 === 0 ? s.cn[j >> 1] : s.os[j >> 1])),
};
const modelSplit = { train: 0.6, validation: 0.1, test: 0.3 };
const ready = (async () => {
  writeSpectra(ds, join(dir, 'spectra.csv'));
  await writeModelDir(join(dir, 'model'), {
    encoder: lm.encoder,
    decoder: lm.decoder,
    metadata: {
      ...lm.metadata,
      training: { config: { seed: 11, data: { file: join(dir, 'spectra.csv'), split: modelSplit } } },
      metrics: { splitSizes: { train: 72, validation: 12, test: 36 } },
    },
  });
})();

describe('compare with a model', () => {
  it("scores every method on the model's own test rows without the user repeating seed and fractions", async () => {
    await ready;
    const cfg = CompareConfigSchema.parse({ data: { file: 'spectra.csv' }, methods: ['pca'], model: 'model' });
    const entries = await runCompare(cfg, join(dir, 'cmp'), dir, () => {});
    const expected = splitRows(n, modelSplit, 11);
    expect(entries.map((e) => e.method)).toEqual(['pca', 'rankaae']);
    for (const e of entries) expect(e.test.n).toBe(expected.test.length);
    const saved = JSON.parse(readFileSync(join(dir, 'cmp', 'metrics.json'), 'utf8'));
    expect(saved.split).toMatchObject({ fractions: modelSplit, seed: 11, test: expected.test.length });
    expect(saved.split.from).toMatch(/model/);
    // The same split given explicitly is fine; a different one is an error naming the field.
    const same = CompareConfigSchema.parse({ data: { file: 'spectra.csv', split: modelSplit }, methods: ['pca'], model: 'model' });
    await expect(runCompare(same, join(dir, 'cmp2'), dir, () => {})).resolves.toHaveLength(2);
    const other = CompareConfigSchema.parse({ data: { file: 'spectra.csv', split: { train: 0.7, validation: 0.15, test: 0.15 } }, methods: ['pca'], model: 'model' });
    await expect(runCompare(other, join(dir, 'cmp3'), dir, () => {})).rejects.toThrow(/differs from the model's/);
  });

  it('refuses data with another number of spectra than the model was trained on', async () => {
    await ready;
    writeSpectra({ ...ds, n: 100, spectra: ds.spectra.subarray(0, 100 * lm.m), ids: ds.ids.slice(0, 100), descriptors: ds.descriptors.subarray(0, 200) }, join(dir, 'fewer.csv'));
    const cfg = CompareConfigSchema.parse({ data: { file: 'fewer.csv' }, methods: ['pca'], model: 'model' });
    const err = await runCompare(cfg, join(dir, 'cmp4'), dir, () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(String(err.message)).toMatch(/100 spectra but the model was trained on 120/);
  });
});
