import { existsSync, mkdirSync, writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from './fixture.js';
import sweep, { sweepCsv } from '../../src/cli/sweep.js';
import relevance from '../../src/cli/relevance.js';
import interpolate from '../../src/cli/interpolate.js';
import report from '../../src/cli/report.js';
import { buildReport } from '../../src/report/report.js';
import { runNetwork } from '../../src/model/infer.js';
import { UserError } from '../../src/util/errors.js';

/** Runs one command module the way src/cli/main.ts does, rethrowing its error. */
async function run(cmd: CommandModule<any, any>, argv: string[]): Promise<void> {
  let failure: unknown;
  await yargs(argv)
    .command(cmd)
    .strict()
    .fail((msg, err) => {
      failure = err ?? new Error(msg);
    })
    .parseAsync();
  if (failure) throw failure;
}

let root: string;
let fx: Fixture;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'xl-cli-'));
  fx = await makeFixture(root, { count: 400 });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('xlatent sweep', () => {
  it('writes long-form CSV, Arrow, JSON and figures whose spectra are the decoder outputs', async () => {
    const out = join(root, 'sweep');
    await run(sweep, ['sweep', '--model', fx.modelDir, '--axis', 'CN', '--steps', '7', '--range', 'p10:p90', '--out', out, '--no-png']);
    const csv = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('axis,step,axis_value,energy,intensity,residual');
    const m = fx.data.m;
    expect(csv.length - 1).toBe(7 * m);
    const json = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(json.axes.length).toBe(1);
    expect(json.axes[0].axis).toBe(1);
    expect(json.rangeSource).toContain('spectra.arrow');
    const values: number[] = json.axes[0].values;
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    // step 3 spectrum equals the decoder applied to (0, v3, 0)
    const z = Float32Array.from([0, values[3], 0]);
    const expected = runNetwork(fx.decoder, z, 1);
    for (let j = 0; j < m; j += 11) expect(json.axes[0].spectra[3][j]).toBeCloseTo(expected[j], 5);
    const row = csv[1 + 3 * m + 5].split(',');
    expect(Number(row[4])).toBeCloseTo(expected[5], 5);
    const table = tableFromIPC(readFileSync(join(out, 'sweep.arrow')));
    expect(table.numRows).toBe(7 * m);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['axis', 'step', 'axis_value', 'energy', 'intensity', 'residual']);
    expect(existsSync(join(out, 'sweep_z1.svg'))).toBe(true);
    expect(existsSync(join(out, 'sweep_z1.png'))).toBe(false);
  });

  it('prior-mean mode runs and bad axes are user errors', async () => {
    const out = join(root, 'sweep2');
    await run(sweep, ['sweep', '--model', fx.modelDir, '--axis', '0', '--steps', '4', '--mode', 'prior-mean', '--samples', '8', '--out', out]);
    expect(existsSync(join(out, 'sweep_z0.png'))).toBe(true);
    await expect(run(sweep, ['sweep', '--model', fx.modelDir, '--axis', 'XYZ', '--out', out])).rejects.toThrow(UserError);
    await expect(run(sweep, ['sweep', '--model', fx.modelDir, '--axis', '7', '--out', out])).rejects.toThrow(/does not exist/);
    await expect(run(sweep, ['sweep', '--model', join(root, 'nope'), '--out', out])).rejects.toThrow(UserError);
  });
});

describe('xlatent relevance and interpolate', () => {
  it('relevance of the trained (PCA) model: the CN axis reads the white line, the OS axis the edge', async () => {
    const out = join(root, 'rel');
    await run(relevance, ['relevance', '--model', fx.modelDir, '--data', fx.dataPath, '--window', '3', '--out', out, '--no-png']);
    const json = JSON.parse(readFileSync(join(out, 'relevance.json'), 'utf8'));
    expect(json.axes.length).toBe(3);
    // synthetic data: E0 = 7120-7126 eV, white line at E0 + 5 eV
    expect(json.axes[0].peakEnergy).toBeGreaterThan(7116);
    expect(json.axes[0].peakEnergy).toBeLessThan(7132);
    expect(json.axes[1].peakEnergy).toBeGreaterThan(7122);
    expect(json.axes[1].peakEnergy).toBeLessThan(7134);
    // far in the post-edge, masking barely matters for the CN axis
    const centers: number[] = json.centers;
    const far = centers.findIndex((c) => c > 7170);
    const peak = Math.max(...json.axes[1].relativeShift);
    expect(json.axes[1].relativeShift[far]).toBeLessThan(0.1 * peak);
    expect(readFileSync(join(out, 'relevance.csv'), 'utf8').split('\n')[0]).toBe('axis,center_energy,start_energy,end_energy,shift,relative_shift');
  });

  it('interpolate decodes the path between two spectra named by id', async () => {
    const out = join(root, 'interp');
    const a = fx.data.ids[2];
    const b = fx.data.ids[9];
    await run(interpolate, ['interpolate', '--model', fx.modelDir, '--data', fx.dataPath, '--from', a, '--to', b, '--steps', '5', '--out', out, '--no-png']);
    const json = JSON.parse(readFileSync(join(out, 'interpolation.json'), 'utf8'));
    expect(json.from).toBe(a);
    const m = fx.data.m;
    const zA = runNetwork(fx.encoder, fx.data.spectra.slice(2 * m, 3 * m), 1);
    for (let j = 0; j < 3; j++) expect(json.zFrom[j]).toBeCloseTo(zA[j], 4);
    expect(json.latents[4][1]).toBeCloseTo(json.zTo[1], 5);
    await expect(run(interpolate, ['interpolate', '--model', fx.modelDir, '--data', fx.dataPath, '--from', 'missing-id', '--to', b, '--out', out])).rejects.toThrow(/no spectrum with id "missing-id"/);
  });
});

