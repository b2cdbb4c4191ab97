import { fastPow } from './fast-math.js';
import { gemmAddon } from './gemm.js';

/**
 * umap-learn's layout SGD (optimize_layout_euclidean, move_other = true)
 * over a typed-array graph, in place on `emb`: edges below max / nEpochs are
 * dropped, each edge is sampled every max / w epochs with negativeSampleRate
 * negative samples, gradients are clipped to +-4 and the learning rate falls
 * linearly to 0.
 *
 * What differs from umap-learn's loop, and why:
 * - one pow per sample (d^b = d * d^(b-1)), by the table-driven
 *   {@link fastPow}: pow sits on the dependency chain of every sample;
 * - each epoch's sampled edges are stepped in two interleaved lanes (the
 *   first and second halves of the list, alternately, one sample at a
 *   time): consecutive samples of one lane depend on each other through the
 *   head's position, the two lanes almost never do, so the CPU overlaps them
 *   (1.4x). The order is fixed, so the result still is;
 * - a seeded xorshift32 stream draws the negative samples.
 * With the native addon the epochs run in the C twin of this function
 * (xl_umap_sgd in native/src/embed.c), which is bit-identical, so a fit does
 * not depend on whether the addon is built.
 * @param emb n x dim initial embedding, updated in place
 * @param seed seed of the negative-sample stream
 * @param native false keeps the JavaScript loop (tests compare the two)
 */
export function umapSgd(
  graph: { n: number; head: Int32Array; tail: Int32Array; weight: Float64Array },
  emb: Float64Array,
  dim: number,
  a: number,
  b: number,
  nEpochs: number,
  seed: number,
  negativeSampleRate = 5,
  repulsionStrength = 1,
  native = true,
): void {
  const { n } = graph;
  let max = 0;
  for (let e = 0; e < graph.weight.length; e++) if (graph.weight[e] > max) max = graph.weight[e];
  let E = 0;
  for (let e = 0; e < graph.weight.length; e++) if (graph.weight[e] >= max / nEpochs) E++;
  const head = new Int32Array(E);
  const tail = new Int32Array(E);
  const eps = new Float64Array(E);
  for (let e = 0, t = 0; e < graph.weight.length; e++) {
    if (!(graph.weight[e] >= max / nEpochs)) continue;
    head[t] = graph.head[e];
    tail[t] = graph.tail[e];
    eps[t++] = max / graph.weight[e];
  }
  const state = (seed * 2654435761 + 1) >>> 0 || 1;
  const nat = native ? gemmAddon() : null;
  if (nat?.umapSgd) nat.umapSgd(emb, n, dim, head, tail, eps, a, b, nEpochs, state, negativeSampleRate, repulsionStrength);
  else sgdEpochs(emb, n, dim, head, tail, eps, a, b, nEpochs, state, negativeSampleRate, repulsionStrength);
}

/** The epochs of {@link umapSgd} over its kept edges; xl_umap_sgd in native/src/embed.c is the same, operation by operation. */
function sgdEpochs(
  emb: Float64Array,
  n: number,
  dim: number,
  head: Int32Array,
  tail: Int32Array,
  eps: Float64Array,
  a: number,
  b: number,
  nEpochs: number,
  state: number,
  negativeSampleRate: number,
  repulsionStrength: number,
): void {
  const E = eps.length;
  const epsNeg = eps.map((e) => e / negativeSampleRate);
  const nextSample = eps.slice();
  const nextNeg = epsNeg.slice();
  const active = new Int32Array(E);
  const activeNeg = new Int32Array(E);
  let s = state;
  const c: SgdConstants = { a, b, twoAB: 2 * a * b, gb: 2 * repulsionStrength * b, bm1: b - 1, alpha: 0, dim };
  const draw = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) % n) * dim;
  };
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    c.alpha = 1 - epoch / nEpochs;
    let A = 0;
    for (let i = 0; i < E; i++) {
      if (nextSample[i] > epoch) continue;
      nextSample[i] += eps[i];
      const nNeg = Math.floor((epoch - nextNeg[i]) / epsNeg[i]);
      nextNeg[i] += nNeg * epsNeg[i];
      active[A] = i;
      activeNeg[A++] = nNeg > 0 ? nNeg : 0;
    }
    const h = (A + 1) >> 1;
    for (let q = 0; q < h; q++) {
      const u = active[q];
      const ju = head[u] * dim;
      attract(c, emb, ju, tail[u] * dim);
      const nu = activeNeg[q];
      if (q + h < A) {
        const v = active[q + h];
        const jv = head[v] * dim;
        attract(c, emb, jv, tail[v] * dim);
        const nv = activeNeg[q + h];
        const m = nu > nv ? nu : nv;
        for (let p = 0; p < m; p++) {
          if (p < nu) repel(c, emb, ju, draw());
          if (p < nv) repel(c, emb, jv, draw());
        }
      } else {
        for (let p = 0; p < nu; p++) repel(c, emb, ju, draw());
      }
    }
  }
}

interface SgdConstants {
  a: number;
  b: number;
  twoAB: number;
  gb: number;
  bm1: number;
  alpha: number;
  dim: number;
}

/** Attractive step along an edge (offsets j, k into emb): both ends move, as umap-learn's move_other. */
function attract(c: SgdConstants, emb: Float64Array, j: number, k: number): void {
  const dim = c.dim;
  let d2 = 0;
  for (let t = 0; t < dim; t++) {
    const u = emb[j + t] - emb[k + t];
    d2 += u * u;
  }
  let coeff = 0;
  if (d2 > 0) {
    const pb1 = fastPow(d2, c.bm1);
    coeff = (-c.twoAB * pb1) / (c.a * pb1 * d2 + 1);
  }
  for (let t = 0; t < dim; t++) {
    let g = coeff * (emb[j + t] - emb[k + t]);
    g = g > 4 ? 4 : g < -4 ? -4 : g;
    emb[j + t] += g * c.alpha;
    emb[k + t] -= g * c.alpha;
  }
}

/** Repulsive step of the point at offset j from the negative sample at offset o: only j moves. */
function repel(c: SgdConstants, emb: Float64Array, j: number, o: number): void {
  const dim = c.dim;
  let dn = 0;
  for (let t = 0; t < dim; t++) {
    const u = emb[j + t] - emb[o + t];
    dn += u * u;
  }
  if (dn <= 0) return;
  const cn = c.gb / ((0.001 + dn) * (c.a * fastPow(dn, c.b) + 1));
  for (let t = 0; t < dim; t++) {
    let g = cn * (emb[j + t] - emb[o + t]);
    g = g > 4 ? 4 : g < -4 ? -4 : g;
    emb[j + t] += g * c.alpha;
  }
}
