import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSpectra } from '../../src/data/formats/index.js';
import { parseAbscissaArg } from '../../src/data/formats/npy.js';
import type { SpectralDataset } from '../../src/data/dataset.js';
import { tempDir, xlatent } from '../cli/helpers.js';

/** A version-1.0 .npy file of float64 rows, C order. */
function npyBytes(rows: number[][]): Buffer {
  const cols = rows[0].length;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows.length}, ${cols}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(rows.length * cols * 8);
  rows.flat().forEach((v, i) => data.writeDoubleLE(v, i * 8));
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}

/** XRD-like pattern: one Gaussian peak whose position follows `d` (a lattice-spacing stand-in). */
function pattern(q: number[], d: number): number[] {
  const q0 = (2 * Math.PI) / d;
  return q.map((x) => Math.exp(-0.5 * ((x - q0) / 0.15) ** 2) + 0.02);
}

describe('XRD patterns in', () => {
  it('reads a .npy matrix with the abscissa given, and refuses one without it', async () => {
    const dir = tempDir('xlatent-npy-');
    const rows = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ];
    const p = join(dir, 'patterns.npy');
    writeFileSync(p, npyBytes(rows));
    await expect(readSpectra(p)).rejects.toThrow(/abscissa/);
    const ds = (await readSpectra(p, 'auto', { abscissa: parseAbscissaArg('q:15:0.1') })) as SpectralDataset;
    expect(ds.n).toBe(2);
    expect(ds.axis).toBe('q');
    expect(Array.from(ds.energies)).toEqual(Array.from({ length: 4 }, (_, i) => 15 + i * 0.1));
    expect(Array.from(ds.spectra)).toEqual(rows.flat());
    expect(() => parseAbscissaArg('k:1:0.1')).toThrow(/kind/);
  });

  it('trains a model on a folder of .xy patterns with a label table', () => {
    const dir = tempDir('xlatent-xrd-');
    const folder = join(dir, 'patterns');
    mkdirSync(folder);
    const q = Array.from({ length: 64 }, (_, i) => 1.5 + i * 0.05);
    const lines = ['file,d'];
    for (let i = 0; i < 120; i++) {
      const d = 2 + (i % 40) * 0.025; // peak sweeps across the q range
      const y = pattern(q, d);
      writeFileSync(join(folder, `p${i}.xy`), q.map((x, j) => `${x.toFixed(3)} ${y[j].toFixed(6)}`).join('\n') + '\n');
      lines.push(`p${i}.xy,${d}`);
    }
    writeFileSync(join(folder, 'labels.csv'), lines.join('\n') + '\n');
    const cfg = join(dir, 'xrd.yaml');
    writeFileSync(
      cfg,
      `seed: 1
data: { file: ${folder}, format: folder, descriptors: [d] }
network: { nStyle: 2, hidden: 16, depth: 3, discriminator: { hidden: 16, depth: 2, dropout: 0.05, noise: 0.5 } }
losses: { adversarial: { priorSamples: 64 } }
training: { epochs: 4, batchSize: 32 }
backend: cpu
output: ${join(dir, 'run')}
`,
    );
    const r = xlatent(['train', '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const ev = JSON.parse(r.stdout);
    expect(Math.abs(ev.descriptors.d.spearman)).toBeGreaterThan(0.5);
  });
});
