import { VpTree } from '../reducers/vptree.js';
import { check } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { KnnOodSchema } from './metadata.js';
import { scoreDistribution } from './ood.js';
import type { z } from 'zod';

/**
 * Out-of-distribution score for any model, decoder or not: how far a
 * spectrum lies from the spectra the model was fitted on. The score is the
 * mean Euclidean distance to the k nearest reference spectra, in the
 * model's input space (spectra on its grid, normalized as in training); its
 * percentile is read against the same distance of every reference spectrum
 * to its k nearest *other* reference spectra (each held out of its own
 * neighbourhood). A spectrum at percentile 99.9 is farther from the training
 * set than 99.9% of the training spectra are from each other.
 *
 * The reference is the training spectra themselves (a fixed-seed subsample
 * when there are more than `maxRows`), stored in the model directory as raw
 * float32 so the score can be computed wherever the model is loaded.
 */

/** The stored description of a kNN OOD reference (metadata.ood). */
export type KnnOodMeta = z.infer<typeof KnnOodSchema>;

/** A kNN OOD reference: its description plus the reference spectra. */
export interface KnnOodReference {
  meta: KnnOodMeta;
  /** meta.n x m reference spectra, row-major. */
  points: Float32Array;
}

/** File name of the reference spectra inside a model directory. */
export const KNN_OOD_FILE = 'ood-reference.f32';

/** Options of {@link buildKnnOod}. */
export interface KnnOodOptions {
  /** Neighbours averaged (default 5). */
  k?: number;
  /** Most reference spectra stored (default min(2000, 2^20 / m): at most 4 MiB). */
  maxRows?: number;
  /** Seed of the subsample (default 0). */
  seed?: number;
}

/**
 * Builds the reference from the training spectra.
 * @param X n x m normalized training spectra, row-major
 */
export function buildKnnOod(X: Float32Array, n: number, m: number, opts: KnnOodOptions = {}): KnnOodReference {
  check(n >= 3, `a kNN OOD reference needs at least 3 spectra, got ${n}`);
  check(X.length === n * m, `reference holds ${X.length} values, expected ${n} x ${m}`);
  const maxRows = opts.maxRows ?? Math.max(3, Math.min(2000, Math.floor(2 ** 20 / m)));
  let points: Float32Array;
  let r: number;
  if (n > maxRows) {
    const rows = new Rng(opts.seed ?? 0).permutation(n).slice(0, maxRows).sort();
    r = rows.length;
    points = new Float32Array(r * m);
    rows.forEach((i, t) => points.set(X.subarray(i * m, (i + 1) * m), t * m));
  } else {
    r = n;
    points = X.slice();
  }
  const k = Math.min(opts.k ?? 5, r - 1);
  const tree = new VpTree(points, r, m);
  const held = new Float64Array(r);
  for (let i = 0; i < r; i++) held[i] = meanDistance(tree.search(points, k, i, i * m).distances);
  const dist = scoreDistribution(held, 'a neighbour distance');
  return {
    meta: { metric: 'knn-distance', space: 'input', k, n: r, of: n, file: KNN_OOD_FILE, sample: dist.sample, p99: dist.p99 },
    points,
  };
}

function meanDistance(d: Float64Array): number {
  let s = 0;
  for (const v of d) s += v;
  return s / Math.max(1, d.length);
}

/**
 * Mean distance of each of n spectra to its k nearest reference spectra.
 * Each row is scored on its own, so the result does not depend on which
 * other spectra are passed with it.
 */
export function knnOodDistances(ref: KnnOodReference, X: Float32Array, n: number): Float64Array {
  const m = ref.points.length / ref.meta.n;
  check(X.length === n * m, `spectra hold ${X.length} values, expected ${n} x ${m}`);
  const tree = new VpTree(ref.points, ref.meta.n, m);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = meanDistance(tree.search(X, ref.meta.k, -1, i * m).distances);
  return out;
}

/** The reference spectra as file bytes (float32, little-endian). */
export function knnOodBytes(ref: KnnOodReference): Uint8Array {
  const out = new Uint8Array(ref.points.length * 4);
  const dv = new DataView(out.buffer);
  ref.points.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return out;
}

/** The reference spectra back from file bytes; a size that does not fit the metadata is an error naming `where`. */
export function knnOodFromBytes(meta: KnnOodMeta, bytes: Uint8Array, m: number, where: string): KnnOodReference {
  check(bytes.byteLength === meta.n * m * 4, `holds ${bytes.byteLength} bytes; ${meta.n} reference spectra of ${m} float32 points need ${meta.n * m * 4}`, where);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const points = new Float32Array(meta.n * m);
  for (let i = 0; i < points.length; i++) points[i] = dv.getFloat32(i * 4, true);
  return { meta, points };
}
