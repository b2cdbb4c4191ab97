import { join } from 'node:path';
import { PCA } from 'ml-pca';
import type { NetworkSpec } from '../../src/model/spec.js';
import type { SpectralDataset } from '../../src/data/dataset.js';
import { synthesizeXanes } from '../../src/data/synth.js';
import { writeArrow } from '../../src/data/formats/arrow.js';
import { writeModelDir } from '../../src/export/model-dir.js';
import { gridMetaFor } from '../../src/export/metadata.js';

/**
 * A small but real "trained" model for report/analysis tests without
 * training: whitened PCA of synthetic Fe K-edge XANES as a linear
 * autoencoder (encoder z = (x - mean) V / sqrt(lambda), decoder its
 * inverse). The decoder also passes through PReLU, batch-norm and
 * activation layers that are exact identities, so every layer kind the
 * browser explorer must run is exercised. Axis k carries principal
 * component k, which for this data follows the edge position (OS) first.
 */
export interface Fixture {
  modelDir: string;
  dataPath: string;
  data: SpectralDataset;
  encoder: NetworkSpec;
  decoder: NetworkSpec;
}

export async function makeFixture(
  root: string,
  opts: {
    count?: number;
    d?: number;
    epochs?: number;
    points?: number;
    /** Names for the OS and CN descriptors (default OS, CN): hostile-name tests put markup here. */
    names?: [string, string];
    /** Spectrum ids (default the generator's). */
    id?: (i: number) => string;
  } = {},
): Promise<Fixture> {
  const d = opts.d ?? 3;
  const data = synthesizeXanes({ count: opts.count ?? 400, points: opts.points ?? 96, seed: 3, noise: 0.005 });
  const [osName, cnName] = opts.names ?? ['OS', 'CN'];
  data.descriptorNames = data.descriptorNames.map((x) => (x === 'OS' ? osName : x === 'CN' ? cnName : x));
  if (opts.id) data.ids = data.ids.map((_, i) => opts.id!(i));
  const { n, m } = data;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(data.spectra.subarray(i * m, (i + 1) * m)));
  const pca = new PCA(rows);
  const V = pca.getEigenvectors().to2DArray(); // m x m, columns are components
  const sd = pca.getStandardDeviations();
  const mean = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mean[j] += data.spectra[i * m + j] / n;

  const ek = new Float32Array(m * d);
  const eb = new Float32Array(d);
  for (let k = 0; k < d; k++) {
    let off = 0;
    for (let j = 0; j < m; j++) {
      ek[j * d + k] = V[j][k] / sd[k];
      off += mean[j] * V[j][k];
    }
    eb[k] = -off / sd[k];
  }
  const encoder: NetworkSpec = { inputs: m, outputs: d, layers: [{ kind: 'dense', inputs: m, units: d, kernel: ek, bias: eb }] };

  const h = 8;
  const k1 = new Float32Array(d * h);
  for (let k = 0; k < d; k++) k1[k * h + k] = 1; // copy z into the first d hidden units
  const k2 = new Float32Array(h * m);
  for (let k = 0; k < d; k++) for (let j = 0; j < m; j++) k2[k * m + j] = V[j][k] * sd[k];
  const decoder: NetworkSpec = {
    inputs: d,
    outputs: m,
    layers: [
      { kind: 'dense', inputs: d, units: h, kernel: k1, bias: new Float32Array(h) },
      { kind: 'prelu', alpha: new Float32Array(h).fill(1) },
      { kind: 'batchnorm', mean: new Float32Array(h), variance: new Float32Array(h).fill(1 - 1e-3), epsilon: 1e-3 },
      { kind: 'activation', fn: 'linear' },
      { kind: 'dense', inputs: h, units: m, kernel: k2, bias: Float32Array.from(mean) },
    ],
  };

  const dataPath = join(root, 'spectra.arrow');
  writeArrow(data, dataPath);
  const epochs = opts.epochs ?? 12;
  const lines: string[] = [];
  for (let e = 1; e <= epochs; e++) {
    lines.push(
      JSON.stringify({
        epoch: e,
        losses: { reconstruction: 0.05 / e + 0.002, adversarial: 0.69 + 0.02 * Math.sin(e), rank: 0.4 / Math.sqrt(e), cycle: 0.01 / e, smoothness: 0.003 },
        lr: 1e-3,
        alpha: 1,
        validation: { spearman: [0.5 + 0.03 * e, 0.3 + 0.04 * e, 0.2 + 0.05 * e], maxInterAxis: 0.2, reconstructionMse: 0.04 / e, relativeMse: 0.1 / e },
        score: 0.1 * e,
        best: e === epochs,
        seconds: 0.5,
      }),
    );
  }
  const modelDir = join(root, 'model');
  await writeModelDir(
    modelDir,
    {
      encoder,
      decoder,
      metadata: {
        grid: gridMetaFor(data.energies),
        axisKind: 'energy',
        normalization: { kind: 'none' },
        descriptors: [
          { name: osName, axis: 0, direction: 1, discrete: false },
          { name: cnName, axis: 1, direction: 1, discrete: true },
        ].slice(0, Math.min(2, d)) as never,
        nStyle: d,
        training: { config: { data: { file: dataPath, descriptors: [osName, cnName] }, network: { nStyle: d }, training: { epochs, seed: 0 } } },
        backend: { name: 'cpu' },
        metrics: {},
      },
    },
    { 'metrics.jsonl': lines.join('\n') + '\n' },
  );
  return { modelDir, dataPath, data, encoder, decoder };
}
