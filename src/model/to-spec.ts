import type { LayerSpec, NetworkSpec } from './spec.js';
import type { Mlp } from './mlp.js';

/**
 * Copies a trained network into its inference-mode NetworkSpec: dropout is
 * dropped, batch norm keeps its running statistics, and the values are
 * snapshots (later training does not change the spec). Reads are
 * asynchronous, as a GPU backend needs them.
 */
export async function mlpToSpec(net: Mlp): Promise<NetworkSpec> {
  const read = async (v: { data(): Promise<ArrayLike<number>> }) => Float32Array.from(await v.data());
  const o = net.options;
  const layers: LayerSpec[] = [];
  let width = o.inputs;
  for (const b of net.blocks) {
    layers.push({
      kind: 'dense',
      inputs: width,
      units: o.hidden,
      kernel: await read(b.dense.kernel),
      bias: await read(b.dense.bias),
    });
    if (b.alpha) layers.push({ kind: 'prelu', alpha: await read(b.alpha) });
    else layers.push({ kind: 'activation', fn: o.activation === 'prelu' ? 'relu' : o.activation });
    if (b.bn) {
      layers.push({ kind: 'batchnorm', mean: await read(b.bn.mean), variance: await read(b.bn.variance), epsilon: b.bn.epsilon });
    }
    width = o.hidden;
  }
  layers.push({ kind: 'dense', inputs: width, units: o.outputs, kernel: await read(net.out.kernel), bias: await read(net.out.bias) });
  if (net.outBn) {
    layers.push({
      kind: 'batchnorm',
      mean: await read(net.outBn.mean),
      variance: await read(net.outBn.variance),
      epsilon: net.outBn.epsilon,
    });
  } else if (o.output === 'softplus') {
    layers.push({ kind: 'activation', fn: 'softplus' });
  }
  return { inputs: o.inputs, outputs: o.outputs, layers };
}

