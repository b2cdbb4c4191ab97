import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { writeModelDir, readModelDir } from '../../src/export/model-dir.js';
import { ModelMetadataSchema } from '../../src/export/metadata.js';
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
const ready = writeModelDir(modelDir, { encoder, decoder, metadata: syntheticMetadata(M, K) });

async function runExport(format: 'onnx' | 'tfjs', out: string) {
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await (exportCommand.handler as (a: unknown) => Promise<void>)({ model: modelDir, format, out, page: true });
  } finally {
    spy.mockRestore();
  }
}

describe('xlatent export', () => {
  it('--format onnx writes encoder.onnx and decoder.onnx that onnxruntime runs like the model directory', async () => {
    await ready;
    const out = join(root, 'onnx');
    await runExport('onnx', out);
    expect(readdirSync(out).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'metadata.json']);
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
    const proto = decodeOnnx(readFileSync(join(out, 'decoder.onnx'))) as { metadata_props: { key: string; value: string }[]; doc_string: string };
    const props = Object.fromEntries(proto.metadata_props.map((p) => [p.key, p.value]));
    expect(props['xlatent.role']).toBe('decoder');
    expect(JSON.parse(props['xlatent.grid'])).toEqual(meta.grid);
    expect(JSON.parse(props['xlatent.descriptors'])[0].name).toBe('CN');
    expect(proto.doc_string).toContain('"minmax" normalization');
  });

  it('--format tfjs writes a self-contained model directory with the explorer page and tf.min.js', async () => {
    await ready;
    const out = join(root, 'site');
    await runExport('tfjs', out);
    expect(readdirSync(out).sort()).toEqual(['decoder', 'encoder', 'index.html', 'metadata.json', 'tf.min.js']);
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
});
