import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NetworkSchema } from '../../src/config/schema.js';
import { createDecoder } from '../../src/model/decoder.js';
import { createEncoder } from '../../src/model/encoder.js';
import { runNetwork, runNetworkAsync } from '../../src/model/infer.js';
import { mlpToSpec } from '../../src/model/to-spec.js';
import { Rng } from '../../src/util/random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('to-spec + runNetwork', () => {
  for (const activation of ['prelu', 'swish', 'relu'] as const) {
    it(`reproduces the inference-mode forward pass (${activation})`, async () => {
      const net = NetworkSchema.parse({ nStyle: 3, hidden: 8, depth: 3, activation, dropout: 0.3 });
      const rng = new Rng(5);
      const enc = createEncoder(rng, 12, net);
      const dec = createDecoder(rng, 12, net);
      const n = 10;
      const x = new Float32Array(n * 12);
      rng.fillNormal(x);
      // A few training passes so the running statistics differ from their initial values.
      tf.tidy(() => {
        for (let i = 0; i < 3; i++) dec.forward(enc.forward(tf.tensor2d(x, [n, 12]), { training: true, rng }), { training: true, rng });
      });
      // PReLU slopes start equal (0.25) and are only changed by optimizers: give every slope and every running
      // statistic its own value, so a spec that read the wrong variable, or a constant, could not pass.
      for (const net of [enc, dec])
        for (const [name, v] of net.namedVariables()) {
          if (!/prelu|bn\.(mean|variance)/.test(name)) continue;
          const vals = Float32Array.from({ length: v.size }, () => (name.endsWith('variance') ? 0.3 + 2 * rng.uniform() : name.endsWith('mean') ? rng.normal() : 0.05 + 0.6 * rng.uniform()));
          v.assign(tf.tensor(vals, v.shape));
        }
      // Every stored parameter equals its variable, layer by layer.
      for (const [net, specP] of [[enc, mlpToSpec(enc)], [dec, mlpToSpec(dec)]] as const) {
        const spec = await specP;
        const fromVars = new Map(net.namedVariables().map(([name, v]) => [name, Array.from(v.dataSync())]));
        const fromSpec = new Map<string, number[]>();
        // The i-th dense layer opens hidden block i (the last one is the output layer); what follows belongs to it.
        let dense = -1;
        for (const l of spec.layers) {
          if (l.kind === 'dense') dense++;
          const where = dense < net.blocks.length ? `block${dense}` : 'out';
          if (l.kind === 'dense') {
            fromSpec.set(`${where}.kernel`, Array.from(l.kernel));
            fromSpec.set(`${where}.bias`, Array.from(l.bias));
          } else if (l.kind === 'prelu') fromSpec.set(`${where}.prelu`, Array.from(l.alpha));
          else if (l.kind === 'batchnorm') {
            fromSpec.set(`${where}.bn.mean`, Array.from(l.mean));
            fromSpec.set(`${where}.bn.variance`, Array.from(l.variance));
            expect(l.epsilon).toBe(1e-5);
          }
        }
        expect([...fromSpec.keys()].sort()).toEqual([...fromVars.keys()].sort());
        for (const [name, vals] of fromVars) expect(fromSpec.get(name), name).toEqual(vals);
      }
      const z = tf.tidy(() => enc.forward(tf.tensor2d(x, [n, 12]), { training: false }));
      const xhat = tf.tidy(() => dec.forward(z, { training: false }));
      const encSpec = await mlpToSpec(enc);
      const decSpec = await mlpToSpec(dec);
      expect(encSpec.layers.some((l) => l.kind === 'batchnorm')).toBe(true);
      const zs = runNetwork(encSpec, x, n, 4);
      const xs = runNetwork(decSpec, zs, n, 3);
      // The asynchronous reader (what training uses, for GPU backends) gives the same numbers, without leaking.
      const before = tf.memory().numTensors;
      expect(Array.from(await runNetworkAsync(encSpec, x, n, 4))).toEqual(Array.from(zs));
      expect(Array.from(await runNetworkAsync(decSpec, zs, n, 3))).toEqual(Array.from(xs));
      expect(tf.memory().numTensors).toBe(before);
      const zr = z.dataSync();
      const xr = xhat.dataSync();
      for (let i = 0; i < zr.length; i++) expect(zs[i]).toBeCloseTo(zr[i], 4);
      for (let i = 0; i < xr.length; i++) expect(xs[i]).toBeCloseTo(xr[i], 4);
      for (const v of xs) expect(v).toBeGreaterThanOrEqual(0); // softplus output
      tf.dispose([z, xhat]);
      enc.dispose();
      dec.dispose();
    });
  }

  it('rejects input of the wrong size', async () => {
    const spec = { inputs: 2, outputs: 1, layers: [] };
    expect(() => runNetwork(spec, new Float32Array(3), 2)).toThrow(/expected 2 x 2/);
    await expect(runNetworkAsync(spec, new Float32Array(3), 2)).rejects.toThrow(/expected 2 x 2/);
  });
});
