import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSpectra, writeSpectra } from '../../src/data/formats/index.js';
import { writeModelDir } from '../../src/export/model-dir.js';
import { linearModel } from '../export/linear-model.js';
import { expectUserError, tempDir, xlatent, xlatentOk } from './helpers.js';

/**
 * Flags the README documents, each through the binary as a user runs it, on
 * a model whose answers are known in closed form (linear encoder and decoder,
 * see test/export/linear-model.ts) and on small generated files.
 */
const lm = linearModel(60, 3, 2);
let dir: string;
let model: string;
let spectra: string;
const N = 30;
const sample = lm.sample(N, 0.002);

beforeAll(async () => {
  dir = tempDir('xlatent-flags-');
  model = join(dir, 'model');
  await writeModelDir(model, { encoder: lm.encoder, decoder: lm.decoder, metadata: lm.metadata });
  spectra = join(dir, 'spectra.csv');
  writeSpectra(
    { energies: lm.energies, spectra: sample.x, n: N, m: lm.m, ids: Array.from({ length: N }, (_, i) => `s${i}`), descriptorNames: ['CN'], descriptors: sample.cn, axis: 'energy' },
    spectra,
  );
});

/** A version-1.0 .npy file of float64 rows, C order. */
function npyBytes(rows: number[][]): Buffer {
  const cols = rows[0].length;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows.length}, ${cols}), }`;
  header += ' '.repeat((64 - ((11 + header.length) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(rows.length * cols * 8);
  rows.flat().forEach((v, i) => data.writeDoubleLE(v, i * 8));
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}

describe('data synth --format and --noise', () => {
  it('--format names the format (it must agree with the extension); --noise sets the std of the white noise on the spectra', async () => {
    const base = ['data', 'synth', '--count', '40', '--points', '256', '--seed', '9'];
    xlatentOk([...base, '--noise', '0', '--format', 'arrow', '--out', join(dir, 'clean.arrow')]);
    xlatentOk([...base, '--noise', '0.05', '--format', 'json', '--out', join(dir, 'noisy.json')]);
    expect(tableFromIPC(readFileSync(join(dir, 'clean.arrow'))).numRows).toBe(40);
    expect(JSON.parse(readFileSync(join(dir, 'noisy.json'), 'utf8')).spectra).toHaveLength(40);
    const clash = xlatent([...base, '--format', 'arrow', '--out', join(dir, 'clash.csv')]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/--format arrow does not match the extension of --out .*clash\.csv/);
    expect(existsSync(join(dir, 'clash.csv'))).toBe(false);
    const clean = await readSpectra(join(dir, 'clean.arrow'));
    const noisy = await readSpectra(join(dir, 'noisy.json'));
    if (Array.isArray(clean) || Array.isArray(noisy)) throw new Error('expected datasets');
    // The noise is white: second differences of a smooth spectrum are noise only, with std sqrt(6) sigma
    // (a robust estimate from their median absolute value, so the edge itself does not count).
    const sigma = (ds: typeof clean) => {
      const d2: number[] = [];
      for (let r = 0; r < ds.n; r++)
        for (let j = 1; j + 1 < ds.m; j++) d2.push(Math.abs(ds.spectra[r * ds.m + j - 1] - 2 * ds.spectra[r * ds.m + j] + ds.spectra[r * ds.m + j + 1]));
      d2.sort((a, b) => a - b);
      return (1.4826 * d2[d2.length >> 1]) / Math.sqrt(6);
    };
    expect(sigma(noisy)).toBeGreaterThan(0.04);
    expect(sigma(noisy)).toBeLessThan(0.06);
    expect(sigma(clean)).toBeLessThan(0.01);
  });
});

describe('data convert --axis', () => {
  it('gives a .npy matrix its abscissa (kind:start:step) and writes it with the axis kind', async () => {
    const q = Array.from({ length: 50 }, (_, j) => 15 + 0.1 * j);
    writeFileSync(join(dir, 'patterns.npy'), npyBytes([0, 1, 2].map((r) => q.map((x) => Math.exp(-(((x - 16 - r) / 0.3) ** 2))))));
    const out = join(dir, 'patterns.arrow');
    xlatentOk(['data', 'convert', join(dir, 'patterns.npy'), out, '--axis', 'q:15:0.1']);
    const ds = await readSpectra(out);
    if (Array.isArray(ds)) throw new Error('expected a dataset');
    expect(ds.axis).toBe('q');
    expect(ds.n).toBe(3);
    expect(ds.energies[0]).toBeCloseTo(15, 9);
    expect(ds.energies[49]).toBeCloseTo(19.9, 9);
    // Each pattern's maximum sits where it was put: q = 16, 17, 18.
    for (let r = 0; r < 3; r++) {
      const row = Array.from(ds.spectra.subarray(r * 50, (r + 1) * 50));
      expect(ds.energies[row.indexOf(Math.max(...row))]).toBeCloseTo(16 + r, 6);
    }
    const bad = xlatent(['data', 'convert', join(dir, 'patterns.npy'), join(dir, 'x.arrow'), '--axis', 'momentum:15:0.1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--axis/);
  });
});

describe('embed --format, export --no-page, relevance --fill', () => {
  it('embed --format json and arrow hold the same rows as csv, with the known latents', () => {
    xlatentOk(['embed', '--model', model, '--data', spectra, '--out', join(dir, 'e.csv')]);
    xlatentOk(['embed', '--model', model, '--data', spectra, '--out', join(dir, 'e-json.out'), '--format', 'json']);
    xlatentOk(['embed', '--model', model, '--data', spectra, '--out', join(dir, 'e-arrow.out'), '--format', 'arrow']);
    const csv = readFileSync(join(dir, 'e.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const json = JSON.parse(readFileSync(join(dir, 'e-json.out'), 'utf8'));
    const arrow = tableFromIPC(readFileSync(join(dir, 'e-arrow.out')));
    expect(json.rows).toHaveLength(N);
    expect(arrow.numRows).toBe(N);
    for (let i = 0; i < N; i++) {
      expect(json.rows[i].id).toBe(`s${i}`);
      expect(arrow.getChild('id')!.get(i)).toBe(`s${i}`);
      for (let a = 0; a < 3; a++) {
        expect(json.rows[i][`z${a}`]).toBeCloseTo(sample.z[i * 3 + a], 1);
        expect(Number(csv[i][1 + a])).toBeCloseTo(json.rows[i][`z${a}`], 5);
        expect(arrow.getChild(`z${a}`)!.get(i)).toBeCloseTo(json.rows[i][`z${a}`], 5);
      }
    }
  });

  it('export --format tfjs --no-page writes the model without the explorer page', () => {
    xlatentOk(['export', '--model', model, '--format', 'tfjs', '--no-page', '--out', join(dir, 'bare')]);
    expect(readdirSync(join(dir, 'bare')).sort()).toEqual(['decoder', 'encoder', 'metadata.json']);
    xlatentOk(['export', '--model', model, '--format', 'tfjs', '--out', join(dir, 'site')]);
    expect(readdirSync(join(dir, 'site')).sort()).toEqual(['decoder', 'encoder', 'index.html', 'metadata.json', 'tf.min.js']);
  });

  it('relevance --fill mean and interpolate: both find each axis where its basis peak lies, with different shifts', () => {
    const run = (fill: string) => {
      xlatentOk(['relevance', '--model', model, '--data', spectra, '--fill', fill, '--window', '4', '--out', join(dir, `rel-${fill}`)]);
      return JSON.parse(readFileSync(join(dir, `rel-${fill}`, 'relevance.json'), 'utf8'));
    };
    const mean = run('mean');
    const line = run('interpolate');
    expect(mean.fill).toBe('mean');
    expect(line.fill).toBe('interpolate');
    // Axis a of the linear model reads a Gaussian of width 4 eV centred at 7100 + (a + 1) 29.5 / 4 eV.
    for (let a = 0; a < 3; a++) {
      const centre = 7100 + ((a + 1) * 29.5) / 4;
      expect(Math.abs(mean.axes[a].peakEnergy - centre)).toBeLessThan(4);
      expect(Math.abs(line.axes[a].peakEnergy - centre)).toBeLessThan(4);
    }
    expect(mean.axes[0].shift).not.toEqual(line.axes[0].shift);
    const bad = xlatent(['relevance', '--model', model, '--data', spectra, '--fill', 'zero', '--out', join(dir, 'rel-bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/fill.*Choices: "interpolate", "mean"/s);
    expect(existsSync(join(dir, 'rel-bad'))).toBe(false);
  });
});

describe('baseline flags', () => {
  it('--param, --target, --trust-k and --descriptors reach the reducer, the supervision and the metrics', () => {
    const synth = join(dir, 'synth.csv');
    xlatentOk(['data', 'synth', '--out', synth, '--count', '120', '--points', '48', '--seed', '4']);
    const out = join(dir, 'umap');
    xlatentOk(['baseline', '--method', 'umap', '--data', synth, '--out', out, '--param', 'nEpochs=60', '--param', 'minDist=0.4', '--neighbors', '8', '--target', 'CN', '--trust-k', '6', '--descriptors', 'CN', 'BL', '--seed', '3']);
    const params = JSON.parse(readFileSync(join(out, 'params.json'), 'utf8'));
    expect(params.params).toMatchObject({ nEpochs: 60, minDist: 0.4, nNeighbors: 8, seed: 3 });
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics.descriptors)).toEqual(['CN', 'BL']);
    expect(metrics.neighborhood.k).toBe(6);
    expect(metrics.fit.supervised).toBe(true);
    // Supervised by CN: the classes separate in the map.
    expect(metrics.descriptors.CN.knn.accuracy).toBeGreaterThan(0.95);
    const bad = xlatent(['baseline', '--method', 'pca', '--data', synth, '--out', join(dir, 'b'), '--param', 'components']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--param: expected key=value, found "components"/);
  });
});

describe('compare flags', () => {
  it('--out overrides the config\'s out; descriptors, split, seed, per-method params and target reach every method', () => {
    const synth = join(dir, 'cmp-synth.csv');
    xlatentOk(['data', 'synth', '--out', synth, '--count', '100', '--points', '48', '--seed', '6']);
    const cfg = join(dir, 'compare.yaml');
    writeFileSync(
      cfg,
      `data: { file: cmp-synth.csv, descriptors: [CN], split: { train: 0.6, validation: 0.2, test: 0.2 } }
