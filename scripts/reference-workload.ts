/**
 * The reference RankAAE workload of the speed comparisons (scripts/bench.mjs,
 * scripts/gpu-check.sh): n synthetic spectra x 256 points with five
 * uniform descriptors, 70% training and 15% validation rows, batch 1,024,
 * hidden 64, depth 5, nStyle 6, augmentation noise 0.02 (as the PyTorch reference), the
 * trainer's default losses and optimizer
 * (configs/bench-reference.yaml is the same workload for `xlatent train`).
 * Timing: one warm-up epoch (kernel set-up, shader compilation), then the
 * mean of the timed epochs; our epochs include a validation pass.
 */
import * as tf from '@tensorflow/tfjs';

import { describeBackend, selectBackend } from '../src/backends/select.js';
import { LossesSchema, NetworkSchema, OptimizerSchema, TrainingSchema, type BackendName } from '../src/config/schema.js';
import { RankAAETrainer, type TrainingArrays, type TrainResult } from '../src/train/trainer.js';
import { startProfile, stopProfile, type ProfileReport } from '../src/util/profile.js';
import { Rng } from '../src/util/random.js';

export const GRID = 256;
export const N_AUX = 5;

/**
 * The trainer settings of the workload, as configs/bench-reference.yaml writes them for
 * `xlatent train` (test/structure/reference-workload.test.ts holds the two equal once both are
 * resolved with the config schemas' defaults).
 */
export const REFERENCE_SETTINGS = {
  seed: 0,
  network: { nStyle: 6, hidden: 64, depth: 5, activation: 'prelu', dropout: 0.04 },
  training: { batchSize: 1024, augmentNoise: 0.02 },
} as const;

/** `rows` spectra and descriptors, uniform in [0, 1) (the PyTorch reference draws the same kind of data). */
export function referenceArrays(rows: number, seed: number): TrainingArrays {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * GRID);
  const y = new Float32Array(rows * N_AUX);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  for (let i = 0; i < y.length; i++) y[i] = rng.uniform();
  return { x, y, n: rows, m: GRID, k: N_AUX };
}

/** Training and validation rows of an n-spectrum reference run. */
export function referenceSplit(n: number): { train: TrainingArrays; validation: TrainingArrays } {
  return { train: referenceArrays(Math.floor(0.7 * n), 1), validation: referenceArrays(Math.floor(0.15 * n), 2) };
}

export interface EpochTiming {
  backend: string;
  /** Mean ms per timed epoch. */
  msEpoch: number;
  warmupMs: number;
  timedEpochs: number;
  threads: number | null;
  blas: string | null;
  device: string | null;
  /** The trained networks (for export checks). */
  result: TrainResult;
  /** Sections and kernels of the timed epochs, when asked for (opts.profile). */
  profile?: ProfileReport;
}

/** The profile as text: phases (nested time included; wall and CPU) and kernels (own wall time), per epoch. */
export function formatProfile(p: ProfileReport, epochs: number): string {
  const per = (ms: number) => (ms / epochs).toFixed(1).padStart(8);
  const pct = (ms: number) => `${((100 * ms) / p.wallMs).toFixed(1).padStart(5)}%`;
  const kernels = p.sections.filter((s) => s.kind === 'kernel');
  const wall = (ss: typeof kernels) => ss.reduce((a, s) => a + s.selfMs, 0);
  const lines = [
    `epoch profile, ms per epoch over ${epochs} epochs: ${per(p.wallMs).trim()} wall (${per(p.cpuMs).trim()} CPU, all threads), ` +
      `${per(wall(kernels)).trim()} of it in backend kernels, ${per(p.gcMs).trim()} in garbage collection`,
    '  phase (nested phases and kernels included)    wall ms  share    CPU ms  outside kernels',
  ];
  const phases = p.sections.filter((s) => s.kind === 'phase').sort((a, b) => b.totalMs - a.totalMs);
  for (const s of phases) lines.push(`  ${s.name.padEnd(43)}${per(s.totalMs)} ${pct(s.totalMs)}  ${per(s.totalCpuMs)}  ${per(s.selfMs)}`);
  lines.push('  kernel (own time)                        calls/epoch   wall ms  share');
  const shown = kernels.slice(0, 20);
  for (const s of shown) lines.push(`  ${s.name.padEnd(40)}${(s.calls / epochs).toFixed(0).padStart(8)}  ${per(s.selfMs)} ${pct(s.selfMs)}`);
  const rest = kernels.slice(shown.length);
  if (rest.length > 0) {
    lines.push(`  ${`(${rest.length} more kernels)`.padEnd(40)}${(rest.reduce((a, s) => a + s.calls, 0) / epochs).toFixed(0).padStart(8)}  ${per(wall(rest))} ${pct(wall(rest))}`);
  }
  return lines.join('\n');
}

/**
 * Trains the reference workload on `backend` for one warm-up epoch plus
 * `timedEpochs`, and returns the mean epoch time.
 * @throws when the backend cannot load (UserError saying why)
 */
export async function timeReferenceTraining(
  backend: BackendName,
  data: ReturnType<typeof referenceSplit>,
  timedEpochs: number,
  opts: { profile?: boolean } = {},
): Promise<EpochTiming> {
  await selectBackend(backend, { training: true });
  const d = describeBackend();
  const stamps: number[] = [];
  let profile: ProfileReport | undefined;
  const trainer = new RankAAETrainer({
    network: NetworkSchema.parse(REFERENCE_SETTINGS.network),
    losses: LossesSchema.parse({}),
    optimizer: OptimizerSchema.parse({}),
    training: TrainingSchema.parse({ ...REFERENCE_SETTINGS.training, epochs: timedEpochs + 1 }),
    seed: REFERENCE_SETTINGS.seed,
    callbacks: [
      {
        // The profile covers the timed epochs, each from the end of the one before.
        onEpochEnd: (_loop, rec) => {
          stamps.push(performance.now());
          if (!opts.profile) return;
          if (rec.epoch === 1) startProfile();
          else if (rec.epoch === timedEpochs + 1) profile = stopProfile();
        },
      },
    ],
  });
  const t0 = performance.now();
  const result = await trainer.fit(data.train, data.validation);
  const timed = stamps.slice(1).map((t, i) => t - stamps[i]);
  tf.disposeVariables();
  return {
    backend: d.name,
    msEpoch: timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length),
    warmupMs: stamps[0] - t0,
    timedEpochs,
    threads: d.threads,
    blas: d.blas,
    device: d.device,
    result,
    profile,
  };
}
