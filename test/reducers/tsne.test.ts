import { describe, expect, it } from 'vitest';
import {
  Tsne,
  calibrateRow,
  descentStep,
  exactRepulsion,
  exactTsneGradient,
  symmetrize,
  graphOrder,
  permuteSparse,
  tsneGradient,
  type SparseP,
} from '../../src/reducers/tsne.js';
import { loadReducer } from '../../src/reducers/registry.js';
import { ParallelRepulsion } from '../../src/reducers/tsne-parallel.js';
import { FftRepulsion, fftRepulsion } from '../../src/reducers/tsne-fft.js';
import { gemmAddon } from '../../src/reducers/gemm.js';
import { knnPrediction } from '../../src/metrics/knn-prediction.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { trustworthinessContinuity } from '../../src/metrics/neighborhood.js';
import { synthesizeXanes } from '../../src/data/synth.js';

function randomP(n: number, rng: Rng): SparseP {
  const K = 6;
  const idx = new Int32Array(n * K);
  const cond = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let a = 0; a < K; a++) {
      let j = rng.int(n - 1);
      if (j >= i) j++;
      idx[i * K + a] = j;
      s += cond[i * K + a] = rng.uniform() + 0.1;
    }
    for (let a = 0; a < K; a++) cond[i * K + a] /= s;
  }
  return symmetrize(idx, cond, n, K);
}

function dense(P: SparseP): Float64Array {
  const D = new Float64Array(P.n * P.n);
  for (let i = 0; i < P.n; i++) for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) D[i * P.n + P.cols[e]] = P.vals[e];
  return D;
}

/** Gaussian clusters in 40-D: `c` clusters of `per` points, centres 10 apart. */
function clusters(c: number, per: number, m: number, rng: Rng): { X: Float32Array; labels: Float64Array; n: number } {
  const n = c * per;
  const centres = Float64Array.from({ length: c * m }, () => 4 * rng.normal());
  const X = new Float32Array(n * m);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % c;
    labels[i] = k;
    for (let j = 0; j < m; j++) X[i * m + j] = centres[k * m + j] + rng.normal();
  }
  return { X, labels, n };
}

