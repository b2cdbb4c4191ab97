import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir, writeModelDir, type ModelBundle } from '../../src/export/model-dir.js';
import { embedChunks, embedSpectra } from '../../src/export/embed.js';
import { EmbeddingWriter } from '../../src/export/embed-output.js';
import { streamSpectra, writeSpectra } from '../../src/data/formats/index.js';
import type { SpectralDataset } from '../../src/data/dataset.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { tempDir, xlatent } from '../cli/helpers.js';
import { linearModel } from '../export/linear-model.js';

/** `embed` reads, embeds and writes a chunk at a time; the result is the same as in one piece. */
const dir = tempDir('xlatent-stream-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lm = linearModel(40, 3);
let model: ModelBundle;
let data: SpectralDataset;
const csv = join(dir, 'in.csv');
beforeAll(async () => {
  await writeModelDir(join(dir, 'model'), { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });
  model = await readModelDir(join(dir, 'model'));
  const s = lm.sample(500);
  const ids = Array.from({ length: 500 }, (_, i) => (i === 0 ? '=HYPERLINK("x")' : i === 1 ? '-0.5' : `s${i}`));
  data = { energies: lm.energies, spectra: s.x, n: 500, m: lm.m, ids, descriptorNames: ['CN'], descriptors: s.cn, axis: 'energy' };
  writeSpectra(data, csv);
});

describe('streamed embedding', () => {
  it('embedChunks over 64-row chunks gives exactly what embedSpectra gives in one piece, and the same warnings', async () => {
    const whole = embedSpectra(model, data);
    const parts: number[][] = [];
    const ids: string[] = [];
    const totals = await embedChunks(model, streamSpectra(csv, 'auto', {}, 64), (r) => {
      parts.push(Array.from(r.latent));
      ids.push(...r.ids);
    });
    expect(parts.length).toBe(8);
    expect(totals.n).toBe(500);
    expect(ids).toEqual(whole.ids);
    expect(parts.flat()).toEqual(Array.from(whole.latent));
    expect(totals.flagged).toBe(whole.oodFlag.reduce((a, b) => a + b, 0));
    expect(totals.warnings).toEqual(whole.warnings);
  });

  it('the chunked writer gives one CSV, JSON or Arrow table, ids escaped for spreadsheets in CSV', async () => {
    const whole = embedSpectra(model, data);
    for (const format of ['csv', 'json', 'arrow'] as const) {
      const path = join(dir, `emb.${format}`);
      const w = new EmbeddingWriter(path, format, { model: 'm' }, ['CN']);
      const totals = await embedChunks(model, streamSpectra(csv, 'auto', {}, 100), (r) => w.write(r));
      w.commit(totals.warnings);
      if (format === 'csv') {
        const lines = readFileSync(path, 'utf8').trim().split('\n');
        expect(lines.length).toBe(501);
        expect(lines[0]).toBe('id,z0,z1,z2,pred_CN,pred_OS,label_CN,recon_mse,ood_percentile,ood_flag,extrapolated');
        expect(lines[1].startsWith(`"'=HYPERLINK(""x"")",`)).toBe(true);
        expect(lines[2].startsWith('-0.5,')).toBe(true);
        expect(Number(lines[500].split(',')[1])).toBeCloseTo(whole.latent[499 * 3], 5);
      } else if (format === 'json') {
        const j = JSON.parse(readFileSync(path, 'utf8'));
        expect(j.model).toBe('m');
        expect(j.rows.length).toBe(500);
        expect(j.rows[0].id).toBe('=HYPERLINK("x")');
        expect(j.rows[499].z2).toBeCloseTo(whole.latent[499 * 3 + 2], 5);
        expect(j.warnings).toEqual(totals.warnings);
      } else {
        const t = tableFromIPC(readFileSync(path));
        expect(t.numRows).toBe(500);
        expect(t.getChild('z1')!.get(123)).toBeCloseTo(whole.latent[123 * 3 + 1], 5);
      }
    }
  });

  it('data inspect --plot samples rows evenly from a file read in chunks and says how many there were', () => {
    const ds = synthesizeXanes({ count: 20_000, points: 16, seed: 9 });
    const big = join(dir, 'big.csv');
    writeSpectra(ds, big);
    const svg = join(dir, 'overlay.svg');
    const r = xlatent(['data', 'inspect', big, '--plot', svg, '--plot-count', '12']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/big\.csv: 20000 spectra x 16 points/);
    expect(readFileSync(svg, 'utf8')).toContain('12 of 20000 spectra');
  });
});
