import { Worker } from 'node:worker_threads';

const TSX_BOOTSTRAP =
  "const { workerData } = require('node:worker_threads');" +
  "import('tsx/esm/api').then((m) => { m.register(); return import(workerData.url); });";

/**
 * Barnes-Hut repulsion of t-SNE split over worker threads sharing the
 * embedding through SharedArrayBuffers. fit() stays synchronous: the main
 * thread blocks on Atomics.wait while the workers run. Each worker builds
 * its own tree (cheap next to the traversals).
 */
export class ParallelRepulsion {
  private readonly workers: Worker[] = [];
  private readonly control: Int32Array;
  /** Shared embedding the caller writes before each call (n x d). */
  readonly Y: Float64Array;
  /** Shared output: unnormalized repulsive forces (n x d). */
  readonly rep: Float64Array;
  private readonly sums: Float64Array;
  private generation = 0;

  private constructor(
    readonly n: number,
    readonly d: number,
    readonly threads: number,
  ) {
    this.control = new Int32Array(new SharedArrayBuffer(8 * 4));
    this.Y = new Float64Array(new SharedArrayBuffer(n * d * 8));
    this.rep = new Float64Array(new SharedArrayBuffer(n * d * 8));
    this.sums = new Float64Array(new SharedArrayBuffer(threads * 8));
  }

  /**
   * Starts `threads` workers; returns null (caller falls back to one thread)
   * when they cannot start within `timeoutMs`, e.g. where the worker's
   * source cannot be loaded (some test runners).
   */
  static start(n: number, d: number, threads: number, timeoutMs = 10_000): ParallelRepulsion | null {
    const p = new ParallelRepulsion(n, d, threads);
    const fromSource = import.meta.url.endsWith('.ts');
    const url = new URL(fromSource ? './tsne-worker.ts' : './tsne-worker.js', import.meta.url);
    try {
      for (let w = 0; w < threads; w++) {
        const workerData = { url: url.href, index: w, control: p.control.buffer, y: p.Y.buffer, rep: p.rep.buffer, sums: p.sums.buffer };
        // From TypeScript sources (development, tests) the worker registers tsx's loader before importing its
        // module; Node 20 does not apply --import loaders to a worker's entry point.
        const worker = fromSource
          ? new Worker(TSX_BOOTSTRAP, { eval: true, workerData })
          : new Worker(url, { workerData });
        worker.on('error', () => {
          /* reported through the readiness timeout */
        });
        worker.unref();
        p.workers.push(worker);
      }
    } catch {
      p.stop();
      return null;
    }
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(p.control, 5) < threads) {
      const left = deadline - Date.now();
      if (left <= 0) {
        p.stop();
        return null;
      }
      Atomics.wait(p.control, 5, Atomics.load(p.control, 5), Math.min(left, 50));
    }
    return p;
  }

  /** Computes repulsion for the embedding in `this.Y`; returns Z = sum of q over all pairs. */
  compute(theta: number): number {
    const c = this.control;
    c[2] = this.n;
    c[3] = this.d;
    c[6] = Math.round(theta * 1e6);
    c[7] = this.threads;
    Atomics.store(c, 1, 0);
    this.generation++;
    Atomics.store(c, 0, this.generation);
    Atomics.notify(c, 0);
    while (Atomics.load(c, 1) < this.threads) Atomics.wait(c, 1, Atomics.load(c, 1), 1000);
    let s = 0;
    for (let w = 0; w < this.threads; w++) s += this.sums[w];
    return s;
  }

  stop(): void {
    Atomics.store(this.control, 4, 1);
    Atomics.add(this.control, 0, 1);
    Atomics.notify(this.control, 0);
    for (const w of this.workers) void w.terminate();
  }
}
