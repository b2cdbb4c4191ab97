import { mkdirSync, mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { synthesizeXanes } from '../../src/data/synth.js';
import { writeSpectra } from '../../src/data/formats/index.js';
import { BaselineConfigSchema, CompareConfigSchema } from '../../src/config/baseline.js';
import { buildReducer, prepareBaselineData, runBaseline } from '../../src/pipeline/baseline.js';
import { runCompare } from '../../src/pipeline/compare.js';
import { loadReducer } from '../../src/reducers/registry.js';
import { UserError } from '../../src/util/errors.js';
import { selectRows } from '../../src/data/dataset.js';
import { splitRows } from '../../src/data/split.js';
import { embeddingMetrics } from '../../src/metrics/embedding-metrics.js';
import { xlatent } from '../cli/helpers.js';
import { loadModel } from '../../src/export/load-model.js';

const dir = mkdtempSync(join(tmpdir(), 'xlatent-baseline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ds = synthesizeXanes({ count: 160, points: 64, seed: 4 });
writeSpectra(ds, join(dir, 'spectra.csv'));

describe('baseline and compare commands', () => {
  it('baseline writes embedding.csv in input order, metrics, params and a reloadable reducer', async () => {
    const cfg = BaselineConfigSchema.parse({ method: 'pca', data: { file: 'spectra.csv' }, components: 3 });
    const { metrics } = await runBaseline(cfg, join(dir, 'pca'), dir);
    const csv = readFileSync(join(dir, 'pca', 'embedding.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('c0,c1,c2');
    expect(csv).toHaveLength(ds.n + 1);
    const saved = JSON.parse(readFileSync(join(dir, 'pca', 'metrics.json'), 'utf8'));
    expect(saved.fit.explainedVarianceRatio).toHaveLength(3);
    expect(saved.neighborhood.trustworthiness).toBeCloseTo(metrics.neighborhood.trustworthiness, 12);
    expect(saved.scoreSeconds).toBeGreaterThanOrEqual(0);
    expect(Object.keys(saved.descriptors)).toEqual(ds.descriptorNames);
    // The saved reducer reproduces the CSV rows.
    const reducer = loadReducer(JSON.parse(readFileSync(join(dir, 'pca', 'reducer.json'), 'utf8')));
    const again = reducer.transform(ds.spectra.subarray(0, ds.m * 2), 2);
    expect(csv[2].split(',').map(Number)[1]).toBeCloseTo(again[4], 5);
    expect(existsSync(join(dir, 'pca', `scatter-${ds.descriptorNames[0]}.png`))).toBe(true);
    const params = JSON.parse(readFileSync(join(dir, 'pca', 'params.json'), 'utf8'));
    expect(params.params.nComponents).toBe(3);
  });

  it('baseline --no-score writes the embedding and the reducer, and metrics.json says it was not scored', async () => {
    const out = join(dir, 'umap-noscore');
    const r = xlatent(['baseline', '--method', 'umap', '--data', join(dir, 'spectra.csv'), '--out', out, '--no-score', '--param', 'nEpochs=20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/umap: not scored/);
    const saved = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(saved.scored).toBe(false);
    expect(saved.neighborhood).toBeUndefined();
    expect(saved.fit.nEpochs).toBe(20);
    expect(readFileSync(join(out, 'embedding.csv'), 'utf8').trim().split('\n')).toHaveLength(ds.n + 1);
    expect(JSON.parse(readFileSync(join(out, 'params.json'), 'utf8')).score).toBe(false);
    expect(existsSync(join(out, 'reducer.json'))).toBe(true);
    // Still a model directory the model commands load.
    const model = await loadModel(out);
    expect(model.d).toBe(2);
  });

  it('baseline rejects impossible parameters with a UserError before fitting', async () => {
    const cfg = BaselineConfigSchema.parse({ method: 'tsne', data: { file: 'spectra.csv' }, params: { perplexity: 500 } });
    await expect(runBaseline(cfg, join(dir, 'bad'), dir)).rejects.toThrow(UserError);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    const cfg2 = BaselineConfigSchema.parse({ method: 'umap', data: { file: 'spectra.csv' }, params: { neighbours: 5 } });
    await expect(runBaseline(cfg2, join(dir, 'bad'), dir)).rejects.toThrow(/unknown parameter "neighbours"/);
  });

  it('compare scores every method on the test split and writes a Markdown table', async () => {
    const cfg = CompareConfigSchema.parse({
      data: { file: 'spectra.csv', split: { train: 0.7, validation: 0, test: 0.3 } },
      methods: ['pca', { method: 'mds', params: { method: 'landmark', landmarks: 40 } }],
    });
    const entries = await runCompare(cfg, join(dir, 'cmp'), dir, () => {});
    expect(entries.map((e) => e.method)).toEqual(['pca', 'mds']);
    expect(entries[0].test.n).toBe(48);
    const md = readFileSync(join(dir, 'cmp', 'comparison.md'), 'utf8');
    expect(md.split('\n')[0]).toMatch(/^\| Method \| dims \|/);
    expect(md).toMatch(/\| pca \| 2 \|/);
    expect(readFileSync(join(dir, 'cmp', 'embeddings', 'mds-test.csv'), 'utf8').trim().split('\n')).toHaveLength(49);
    // The same table as JSON, for `xlatent report --compare`.
    const table = JSON.parse(readFileSync(join(dir, 'cmp', 'baselines.json'), 'utf8'));
    expect(table.columns.slice(0, 2)).toEqual(['Method', 'dims']);
    expect(table.rows.map((r: string[]) => r[0])).toEqual(['pca', 'mds']);
    expect(table.test).toBe(48);
  });

  it('compare reads the spectra once (one warning) and standardizes with the training rows only', async () => {
    // A folder of spectra whose label table has a text column: the reader warns about it.
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    const n = 40;
    const names = ['OS', 'CN'];
    for (let i = 0; i < n; i++) {
      const lines = ['# energy mu'];
      for (let j = 0; j < ds.m; j++) lines.push(`${ds.energies[j]} ${ds.spectra[i * ds.m + j]}`);
      writeFileSync(join(folder, `s${String(i).padStart(2, '0')}.dat`), lines.join('\n') + '\n');
    }
    const k = ds.descriptorNames.length;
    const table = ['file,OS,CN,note', ...Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')},${ds.descriptors[i * k]},${ds.descriptors[i * k + 1]},x${i}`)];
    writeFileSync(join(folder, 'labels.csv'), table.join('\n') + '\n');
    const cfg = CompareConfigSchema.parse({
      data: { file: 'folder', descriptors: names, normalization: 'standardize', split: { train: 0.6, validation: 0.1, test: 0.3 } },
      methods: ['pca'],
      seed: 3,
    });
    const written: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    let entries;
    let prep;
    const split = splitRows(n, cfg.data.split!, cfg.seed!);
    try {
      entries = await runCompare(cfg, join(dir, 'cmp-folder'), dir, () => {});
      written.push('-- end of compare --');
      prep = await prepareBaselineData(cfg.data, dir, split.train);
    } finally {
      err.mockRestore();
    }
    const warnings = written.slice(0, written.indexOf('-- end of compare --')).filter((w) => w.includes('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not numeric, left out: note/);
    // The scores of spectra standardized with the training rows' statistics, computed step by step.
    const X = { ...prep!.ds, spectra: prep!.X };
    const tr = selectRows(X, split.train);
    const te = selectRows(X, split.test);
    const pca = buildReducer('pca', {}, 2, cfg.seed!, 'params');
    pca.fitTransform(tr.spectra, tr.n, tr.m);
    const Zte = pca.transform(te.spectra, te.n);
    const ev = { ...cfg.evaluation, seed: cfg.seed };
    expect(entries![0].test).toStrictEqual(embeddingMetrics(te.spectra, te.n, te.m, Zte, 2, te.descriptors, prep!.names, prep!.discrete, ev));
  });
});

