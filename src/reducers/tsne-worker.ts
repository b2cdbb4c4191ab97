/**
 * Worker side of {@link ParallelRepulsion}: on each generation it rebuilds
 * the Barnes-Hut tree from the shared embedding and computes the repulsive
 * forces of its slice of points.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BhTree } from './bhtree.js';

interface Init {
  index: number;
  control: SharedArrayBuffer;
  y: SharedArrayBuffer;
  rep: SharedArrayBuffer;
  sums: SharedArrayBuffer;
}

const init = workerData as Init;
// control: [0] generation, [1] finished count, [2] n, [3] d, [4] stop flag, [5] ready count, [6] theta * 1e6, [7] workers
const control = new Int32Array(init.control);
const Y = new Float64Array(init.y);
const rep = new Float64Array(init.rep);
const sums = new Float64Array(init.sums);
Atomics.add(control, 5, 1);
Atomics.notify(control, 5);
let seen = 0;
for (;;) {
  Atomics.wait(control, 0, seen);
  const gen = Atomics.load(control, 0);
  if (Atomics.load(control, 4) === 1) break;
  seen = gen;
  const n = control[2];
  const d = control[3];
  const theta = control[6] / 1e6;
  const workers = control[7];
  const lo = Math.floor((init.index * n) / workers);
  const hi = Math.floor(((init.index + 1) * n) / workers);
  const tree = new BhTree(Y.subarray(0, n * d), n, d);
  const force = new Float64Array(d);
  const stack = new Int32Array(64 * (1 << d) + 16);
  let sumQ = 0;
  // Points in tree (Z-curve) order: consecutive queries walk the same cells, which stay in cache.
  for (let r = lo; r < hi; r++) {
    const i = tree.order[r];
    force.fill(0);
    sumQ += tree.repulsion(i, theta, force, stack);
    for (let t = 0; t < d; t++) rep[i * d + t] = force[t];
  }
  sums[init.index] = sumQ;
  Atomics.add(control, 1, 1);
  Atomics.notify(control, 1);
}
parentPort?.close();
