import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { writeModelDir, readModelDir } from '../../src/export/model-dir.js';
import { ModelMetadataSchema, gridValues } from '../../src/export/metadata.js';
import { metadataDigest, sha256Hex } from '../../src/export/digest.js';
import { decodeOnnx } from '../../src/export/onnx.js';
import { runNetwork } from '../../src/model/infer.js';
import exportCommand from '../../src/cli/export.js';
import { randomSpec, randomInput, maxAbsDiff, syntheticMetadata } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'xlatent-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const M = 48;
const K = 4;
const rng = new Rng(21);
const encoder = randomSpec(rng, [M, 32, 32, K], ['batchnorm', 'prelu']);
const decoder = randomSpec(rng, [K, 32, 32, M], ['swish'], 'softplus');
const modelDir = join(root, 'model');
// A fitted per-channel normalization, so the exported parameters are more than a name.
const normalization = { kind: 'standardize' as const, mean: Array.from({ length: M }, (_, i) => 0.5 + i / M), std: Array.from({ length: M }, (_, i) => 0.1 + (i % 5) / 10) };
const ready = writeModelDir(modelDir, { encoder, decoder, metadata: { ...syntheticMetadata(M, K), normalization } });

/** Runs the command's handler; returns the files it says it wrote. */
async function runExport(format: 'onnx' | 'tfjs', out: string, page = true): Promise<string[]> {
  let text = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((text += String(chunk)), true));
  try {
    await (exportCommand.handler as (a: unknown) => Promise<void>)({ model: modelDir, format, out, page });
  } finally {
    spy.mockRestore();
  }
  return text.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim()).sort();
}