describe('t-SNE', () => {
  it('P is symmetric, sums to 1, and each calibrated row has the requested perplexity', () => {
    const rng = new Rng(1);
    const P = randomP(50, rng);
    const D = dense(P);
    let s = 0;
    for (let i = 0; i < 50; i++) for (let j = 0; j < 50; j++) {
      expect(D[i * 50 + j]).toBeCloseTo(D[j * 50 + i], 15);
      s += D[i * 50 + j];
    }
    expect(s).toBeCloseTo(1, 12);
    const dist = Float64Array.from({ length: 90 }, () => 100 + 5 * rng.uniform());
    const w = calibrateRow(dist, 30);
    const H = -w.reduce((acc, p) => acc + (p > 0 ? p * Math.log(p) : 0), 0);
    expect(Math.exp(H)).toBeCloseTo(30, 3);
  });

  it('calibrated rows reach the perplexity at every distance scale, and equal distances give equal weights', () => {
    const rng = new Rng(5);
    for (const scale of [1e-6, 1e-2, 1, 30, 1e4]) {
      for (const [K, perp] of [[90, 30], [15, 5], [40, 39], [10, 1.5]]) {
        // Clustered distances: a near group and a far one, so the entropy curve is far from a straight line.
        const dist = Float64Array.from({ length: K }, (_, a) => scale * (a % 3 === 0 ? 1 + rng.uniform() : 4 + 3 * rng.uniform()));
        const w = calibrateRow(dist, perp);
        expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
        const H = -w.reduce((acc, v) => acc + (v > 0 ? v * Math.log(v) : 0), 0);
        expect(Math.abs(H - Math.log(perp))).toBeLessThan(1e-5);
        // Nearer neighbours weigh more.
        for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) if (dist[a] < dist[b]) expect(w[a]).toBeGreaterThanOrEqual(w[b]);
      }
    }
    expect(Array.from(calibrateRow(new Float64Array(8).fill(2.5), 3))).toEqual(new Array(8).fill(1 / 8));
  });

  it('symmetrize equals (P_cond + P_cond^T) / sum summed densely, repeated neighbours included', () => {
    const rng = new Rng(31);
    const n = 40;
    const K = 7;
    const idx = new Int32Array(n * K);
    const cond = new Float64Array(n * K);
    for (let e = 0; e < n * K; e++) {
      // Few distinct candidates: rows repeat columns, and many pairs are neighbours both ways.
      let j = rng.int(8) + Math.floor(e / K) - 4;
      j = Math.min(n - 1, Math.max(0, j));
      if (j === Math.floor(e / K)) j = (j + 1) % n;
      idx[e] = j;
      cond[e] = rng.uniform() + 0.01;
    }
    const D = new Float64Array(n * n);
    let total = 0;
    for (let e = 0; e < n * K; e++) {
      const i = Math.floor(e / K);
      D[i * n + idx[e]] += cond[e];
      D[idx[e] * n + i] += cond[e];
      total += 2 * cond[e];
    }
    const P = symmetrize(idx, cond, n, K);
    let stored = 0;
    for (let i = 0; i < n; i++) {
      for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) {
        if (e > P.rowPtr[i]) expect(P.cols[e]).toBeGreaterThan(P.cols[e - 1]);
        expect(P.vals[e]).toBeCloseTo(D[i * n + P.cols[e]] / total, 15);
      }
      for (let j = 0; j < n; j++) if (D[i * n + j] > 0) stored++;
    }
    expect(P.cols.length).toBe(stored);
  });

  it('graph order renumbers P consistently and puts each point near its neighbours', () => {
    const rng = new Rng(33);
    const n = 300;
    const P = randomP(n, rng);
    const order = graphOrder(P);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const Q = permuteSparse(P, order);
    const D = dense(P);
    const E = dense(Q);
    let unsorted = 0;
    let moved = 0;
    for (let r = 0; r < n; r++) {
      for (let e = Q.rowPtr[r] + 1; e < Q.rowPtr[r + 1]; e++) if (Q.cols[e] <= Q.cols[e - 1]) unsorted++;
      for (let c = 0; c < n; c++) if (E[r * n + c] !== D[order[r] * n + order[c]]) moved++;
    }
    expect(unsorted).toBe(0);
    expect(moved).toBe(0);
    expect(Q.cols.length).toBe(P.cols.length);
    // Breadth-first: every point after the first of its component is a neighbour of an earlier one.
    for (let r = 1; r < n; r++) {
      let linked = false;
      for (let e = Q.rowPtr[r]; e < Q.rowPtr[r + 1]; e++) if (Q.cols[e] < r) linked = true;
      expect(linked).toBe(true);
    }
  });

  it('Barnes-Hut gradient equals the exact gradient at theta = 0 and is close at theta = 0.5', () => {
    const rng = new Rng(2);
    for (const d of [1, 2, 3]) {
      const n = 80;
      const P = randomP(n, rng);
      const Y = Float64Array.from({ length: n * d }, () => 3 * rng.normal());
      const exact = exactTsneGradient(dense(P), Y, n, d, 4);
      const bh0 = tsneGradient(P, Y, n, d, 0, 4).grad;
      let num = 0;
      let den = 0;
      for (let t = 0; t < n * d; t++) {
        expect(bh0[t]).toBeCloseTo(exact[t], 10);
        den += exact[t] ** 2;
      }
      const bh5 = tsneGradient(P, Y, n, d, 0.5, 4).grad;
      for (let t = 0; t < n * d; t++) num += (bh5[t] - exact[t]) ** 2;
      expect(Math.sqrt(num / den)).toBeLessThan(0.05);
    }
  });

  it('keeps well-separated clusters apart, transforms new points into their cluster, and round-trips JSON', () => {
    const rng = new Rng(3);
    const m = 40;
    const { X, labels, n } = clusters(4, 60, m, rng);
    const tsne = new Tsne({ perplexity: 15, maxIter: 400, seed: 1, pcaDims: 10 });
    const Y = tsne.fitTransform(X, n, m);
    expect(Y.length).toBe(n * 2);
    expect(knnPrediction(Y, n, 2, labels, { discrete: true }).accuracy!).toBeGreaterThan(0.95);
    expect(tsne.summary().klDivergence as number).toBeGreaterThan(0);
    const again = new Tsne({ perplexity: 15, maxIter: 400, seed: 1, pcaDims: 10 }).fitTransform(X, n, m);
    expect(Array.from(again)).toEqual(Array.from(Y));
    // New spectra: the same cluster centres, fresh noise; nearest training cluster in the embedding must match.
    const test = X.slice(0, 8 * m).map((v) => v + 0.3 * rng.normal());
    const loaded = loadReducer(JSON.parse(JSON.stringify(tsne.toJSON())));
    const Yt = loaded.transform(test, 8);
    expect(Array.from(Yt)).toEqual(Array.from(tsne.transform(test, 8)));
    const centroid = (k: number) => {
      let x = 0, y = 0, c = 0;
      for (let i = 0; i < n; i++) if (labels[i] === k) { x += Y[2 * i]; y += Y[2 * i + 1]; c++; }
      return [x / c, y / c];
    };
    const cents = [0, 1, 2, 3].map(centroid);
    for (let i = 0; i < 8; i++) {
      const dists = cents.map(([x, y]) => (Yt[2 * i] - x) ** 2 + (Yt[2 * i + 1] - y) ** 2);
      expect(dists.indexOf(Math.min(...dists))).toBe(labels[i]);
    }
  });

  it('rejects perplexity >= n before any work, and bad parameters at construction', () => {
    const X = new Float32Array(20 * 3).fill(1);
    expect(() => new Tsne({ perplexity: 30 }).fit(X, 20, 3)).toThrow(UserError);
    expect(() => new Tsne({ perplexity: 30 }).fit(X, 20, 3)).toThrow(/perplexity \(30\) must be less than the number of spectra \(20\)/);
    expect(() => new Tsne({ nComponents: 4 })).toThrow(/params.nComponents/);
    expect(() => new Tsne({ theta: -1 })).toThrow(UserError);
    const bad = new Float32Array(60).fill(1);
    bad[7] = NaN;
    expect(() => new Tsne({ perplexity: 5 }).fit(bad, 20, 3)).toThrow(/spectrum 2, point 1/);
  });
});

