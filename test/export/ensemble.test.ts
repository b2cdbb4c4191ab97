import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFromFiles } from '../../src/browser.js';
import { exportOnnx, exportTfjs } from '../../src/export/bundle.js';
import { fitAxisCalibration } from '../../src/export/calibration.js';
import { embedSpectra } from '../../src/export/embed.js';
import { writeEmbedding } from '../../src/export/embed-output.js';
import { evaluateEnsemble, runModel } from '../../src/export/ensemble.js';
import { metadataDigest } from '../../src/export/digest.js';
import { readModelDir, writeModelDir } from '../../src/export/model-dir.js';
import { buildHeldOutOod, reconstructionMse } from '../../src/export/ood.js';
import { runNetwork } from '../../src/model/infer.js';
import type { NetworkSpec } from '../../src/model/spec.js';
import { Rng } from '../../src/util/random.js';
import { userErrorOf } from '../data/helpers.js';
import { linearModel } from './linear-model.js';

/**
 * Ensembles of known networks: member 0 is the closed-form linear model of
 * linear-model.ts; member 1 is the same model with its CN axis reversed
 * (so its calibration runs the other way) and slightly perturbed weights;
 * member 2 perturbed otherwise. Each member gets its own calibration and
 * held-out OOD reference, as the training pipeline fits them.
 */
