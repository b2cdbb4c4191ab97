import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, xlatent } from '../cli/helpers.js';

/**
 * The transfer benchmark, run as the README's walkthrough runs it (config
 * file and CLI only): train on calculated synthetic spectra, then evaluate
 * and embed "measured" ones of other compounds, recorded on an energy scale
 * offset by 4.5 eV, with 2 eV broader lines, a background, edge-step errors
 * and noise, through the pipeline stored with the model.
 */
const GRID = ['--start', '7070', '--stop', '7200', '--points', '131'];
const CONFIG = `seed: 0
data:
  file: calc.csv
  descriptors: [OS, CN, BL]
  discrete: [CN]
  grid: { start: 7085, stop: 7185, step: 1 }
preprocess:
  broaden: [{ kind: gaussian, fwhm: 2 }]
  calibrate:
    reference: { calculated: ref-calc.csv, measured: ref-measured.csv }
  xas: { pre1: -50, pre2: -16, npre: 1, norm1: 25, nnorm: 1 }
network: { nStyle: 4, hidden: 48, depth: 3 }
losses:
  adversarial: { alphaRampEpochs: 20 }
training:
  epochs: 20
  batchSize: 64
  augment: { energyShift: 0.3, broaden: 1, noise: 0.01, slope: 0.02, scale: 0.03 }
output: run
`;