describe('t-SNE on worker threads', () => {
  it('parallel repulsion gives the single-thread gradient, and a threaded fit separates clusters', () => {
    const rng = new Rng(13);
    const n = 300;
    const P = randomP(n, rng);
    const par = ParallelRepulsion.start(n, 2, 2);
    expect(par).not.toBeNull();
    try {
      par!.Y.set(Float64Array.from({ length: n * 2 }, () => 5 * rng.normal()));
      const single = tsneGradient(P, Float64Array.from(par!.Y), n, 2, 0.5, 12);
      const threaded = tsneGradient(P, par!.Y, n, 2, 0.5, 12, new Float64Array(n * 2), par);
      expect(threaded.sumQ).toBeCloseTo(single.sumQ, 8);
      for (let t = 0; t < n * 2; t++) expect(threaded.grad[t]).toBeCloseTo(single.grad[t], 12);
    } finally {
      par!.stop();
    }
    const m = 12;
    const { X, labels, n: nc } = clusters(3, 40, m, rng);
    const two = new Tsne({ perplexity: 10, maxIter: 250, seed: 2, threads: 2 });
    const Y2 = two.fitTransform(X, nc, m);
    expect(two.summary().threads).toBe(2);
    expect(knnPrediction(Y2, nc, 2, labels, { discrete: true }).accuracy!).toBeGreaterThan(0.95);
  });
});