const root = mkdtempSync(join(tmpdir(), 'xlatent-ensemble-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const lm = linearModel(60, 3);
const train = lm.sample(1500);
const held = lm.sample(400);

function variant(seed: number, flip0: boolean, jitter: number): { encoder: NetworkSpec; decoder: NetworkSpec } {
  const rng = new Rng(seed);
  const enc = structuredClone(lm.encoder);
  const dec = structuredClone(lm.decoder);
  const ek = (enc.layers[0] as { kernel: Float32Array }).kernel;
  const dk = (dec.layers[0] as { kernel: Float32Array }).kernel;
  for (let i = 0; i < ek.length; i++) ek[i] += jitter * rng.normal();
  if (flip0) {
    for (let i = 0; i < lm.m; i++) ek[i * lm.k] *= -1;
    for (let i = 0; i < lm.m; i++) dk[i] *= -1;
  }
  return { encoder: enc, decoder: dec };
}

function memberEntry(net: { encoder: NetworkSpec; decoder: NetworkSpec }, i: number) {
  const z = runNetwork(net.encoder, train.x, 1500);
  const col = (a: number) => Float64Array.from({ length: 1500 }, (_, r) => z[r * lm.k + a]);
  const hz = runNetwork(net.encoder, held.x, 400);
  const hmse = reconstructionMse(held.x, runNetwork(net.decoder, hz, 400), 400, lm.m);
  return {
    encoder: i === 0 ? 'encoder' : `members/${i}/encoder`,
    decoder: i === 0 ? 'decoder' : `members/${i}/decoder`,
    nStyle: lm.k,
    source: { run: 'test', trial: i, seed: i, validationScore: 0.9 - i / 10, bestEpoch: 3, configSha256: 'a'.repeat(64), splitSha256: 'b'.repeat(64) },
    calibration: [
      fitAxisCalibration(col(0), train.cn, { descriptor: 'CN', axis: 0, discrete: true }),
      fitAxisCalibration(col(1), train.os, { descriptor: 'OS', axis: 1 }),
    ],
    ood: buildHeldOutOod({ z, n: 1500 }, { z: hz, mse: hmse, n: 400 }, lm.k, { rows: 'held-out' as const, augmented: false }),
  };
}

const nets = [{ encoder: lm.encoder, decoder: lm.decoder }, variant(2, true, 0.02), variant(3, false, 0.03)];
const entries = nets.map(memberEntry);
const metadata = { ...lm.metadata, calibration: entries[0].calibration, ood: entries[0].ood, ensemble: { combine: 'mean' as const, members: entries } };
const single = { ...lm.metadata, calibration: entries[0].calibration, ood: entries[0].ood };
const dir = join(root, 'ensemble');

beforeAll(async () => {
  await writeModelDir(dir, { encoder: lm.encoder, decoder: lm.decoder, metadata, ensembleNetworks: nets });
});

function records(x: Float32Array, n: number, labels?: { cn: Float64Array; os: Float64Array }) {
  return Array.from({ length: n }, (_, r) => ({
    id: `s${r}`,
    energy: lm.energies,
    mu: Float64Array.from(x.subarray(r * lm.m, (r + 1) * lm.m)),
    labels: (labels ? { CN: labels.cn[r], OS: labels.os[r] } : {}) as Record<string, number>,
    source: 'test',
  }));
}

describe('ensemble models', () => {
  it('write and read back with every member (member folders listed and checksummed)', async () => {
    const model = await readModelDir(dir);
    expect(model.ensembleNetworks).toHaveLength(3);
    expect(model.metadata.ensemble!.members.map((m) => m.encoder)).toEqual(['encoder', 'members/1/encoder', 'members/2/encoder']);
    expect(model.metadata.files.map((f) => f.path)).toContain('members/2/decoder/weights.bin');
    expect(model.metadata.ensemble!.members[1].calibration[0].direction).toBe(-1);
  });

  it('estimates are the mean of the members\' own calibrated estimates, the spread their std; latents are member 0\'s', async () => {
    const model = await readModelDir(dir);
    const s = lm.sample(200);
    const r = embedSpectra(model, records(s.x, 200, s));
    expect(r.members).toBe(3);
    // Each member alone, as a single-network model.
    const alone = nets.map((net, i) => embedSpectra({ ...net, metadata: { ...model.metadata, ensemble: undefined, calibration: entries[i].calibration, ood: entries[i].ood } }, records(s.x, 200)));
    for (const name of ['CN', 'OS']) {
      for (let i = 0; i < 200; i++) {
        const v = alone.map((a) => a.predicted[name][i]);
        const mean = v.reduce((a, b) => a + b, 0) / 3;
        const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
        expect(r.predicted[name][i]).toBeCloseTo(mean, 10);
        expect(r.spread![name][i]).toBeCloseTo(std, 10);
      }
    }
    expect(Array.from(r.latent)).toEqual(Array.from(alone[0].latent));
    for (let i = 0; i < 200; i++) expect(r.oodPercentile[i]).toBeCloseTo(alone.reduce((a, b) => a + b.oodPercentile[i], 0) / 3, 10);
    // The reversed CN axis of member 1 is read the right way round: the estimates agree closely.
    let cnRight = 0;
    for (let i = 0; i < 200; i++) if (Math.round(r.predicted.CN[i]) === s.cn[i]) cnRight++;
    expect(cnRight).toBeGreaterThan(185);
    const meanSpread = r.spread!.OS.reduce((a, b) => a + b, 0) / 200;
    expect(meanSpread).toBeGreaterThan(0);
    expect(meanSpread).toBeLessThan(0.2);
    // In-distribution spectra: about 1% flagged; scored as the evaluation does.
    expect(r.oodFlag.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(8);
    const ev = evaluateEnsemble(runModel(model, Float32Array.from(s.x), 200, lm.m), { CN: s.cn, OS: s.os }, 'sample', { CN: [4, 5, 6] });
    expect(ev.descriptors.OS.spearman).toBeGreaterThan(0.95);
    expect(ev.descriptors.CN.accuracy).toBeGreaterThan(0.9);
    expect(ev.descriptors.OS.memberSpearman).toHaveLength(3);
    expect(ev.descriptors.OS.meanSpread).toBeCloseTo(meanSpread, 10);
  });

  it('flags spectra off the manifold, and writes the spread and OOD columns', async () => {
    const model = await readModelDir(dir);
    const s = lm.sample(6);
    for (let r = 3; r < 6; r++) for (let i = lm.m - 4; i < lm.m; i++) s.x[r * lm.m + i] += 1;
    const r = embedSpectra(model, records(s.x, 6));
    expect(Array.from(r.oodFlag.subarray(3))).toEqual([1, 1, 1]);
    expect(r.warnings.join('\n')).toMatch(/3 of 6 spectra are less typical than 99% of the held-out spectra \(by reconstruction error or latent distance, averaged over the ensemble\)/);
    const out = join(root, 'e.csv');
    writeEmbedding(r, out, 'csv', {}, ['CN', 'OS']);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe(
      'id,z0,z1,z2,pred_CN,pred_CN_std,pred_OS,pred_OS_std,recon_mse,latent_distance,ood_recon_percentile,ood_latent_percentile,ood_percentile,ood_flag,extrapolated',
    );
  });

  it('a single-network model with a held-out reference has no spread columns', async () => {
    const d1 = join(root, 'single');
    await writeModelDir(d1, { encoder: lm.encoder, decoder: lm.decoder, metadata: single });
    const r = embedSpectra(await readModelDir(d1), records(lm.sample(3).x, 3));
    expect(r.members).toBe(1);
    expect(r.spread).toBeUndefined();
    const out = join(root, 's.csv');
    writeEmbedding(r, out, 'csv', {}, ['CN', 'OS']);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('id,z0,z1,z2,pred_CN,pred_OS,recon_mse,latent_distance,ood_recon_percentile,ood_latent_percentile,ood_percentile,ood_flag,extrapolated');
  });

  it('exports every member: the TF.js copy is the same ensemble, ONNX writes members/<i>/*.onnx', async () => {
    const model = await readModelDir(dir);
    const web = join(root, 'web');
    await exportTfjs(model, web, false);
    const copy = await readModelDir(web);
    const s = lm.sample(20);
    const a = embedSpectra(model, records(s.x, 20));
    const b = embedSpectra(copy, records(s.x, 20));
    expect(Array.from(b.spread!.OS)).toEqual(Array.from(a.spread!.OS));
    const onnx = join(root, 'onnx');
    const files = await exportOnnx(model, onnx);
    expect(files.map((f) => f.slice(onnx.length + 1)).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'members/1/decoder.onnx', 'members/1/encoder.onnx', 'members/2/decoder.onnx', 'members/2/encoder.onnx', 'metadata.json']);
    const meta = JSON.parse(readFileSync(join(onnx, 'metadata.json'), 'utf8'));
    expect(meta.ensemble.members[2].encoder).toBe('members/2/encoder.onnx');
    expect(meta.files.map((f: { path: string }) => f.path)).toContain('members/2/encoder.onnx');
  });

  it('the browser entry loads every member from the files and embeds as Node does', async () => {
    const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
    const files: Record<string, Uint8Array> = { 'metadata.json': readFileSync(join(dir, 'metadata.json')) };
    for (const f of meta.files) files[f.path] = readFileSync(join(dir, f.path));
    const inBrowser = await loadModelFromFiles(files, 'ensemble');
    expect(inBrowser.ensembleNetworks).toHaveLength(3);
    const s = lm.sample(10);
    const a = embedSpectra(await readModelDir(dir), records(s.x, 10));
    const b = embedSpectra(inBrowser, records(s.x, 10));
    expect(Array.from(b.spread!.CN)).toEqual(Array.from(a.spread!.CN));
    expect(Array.from(b.oodPercentile)).toEqual(Array.from(a.oodPercentile));
    delete files['members/2/decoder/weights.bin'];
    expect(await userErrorOf(() => loadModelFromFiles(files, 'ensemble'))).toMatch(/members\/2\/decoder\/weights\.bin missing/);
  });

  it('refuses ensembles whose members contradict the model, in the one metadata validation', async () => {
    const bad: [(m: Record<string, any>) => void, RegExp][] = [
      [(m) => (m.ensemble.members[0].calibration = m.ensemble.members[1].calibration), /ensemble\.members\[0\]\.calibration": differs from the model's calibration/],
      [(m) => (m.ensemble.members[1].encoder = '../elsewhere'), /ensemble\.members\[1\]\.encoder": "\.\.\/elsewhere" is not a plain relative path/],
      [(m) => (m.ensemble.members[2].decoder = 'members/1/decoder'), /ensemble\.members\[2\]\.decoder": folder "members\/1\/decoder" is used twice/],
      [(m) => (m.ensemble.members[1].calibration[1].axis = 2), /ensemble\.members\[1\]\.calibration": must calibrate the same descriptors on the same axes/],
      [(m) => m.ensemble.members[2].ood.latent.mean.pop(), /ensemble\.members\[2\]\.ood\.latent\.mean": 2 values for a 3-axis latent/],
      [(m) => (m.ensemble.members[1].nStyle = 1), /ensemble\.members\[1\]\.nStyle": descriptor "OS" is tied to axis 1 but the member has 1 axes/],
      [(m) => (m.files = m.files.filter((f: { path: string }) => !f.path.startsWith('members/2/encoder'))), /ensemble\.members\[2\]\.encoder": the file list lacks members\/2\/encoder\/model\.json/],
      [(m) => m.ood.combined.sample.reverse(), /field "ood\.combined\.sample": the percentile table must be sorted ascending/],
    ];
    for (const [i, [edit, re]] of bad.entries()) {
      // Edited and re-signed: each refusal comes from the validation, not from the checksum.
      const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
      edit(meta);
      meta.metadataSha256 = metadataDigest(meta);
      const copy = join(root, `bad-${i}`);
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, 'metadata.json'), JSON.stringify(meta));
      expect(await userErrorOf(() => readModelDir(copy))).toMatch(re);
    }
    // writeModelDir checks the same before writing, and needs the members' networks.
    expect(await userErrorOf(() => writeModelDir(join(root, 'never'), { encoder: lm.encoder, decoder: lm.decoder, metadata }))).toMatch(/an ensemble of 3 members needs as many network pairs, got 0/);
  });
});