seed: 5
methods:
  - pca
  - { method: umap, label: umap-cn, params: { nNeighbors: 6, nEpochs: 40 }, target: CN }
out: not-here
evaluation: { trustK: 4, folds: 3 }
`,
    );
    const out = join(dir, 'cmp-out');
    xlatentOk(['compare', '--config', cfg, '--out', out]);
    expect(existsSync(join(dir, 'not-here'))).toBe(false);
    const table = JSON.parse(readFileSync(join(out, 'baselines.json'), 'utf8'));
    expect(table.rows.map((r: string[]) => r[0])).toEqual(['pca', 'umap-cn']);
    expect(table.test).toBe(20);
    expect(table.columns).toEqual(['Method', 'dims', 'fit (s)', 'T(4)', 'C(4)', 'max axis |ρ|', 'CN kNN acc', 'CN best axis ρ', 'CN k-means ARI']);
    // 60 training rows and 20 test rows, one line each under a header.
    expect(readFileSync(join(out, 'embeddings', 'umap-cn-train.csv'), 'utf8').trim().split('\n')).toHaveLength(61);
    expect(readFileSync(join(out, 'embeddings', 'pca-test.csv'), 'utf8').trim().split('\n')).toHaveLength(21);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.split).toMatchObject({ seed: 5, train: 60, validation: 20, test: 20 });
    expect(metrics.methods.map((m: { fit: { supervised?: boolean } }) => m.fit.supervised)).toEqual([undefined, true]);
    expect(metrics.methods[1].fit.nEpochs).toBe(40);
    expect(Object.keys(metrics.methods[0].test.descriptors)).toEqual(['CN']);
    expect(metrics.methods[0].test.descriptors.CN.knn.perFold).toHaveLength(3);
    const bad = join(dir, 'compare-bad.yaml');
    writeFileSync(bad, 'data: { file: cmp-synth.csv }\nmethods: [pca, isomap]\n');
    expectUserError(xlatent(['compare', '--config', bad, '--out', join(dir, 'cmp-bad')]), /compare-bad\.yaml.*methods/);
    expect(existsSync(join(dir, 'cmp-bad'))).toBe(false);
  });
});

describe('every command: an expected failure is one line and exit 2 through the binary', () => {
  it('each command and data sub-command, and the parser itself', () => {
    const missing = join(dir, 'missing.csv');
    const cases: [string[], RegExp][] = [
      [['train', '--config', join(dir, 'missing.yaml')], /missing\.yaml: (config )?(file )?not found/],
      [['search', '--config', join(dir, 'missing.yaml')], /missing\.yaml: (config )?(file )?not found/],
      [['evaluate', '--model', join(dir, 'no-model')], /no-model/],
      [['data', 'inspect', missing], /missing\.csv: (file )?not found/],
      [['data', 'convert', missing, join(dir, 'out.arrow')], /missing\.csv: (file )?not found/],
      [['data', 'synth', '--out', join(dir, 'x.csv'), '--count', '0'], /count/],
      [['data', 'synth-xrd', '--out', join(dir, 'x.arrow'), '--phases', 'fcc', 'diamond'], /diamond/],
      [['sweep', '--model', model, '--axis', 'nope', '--out', join(dir, 'sw')], /nope/],
      [['relevance', '--model', model, '--data', missing, '--out', join(dir, 'rel')], /missing\.csv: (file )?not found/],
      [['interpolate', '--model', model, '--data', spectra, '--from', 'no-such-id', '--to', 's1', '--out', join(dir, 'ip')], /no-such-id/],
      [['cluster', '--model', model, '--data', spectra, '--k', '0', '--out', join(dir, 'cl')], /--k/],
      [['report', '--model', join(dir, 'no-model'), '--out', join(dir, 'r.html')], /no-model/],
      [['embed', '--model', model, '--data', missing, '--out', join(dir, 'x.csv')], /missing\.csv: (file )?not found/],
      [['baseline', '--method', 'pca', '--data', missing, '--out', join(dir, 'bl')], /missing\.csv: (file )?not found/],
      [['compare', '--config', join(dir, 'missing.yaml')], /missing\.yaml: (config )?(file )?not found/],
    ];
    // The parser's own errors: the error line, then where to find the usage.
    const parser: [string[], RegExp][] = [
      [['transmogrify'], /Unknown argument: transmogrify/],
      [['embed', '--model', model, '--data', spectra, '--out', join(dir, 'y.csv'), '--colour', 'red'], /Unknown argument: colour/],
      [['export', '--model', model, '--format', 'onnx'], /Missing required argument: out/],
      [['baseline', '--method', 'isomap', '--data', spectra, '--out', join(dir, 'bl2')], /Invalid values:\s+Argument: method, Given: "isomap"/],
    ];
    const before = new Set(readdirSync(dir));
    for (const [args, re] of cases) expectUserError(xlatent(args), re);
    for (const [args, re] of parser) {
      const r = xlatent(args);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^xlatent: error: /);
      expect(lines.join('\n')).toMatch(re);
      expect(lines[lines.length - 1]).toBe('Run with --help for usage.');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // Nothing was written by any of them.
    expect(readdirSync(dir).filter((f) => !before.has(f))).toEqual([]);
  });
});