describe('FFT-accelerated t-SNE (interpolation on a grid)', () => {
  const exactRep = (Y: Float64Array, n: number, d: number) => {
    const r = exactRepulsion(Y, n, d);
    return { rep: r.rep, Z: r.sumQ };
  };
  const relErr = (a: Float64Array, b: Float64Array) => {
    let num = 0;
    let den = 0;
    for (let t = 0; t < a.length; t++) {
      num += (a[t] - b[t]) ** 2;
      den += b[t] ** 2;
    }
    return Math.sqrt(num / den);
  };

  it('repulsion and Z approach the exact sums, and converge as the grid refines', () => {
    const rng = new Rng(21);
    for (const d of [1, 2]) {
      const n = 400;
      const Y = Float64Array.from({ length: n * d }, () => 8 * rng.normal());
      const want = exactRep(Y, n, d);
      const errs = [3, 6].map((nodes) => {
        const rep = new Float64Array(n * d);
        const { sumQ } = fftRepulsion(Y, n, d, rep, { nodes, minBoxes: 50, boxesPerUnit: 1 }, false);
        return { rep: relErr(rep, want.rep), Z: Math.abs(sumQ - want.Z) / want.Z };
      });
      // FIt-SNE's default grid (3 nodes per unit box) is accurate to a few percent; 6 nodes to ~1e-3.
      expect(errs[0].rep).toBeLessThan(0.06);
      expect(errs[0].Z).toBeLessThan(0.02);
      expect(errs[1].rep).toBeLessThan(errs[0].rep / 10);
      expect(errs[1].Z).toBeLessThan(2e-3);
    }
    // A compact embedding (the early iterations) sits on the 50-box minimum grid: near exact.
    const Y = Float64Array.from({ length: 600 }, () => 0.5 * rng.normal());
    const rep = new Float64Array(600);
    const { sumQ } = fftRepulsion(Y, 300, 2, rep, undefined, false);
    const want = exactRep(Y, 300, 2);
    expect(relErr(rep, want.rep)).toBeLessThan(1e-3);
    expect(Math.abs(sumQ - want.Z) / want.Z).toBeLessThan(1e-4);
  });

  it('the full FFT gradient is close to the exact gradient', () => {
    const rng = new Rng(22);
    for (const d of [1, 2]) {
      const n = 150;
      const P = randomP(n, rng);
      const Y = Float64Array.from({ length: n * d }, () => 4 * rng.normal());
      const exact = exactTsneGradient(dense(P), Y, n, d, 1);
      const fft = tsneGradient(P, Y, n, d, new FftRepulsion(d, undefined, false), 1, undefined, null, false).grad;
      expect(relErr(fft, exact)).toBeLessThan(0.02);
    }
  });

  it('the descent step follows scikit-learn\'s gains and momentum, and the addon\'s step is the same bits', () => {
    const rng = new Rng(41);
    const len = 1001;
    const grad = Float64Array.from({ length: len }, () => rng.normal());
    // Gains near the floor (0.8 x 0.0124 < 0.01), a NaN gain that must stay NaN, updates of both signs.
    const gains0 = Float64Array.from({ length: len }, (_, t) => (t % 7 === 0 ? 0.0124 : 0.01 + 2 * rng.uniform()));
    gains0[5] = NaN;
    const update0 = Float64Array.from({ length: len }, () => rng.normal());
    const Y0 = Float64Array.from({ length: len }, () => 10 * rng.normal());
    const run = (native: boolean) => {
      const [update, gains, Y] = [update0.slice(), gains0.slice(), Y0.slice()];
      const norms = [0, 1, 2].map((s) => descentStep(grad.map((g) => g * (s % 2 ? -1 : 1)), update, gains, Y, 0.8, 200, native));
      return { update, gains, Y, norms };
    };
    const js = run(false);
    // The first step by hand: gains up where update and gradient differ in sign, else down to at least 0.01.
    const [update, gains, Y] = [update0.slice(), gains0.slice(), Y0.slice()];
    descentStep(grad, update, gains, Y, 0.5, 100, false);
    for (let t = 0; t < len; t++) {
      const g = update0[t] * grad[t] < 0 ? gains0[t] + 0.2 : Math.max(gains0[t] * 0.8, 0.01);
      if (t === 5) expect(gains[t]).toBeNaN();
      else expect(gains[t]).toBe(g);
      if (t !== 5) expect(Y[t]).toBe(Y0[t] + (0.5 * update0[t] - 100 * g * grad[t]));
    }
    expect(gains[7]).toBe(0.01);
    const addon = gemmAddon();
    if (!addon?.tsneStep) return; // no addon: nothing to compare
    const nat = run(true);
    expect(nat.norms).toEqual(js.norms);
    // Element by element with Object.is (the same doubles; NaN's payload bits may differ between C and V8).
    for (const key of ['update', 'gains', 'Y'] as const) expect(Array.from(nat[key])).toEqual(Array.from(js[key]));
  });

  it('the native addon computes the same bits as the JavaScript, repulsion and attraction', () => {
    if (!gemmAddon()?.tsneFft || !gemmAddon()?.tsneAttract) return; // no addon: nothing to compare
    const rng = new Rng(23);
    // Spans beyond the minimum grid: 99.5 gives 100 boxes (FFT length 600, radix-5 stages), 140 gives 144 (2^a 3^b),
    // 124.5 gives 125 (length 750 = 2 x 375: the C's first stage on the zero-padded half is radix-2, else radix-4).
    for (const [d, span, boxes] of [[1, 99.5, 100], [2, 99.5, 100], [2, 140, 144], [2, 124.5, 125]]) {
      const n = 700;
      const Y = Float64Array.from({ length: n * d }, (_, t) => (t < d ? 0 : t < 2 * d ? span : span * rng.uniform()));
      const js = new FftRepulsion(d, undefined, false);
      const c = new FftRepulsion(d, undefined, true);
      // The second call reuses the kernel's transform.
      for (const shift of [0, 0.25]) {
        const Ys = Y.map((v) => v + shift);
        const a = js.compute(Ys, n);
        const b = c.compute(Ys, n);
        expect(a.boxes).toBe(boxes);
        expect(b.sumQ).toBe(a.sumQ);
        expect(b.boxes).toBe(a.boxes);
        expect(Array.from(b.rep)).toEqual(Array.from(a.rep));
      }
    }
    for (const d of [1, 2, 3]) {
      const n = 3000;
      const P = randomP(n, rng);
      const Y = Float64Array.from({ length: n * d }, () => 3 * rng.normal());
      const a = tsneGradient(P, Y, n, d, 0.5, 12, undefined, null, false);
      const b = tsneGradient(P, Y, n, d, 0.5, 12, undefined, null, true);
      expect(Array.from(b.grad)).toEqual(Array.from(a.grad));
    }
  });

  it('the native addon computes the same bits as the JavaScript on the smallest grids (FFTs of one or two stages)', () => {
    if (!gemmAddon()?.tsneFft) return; // no addon: nothing to compare
    const rng = new Rng(29);
    // Lengths 2, 4 and 6: a one-stage transform reads the grid and writes its result back through the scratch.
    for (const [d, nodes] of [[1, 1], [2, 1], [2, 2], [2, 3]]) {
      const n = 40;
      const Y = Float64Array.from({ length: n * d }, () => rng.uniform());
      const o = { nodes, minBoxes: 1, boxesPerUnit: 1 };
      const a = new FftRepulsion(d, o, false).compute(Y, n);
      const b = new FftRepulsion(d, o, true).compute(Y, n);
      expect(a.boxes).toBe(1);
      expect(b.sumQ).toBe(a.sumQ);
      expect(Array.from(b.rep)).toEqual(Array.from(a.rep));
    }
  });

  it('method auto picks Barnes-Hut below 10,000 spectra; fft fits are reproducible, separate clusters and say so', () => {
    const rng = new Rng(24);
    const m = 30;
    const { X, labels, n } = clusters(4, 60, m, rng);
    const bh = new Tsne({ perplexity: 15, maxIter: 300, seed: 1 });
    bh.fit(X, n, m);
    expect(bh.summary().method).toBe('bh');
    expect(bh.summary().methodChoice).toMatch(/auto: fft from 10000 spectra/);
    const fft = new Tsne({ perplexity: 15, maxIter: 250, exaggerationIter: 100, seed: 1, method: 'fft' });
    const Y = fft.fitTransform(X, n, m);
    expect(fft.summary().method).toBe('fft');
    expect(fft.summary().fftBoxes).toBeGreaterThanOrEqual(50);
    expect(knnPrediction(Y, n, 2, labels, { discrete: true }).accuracy!).toBeGreaterThan(0.95);
    const short = () => new Tsne({ perplexity: 15, maxIter: 40, seed: 3, method: 'fft' }).fitTransform(X, n, m);
    expect(Array.from(short())).toEqual(Array.from(short()));
    const one = new Tsne({ perplexity: 15, maxIter: 300, seed: 1, method: 'fft', nComponents: 1 }).fitTransform(X, n, m);
    expect(knnPrediction(one, n, 1, labels, { discrete: true }).accuracy!).toBeGreaterThan(0.9);
    // A coarser grid: its parameters reach the grid and the summary.
    const coarse = new Tsne({ perplexity: 15, maxIter: 40, seed: 3, method: 'fft', fftNodes: 2, fftMinBoxes: 20, fftBoxesPerUnit: 0.5 });
    coarse.fit(X, n, m);
    expect(coarse.summary()).toMatchObject({ method: 'fft', fftNodesPerBox: 2, fftBoxesPerUnit: 0.5 });
    expect(coarse.summary().fftBoxes).toBeLessThan(fft.summary().fftBoxes as number);
    expect(() => new Tsne({ fftNodes: 7 })).toThrow(/params.fftNodes/);
    expect(() => new Tsne({ fftBoxesPerUnit: 0 })).toThrow(/params.fftBoxesPerUnit/);
    expect(() => new Tsne({ method: 'fft', nComponents: 3 })).toThrow(/params.method/);
    expect(() => new Tsne({ method: 'exact' as 'bh' })).toThrow(/expected "auto", "bh" or "fft"/);
    expect(() => new Tsne({ maxIter: 0 })).toThrow(/params.maxIter/);
    expect(() => new Tsne({ maxIter: 'many' as 'auto' })).toThrow(/params.maxIter/);
  });

  it('FFT and Barnes-Hut fits of the same spectra agree in trustworthiness; maxIter auto follows each peer', () => {
    const ds = synthesizeXanes({ count: 250, points: 64, seed: 5 });
    const fit = (method: 'bh' | 'fft') => {
      const t = new Tsne({ method, seed: 2 });
      const Y = t.fitTransform(ds.spectra, ds.n, ds.m);
      return { T: trustworthinessContinuity(ds.spectra, ds.n, ds.m, Y, 2, { k: 10 }).trustworthiness, info: t.summary() };
    };
    const bh = fit('bh');
    const fft = fit('fft');
    // scikit-learn's 1000 iterations with Barnes-Hut, openTSNE's 250 + 500 with FFT.
    expect(bh.info).toMatchObject({ method: 'bh', iterations: 1000 });
    expect(fft.info).toMatchObject({ method: 'fft', iterations: 750 });
    expect(bh.T).toBeGreaterThan(0.95);
    expect(Math.abs(fft.T - bh.T)).toBeLessThan(0.01);
  });

  it('an FFT fit is the same bits on one and on two threads of the addon', () => {
    const addon = gemmAddon();
    if (!addon?.tsneFft) return; // no addon: the JavaScript runs on one thread
    const rng = new Rng(32);
    const m = 20;
    // Above the sizes from which the attraction's rows, the FFT's blocks and the points' interpolation are split between threads.
    const { X, n } = clusters(5, 500, m, rng);
    const before = addon.threads();
    const run = (threads: number) => {
      addon.setThreads(threads);
      try {
        return new Tsne({ method: 'fft', perplexity: 10, maxIter: 60, exaggerationIter: 30, seed: 1 }).fitTransform(X, n, m);
      } finally {
        addon.setThreads(before);
      }
    };
    const one = run(1);
    const two = run(2);
    expect(Array.from(two)).toEqual(Array.from(one));
  });

  it('the addon rejects bad t-SNE arguments with a message', () => {
    const addon = gemmAddon();
    if (!addon?.tsneFft || !addon.tsneAttract) return;
    const n = 4;
    const Y = new Float64Array(8);
    const rep = new Float64Array(8);
    const M = 2 * 3 * 2;
    expect(() => addon.tsneFft!(Y, n, 3, 3, 2, 0, 1, 0, new Float32Array(M * M), 1, new Float32Array(6 * M * M), rep)).toThrow(/tsneFft: bad arguments/);
    expect(() => addon.tsneFft!(Y, n, 2, 3, 2, 0, 1, 0, new Float32Array(M), 1, new Float32Array(6 * M * M), rep)).toThrow(/tsneFft: arrays missing or too short/);
    expect(() => addon.tsneFft!(Y, n, 2, 7, 2, 0, 1, 0, new Float32Array(784), 1, new Float32Array(4704), rep)).toThrow(/not 2\^a 3\^b 5\^c/);
    const rowPtr = Int32Array.from([0, 1, 2, 3, 4]);
    const out = new Float64Array(8);
    expect(() => addon.tsneAttract!(rowPtr, Int32Array.from([1, 0, 3, 4]), new Float64Array(4), Y, n, 2, 1, rep, 1, out)).toThrow(/column index out of range/);
    expect(() => addon.tsneAttract!(Int32Array.from([0, 2, 1, 3, 4]), Int32Array.from([1, 0, 3, 2]), new Float64Array(4), Y, n, 2, 1, rep, 1, out)).toThrow(/bad row pointers/);
    expect(() => addon.tsneAttract!(rowPtr, Int32Array.from([1, 0, 3, 2]), new Float64Array(2), Y, n, 2, 1, rep, 1, out)).toThrow(/too short/);
  });
});
