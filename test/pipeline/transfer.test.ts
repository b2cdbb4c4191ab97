import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx } from '../../src/export/onnx.js';
import { prepareForModel } from '../../src/export/embed.js';
import { readModelDir } from '../../src/export/model-dir.js';
import { Rng } from '../../src/util/random.js';
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

/**
 * The measured spectra followed by spectra that are clearly no XANES of the
 * kind trained on, in the same raw absorption units and on the same grid,
 * ids unlike-<i>, without labels: three XRD-like patterns (sharp peaks on a
 * slowly rising background), and three white-noise spectra (noise of one
 * edge step around an abrupt edge). Noise that leaves no positive edge step
 * is refused by the XAS normalization with an error before any OOD score
 * exists, so the noise spectra are the first ones the model's stored
 * preprocessing accepts.
 */
async function probeFile(measured: string, modelDir: string): Promise<string> {
  const [head, ...rows] = measured.trim().split('\n');
  const cols = head.split(',');
  const energies = cols.filter((c) => c.startsWith('ENE_')).map((c) => Number(c.slice(4)));
  const line = (id: string, mu: number[]) => {
    let j = 0;
    return cols.map((c) => (c === 'id' ? id : c.startsWith('ENE_') ? String(mu[j++]) : '')).join(',');
  };
  const unlike: string[] = [];
  for (let u = 0; u < 3; u++) {
    const peaks = [7082, 7097, 7111, 7139, 7152, 7163, 7176, 7190].map((p) => p + 2 * u);
    unlike.push(line(`unlike-${u}`, energies.map((e) => 0.2 + (0.02 * (e - 7070)) / 130 + peaks.reduce((sum, p) => sum + 0.6 * Math.exp(-(((e - p) / 1.2) ** 2)), 0))));
  }
  const { metadata } = await readModelDir(modelDir);
  const rng = new Rng(11);
  for (let tries = 0; unlike.length < 6 && tries < 50; tries++) {
    const mu = energies.map((e) => 0.3 + (e >= 7125 ? 1 : 0) + rng.normal());
    try {
      prepareForModel(metadata, [{ id: 'noise', energy: Float64Array.from(energies), mu: Float64Array.from(mu), labels: {}, source: 'noise' }]);
      unlike.push(line(`unlike-${unlike.length}`, mu));
    } catch {
      // no positive edge step: refused with an error, never scored
    }
  }
  expect(unlike).toHaveLength(6);
  return [head, ...rows, ...unlike].join('\n') + '\n';
}

/** Columns of a CSV written by embed, as text, by name. */
function csvText(path: string): Record<string, string[]> {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const names = head.split(',');
  return Object.fromEntries(names.map((n, j) => [n, rows.map((r) => r.split(',')[j])]));
}

