/**
 * Kernel and training-step benchmark across the available tfjs backends.
 *
 *   npx tsx scripts/bench-kernels.ts [--backends native,wasm,cpu,webgpu] [--steps 3] [--profile] [--no-matmul]
 *
 * Prints ms per matmul for the reference workload's shapes (every transpose
 * combination, i.e. forward and both gradient products) and ms per training
 * step of the real trainer (src/train/step.ts trainStep: five sub-steps on
 * one batch of 1,024 spectra x 256 points; hidden 64, depth 5, nStyle 6,
 * five descriptors). --profile adds the step's per-kernel time breakdown
 * per backend (xlatent's fused kernels include the time of the tf ops their
 * generic versions run inside). Reads are asynchronous, so webgpu works
 * too. Threads: XLATENT_THREADS (native).
 */
import * as tf from '@tensorflow/tfjs';

import { describeBackend, selectBackend } from '../src/backends/select.js';
import { LossesSchema, NetworkSchema, OptimizerSchema } from '../src/config/schema.js';
import { createDecoder } from '../src/model/decoder.js';
import { Discriminator } from '../src/model/discriminator.js';
import { createEncoder } from '../src/model/encoder.js';
import { AdamW } from '../src/train/adamw.js';
import { gaussianKernel } from '../src/train/losses/smoothness.js';
import { TERMS, termVariables, trainStep, type RankAAEModel, type StepContext, type TermOptimizers } from '../src/train/step.js';
import { Rng } from '../src/util/random.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const backends = opt('backends', 'native,wasm,cpu').split(',');
const steps = Number(opt('steps', '3'));
const profile = args.includes('--profile');
const doMatmul = !args.includes('--no-matmul');

/** The reference workload (configs/bench-reference.yaml). */
const SHAPE = { grid: 256, hidden: 64, depth: 5, nStyle: 6, nAux: 5, batch: 1024 };
const { batch: B, grid: G, hidden: H, nStyle: Z } = SHAPE;
/** [m, k, n] of the workload's products: encoder input layer, hidden layers, latent, decoder output layer. */
const PRODUCTS: [string, number, number, number][] = [
  ['in  1024x256 * 256x64', B, G, H],
  ['hid 1024x64 * 64x64', B, H, H],
  ['lat 1024x64 * 64x6', B, H, Z],
  ['out 1024x64 * 64x256', B, H, G],
];

async function timeIt(f: () => Promise<void>, minMs = 300, maxReps = 200): Promise<number> {
  await f();
  let reps = 0;
  const t0 = performance.now();
  while (reps < maxReps && (reps < 3 || performance.now() - t0 < minMs)) {
    await f();
    reps++;
  }
  return (performance.now() - t0) / reps;
}

async function matmulRow(m: number, k: number, n: number): Promise<number[]> {
  const out: number[] = [];
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      const a = tf.randomNormal(ta ? [k, m] : [m, k]);
      const b = tf.randomNormal(tb ? [n, k] : [k, n]);
      out.push(
        await timeIt(async () => {
          const c = tf.matMul(a, b, ta, tb);
          await c.data();
          c.dispose();
        }),
      );
      tf.dispose([a, b]);
    }
  }
  return out;
}

/** The trainer's model, optimizers and one fixed batch, for timing trainStep. */
function workload(): { ctx: StepContext; batch: { x: tf.Tensor2D; y: tf.Tensor2D }; dispose(): void } {
  const rng = new Rng(1);
  const network = NetworkSchema.parse({ nStyle: Z, hidden: H, depth: SHAPE.depth });
  const losses = LossesSchema.parse({});
  const optimizer = OptimizerSchema.parse({});
  const model: RankAAEModel = { encoder: createEncoder(rng, G, network), decoder: createDecoder(rng, G, network), discriminator: new Discriminator(rng, network) };
  const optimizers: TermOptimizers = {};
  for (const term of TERMS) {
    const betas = term === 'adversarial' ? optimizer.adversarialBetas : optimizer.betas;
    optimizers[term] = new AdamW(termVariables(model, term), { lr: optimizer.lr * losses[term].lrRatio, beta1: betas[0], beta2: betas[1], weightDecay: optimizer.weightDecay });
  }
  const x = new Float32Array(B * G).map(() => rng.uniform());
  const y = new Float32Array(B * SHAPE.nAux).map(() => rng.uniform());
  const batch = { x: tf.tensor2d(x, [B, G]), y: tf.tensor2d(y, [B, SHAPE.nAux]) };
  const kernel = gaussianKernel(losses.smoothness.kernelSize, losses.smoothness.sigma);
  return {
    ctx: { model, optimizers, losses, kernel, rng, alpha: 0.1 },
    batch,
    dispose() {
      tf.dispose([batch.x, batch.y]);
      for (const n of [model.encoder, model.decoder, model.discriminator]) n.dispose();
      for (const term of TERMS) optimizers[term]?.dispose();
    },
  };
}

/** One training step, waiting for its results. */
async function step(w: ReturnType<typeof workload>): Promise<void> {
  const out = trainStep(w.ctx, w.batch);
  await Promise.all(Object.values(out).map((t) => t!.data()));
  tf.dispose(Object.values(out) as tf.Tensor[]);
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
  console.log(`${name}: threads=${d.threads ?? '?'}${d.blas ? ` blas=${d.blas}` : ''}${d.device ? ` device=${d.device}` : ''}`);
  if (doMatmul) {
    for (const [label, m, k, n] of PRODUCTS) matRows.push(`${name.padEnd(7)} ${label.padEnd(24)}${(await matmulRow(m, k, n)).map(fmt).join('')}`);
  }
  const w = workload();
  await step(w); // warm-up: kernel setup, shader compilation
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step(w);
  const msStep = (performance.now() - t0) / steps;
  stepRows.push(`${name.padEnd(7)} ${fmt(msStep)} ms/step   ${fmt((msStep * Math.ceil((0.7 * 7000) / B)) / 1000)} s/epoch (5 batches of 1024)`);
  if (profile) {
    const info = await tf.profile(() => step(w));
    const byName = new Map<string, [number, number]>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? [0, 0];
      e[0] += k.kernelTimeMs as number;
      e[1]++;
      byName.set(k.name, e);
    }
    const total = [...byName.values()].reduce((a, [ms]) => a + ms, 0);
    console.log(`  profile (${info.kernels.length} kernels, ${total.toFixed(0)} ms in kernels, nested ones counted again inside fused ones):`);
    for (const [k, [ms, n]] of [...byName].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15)) {
      console.log(`    ${k.padEnd(26)} ${fmt(ms)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  x${n}`);
    }
  }
  w.dispose();
}
if (matRows.length) {
  console.log(`\nms per matmul (m x k * k x n)          ${['NN', 'NT', 'TN', 'TT'].map((s) => s.padStart(8)).join('')}`);
  console.log(matRows.join('\n'));
}
console.log(`\nRankAAE training step (trainStep; batch ${B}, grid ${G}, hidden ${H}, depth ${SHAPE.depth}, nStyle ${Z}, five sub-steps):`);
console.log(stepRows.join('\n'));