describe('xlatent export', () => {
  it('--format onnx writes encoder.onnx and decoder.onnx that onnxruntime runs like the model directory', async () => {
    await ready;
    const out = join(root, 'onnx');
    const listed = await runExport('onnx', out);
    expect(readdirSync(out).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'metadata.json']);
    expect(listed).toEqual(['decoder.onnx', 'encoder.onnx', 'metadata.json'].map((f) => join(out, f)));
    const enc = await ort.InferenceSession.create(join(out, 'encoder.onnx'));
    const dec = await ort.InferenceSession.create(join(out, 'decoder.onnx'));
    expect(enc.inputNames).toEqual(['spectrum']);
    expect(enc.outputNames).toEqual(['latent']);
    expect(dec.inputNames).toEqual(['latent']);
    expect(dec.outputNames).toEqual(['spectrum']);
    const x = randomInput(new Rng(2), 25, M);
    const z = (await enc.run({ spectrum: new ort.Tensor('float32', x, [25, M]) })).latent.data as Float32Array;
    expect(maxAbsDiff(z, runNetwork(encoder, x, 25))).toBeLessThan(1e-5);
    const y = (await dec.run({ latent: new ort.Tensor('float32', z, [25, K]) })).spectrum.data as Float32Array;
    expect(maxAbsDiff(y, runNetwork(decoder, z, 25))).toBeLessThan(1e-5);

    const meta = ModelMetadataSchema.parse(JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8')));
    expect(meta.metadataSha256).toBe(metadataDigest(meta));
    expect(meta.files.map((f) => f.path)).toEqual(['encoder.onnx', 'decoder.onnx']);
    expect(meta.files[0].sha256).toBe(sha256Hex(readFileSync(join(out, 'encoder.onnx'))));
    // Each .onnx file carries what a Python or C++ user needs to prepare spectra and read latents, with the values of metadata.json.
    for (const role of ['encoder', 'decoder'] as const) {
      const proto = decodeOnnx(readFileSync(join(out, `${role}.onnx`))) as { metadata_props: { key: string; value: string }[]; doc_string: string };
      const props = Object.fromEntries(proto.metadata_props.map((p) => [p.key, p.value]));
      expect(proto.metadata_props.length).toBe(Object.keys(props).length); // keys are distinct
      expect(Object.keys(props).sort()).toEqual(
        ['axis_kind', 'calibration', 'created', 'descriptors', 'format_version', 'grid', 'n_style', 'normalization', 'preprocess', 'role', 'training_config_sha256', 'version'].map((k) => `xlatent.${k}`),
      );
      expect(props['xlatent.role']).toBe(role);
      expect(props['xlatent.version']).toBe(meta.xlatentVersion);
      expect(props['xlatent.format_version']).toBe(String(meta.formatVersion));
      expect(props['xlatent.created']).toBe(meta.created);
      expect(props['xlatent.axis_kind']).toBe('energy');
      expect(JSON.parse(props['xlatent.grid'])).toEqual(meta.grid);
      expect(JSON.parse(props['xlatent.normalization'])).toEqual(normalization);
      expect(JSON.parse(props['xlatent.preprocess'])).toBeNull(); // this model has no stored pipeline (see test/pipeline/transfer.test.ts for one)
      expect(props['xlatent.n_style']).toBe(String(K));
      expect(JSON.parse(props['xlatent.descriptors'])).toEqual(meta.descriptors);
      expect(JSON.parse(props['xlatent.calibration'])).toEqual(meta.calibration);
      expect(props['xlatent.training_config_sha256']).toBe(meta.training.sha256);
      expect(proto.doc_string).toContain('"standardize" normalization');
      expect(proto.doc_string).toContain(role === 'encoder' ? 'input "spectrum" float32 [batch, 48]' : 'input "latent" float32 [batch, 4]');
      const g = gridValues(meta.grid);
      expect(proto.doc_string).toContain(`Spectra live on a energy grid of 48 points from ${g[0]} to ${g[47]}; resample onto it`);
      expect(meta.descriptors.length).toBeGreaterThan(1);
      const axes = meta.descriptors.map((d) => `z${d.axis} = ${d.name} (${d.direction > 0 ? 'increasing' : 'decreasing'})`);
      expect(new Set(meta.descriptors.map((d) => d.direction > 0)).size, 'the fixture has both directions').toBe(2);
      expect(proto.doc_string.endsWith(`normalized intensities. Latent axes: ${axes.join(', ')}.`)).toBe(true);
    }
  });

  it('--format tfjs writes a self-contained model directory with the explorer page and tf.min.js', async () => {
    await ready;
    const out = join(root, 'site');
    const listed = await runExport('tfjs', out);
    expect(readdirSync(out).sort()).toEqual(['decoder', 'encoder', 'index.html', 'metadata.json', 'tf.min.js']);
    const files = ['decoder/model.json', 'decoder/weights.bin', 'encoder/model.json', 'encoder/weights.bin', 'index.html', 'metadata.json', 'tf.min.js'];
    expect(listed).toEqual(files.map((f) => join(out, f)).sort());
    const copy = await readModelDir(out);
    const orig = await readModelDir(modelDir);
    expect(copy.metadata.created).toBe(orig.metadata.created);
    expect(copy.metadata.training.sha256).toBe(orig.metadata.training.sha256);
    const z = randomInput(new Rng(3), 9, K);
    expect(Array.from(runNetwork(copy.decoder, z, 9))).toEqual(Array.from(runNetwork(decoder, z, 9)));
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<script src="tf.min.js"></script>');
    expect(html).toContain("tf.loadLayersModel('decoder/model.json')");
    expect(readFileSync(join(out, 'tf.min.js')).byteLength).toBeGreaterThan(100_000);
  });

  it('--format tfjs without the page (page: false): the model directory alone, listed as written', async () => {
    await ready;
    const out = join(root, 'bare');
    const listed = await runExport('tfjs', out, false);
    expect(readdirSync(out).sort()).toEqual(['decoder', 'encoder', 'metadata.json']);
    expect(listed).toEqual(['decoder/model.json', 'decoder/weights.bin', 'encoder/model.json', 'encoder/weights.bin', 'metadata.json'].map((f) => join(out, f)).sort());
  });
});
