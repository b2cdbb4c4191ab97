import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSpectra, writeSpectra } from '../../src/data/formats/index.js';
import { runNetwork } from '../../src/model/infer.js';
import { embedSpectra } from '../../src/export/embed.js';
import { readModelDir, writeModelDir } from '../../src/export/model-dir.js';
import { encodeAll, loadDataForModel, loadModelContext } from '../../src/analysis/model-context.js';
import { xlatent } from '../cli/helpers.js';
import { linearModel } from './linear-model.js';

/**
 * A model stored with a fitted `standardize` normalization (per-channel mean
 * and std far from 0 and 1) must see new spectra normalized with those
 * parameters on every path that feeds its encoder: embedSpectra (embed),
 * the analysis model context (sweep, relevance, interpolate, report, cluster)
 * and the commands themselves. The networks are linear with known latents,
 * so a forgotten normalization shows as wrong latents, not as a subtle drift.
 */
const lm = linearModel(60, 3, 5, { standardize: true });
const root = mkdtempSync(join(tmpdir(), 'xlatent-stored-norm-'));
const modelDir = join(root, 'model');
const dataFile = join(root, 'raw.csv');
const N = 40;
const s = lm.sample(N, 0.002);
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await writeModelDir(modelDir, { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });
  writeSpectra({ energies: lm.energies, spectra: s.x, n: N, m: lm.m, ids: Array.from({ length: N }, (_, i) => `s${i}`), descriptorNames: ['CN'], descriptors: s.cn, axis: 'energy' }, dataFile);
});

function maxLatentError(latent: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < N * lm.k; i++) worst = Math.max(worst, Math.abs(latent[i] - s.z[i]));
  return worst;
}

describe('the stored normalization is applied to new spectra', () => {
  it('the raw spectra, encoded as they are, would miss the latents by far (the test can tell)', () => {
    expect(maxLatentError(runNetwork(lm.encoder, s.x, N))).toBeGreaterThan(1);
  });

  it('embedSpectra: latents, descriptor estimates and reconstruction error as for standardized input', async () => {
    const r = embedSpectra(await readModelDir(modelDir), await readSpectra(dataFile));
    expect(maxLatentError(r.latent)).toBeLessThan(0.02);
    for (let i = 0; i < N; i++) expect(r.reconstructionMse[i]).toBeLessThan(1e-4);
    expect(r.oodFlag.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
  });

  it('the analysis model context: normalized encoder input, raw display units, decoded spectra back in raw units', async () => {
    const ctx = await loadModelContext(modelDir);
    const data = await loadDataForModel(dataFile, ctx);
    for (let t = 0; t < N * lm.m; t++) {
      expect(data.input[t]).toBeCloseTo((s.x[t] - lm.mean[t % lm.m]) / lm.std[t % lm.m], 4);
      expect(data.dataset.spectra[t]).toBeCloseTo(s.x[t], 4);
    }
    const z = encodeAll(ctx, data);
    expect(maxLatentError(z)).toBeLessThan(0.02);
    const shown = ctx.toDisplay(ctx.decode!(z, N), N);
    let worst = 0;
    for (let t = 0; t < N * lm.m; t++) worst = Math.max(worst, Math.abs(shown[t] - s.x[t]));
    expect(worst).toBeLessThan(0.02);
  });

  it('through the binary: embed writes the true latents; interpolate starts and ends at the measured spectra', () => {
    const out = join(root, 'latent.csv');
    const e = xlatent(['embed', '--model', modelDir, '--data', dataFile, '--out', out]);
    expect(e.code, e.stderr).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').slice(1, 1 + lm.k).map(Number));
    expect(maxLatentError(rows.flat())).toBeLessThan(0.02);

    const i = xlatent(['interpolate', '--model', modelDir, '--data', dataFile, '--from', 's0', '--to', 's1', '--steps', '3', '--out', join(root, 'interp')]);
    expect(i.code, i.stderr).toBe(0);
    const j = JSON.parse(readFileSync(join(root, 'interp', 'interpolation.json'), 'utf8'));
    for (let a = 0; a < lm.k; a++) {
      expect(j.zFrom[a]).toBeCloseTo(s.z[a], 1);
      expect(j.zTo[a]).toBeCloseTo(s.z[lm.k + a], 1);
    }
    // Decoded spectra are shown in measured units (standardize is inverted).
    const first: number[] = j.spectra[0];
    for (let t = 0; t < lm.m; t++) expect(Math.abs(first[t] - s.x[t])).toBeLessThan(0.02);
  });
});
