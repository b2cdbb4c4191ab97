import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { metadataDigest, sha256Hex } from '../../src/export/digest.js';
import type { LayerSpec, NetworkSpec } from '../../src/model/spec.js';
import { Rng } from '../../src/util/random.js';

/** Hidden-layer kinds a test network can use between its dense layers. */
export type HiddenKind = 'prelu' | 'swish' | 'relu' | 'softplus' | 'linear' | 'batchnorm';

/**
 * A random NetworkSpec: dense layers of the given widths, each hidden one
 * followed by `hidden` (batchnorm gets positive variances and offset means so
 * it is not an identity), optionally a final activation.
 */
export function randomSpec(
  rng: Rng,
  widths: number[],
  hidden: HiddenKind[],
  finalActivation: 'softplus' | 'linear' = 'linear',
): NetworkSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const inputs = widths[i];
    const units = widths[i + 1];
    const kernel = rng.fillNormal(new Float32Array(inputs * units), 0, 1 / Math.sqrt(inputs)) as Float32Array;
    const bias = rng.fillNormal(new Float32Array(units), 0, 0.3) as Float32Array;
    layers.push({ kind: 'dense', inputs, units, kernel, bias });
    if (i + 2 < widths.length) {
      for (const kind of hidden) {
        if (kind === 'prelu') {
          const alpha = new Float32Array(units);
          for (let c = 0; c < units; c++) alpha[c] = 0.05 + 0.5 * rng.uniform();
          layers.push({ kind: 'prelu', alpha });
        } else if (kind === 'batchnorm') {
          const mean = rng.fillNormal(new Float32Array(units), 0, 0.5) as Float32Array;
          const variance = new Float32Array(units);
          for (let c = 0; c < units; c++) variance[c] = 0.2 + 2 * rng.uniform();
          layers.push({ kind: 'batchnorm', mean, variance, epsilon: 1e-3 });
        } else layers.push({ kind: 'activation', fn: kind });
      }
    }
  }
  if (finalActivation !== 'linear') layers.push({ kind: 'activation', fn: finalActivation });
  return { inputs: widths[0], outputs: widths[widths.length - 1], layers };
}

/** Plain float64 forward pass written straight from the NetworkSpec definitions: the independent reference. */
export function referenceForward(spec: NetworkSpec, input: Float32Array, n: number): Float64Array {
  let x = Float64Array.from(input);
  let width = spec.inputs;
  for (const l of spec.layers) {
    if (l.kind === 'dense') {
      const y = new Float64Array(n * l.units);
      for (let r = 0; r < n; r++)
        for (let u = 0; u < l.units; u++) {
          let s = l.bias[u];
          for (let k = 0; k < l.inputs; k++) s += x[r * width + k] * l.kernel[k * l.units + u];
          y[r * l.units + u] = s;
        }
      x = y;
      width = l.units;
    } else {
      for (let i = 0; i < x.length; i++) {
        const c = i % width;
        const v = x[i];
        if (l.kind === 'prelu') x[i] = v > 0 ? v : l.alpha[c] * v;
        else if (l.kind === 'batchnorm') x[i] = (v - l.mean[c]) / Math.sqrt(l.variance[c] + l.epsilon);
        else if (l.fn === 'relu') x[i] = Math.max(0, v);
        else if (l.fn === 'softplus') x[i] = Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);
        else if (l.fn === 'swish') x[i] = v / (1 + Math.exp(-v));
      }
    }
  }
  return x;
}

/** Random rows, standard normal, as float32. */
export function randomInput(rng: Rng, n: number, width: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n * width), 0, std) as Float32Array;
}

/** Largest |a - b| over all entries. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Metadata input for a small synthetic model: grid of m points, nStyle axes, descriptors on the first axes. */
export function syntheticMetadata(m: number, nStyle: number, descriptorNames: string[] = ['CN', 'OS']) {
  return {
    grid: { start: 7100, stop: 7100 + (m - 1) * 0.5, step: 0.5, length: m },
    axisKind: 'energy' as const,
    normalization: { kind: 'minmax' as const },
    descriptors: descriptorNames.map((name, axis) => ({ name, axis, direction: (axis % 2 ? -1 : 1) as 1 | -1, discrete: name === 'CN' })),
    nStyle,
    training: { config: { seed: 3, network: { nStyle, hidden: 16 }, data: { file: 'x.csv' } } },
    backend: { name: 'cpu' },
    metrics: { testMse: 0.01 },
  };
}

/** Applies `edit` to metadata.json, refreshes the listed files' sizes and hashes, and re-signs it. */
export function resign(dir: string, edit: (meta: Record<string, any>) => void = () => {}): void {
  const p = join(dir, 'metadata.json');
  const meta = JSON.parse(readFileSync(p, 'utf8'));
  edit(meta);
  for (const f of meta.files) {
    try {
      const bytes = readFileSync(join(dir, f.path));
      f.sha256 = sha256Hex(bytes);
      f.bytes = bytes.byteLength;
    } catch {
      /* a path that does not resolve stays as edited */
    }
  }
  meta.metadataSha256 = metadataDigest(meta);
  writeFileSync(p, JSON.stringify(meta));
}
