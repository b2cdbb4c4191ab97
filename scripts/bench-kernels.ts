/**
 * Kernel and training-step benchmark across the available tfjs backends.
 *
 *   npx tsx scripts/bench-kernels.ts [--backends native,wasm,cpu] [--steps 3] [--profile] [--no-matmul]
 *
 * Prints ms per matmul for the RankAAE workload's shapes (every transpose
 * combination, i.e. forward and both gradient products) and ms per
 * RankAAE-like training step (five sub-steps on a 1024 batch; see
 * src/backends/bench-workload.ts). --profile adds the step's per-kernel time
 * breakdown per backend. Threads: XLATENT_THREADS (native).
 */
import * as tf from '@tensorflow/tfjs';

import { REFERENCE_SHAPE, Workload } from '../src/backends/bench-workload.js';
import { describeBackend, selectBackend } from '../src/backends/select.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const backends = opt('backends', 'native,wasm,cpu').split(',');
const steps = Number(opt('steps', '3'));
const profile = args.includes('--profile');
const doMatmul = !args.includes('--no-matmul');

const { batch: B, grid: G, hidden: H, nStyle: Z } = REFERENCE_SHAPE;
/** [m, k, n] of the workload's products: encoder input layer, hidden layers, latent, decoder output layer. */
const PRODUCTS: [string, number, number, number][] = [
  ['in  1024x256 * 256x64', B, G, H],
  ['hid 1024x64 * 64x64', B, H, H],
  ['lat 1024x64 * 64x6', B, H, Z],
  ['out 1024x64 * 64x256', B, H, G],
];

function timeIt(f: () => void, minMs = 300, maxReps = 200): number {
  f();
  let reps = 0;
  const t0 = performance.now();
  while (reps < maxReps && (reps < 3 || performance.now() - t0 < minMs)) {
    f();
    reps++;
  }
  return (performance.now() - t0) / reps;
}

function matmulRow(m: number, k: number, n: number): number[] {
  return [false, true].flatMap((ta) =>
    [false, true].map((tb) => {
      const a = tf.randomNormal(ta ? [k, m] : [m, k]);
      const b = tf.randomNormal(tb ? [n, k] : [k, n]);
      const ms = timeIt(() => {
        // Nothing returned from tidy: it walks returned containers element by element.
        tf.tidy(() => {
          tf.matMul(a, b, ta, tb).dataSync();
        });
      });
      tf.dispose([a, b]);
      return ms;
    }),
  );
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)).padStart(8);

const matRows: string[] = [];
const stepRows: string[] = [];
for (const name of backends) {
  try {
    await selectBackend(name as never);
  } catch (e) {
    console.log(`${name}: unavailable (${(e as Error).message})`);
    continue;
  }
  const d = describeBackend();
  console.log(`${name}: threads=${d.threads ?? '?'}${d.blas ? ` blas=${d.blas}` : ''}`);
  if (doMatmul) {
    for (const [label, m, k, n] of PRODUCTS) {
      matRows.push(`${name.padEnd(7)} ${label.padEnd(24)}${matmulRow(m, k, n).map(fmt).join('')}`);
    }
  }
  const w = new Workload(REFERENCE_SHAPE, 1);
  w.step(); // warm-up: kernel setup, optimizer slots
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) w.step();
  const msStep = (performance.now() - t0) / steps;
  stepRows.push(`${name.padEnd(7)} ${fmt(msStep)} ms/step   ${fmt((msStep * Math.ceil((0.7 * 7000) / B)) / 1000)} s/epoch (5 batches of 1024)`);
  if (profile) {
    const info = await tf.profile(() => {
      w.step();
    });
    const byName = new Map<string, [number, number]>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? [0, 0];
      e[0] += k.kernelTimeMs as number;
      e[1]++;
      byName.set(k.name, e);
    }
    const total = [...byName.values()].reduce((a, [ms]) => a + ms, 0);
    console.log(`  profile (${info.kernels.length} kernels, ${total.toFixed(0)} ms in kernels):`);
    for (const [k, [ms, n]] of [...byName].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15)) {
      console.log(`    ${k.padEnd(22)} ${fmt(ms)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  x${n}`);
    }
  }
  w.dispose();
}
if (matRows.length) {
  console.log(`\nms per matmul (m x k * k x n)          ${['NN', 'NT', 'TN', 'TT'].map((s) => s.padStart(8)).join('')}`);
  console.log(matRows.join('\n'));
}
console.log(`\nRankAAE-like training step (batch ${B}, grid ${G}, hidden ${H}, depth ${REFERENCE_SHAPE.depth}, nStyle ${Z}, five sub-steps):`);
console.log(stepRows.join('\n'));
