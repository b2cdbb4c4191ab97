import type { LayerSpec, NetworkSpec } from './spec.js';
import type { Mlp } from './mlp.js';

/**
 * Copies a trained network into its inference-mode NetworkSpec: dropout is
 * dropped, batch norm keeps its running statistics, and the values are
 * snapshots (later training does not change the spec).
 */
export function mlpToSpec(net: Mlp): NetworkSpec {
  const o = net.options;
  const layers: LayerSpec[] = [];
  let width = o.inputs;
  for (const b of net.blocks) {
    layers.push({
      kind: 'dense',
      inputs: width,
      units: o.hidden,
      kernel: read(b.dense.kernel),
      bias: read(b.dense.bias),
    });
    if (b.alpha) layers.push({ kind: 'prelu', alpha: read(b.alpha) });
    else layers.push({ kind: 'activation', fn: o.activation === 'prelu' ? 'relu' : o.activation });
    if (b.bn) {
      layers.push({ kind: 'batchnorm', mean: read(b.bn.mean), variance: read(b.bn.variance), epsilon: b.bn.epsilon });
    }
    width = o.hidden;
  }
  layers.push({ kind: 'dense', inputs: width, units: o.outputs, kernel: read(net.out.kernel), bias: read(net.out.bias) });
  if (net.outBn) {
    layers.push({
      kind: 'batchnorm',
      mean: read(net.outBn.mean),
      variance: read(net.outBn.variance),
      epsilon: net.outBn.epsilon,
    });
  } else if (o.output === 'softplus') {
    layers.push({ kind: 'activation', fn: 'softplus' });
  }
  return { inputs: o.inputs, outputs: o.outputs, layers };
}

function read(v: { dataSync(): ArrayLike<number> }): Float32Array {
  return Float32Array.from(v.dataSync());
}