describe('xlatent report', () => {
  it('writes one offline HTML file with every section and PNG assets', async () => {
    const out = join(root, 'rep', 'report.html');
    await run(report, ['report', '--model', fx.modelDir, '--out', out, '--sweep-steps', '5', '--hover-points', '100']);
    const html = readFileSync(out, 'utf8');
    for (const id of ['overview', 'training', 'descriptors', 'classification', 'latents', 'sweeps', 'relevance', 'interpolation', 'explorer', 'config']) {
      expect(html).toContain(`<section id="${id}">`);
    }
    // offline: no external scripts, stylesheets or images
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/i);
    expect(html).toContain('Shapiro–Wilk W');
    expect(html).toMatch(/Spearman ρ = -?0\.\d+/);
    const payload = JSON.parse(html.match(/<script id="xl-data" type="application\/json">(.*?)<\/script>/s)![1]);
    expect(payload.axes.length).toBe(3);
    expect(payload.points.n).toBe(100);
    expect(payload.decoder.layers.map((l: { kind: string }) => l.kind)).toEqual(['dense', 'prelu', 'batchnorm', 'activation', 'dense']);
    const assets = join(root, 'rep', 'report_assets');
    expect(existsSync(join(assets, 'sweep_z0.png'))).toBe(true);
    expect(existsSync(join(assets, 'confusion_CN.png'))).toBe(true);
    expect(existsSync(join(assets, 'loss_reconstruction.png'))).toBe(true);
    expect(existsSync(join(assets, 'relevance.png'))).toBe(true);
    expect(existsSync(join(assets, 'interpolation.png'))).toBe(true);
  });

  it('adds the table of an `xlatent compare` folder as a Baselines section, and rejects a folder without one', async () => {
    const cmp = join(root, 'cmp');
    mkdirSync(cmp, { recursive: true });
    writeFileSync(join(cmp, 'baselines.json'), JSON.stringify({ test: 12, columns: ['Method', 'T(10)'], rows: [['pca', '0.950'], ['rankaae', '0.990']] }));
    const r = await buildReport({ modelDir: fx.modelDir, png: false, sweepSteps: 3, compareDir: cmp });
    expect(r.html).toContain('<section id="baselines">');
    expect(r.html).toContain('rankaae');
    await expect(buildReport({ modelDir: fx.modelDir, png: false, sweepSteps: 3, compareDir: join(root, 'nowhere') })).rejects.toThrow(/baselines\.json/);
  });

  it('without data it falls back to the prior and says so', async () => {
    const r = await buildReport({ modelDir: fx.modelDir, dataPath: undefined, png: false, metricsPath: undefined, sweepSteps: 3 });
    expect(r.html).toContain('<section id="sweeps">');
    // training file is found through the stored config, so data sections are present
    expect(r.html).toContain('<section id="descriptors">');
    rmSync(fx.dataPath);
    try {
      const r2 = await buildReport({ modelDir: fx.modelDir, png: false, sweepSteps: 3 });
      expect(r2.html).not.toContain('<section id="descriptors">');
      expect(r2.html).not.toContain('<section id="relevance">');
      expect(r2.notes.join(' ')).toMatch(/N\(0,1\) prior/);
    } finally {
      const { writeArrow } = await import('../../src/data/formats/arrow.js');
      writeArrow(fx.data, fx.dataPath);
    }
  });
});

describe('sweepCsv', () => {
  it('quotes axis names holding a delimiter, quote or line break (csvField)', () => {
    const ax = (axisName: string) => ({
      axis: 0, axisName, values: Float64Array.of(1), spectra: new Float32Array(1), residuals: new Float32Array(1),
      midStep: 0, sensitivity: new Float64Array(1), peakEnergy: 0, peakSensitivity: 0, topWindows: [],
    });
    const res = { mode: 'zero' as const, steps: 1, range: [5, 95] as [number, number], priorSamples: 0, seed: 0, energies: Float64Array.of(7000), axes: [ax('a,b'), ax('x\ry'), ax('say "hi"'), ax('plain')] };
    const csv = sweepCsv(res, res.axes.map(() => ({ spectra: Float32Array.of(0.5), residuals: Float32Array.of(0) })));
    expect(csv).toContain('\n"a,b",0,1,7000,');
    expect(csv).toContain('\n"x\ry",0,1,7000,');
    expect(csv).toContain('\n"say ""hi""",0,1,7000,');
    expect(csv).toContain('\nplain,0,1,7000,');
  });
});
