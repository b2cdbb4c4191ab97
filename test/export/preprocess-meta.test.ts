import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawSpectrum } from '../../src/data/dataset.js';
import { fitPreprocess } from '../../src/data/preprocess/fit.js';
import { PreprocessSchema } from '../../src/data/preprocess/schema.js';
import { embedSpectra } from '../../src/export/embed.js';
import { canonicalJson } from '../../src/export/metadata.js';
import { metadataDigest } from '../../src/export/digest.js';
import { readModelDir, writeModelDir } from '../../src/export/model-dir.js';
import { linearModel } from './linear-model.js';

const root = mkdtempSync(join(tmpdir(), 'xlatent-premeta-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the preprocessing pipeline stored with a model', () => {
  it('is applied by embed: a measured shift stored with the model puts shifted spectra back where the model expects them', async () => {
    const lm = linearModel();
    const preprocess = await fitPreprocess(PreprocessSchema.parse({ calibrate: { measuredShift: -3 } }));
    const dir = join(root, 'shifted');
    await writeModelDir(dir, { encoder: lm.encoder, decoder: lm.decoder, metadata: { ...lm.metadata, preprocess } });
    const model = await readModelDir(dir);
    const s = lm.sample(50, 0);
    // measured 3 eV too high: each spectrum's energies + 3, and a wider range so the grid stays covered
    const measured: RawSpectrum[] = Array.from({ length: 50 }, (_, r) => ({
      id: `m${r}`,
      energy: Float64Array.from({ length: lm.m + 20 }, (_, i) => 7100 - 5 + 3 + 0.5 * i),
      mu: Float64Array.from({ length: lm.m + 20 }, (_, i) => (i >= 10 && i < lm.m + 10 ? s.x[r * lm.m + i - 10] : 0)),
      labels: {},
      source: 'test',
    }));
    const r = embedSpectra(model, measured);
    expect(r.shift).toEqual({ eV: -3, source: 'model (given)' });
    let err = 0;
    for (let i = 0; i < 50 * lm.k; i++) err = Math.max(err, Math.abs(r.latent[i] - s.z[i]));
    expect(err).toBeLessThan(1e-4);
    // treated as calculated, the same spectra keep their energies: the latents are off
    const c = embedSpectra(model, measured, 4096, { role: 'calculated' });
    expect(Math.max(...Array.from(c.latent, (v, i) => Math.abs(v - s.z[i])))).toBeGreaterThan(0.1);
  });

  it("still verifies a model written before a pipeline field existed (the checksum covers the file as written)", async () => {
    const lm = linearModel();
    const preprocess = await fitPreprocess(PreprocessSchema.parse({ xas: {} }));
    const dir = join(root, 'older');
    await writeModelDir(dir, { encoder: lm.encoder, decoder: lm.decoder, metadata: { ...lm.metadata, preprocess } });
    const path = join(dir, 'metadata.json');
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    // as an earlier writer would have left it: no e0Window, digest over what is in the file
    delete raw.preprocess.xas.e0Window;
    delete raw.metadataSha256;
    writeFileSync(path, JSON.stringify({ ...raw, metadataSha256: metadataDigest(raw) }));
    const model = await readModelDir(dir);
    expect(model.metadata.preprocess!.xas!.e0Window).toBeNull();
    // a real edit is still caught
    const edited = JSON.parse(readFileSync(path, 'utf8'));
    edited.preprocess.shift.measured = 5;
    writeFileSync(path, canonicalJson(edited));
    await expect(readModelDir(dir)).rejects.toThrow(/does not match|do not match/);
  });
});
