import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/random.js';
import { specToLayersModel, layersModelToSpec } from '../../src/export/tfjs.js';
import { specToOnnx, decodeOnnx, ONNX_IR_VERSION, ONNX_OPSET } from '../../src/export/onnx.js';
import { runNetwork } from '../../src/model/infer.js';
import type { NetworkSpec } from '../../src/model/spec.js';
import { randomSpec, referenceForward, randomInput, maxAbsDiff, type HiddenKind } from './helpers.js';

const TOL = 1e-5;

function tfjsPredict(spec: NetworkSpec, x: Float32Array, n: number): Float32Array {
  const model = specToLayersModel(spec);
  try {
    return tf.tidy(() => (model.predict(tf.tensor2d(x, [n, spec.inputs])) as tf.Tensor).dataSync() as Float32Array);
  } finally {
    model.dispose();
  }
}

async function onnxPredict(spec: NetworkSpec, x: Float32Array, n: number, names: [string, string]): Promise<Float32Array> {
  const bytes = specToOnnx(spec, { inputName: names[0], outputName: names[1], graphName: 'g' });
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ [names[0]]: new ort.Tensor('float32', x, [n, spec.inputs]) });
  expect(out[names[1]].dims).toEqual([n, spec.outputs]);
  return out[names[1]].data as Float32Array;
}

const kinds: HiddenKind[] = ['prelu', 'swish', 'relu', 'softplus', 'linear', 'batchnorm'];
// Encoder: spectrum (m) -> latent (nStyle), linear output; decoder: latent -> spectrum, softplus output.
const shapes = [
  { role: 'encoder', widths: [40, 24, 24, 5], final: 'linear' as const, names: ['spectrum', 'latent'] as [string, string] },
  { role: 'decoder', widths: [5, 24, 24, 40], final: 'softplus' as const, names: ['latent', 'spectrum'] as [string, string] },
];

describe('TF.js and ONNX exports compute the NetworkSpec', () => {
  for (const shape of shapes) {
    for (const kind of kinds) {
      it(`${shape.role} with ${kind} hidden layers: TF.js, runNetwork and onnxruntime agree with the float64 reference`, async () => {
        const rng = new Rng(kinds.indexOf(kind) * 10 + shapes.indexOf(shape) + 1);
        const spec = randomSpec(rng, shape.widths, [kind], shape.final);
        // Wide inputs (std 3) put values on both sides of every kink and in softplus's tails.
        for (const n of [1, 17]) {
          const x = randomInput(rng, n, spec.inputs, 3);
          const ref = referenceForward(spec, x, n);
          const viaLayers = tfjsPredict(spec, x, n);
          const viaRun = runNetwork(spec, x, n);
          const viaOnnx = await onnxPredict(spec, x, n, shape.names);
          expect(maxAbsDiff(viaLayers, ref)).toBeLessThan(TOL);
          expect(maxAbsDiff(viaRun, ref)).toBeLessThan(TOL);
          expect(maxAbsDiff(viaOnnx, ref)).toBeLessThan(TOL);
          expect(maxAbsDiff(viaOnnx, viaLayers)).toBeLessThan(TOL);
        }
      });
    }
  }

  it('a network mixing batchnorm, prelu and swish (the trainer\'s layout) agrees too', async () => {
    const rng = new Rng(99);
    const spec = randomSpec(rng, [64, 32, 32, 32, 4], ['batchnorm', 'prelu'], 'linear');
    spec.layers.splice(3, 0, { kind: 'activation', fn: 'swish' });
    const x = randomInput(rng, 9, 64, 2);
    const ref = referenceForward(spec, x, 9);
    expect(maxAbsDiff(tfjsPredict(spec, x, 9), ref)).toBeLessThan(TOL);
    expect(maxAbsDiff(await onnxPredict(spec, x, 9, ['spectrum', 'latent']), ref)).toBeLessThan(TOL);
  });

  it('tfjs batchNormalization(center:false, scale:false) is (x - mean) / sqrt(var + eps), with a large epsilon to show it is used', () => {
    const mean = Float32Array.from([0.5, -1, 2]);
    const variance = Float32Array.from([0.25, 4, 0.01]);
    const spec: NetworkSpec = { inputs: 3, outputs: 3, layers: [{ kind: 'batchnorm', mean, variance, epsilon: 0.5 }] };
    const x = Float32Array.from([1, 1, 1, -2, 0, 3]);
    const y = tfjsPredict(spec, x, 2);
    for (let i = 0; i < 6; i++) expect(y[i]).toBeCloseTo((x[i] - mean[i % 3]) / Math.sqrt(variance[i % 3] + 0.5), 6);
  });

  it('LayersModel -> NetworkSpec returns the same layers and weights', () => {
    const rng = new Rng(5);
    const spec = randomSpec(rng, [12, 8, 3], ['batchnorm', 'prelu', 'swish'], 'softplus');
    const model = specToLayersModel(spec);
    const back = layersModelToSpec(model);
    model.dispose();
    expect(back.inputs).toBe(12);
    expect(back.outputs).toBe(3);
    expect(back.layers.map((l) => l.kind)).toEqual(spec.layers.map((l) => l.kind));
    for (let i = 0; i < spec.layers.length; i++) {
      const a = spec.layers[i];
      const b = back.layers[i];
      if (a.kind === 'dense' && b.kind === 'dense') {
        expect(Array.from(b.kernel)).toEqual(Array.from(a.kernel));
        expect(Array.from(b.bias)).toEqual(Array.from(a.bias));
      }
      if (a.kind === 'batchnorm' && b.kind === 'batchnorm') {
        expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
        expect(b.epsilon).toBeCloseTo(a.epsilon, 12);
      }
      if (a.kind === 'activation' && b.kind === 'activation') expect(b.fn).toBe(a.fn);
    }
  });

  it('the ONNX model declares IR 8, opset 17, a symbolic batch dimension and carries metadata_props', () => {
    const spec = randomSpec(new Rng(7), [10, 6, 2], ['relu']);
    const bytes = specToOnnx(spec, { inputName: 'spectrum', outputName: 'latent', graphName: 'encoder', docString: 'doc', metadataProps: { 'xlatent.n_style': '2' } });
    const m = decodeOnnx(bytes) as any;
    expect(m.ir_version).toBe(ONNX_IR_VERSION);
    expect(m.opset_import).toEqual([{ domain: '', version: ONNX_OPSET }]);
    expect(m.graph.input[0].name).toBe('spectrum');
    expect(m.graph.input[0].type.tensor_type.shape.dim[0].dim_param).toBe('batch');
    expect(m.graph.input[0].type.tensor_type.shape.dim[1].dim_value).toBe(10);
    expect(m.graph.output[0].name).toBe('latent');
    expect(m.metadata_props).toEqual([{ key: 'xlatent.n_style', value: '2' }]);
    expect(m.graph.node.map((n: any) => n.op_type)).toEqual(['Gemm', 'Relu', 'Gemm']);
  });

  it('onnxruntime loads a model carrying metadata_props and reports the named input and output', async () => {
    const spec = randomSpec(new Rng(8), [4, 3, 2], ['relu']);
    const bytes = specToOnnx(spec, { inputName: 'a', outputName: 'b', graphName: 'g', metadataProps: { 'xlatent.grid': '{"start":1}' } });
    const s = await ort.InferenceSession.create(bytes);
    expect(s.inputNames).toEqual(['a']);
    expect(s.outputNames).toEqual(['b']);
  });
});
