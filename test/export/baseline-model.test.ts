import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaselineConfigSchema } from '../../src/config/baseline.js';
import { selectRows } from '../../src/data/dataset.js';
import { writeSpectra } from '../../src/data/formats/index.js';
import { synthesizeXrd } from '../../src/data/synth-xrd.js';
import { embedSpectra } from '../../src/export/embed.js';
import { requireDecoder } from '../../src/export/latent-model.js';
import { loadModel } from '../../src/export/load-model.js';
import { writeModelDir } from '../../src/export/model-dir.js';
import { runBaseline } from '../../src/pipeline/baseline.js';
import { evaluateModel } from '../../src/pipeline/evaluate.js';
import { UserError } from '../../src/util/errors.js';
import { linearModel } from './linear-model.js';

/** Baseline model directories: written by runBaseline, loaded by the one model loader, used like RankAAE models. */
const dir = mkdtempSync(join(tmpdir(), 'xlatent-baseline-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const family = synthesizeXrd({ count: 160, points: 120, seed: 4 });
const fresh = synthesizeXrd({ count: 12, points: 120, seed: 9, impurity: 0.5 });
const methods = { pca: {}, mds: { method: 'landmark', landmarks: 60 }, tsne: { perplexity: 15, maxIter: 300 }, umap: { nNeighbors: 10 } } as const;

beforeAll(async () => {
  writeSpectra(family, join(dir, 'family.arrow'));
  for (const [method, params] of Object.entries(methods)) {
    await runBaseline(BaselineConfigSchema.parse({ method, data: { file: 'family.arrow' }, params, components: 2 }), join(dir, method), dir);
  }
});

describe('baseline model directories', () => {
  it('load through loadModel for every method; transforming one spectrum at a time equals all at once', async () => {
    for (const method of Object.keys(methods)) {
      const model = await loadModel(join(dir, method));
      expect(model.method).toBe(method);
      expect(model.d).toBe(2);
      expect(model.metadata.kind).toBe('reducer');
      const all = embedSpectra(model, fresh, 4096);
      const one = embedSpectra(model, fresh, 1);
      expect(Array.from(one.latent)).toEqual(Array.from(all.latent));
      for (let i = 0; i < fresh.n; i++) {
        const alone = embedSpectra(model, selectRows(fresh, [i]));
        expect(Array.from(alone.latent), `${method} row ${i}`).toEqual(Array.from(all.latent.subarray(2 * i, 2 * i + 2)));
        expect(alone.oodPercentile[0]).toBe(all.oodPercentile[i]);
      }
    }
  });

  it('keeps large batches equal to single spectra too (PCA and the PCA inside UMAP take no float32 shortcut for new spectra)', async () => {
    const many = synthesizeXrd({ count: 600, points: 120, seed: 13 });
    for (const method of ['pca', 'umap']) {
      const model = await loadModel(join(dir, method));
      const all = model.encode(many.spectra, many.n);
      for (const i of [0, 137, 599]) expect(Array.from(model.encode(many.spectra.slice(i * 120, (i + 1) * 120), 1)), `${method} row ${i}`).toEqual(Array.from(all.subarray(2 * i, 2 * i + 2)));
    }
  });

  it('PCA decodes exactly (inverse of its transform on its own span); the others say why they cannot', async () => {
    const pca = await loadModel(join(dir, 'pca'));
    const z = Float32Array.from([0.3, -0.2, -1.1, 0.7]);
    const x = pca.decode!(z, 2);
    const back = pca.encode(x, 2);
    for (let i = 0; i < 4; i++) expect(back[i]).toBeCloseTo(z[i], 5);
    // The linear networks computing the same maps (for pages and export).
    expect(pca.networks?.decoder.outputs).toBe(120);
    for (const method of ['mds', 'tsne', 'umap']) {
      const model = await loadModel(join(dir, method));
      expect(model.decode).toBeNull();
      expect(() => requireDecoder(model, 'interpolation')).toThrow(UserError);
      expect(() => requireDecoder(model, 'interpolation')).toThrow(new RegExp(`interpolation needs a decoder.*${method.toUpperCase()}`));
    }
  });

  it('scores spectra unlike the training set as out of distribution (kNN distance percentile)', async () => {
    const model = await loadModel(join(dir, 'umap'));
    const r = embedSpectra(model, fresh);
    expect(r.oodMetric).toBe('knn-distance');
    const impure = fresh.ids.map((id, i) => (id.endsWith('_impure') ? i : -1)).filter((i) => i >= 0);
    const clean = fresh.ids.map((id, i) => (id.endsWith('_impure') ? -1 : i)).filter((i) => i >= 0);
    expect(impure.length).toBeGreaterThanOrEqual(3);
    expect(clean.length).toBeGreaterThanOrEqual(3);
    for (const i of impure) expect(r.oodFlag[i]).toBe(1);
    expect(Math.min(...impure.map((i) => r.oodDistance![i]))).toBeGreaterThan(1.5 * Math.max(...clean.map((i) => r.oodDistance![i])));
    // Spectra like the training ones (fresh draws, no impurity) are spread over the reference distribution.
    const more = embedSpectra(model, synthesizeXrd({ count: 200, points: 120, seed: 21 }));
    const mean = more.oodPercentile.reduce((s, v) => s + v, 0) / more.n;
    expect(mean).toBeGreaterThan(25);
    expect(mean).toBeLessThan(75);
    expect(more.oodFlag.reduce((s, v) => s + v, 0)).toBeLessThan(12);
  });

  it('evaluate scores a baseline on a file with the embedding metrics (PCA adds its reconstruction)', async () => {
    writeSpectra(fresh, join(dir, 'fresh.arrow'));
    const ev = await evaluateModel(join(dir, 'pca'), join(dir, 'fresh.arrow'));
    expect('embedding' in ev).toBe(true);
    if (!('embedding' in ev)) return;
    expect(ev.n).toBe(12);
    expect(Object.keys(ev.embedding.descriptors)).toEqual(['x', 'phase', 'defect']);
    expect(ev.reconstruction!.mse).toBeGreaterThan(0);
    const stored = await evaluateModel(join(dir, 'umap'));
    expect(stored.split).toMatch(/fitted on/);
  });

  it('a modified reducer.json fails its checksum; a RankAAE directory loads through the same path', async () => {
    const p = join(dir, 'pca', 'reducer.json');
    const original = readFileSync(p, 'utf8');
    writeFileSync(p, original.replace('"pca"', '"pcb"')); // same size: only the checksum can tell
    await expect(loadModel(join(dir, 'pca'))).rejects.toThrow(/checksum/);
    writeFileSync(p, original);
    const lm = linearModel();
    await writeModelDir(join(dir, 'ae'), { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });
    const ae = await loadModel(join(dir, 'ae'));
    expect(ae.method).toBe('rankaae');
    const s = lm.sample(50);
    const spectra = { ...selectRows(family, []), energies: lm.energies, spectra: s.x, n: 50, m: lm.m, ids: Array.from({ length: 50 }, (_, i) => `s${i}`), descriptorNames: [], descriptors: new Float64Array(0) };
    const a = embedSpectra(ae, spectra, 7);
    const b = embedSpectra(ae, spectra, 4096);
    expect(Array.from(a.latent)).toEqual(Array.from(b.latent));
    expect(a.oodMetric).toBe('reconstruction-mse');
  });
});