let dir: string;
const run = (args: string[]) => {
  const r = xlatent(args, dir);
  if (r.code !== 0) throw new Error(`xlatent ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
};

/** Columns of a CSV written by embed, by name. */
function csvColumns(path: string): Record<string, number[]> {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const names = head.split(',');
  return Object.fromEntries(names.map((n, j) => [n, rows.map((r) => Number(r.split(',')[j]))]));
}

beforeAll(() => {
  dir = tempDir('xlatent-transfer-');
  run(['data', 'synth', '--out', 'calc.csv', '--count', '800', '--seed', '1', ...GRID]);
  run(['data', 'synth', '--experimental', '--out', 'measured.csv', '--count', '200', '--seed', '2', ...GRID]);
  run(['data', 'synth', '--reference', '--out', 'ref-calc.csv', ...GRID]);
  run(['data', 'synth', '--reference', '--experimental', '--out', 'ref-measured.csv', ...GRID]);
  writeFileSync(join(dir, 'experimental.yaml'), CONFIG);
  run(['train', '--config', 'experimental.yaml']);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('simulation to experiment (synthetic benchmark)', () => {
  it('stores the fitted pipeline in the model: broadening, the measured shift fitted from the reference, pre_edge parameters', () => {
    const meta = JSON.parse(readFileSync(join(dir, 'run', 'model', 'metadata.json'), 'utf8'));
    expect(meta.preprocess.broaden).toEqual([{ kind: 'gaussian', fwhm: 2 }]);
    expect(meta.preprocess.measuredShiftSource).toBe('reference');
    expect(meta.preprocess.shift.measured).toBeGreaterThan(-4.5 - 0.2);
    expect(meta.preprocess.shift.measured).toBeLessThan(-4.5 + 0.2);
    expect(meta.preprocess.xas.pre2).toBe(-16);
    expect(meta.preprocess.reference.id).toBe('reference');
  });

  it('keeps every constrained axis at Spearman >= 0.9 on the measured spectra, and reports the edge-position baseline', () => {
    const ev = JSON.parse(run(['evaluate', '--model', 'run', '--data', 'measured.csv', '--json']).stdout);
    expect(ev.n).toBe(200);
    for (const name of ['OS', 'CN', 'BL']) expect(ev.descriptors[name].spearman).toBeGreaterThanOrEqual(0.9);
    expect(ev.energyShift.source).toMatch(/reference/);
    // the trivial baseline ranks OS (it moves the edge) but knows nothing of CN or BL
    const base = ev.baseline.edgePosition.descriptors;
    expect(base.OS.spearman).toBeGreaterThan(0.9);
    expect(Math.abs(base.CN.spearman)).toBeLessThan(0.3);
    expect(base.OS.n).toBe(200);
    const table = run(['evaluate', '--model', 'run', '--data', 'measured.csv']).stdout;
    expect(table).toMatch(/edge-position spearman/);
    expect(table).toMatch(/energy shift applied: -4\.\d+ eV/);
  });

  it('estimates descriptors on the measured scale only with the calibration: the stored shift, a refit from the reference, or none', () => {
    run(['embed', '--model', 'run', '--data', 'measured.csv', '--out', 'stored.csv']);
    run(['embed', '--model', 'run', '--data', 'measured.csv', '--reference', 'ref-measured.csv', '--out', 'refit.csv']);
    const out = run(['embed', '--model', 'run', '--data', 'measured.csv', '--shift', '0', '--out', 'uncalibrated.csv']);
    expect(out.stdout).toMatch(/200 spectra/);
    const mae = (c: Record<string, number[]>, name: string) => c[`pred_${name}`].reduce((s, v, i) => s + Math.abs(v - c[`label_${name}`][i]), 0) / 200;
    const stored = csvColumns(join(dir, 'stored.csv'));
    const refit = csvColumns(join(dir, 'refit.csv'));
    const none = csvColumns(join(dir, 'uncalibrated.csv'));
    expect(mae(stored, 'OS')).toBeLessThan(0.2);
    expect(Math.abs(mae(refit, 'OS') - mae(stored, 'OS'))).toBeLessThan(0.02);
    // 4.5 eV uncorrected is 1.5 oxidation-state units of chemical shift
    expect(mae(none, 'OS')).toBeGreaterThan(0.6);
    // CN estimates are continuous; rounded, they give the class
    const cnRight = stored.pred_CN.filter((v, i) => Math.round(v) === stored.label_CN[i]).length;
    expect(cnRight).toBeGreaterThan(160);
  });

  it('says which labels evaluate --data left out and why, in the table and in --json', () => {
    // CN of three spectra becomes a non-level 5.5, of two others missing; the file keeps OS and CN only
    const [head, ...rows] = readFileSync(join(dir, 'measured.csv'), 'utf8').trim().split('\n');
    const cols = head.split(',');
    const cn = cols.indexOf('AUX_CN');
    const bl = cols.indexOf('AUX_BL');
    const edited = rows.map((r, i) => {
      const cells = r.split(',');
      if (i < 3) cells[cn] = '5.5';
      else if (i < 5) cells[cn] = '';
      return cells.filter((_, j) => j !== bl).join(',');
    });
    writeFileSync(join(dir, 'relabelled.csv'), [cols.filter((_, j) => j !== bl).join(','), ...edited].join('\n') + '\n');
    const r = run(['evaluate', '--model', 'run', '--data', 'relabelled.csv']);
    expect(r.stdout).toMatch(/CN: 2 spectra without a CN label left out of its scores/);
    expect(r.stdout).toMatch(/CN: 3 spectra with CN = 5\.5 \(not one of the levels 4, 5, 6\) left out of the threshold classifier/);
    expect(r.stderr).toMatch(/has no BL labels; those descriptors are not scored/);
    const ev = JSON.parse(run(['evaluate', '--model', 'run', '--data', 'relabelled.csv', '--json']).stdout);
    expect(ev.descriptors.CN.dropped).toEqual({ missingLabel: 2, notALevel: { rows: 3, values: [5.5], levels: [4, 5, 6] } });
    expect(ev.descriptors.CN.n).toBe(198);
    expect(ev.descriptors.BL.dropped.missingLabel).toBe(200);
    expect(ev.descriptors.OS.spearman).toBeGreaterThanOrEqual(0.9);
  });

  it('exports the pipeline with the model: ONNX metadata_props and the TF.js copy', () => {
    run(['export', '--model', 'run', '--format', 'onnx', '--out', 'onnx']);
    const meta = JSON.parse(readFileSync(join(dir, 'onnx', 'metadata.json'), 'utf8'));
    expect(meta.preprocess.measuredShiftSource).toBe('reference');
    const onnx = readFileSync(join(dir, 'onnx', 'encoder.onnx')).toString('latin1');
    expect(onnx).toContain('xlatent.preprocess');
    expect(onnx).toContain('"measuredShiftSource":"reference"');
    run(['export', '--model', 'run', '--format', 'tfjs', '--no-page', '--out', 'web']);
    expect(JSON.parse(readFileSync(join(dir, 'web', 'metadata.json'), 'utf8')).preprocess).toEqual(meta.preprocess);
    expect(readdirSync(join(dir, 'web'))).toContain('encoder');
  });
});
