#!/usr/bin/env node
// Full-trainer benchmark: trains the reference RankAAE workload (7,000 synthetic
// spectra x 256 points, 70% training rows, batch 1024, hidden 64, depth 5,
// nStyle 6, five descriptors, five sub-steps per batch) on each available
// backend and prints ms/epoch (one warm-up epoch, then --epochs timed epochs;
// our epochs include validation, the reference's do not). When
// `/usr/bin/python3 -c "import torch"` works, the PyTorch reference
// (../shared/bench/torch_rankaae_reference.py, or XLATENT_TORCH_REF) runs on the
// same workload right after the first backend, so the two see the most similar
// machine load, and every backend's ratio to it is printed.
//
//   npm run bench -- [--backends native,wasm,cpu] [--epochs 3] [--cpu-epochs 1] [--n 7000] [--no-torch]
//
// The pure-JS cpu backend is ~40x slower, so it gets --cpu-epochs timed epochs.
// Threads: XLATENT_THREADS for native (default: the cores idle at load), torch its default.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const backends = opt('backends', 'native,wasm,cpu').split(',');
const epochs = Number(opt('epochs', '3'));
const cpuEpochs = Number(opt('cpu-epochs', '1'));
const n = Number(opt('n', '7000'));
const grid = 256;
const nAux = 5;

const tf = await import('@tensorflow/tfjs');
const { selectBackend, describeBackend } = await import(join(root, 'src/backends/select.ts'));
const { RankAAETrainer } = await import(join(root, 'src/train/trainer.ts'));
const schema = await import(join(root, 'src/config/schema.ts'));
const { Rng } = await import(join(root, 'src/util/random.ts'));

function arrays(rows, seed) {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * grid);
  const y = new Float32Array(rows * nAux);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  for (let i = 0; i < y.length; i++) y[i] = rng.uniform();
  return { x, y, n: rows, m: grid, k: nAux };
}

/** Trains on one backend; returns { name, msEpoch, note } or undefined when it cannot load. */
async function benchBackend(name) {
  try {
    await selectBackend(name);
  } catch (e) {
    console.log(`${name}: unavailable (${e.message})`);
    return undefined;
  }
  const d = describeBackend();
  const timedEpochs = name === 'cpu' ? Math.min(epochs, cpuEpochs) : epochs;
  const stamps = [];
  const trainer = new RankAAETrainer({
    network: schema.NetworkSchema.parse({ nStyle: 6, hidden: 64, depth: 5 }),
    losses: schema.LossesSchema.parse({}),
    optimizer: schema.OptimizerSchema.parse({}),
    training: schema.TrainingSchema.parse({ epochs: timedEpochs + 1, batchSize: 1024 }),
    seed: 0,
    callbacks: [{ onEpochEnd: () => void stamps.push(performance.now()) }],
  });
  const t0 = performance.now();
  await trainer.fit(train, validation);
  const timed = stamps.slice(1).map((t, i) => t - stamps[i]);
  const msEpoch = timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length);
  const note = `warm-up ${(stamps[0] - t0).toFixed(0)} ms; ${timedEpochs} timed; threads ${d.threads ?? '?'}${d.blas ? `; ${d.blas.split(' ').slice(0, 2).join(' ')}` : ''}`;
  console.log(`${name.padEnd(8)} ${msEpoch.toFixed(0).padStart(8)} ms/epoch  (${note})`);
  tf.disposeVariables();
  return { name, msEpoch, note };
}

/** Runs the PyTorch reference; returns { msEpoch, note }, or undefined with the reason printed. */
function benchTorch() {
  const torchRef = process.env.XLATENT_TORCH_REF ?? resolve(root, '..', 'shared', 'bench', 'torch_rankaae_reference.py');
  const hasTorch = !args.includes('--no-torch') && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (!hasTorch || !existsSync(torchRef)) {
    console.log(`torch reference not run (${hasTorch ? `${torchRef} missing` : 'python3 torch unavailable or --no-torch'})`);
    return undefined;
  }
  const r = spawnSync('/usr/bin/python3', [torchRef, '--epochs', String(epochs), '--n', String(n), '--batch', '1024', '--grid', String(grid), '--nstyle', '6', '--naux', String(nAux)], { encoding: 'utf8' });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const ref = JSON.parse(line);
    const note = `torch ${ref.torch}, ${ref.threads} threads, ${epochs} timed, no validation`;
    console.log(`${'torch'.padEnd(8)} ${ref.ms_per_epoch.toFixed(0).padStart(8)} ms/epoch  (${note})`);
    return { msEpoch: ref.ms_per_epoch, note };
  } catch {
    console.log(`torch reference failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return undefined;
  }
}

const nTrain = Math.floor(0.7 * n);
const train = arrays(nTrain, 1);
const validation = arrays(Math.floor(0.15 * n), 2);
const results = [];
let torch;
for (const [i, name] of backends.entries()) {
  const res = await benchBackend(name);
  if (res) results.push(res);
  if (i === 0) torch = benchTorch();
}
if (backends.length === 0) torch = benchTorch();

console.log('\n| backend | ms/epoch | vs PyTorch |\n|---|---:|---:|');
for (const { name, msEpoch } of results) {
  console.log(`| ${name} | ${msEpoch.toFixed(0)} | ${torch ? `${(msEpoch / torch.msEpoch).toFixed(2)}x` : 'n/a'} |`);
}
if (torch) console.log(`| PyTorch (CPU) | ${torch.msEpoch.toFixed(0)} | 1.00x |`);