beforeAll(async () => {
  dir = tempDir('xlatent-transfer-');
  run(['data', 'synth', '--out', 'calc.csv', '--count', '800', '--seed', '1', ...GRID]);
  run(['data', 'synth', '--experimental', '--out', 'measured.csv', '--count', '200', '--seed', '2', ...GRID]);
  run(['data', 'synth', '--reference', '--out', 'ref-calc.csv', ...GRID]);
  run(['data', 'synth', '--reference', '--experimental', '--out', 'ref-measured.csv', ...GRID]);
  writeFileSync(join(dir, 'experimental.yaml'), CONFIG);
  run(['train', '--config', 'experimental.yaml']);
  // Two more seeds, as the trials of one run (trial seeds 1 and 2, in worker processes): its model is a 2-member ensemble.
  run(['train', '--config', 'experimental.yaml', '--seed', '1', '--trials', '2', '--out', 'run-b']);
  writeFileSync(join(dir, 'probe.csv'), await probeFile(readFileSync(join(dir, 'measured.csv'), 'utf8'), join(dir, 'run')));
}, 600_000);
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

  it('the OOD flags of three seeds agree on >= 90% of the measured spectra, and all three flag every unlike spectrum', () => {
    // one model per seed: seed 0's run, and each trial of run-b on its own
    run(['ensemble', '--from', 'run-b/trials/trial-0', '--members', '1', '--out', 'seed-1']);
    run(['ensemble', '--from', 'run-b/trials/trial-1', '--members', '1', '--out', 'seed-2']);
    const flags = ['run', 'seed-1', 'seed-2'].map((model, s) => {
      run(['embed', '--model', model, '--data', 'probe.csv', '--out', `probe-${s}.csv`]);
      return csvText(join(dir, `probe-${s}.csv`));
    });
    const ids = flags[0].id;
    const measured = ids.map((id, i) => (id.startsWith('unlike-') ? -1 : i)).filter((i) => i >= 0);
    expect(measured).toHaveLength(200);
    const agree = measured.filter((i) => flags.every((f) => f.ood_flag[i] === flags[0].ood_flag[i])).length;
    expect(agree / 200).toBeGreaterThanOrEqual(0.9);
    for (const f of flags) {
      // a held-out reference is not too tight: few measured spectra are flagged by any seed
      expect(measured.filter((i) => f.ood_flag[i] === '1').length).toBeLessThanOrEqual(20);
      for (let i = 200; i < 206; i++) expect(f.ood_flag[i], `${f.id[i]}`).toBe('1');
    }
  });

  it('trials form ensembles whose estimates keep Spearman >= 0.9 on the measured spectra and carry their spread', () => {
    // training path: run-b holds two trials, so its model is a 2-member ensemble
    const b = JSON.parse(run(['evaluate', '--model', 'run-b', '--data', 'measured.csv', '--json']).stdout);
    expect(b.ensemble.members).toBe(2);
    // across runs: the best 3 trials of both runs (seeds 0, 1, 2; two splits)
    run(['ensemble', '--from', 'run', 'run-b', '--members', '3', '--out', 'ens-3']);
    const ev = JSON.parse(run(['evaluate', '--model', 'ens-3', '--data', 'measured.csv', '--json']).stdout);
    expect(ev.ensemble.members).toBe(3);
    for (const e of [b, ev]) {
      for (const name of ['OS', 'CN', 'BL']) {
        expect(e.descriptors[name].spearman).toBeGreaterThanOrEqual(0.9);
        expect(e.ensemble.descriptors[name].spearman).toBeGreaterThanOrEqual(0.9);
      }
    }
    run(['embed', '--model', 'ens-3', '--data', 'measured.csv', '--out', 'ens-3.csv']);
    const c = csvColumns(join(dir, 'ens-3.csv'));
    const mae = c.pred_OS.reduce((s, v, i) => s + Math.abs(v - c.label_OS[i]), 0) / 200;
    expect(mae).toBeLessThan(0.2);
    const spread = c.pred_OS_std.reduce((s, v) => s + v, 0) / 200;
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThan(0.5);
    expect(c.ood_flag.filter((v) => v === 1).length).toBeLessThanOrEqual(20);
  });

  it('exports the pipeline with the model: ONNX metadata_props and the TF.js copy', () => {
    run(['export', '--model', 'run', '--format', 'onnx', '--out', 'onnx']);
    const meta = JSON.parse(readFileSync(join(dir, 'onnx', 'metadata.json'), 'utf8'));
    expect(meta.preprocess.measuredShiftSource).toBe('reference');
    for (const role of ['encoder', 'decoder']) {
      const proto = decodeOnnx(readFileSync(join(dir, 'onnx', `${role}.onnx`))) as { metadata_props: { key: string; value: string }[] };
      const props = Object.fromEntries(proto.metadata_props.map((p) => [p.key, p.value]));
      expect(JSON.parse(props['xlatent.preprocess'])).toEqual(meta.preprocess);
      expect(JSON.parse(props['xlatent.normalization'])).toEqual(meta.normalization);
    }
    run(['export', '--model', 'run', '--format', 'tfjs', '--no-page', '--out', 'web']);
    expect(JSON.parse(readFileSync(join(dir, 'web', 'metadata.json'), 'utf8')).preprocess).toEqual(meta.preprocess);
    expect(readdirSync(join(dir, 'web'))).toContain('encoder');
  });
});
