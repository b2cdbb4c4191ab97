#!/usr/bin/env node
// Full-trainer benchmark: trains the reference RankAAE workload (7,000 synthetic
// spectra x 256 points, 70% training rows, batch 1024, hidden 64, depth 5,
// nStyle 6, five descriptors, five sub-steps per batch) on each available
// backend and prints ms/epoch (one warm-up epoch, then --epochs timed epochs;
// validation included). When `/usr/bin/python3 -c "import torch"` works, the
// PyTorch reference (../shared/bench/torch_rankaae_reference.py, or
// XLATENT_TORCH_REF) runs on the same workload and the ratio is printed.
//
//   npm run bench -- [--backends native,wasm,cpu] [--epochs 3] [--n 7000] [--no-torch]
//
// Threads: XLATENT_THREADS for native (default: all cores), torch uses its default.
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

const nTrain = Math.floor(0.7 * n);
const train = arrays(nTrain, 1);
const validation = arrays(Math.floor(0.15 * n), 2);
const results = [];
for (const name of backends) {
  try {
    await selectBackend(name);
  } catch (e) {
    console.log(`${name}: unavailable (${e.message})`);
    continue;
  }
  const d = describeBackend();
  const stamps = [];
  const trainer = new RankAAETrainer({
    network: schema.NetworkSchema.parse({ nStyle: 6, hidden: 64, depth: 5 }),
    losses: schema.LossesSchema.parse({}),
    optimizer: schema.OptimizerSchema.parse({}),
    training: schema.TrainingSchema.parse({ epochs: epochs + 1, batchSize: 1024 }),
    seed: 0,
    onEpoch: () => stamps.push(performance.now()),
  });
  const t0 = performance.now();
  await trainer.fit(train, validation);
  const timed = stamps.slice(1).map((t, i) => t - stamps[i]);
  const msEpoch = timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length);
  results.push({ name, msEpoch });
  console.log(`${name.padEnd(8)} ${msEpoch.toFixed(0).padStart(8)} ms/epoch  (warm-up epoch ${(stamps[0] - t0).toFixed(0)} ms; threads ${d.threads ?? '?'}${d.blas ? `; ${d.blas.split(' ').slice(0, 2).join(' ')}` : ''})`);
  tf.disposeVariables();
}

const torchRef = process.env.XLATENT_TORCH_REF ?? resolve(root, '..', 'shared', 'bench', 'torch_rankaae_reference.py');
const hasTorch = !args.includes('--no-torch') && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (hasTorch && existsSync(torchRef)) {
  const r = spawnSync('/usr/bin/python3', [torchRef, '--epochs', String(epochs), '--n', String(n), '--batch', '1024', '--grid', String(grid), '--nstyle', '6', '--naux', String(nAux)], { encoding: 'utf8' });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const ref = JSON.parse(line);
    console.log(`${'torch'.padEnd(8)} ${ref.ms_per_epoch.toFixed(0).padStart(8)} ms/epoch  (torch ${ref.torch}, ${ref.threads} threads)`);
    for (const { name, msEpoch } of results) console.log(`  ${name}/torch = ${(msEpoch / ref.ms_per_epoch).toFixed(2)}x`);
  } catch {
    console.log(`torch reference failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  }
} else {
  console.log(`torch reference not run (${hasTorch ? `${torchRef} missing` : 'python3 torch unavailable or --no-torch'})`);
}
