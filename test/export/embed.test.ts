import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { writeModelDir, readModelDir } from '../../src/export/model-dir.js';
import { embedSpectra } from '../../src/export/embed.js';
import embedCommand from '../../src/cli/embed.js';
import { UserError } from '../../src/util/errors.js';
import type { RawSpectrum } from '../../src/data/dataset.js';
import { linearModel } from './linear-model.js';

const root = mkdtempSync(join(tmpdir(), 'xlatent-embed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lm = linearModel();
const modelDir = join(root, 'model');
const ready = writeModelDir(modelDir, { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });

function records(x: Float32Array, n: number, energies: Float64Array, labels?: { cn: Float64Array }): RawSpectrum[] {
  const m = energies.length;
  return Array.from({ length: n }, (_, r) => ({
    id: `s${r}`,
    energy: Float64Array.from(energies),
    mu: Float64Array.from(x.subarray(r * m, (r + 1) * m)),
    labels: (labels ? { CN: labels.cn[r] } : {}) as Record<string, number>,
    source: 'test',
  }));
}

describe('embedding new spectra', () => {
  it('recovers the latents, calibrated descriptors and a ~1% OOD rate for in-distribution spectra', async () => {
    await ready;
    const model = await readModelDir(modelDir);
    const s = lm.sample(400);
    const r = embedSpectra(model, records(s.x, 400, lm.energies, s));
    expect(r.n).toBe(400);
    let maxErr = 0;
    for (let i = 0; i < 400 * lm.k; i++) maxErr = Math.max(maxErr, Math.abs(r.latent[i] - s.z[i]));
    expect(maxErr).toBeLessThan(0.05); // noise 0.01 per point, projected
    let cnRight = 0;
    let osErr = 0;
    for (let i = 0; i < 400; i++) {
      // estimates interpolate between levels; the nearest level is the class
      if (Math.round(r.predicted.CN[i]) === s.cn[i]) cnRight++;
      osErr = Math.max(osErr, Math.abs(r.predicted.OS[i] - s.os[i]));
    }
    expect(cnRight).toBeGreaterThan(380);
    const inside = Array.from({ length: 400 }, (_, i) => i).filter((i) => Math.abs(s.z[i * lm.k + 1]) < 2);
    expect(Math.max(...inside.map((i) => Math.abs(r.predicted.OS[i] - s.os[i])))).toBeLessThan(0.1);
    expect(osErr).toBeGreaterThan(0); // (estimates, not copies)
    const flagged = r.oodFlag.reduce((a, b) => a + b, 0);
    expect(flagged).toBeLessThanOrEqual(16);
    expect(Array.from(r.labels.CN)).toEqual(Array.from(s.cn));
    expect(r.extrapolated.every((v) => v === 0)).toBe(true);
  });

  it('flags spectra off the learned manifold', async () => {
    await ready;
    const model = await readModelDir(modelDir);
    const s = lm.sample(5);
    // Add a sharp feature no training spectrum has (a narrow peak at the grid's end).
    for (let r = 0; r < 5; r++) for (let i = lm.m - 4; i < lm.m; i++) s.x[r * lm.m + i] += 1;
    const r = embedSpectra(model, records(s.x, 5, lm.energies));
    expect(Array.from(r.oodFlag)).toEqual([1, 1, 1, 1, 1]);
    expect(Math.min(...r.oodPercentile)).toBe(100);
    expect(r.warnings.join('\n')).toMatch(/5 of 5 spectra reconstruct worse/);
  });

  it('resamples spectra measured on other grids, and warns and extends flat where they stop short', async () => {
    await ready;
    const model = await readModelDir(modelDir);
    const s = lm.sample(2, 0);
    // Spectrum 0 on a finer grid covering the model range; spectrum 1 missing the last 5 eV.
    const fine = Float64Array.from({ length: 4 * lm.m + 8 }, (_, i) => 7099 + i * 0.125);
    const interp = (row: number, e: Float64Array) =>
      Float64Array.from(e, (v) => {
        const t = Math.min(Math.max((v - 7100) / 0.5, 0), lm.m - 1);
        const j = Math.min(Math.floor(t), lm.m - 2);
        return s.x[row * lm.m + j] * (1 + j - t) + s.x[row * lm.m + j + 1] * (t - j);
      });
    const short = lm.energies.filter((e) => e <= lm.energies[lm.m - 1] - 5);
    const input: RawSpectrum[] = [
      { id: 'fine', energy: fine, mu: interp(0, fine), labels: {}, source: 'fine.json' },
      { id: 'short', energy: Float64Array.from(short), mu: interp(1, Float64Array.from(short)), labels: {}, source: 'short.json' },
    ];
    const r = embedSpectra(model, input);
    expect(Array.from(r.extrapolated)).toEqual([0, 1]);
    expect(r.warnings.some((w) => w.includes('"short"') && w.includes('10 above'))).toBe(true);
    for (let a = 0; a < lm.k; a++) expect(r.latent[a]).toBeCloseTo(s.z[a], 4);
  });

  it('`xlatent embed` writes csv, json and arrow tables atomically, with warnings on stderr and in JSON', async () => {
    await ready;
    const s = lm.sample(6);
    const recs = records(s.x, 6, lm.energies, s).map((r) => ({ id: r.id, energy: Array.from(r.energy), mu: Array.from(r.mu), descriptors: r.labels }));
    recs[5].energy = recs[5].energy.slice(0, 50);
    recs[5].mu = recs[5].mu.slice(0, 50);
    const dataPath = join(root, 'exp.json');
    writeFileSync(dataPath, JSON.stringify(recs));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let errText = '';
    try {
      for (const out of ['e.csv', 'e.json', 'e.arrow']) {
        await (embedCommand.handler as (a: unknown) => Promise<void>)({ model: modelDir, data: dataPath, out: join(root, out), 'input-format': 'auto', 'batch-size': 4 });
      }
      errText = stderr.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
    expect(errText).toMatch(/warning: spectrum "s5" covers 7100\.\.7124\.5/);
    const csv = readFileSync(join(root, 'e.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,z0,z1,z2,pred_CN,pred_OS,label_CN,recon_mse,ood_percentile,ood_flag,extrapolated');
    expect(csv).toHaveLength(7);
    expect(csv[6].split(',').at(-1)).toBe('1');
    const json = JSON.parse(readFileSync(join(root, 'e.json'), 'utf8'));
    expect(json.rows).toHaveLength(6);
    expect(json.warnings.some((w: string) => w.includes('"s5"'))).toBe(true);
    expect(json.rows[0].z0).toBeCloseTo(Number(csv[1].split(',')[1]), 6);
    const table = tableFromIPC(readFileSync(join(root, 'e.arrow')));
    expect(table.numRows).toBe(6);
    expect(table.getChild('id')!.get(2)).toBe('s2');
    expect(table.getChild('pred_CN')!.get(0)).toBe(json.rows[0].pred_CN);
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('`xlatent embed` refuses a tampered model with a UserError naming the file, and writes nothing', async () => {
    await ready;
    const bad = join(root, 'bad-model');
    await writeModelDir(bad, { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });
    const w = join(bad, 'encoder', 'weights.bin');
    const b = readFileSync(w);
    b[3] ^= 1;
    writeFileSync(w, b);
    writeFileSync(join(root, 'one.json'), JSON.stringify([{ id: 'a', energy: Array.from(lm.energies), mu: Array.from(lm.energies, () => 0.1) }]));
    const run = (embedCommand.handler as (a: unknown) => Promise<void>)({ model: bad, data: join(root, 'one.json'), out: join(root, 'x.csv'), 'input-format': 'auto', 'batch-size': 8 });
    await expect(run).rejects.toThrow(`${w}: SHA-256 checksum mismatch`);
    await expect(run).rejects.toBeInstanceOf(UserError);
    expect(existsSync(join(root, 'x.csv'))).toBe(false);
  });
});
