import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LossesConfig, NetworkConfig, OptimizerConfig, TrainingConfig } from '../config/schema.js';
import { createDecoder } from '../model/decoder.js';
import { Discriminator } from '../model/discriminator.js';
import { createEncoder } from '../model/encoder.js';
import type { Mlp } from '../model/mlp.js';
import type { NetworkSpec } from '../model/spec.js';
import { mlpToSpec } from '../model/to-spec.js';
import { UserError, check } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { AdamW } from './adamw.js';
import { hasCheckpoint, loadCheckpoint, restoreVariables, saveCheckpoint, specFromTensors, specTensors } from './checkpoint.js';
import type { EpochRecord } from './epoch-record.js';
import { adversarialAlpha } from './losses/adversarial.js';
import { gaussianKernel } from './losses/smoothness.js';
import { MetricsLog } from './metrics-log.js';
import { PlateauSchedule, type PlateauState } from './schedule.js';
import { totalVariance, validationMetrics, type ValidationMetrics } from './score.js';
import { TERMS, type Batch, type RankAAEModel, type TermName, type TermOptimizers, termVariables, trainStep } from './step.js';

export type { EpochRecord } from './epoch-record.js';

/** Training or validation data as plain arrays: the trainer knows nothing about files or spectra. */
export interface TrainingArrays {
  /** n x m inputs, row-major (finite). */
  x: Float32Array;
  /** n x k descriptors, row-major; NaN marks a missing label. */
  y: Float32Array | Float64Array;
  /** Rows. */
  n: number;
  /** Input width (grid points). */
  m: number;
  /** Constrained descriptors; descriptor i is tied to latent axis i (k <= nStyle). 0 trains an unconstrained adversarial autoencoder. */
  k: number;
}

export interface TrainerOptions {
  network: NetworkConfig;
  losses: LossesConfig;
  optimizer: OptimizerConfig;
  training: TrainingConfig;
  /** Seed of initialization and of every random draw of training. */
  seed: number;
  /** Folder for `last` and `best` checkpoints and metrics.jsonl / metrics.csv; none written when absent. */
  checkpointDir?: string;
  /** Continue from checkpointDir/last when it exists (a fresh start otherwise). */
  resume?: boolean;
  /** Descriptor names for metrics.csv columns (default d0, d1, ...). */
  descriptorNames?: string[];
  /** Called after every epoch (including its validation). */
  onEpoch?(rec: EpochRecord): void;
  /** Called after every batch; `batch` is 1-based. */
  onBatch?(epoch: number, batch: number, nBatches: number): void;
  /**
   * Stops training at the end of the current epoch once aborted (e.g. on
   * Ctrl-C): the `last` checkpoint is written then, whatever checkpointEvery
   * says, so `resume` continues exactly from there.
   */
  signal?: AbortSignal;
  /**
   * Perturbs each training batch (rows x m, row-major, in place) after it is
   * assembled; draws must come from `rng` (the trainer's seeded generator) so
   * runs and resumes stay reproducible. The pipeline builds it (src/data/augment.ts).
   */
  augment?(x: Float32Array, rows: number, m: number, rng: Rng): void;
}

export interface TrainResult {
  /** Encoder at the best epoch, inference mode. */
  encoder: NetworkSpec;
  /** Decoder at the best epoch, inference mode. */
  decoder: NetworkSpec;
  /** Encoder after the last epoch. */
  finalEncoder: NetworkSpec;
  /** Decoder after the last epoch. */
  finalDecoder: NetworkSpec;
  /** One record per epoch, from epoch 1 (resumed runs include the epochs before the resume). */
  history: EpochRecord[];
  /** Epoch (1-based) with the highest validation score. */
  bestEpoch: number;
  bestScore: number;
  /** Epoch the run resumed after (0 for a fresh run). */
  resumedFrom: number;
  /** True when `signal` stopped the run before training.epochs. */
  stopped: boolean;
}

/** What state.json of a checkpoint holds besides the tensor manifest. */
interface TrainerState {
  format: 'xlatent-rankaae-checkpoint';
  version: 1;
  epoch: number;
  rng: ReturnType<Rng['getState']>;
  schedule: PlateauState;
  optimizerSteps: Partial<Record<TermName, number>>;
  bestEpoch: number;
  bestScore: number;
  history: EpochRecord[];
  shape: { m: number; k: number };
  config: { seed: number; network: NetworkConfig; losses: LossesConfig; optimizer: OptimizerConfig; training: TrainingConfig };
}

const LAST = 'last';
const BEST = 'best';

/**
 * Trains a RankAAE (encoder, decoder, discriminator) with the five
 * sequential sub-steps of the reference per batch, picks the epoch with the
 * best validation score, and checkpoints so that a resumed run ends with
 * exactly the weights of an uninterrupted one.
 */
export class RankAAETrainer {
  readonly opts: TrainerOptions;

  constructor(opts: TrainerOptions) {
    this.opts = opts;
  }

  async fit(train: TrainingArrays, validation: TrainingArrays): Promise<TrainResult> {
    const { network, losses, optimizer, training, seed } = this.opts;
    checkArrays(train, 'training data');
    if (validation.n > 0) checkArrays(validation, 'validation data');
    check(validation.n === 0 || (validation.m === train.m && validation.k === train.k), 'validation data must have the training data\'s m and k', 'validation data');
    check(train.k <= network.nStyle, `${train.k} descriptors need network.nStyle >= ${train.k}, got ${network.nStyle}`, 'network.nStyle');
    check(train.n >= 2, `at least 2 training rows are needed, got ${train.n}`, 'training data');
    // Without validation rows the score is computed on the training rows (a poor but defined choice).
    const val = validation.n > 0 ? validation : train;
    const valVariance = totalVariance(val.x, val.n, val.m);

    const rng = new Rng(seed);
    const model: RankAAEModel = {
      encoder: createEncoder(rng, train.m, network),
      decoder: createDecoder(rng, train.m, network),
      discriminator: new Discriminator(rng, network),
    };
    const optimizers: TermOptimizers = {};
    for (const term of TERMS) {
      const t = losses[term];
      // Without constrained descriptors (an unconstrained AAE) the rank term has nothing to order.
      if (t.weight === 0 || (term === 'rank' && train.k === 0)) continue;
      const betas = term === 'adversarial' ? optimizer.adversarialBetas : optimizer.betas;
      optimizers[term] = new AdamW(termVariables(model, term), {
        lr: optimizer.lr * t.lrRatio,
        beta1: betas[0],
        beta2: betas[1],
        weightDecay: optimizer.weightDecay,
      });
    }
    const schedule = new PlateauSchedule(optimizer.plateau);
    const allVariables = checkpointVariables(model, optimizers);
    const kernel = losses.smoothness.weight > 0 ? gaussianKernel(losses.smoothness.kernelSize, losses.smoothness.sigma) : new Float32Array(0);
    const config = { seed, network, losses, optimizer, training };

    let history: EpochRecord[] = [];
    let startEpoch = 0;
    let bestEpoch = 0;
    let bestScore = -Infinity;
    let stopped = false;
    let best: { encoder: NetworkSpec; decoder: NetworkSpec } | undefined;
    const dir = this.opts.checkpointDir;
    const log = dir ? new MetricsLog(dir, this.opts.descriptorNames ?? Array.from({ length: train.k }, (_, i) => `d${i}`)) : undefined;

    try {
      if (dir) mkdirSync(dir, { recursive: true });
      if (dir && this.opts.resume && hasCheckpoint(join(dir, LAST))) {
        const lastDir = join(dir, LAST);
        const { state, tensors } = loadCheckpoint<TrainerState>(lastDir);
        checkCompatible(state, train, network, lastDir);
        restoreVariables(allVariables, tensors, lastDir);
        // `last` carries the best weights so far itself: `best` may be newer than `last`.
        if (tensors.has('best.encoder.0.kernel')) {
          best = {
            encoder: specFromTensors('best.encoder', mlpToSpec(model.encoder), tensors, lastDir),
            decoder: specFromTensors('best.decoder', mlpToSpec(model.decoder), tensors, lastDir),
          };
        }
        rng.setState(state.rng);
        schedule.state = { ...state.schedule, best: state.schedule.best ?? -Infinity };
        for (const term of TERMS) {
          const o = optimizers[term];
          if (o) o.step = state.optimizerSteps[term] ?? 0;
        }
        startEpoch = state.epoch;
        // JSON has no NaN: undefined correlations come back as null.
        history = state.history.map((h) => ({
          ...h,
          validation: { ...h.validation, spearman: h.validation.spearman.map((r) => r ?? NaN) },
        }));
        bestEpoch = state.bestEpoch;
        bestScore = state.bestScore ?? -Infinity;
        if (!best) best = { encoder: mlpToSpec(model.encoder), decoder: mlpToSpec(model.decoder) };
      }
      log?.reset(history);
      setLearningRates(optimizers, losses, optimizer, schedule);

      const stateOf = (epoch: number): Omit<TrainerState, 'history'> & { history: EpochRecord[] } => ({
        format: 'xlatent-rankaae-checkpoint',
        version: 1,
        epoch,
        rng: rng.getState(),
        schedule: { ...schedule.state },
        optimizerSteps: Object.fromEntries(TERMS.filter((t) => optimizers[t]).map((t) => [t, optimizers[t]!.step])),
        bestEpoch,
        bestScore,
        history,
        shape: { m: train.m, k: train.k },
        config,
      });

      for (let epoch = startEpoch + 1; epoch <= training.epochs; epoch++) {
        const t0 = performance.now();
        const alpha = adversarialAlpha(epoch, losses.adversarial.alphaLimit, losses.adversarial.alphaRampEpochs);
        const means = runEpoch(train, training, { model, optimizers, losses, kernel, rng, alpha }, (b, nb) =>
          this.opts.onBatch?.(epoch, b, nb),
        this.opts.augment);
        for (const term of TERMS) {
          const v = means[term];
          if (v !== undefined && !Number.isFinite(v)) {
            throw new UserError(
              `training diverged at epoch ${epoch}: the ${term} loss is ${v}; lower optimizer.lr or losses.${term}.lrRatio, or check the input normalization`,
              'training',
            );
          }
        }
        const metrics = validate(model, val, valVariance);
        const improved = metrics.score > bestScore;
        if (improved) {
          bestScore = metrics.score;
          bestEpoch = epoch;
          best = { encoder: mlpToSpec(model.encoder), decoder: mlpToSpec(model.decoder) };
        }
        schedule.update(metrics.score);
        setLearningRates(optimizers, losses, optimizer, schedule);
        const rec: EpochRecord = {
          epoch,
          losses: means,
          lr: schedule.lr(optimizer.lr),
          alpha,
          validation: metrics,
          score: metrics.score,
          best: improved,
          seconds: (performance.now() - t0) / 1000,
        };
        history.push(rec);
        log?.append(rec);
        if (dir) {
          if (improved) await saveCheckpoint(join(dir, BEST), stateOf(epoch), allVariables);
          if (epoch % training.checkpointEvery === 0 || epoch === training.epochs || this.opts.signal?.aborted) {
            const bestTensors = best ? [...specTensors('best.encoder', best.encoder), ...specTensors('best.decoder', best.decoder)] : [];
            await saveCheckpoint(join(dir, LAST), stateOf(epoch), [...allVariables, ...bestTensors]);
          }
        }
        this.opts.onEpoch?.(rec);
        if (this.opts.signal?.aborted && epoch < training.epochs) {
          stopped = true;
          break;
        }
      }
      const finalEncoder = mlpToSpec(model.encoder);
      const finalDecoder = mlpToSpec(model.decoder);
      if (!best) best = { encoder: finalEncoder, decoder: finalDecoder };
      return {
        encoder: best.encoder,
        decoder: best.decoder,
        finalEncoder,
        finalDecoder,
        history,
        bestEpoch,
        bestScore,
        resumedFrom: startEpoch,
        stopped,
      };
    } finally {
      model.encoder.dispose();
      model.decoder.dispose();
      model.discriminator.dispose();
      for (const term of TERMS) optimizers[term]?.dispose();
    }
  }
}

/** Every tensor a checkpoint holds, under stable names. */
function checkpointVariables(model: RankAAEModel, optimizers: TermOptimizers): [string, tf.Variable][] {
  const out: [string, tf.Variable][] = [];
  for (const [n, v] of model.encoder.namedVariables()) out.push([`encoder.${n}`, v]);
  for (const [n, v] of model.decoder.namedVariables()) out.push([`decoder.${n}`, v]);
  for (const [n, v] of model.discriminator.namedVariables()) out.push([`discriminator.${n}`, v]);
  for (const term of TERMS) {
    const o = optimizers[term];
    if (o) for (const [n, v] of o.namedVariables()) out.push([`optimizer.${term}.${n}`, v]);
  }
  return out;
}

function setLearningRates(optimizers: TermOptimizers, losses: LossesConfig, optimizer: OptimizerConfig, schedule: PlateauSchedule): void {
  for (const term of TERMS) {
    const o = optimizers[term];
    if (o) o.lr = schedule.lr(optimizer.lr * losses[term].lrRatio);
  }
}

/** One pass over the training rows in a fresh random order; returns each term's mean loss. */
function runEpoch(
  data: TrainingArrays,
  training: TrainingConfig,
  ctx: Parameters<typeof trainStep>[0],
  onBatch: (batch: number, nBatches: number) => void,
  augment?: TrainerOptions['augment'],
): Partial<Record<TermName, number>> {
  const { n, m, k } = data;
  const order = ctx.rng.permutation(n);
  const bs = Math.min(training.batchSize, n);
  let nBatches = Math.ceil(n / bs);
  // A 1-row remainder cannot be batch-normalised (and has no pairs): it is left out of this epoch.
  if (n - (nBatches - 1) * bs < 2) nBatches--;
  const sums: Partial<Record<TermName, tf.Scalar>> = {};
  for (let b = 0; b < nBatches; b++) {
    const start = b * bs;
    const rows = Math.min(bs, n - start);
    const x = new Float32Array(rows * m);
    const y = new Float32Array(rows * k);
    const valid = new Float32Array(rows * k);
    let missing = false;
    for (let r = 0; r < rows; r++) {
      const i = order[start + r];
      x.set(data.x.subarray(i * m, (i + 1) * m), r * m);
      for (let j = 0; j < k; j++) {
        const v = data.y[i * k + j];
        if (Number.isFinite(v)) {
          y[r * k + j] = v;
          valid[r * k + j] = 1;
        } else missing = true;
      }
    }
    if (training.augmentNoise > 0) {
      for (let i = 0; i < x.length; i++) x[i] += training.augmentNoise * ctx.rng.normal();
    }
    augment?.(x, rows, m, ctx.rng);
    const batch: Batch = {
      x: tf.tensor2d(x, [rows, m]),
      y: tf.tensor2d(y, [rows, k]),
      valid: missing ? tf.tensor2d(valid, [rows, k]) : undefined,
    };
    try {
      const values = trainStep(ctx, batch);
      for (const term of TERMS) {
        const v = values[term];
        if (!v) continue;
        const prev = sums[term];
        sums[term] = prev ? tf.tidy(() => tf.add(prev, v) as tf.Scalar) : v;
        if (prev) {
          prev.dispose();
          v.dispose();
        }
      }
    } finally {
      tf.dispose([batch.x, batch.y, ...(batch.valid ? [batch.valid] : [])]);
    }
    onBatch(b + 1, nBatches);
  }
  const means: Partial<Record<TermName, number>> = {};
  for (const term of TERMS) {
    const s = sums[term];
    if (!s) continue;
    means[term] = s.dataSync()[0] / nBatches;
    s.dispose();
  }
  return means;
}

/** Inference-mode latents and reconstruction error on the validation rows, and the score. */
function validate(model: RankAAEModel, data: TrainingArrays, variance: number): ValidationMetrics {
  const { n, m } = data;
  const nStyle = model.encoder.options.outputs;
  const latent = new Float32Array(n * nStyle);
  let sse = 0;
  const chunk = 4096;
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const [z, err] = tf.tidy(() => {
      const x = tf.tensor2d(data.x.subarray(start * m, (start + rows) * m), [rows, m]);
      const z = model.encoder.forward(x, { training: false });
      const xhat = model.decoder.forward(z, { training: false });
      return [z, tf.sum(tf.squaredDifference(xhat, x))];
    });
    latent.set(z.dataSync(), start * nStyle);
    sse += err.dataSync()[0];
    tf.dispose([z, err]);
  }
  return validationMetrics(latent, nStyle, data.y, data.k, sse / (n * m), variance);
}

function checkArrays(d: TrainingArrays, what: string): void {
  check(Number.isInteger(d.n) && d.n >= 0 && Number.isInteger(d.m) && d.m >= 1 && Number.isInteger(d.k) && d.k >= 0, `n, m, k must be integers (n >= 0, m >= 1, k >= 0), got n=${d.n} m=${d.m} k=${d.k}`, what);
  check(d.x.length === d.n * d.m, `x holds ${d.x.length} values, expected n x m = ${d.n * d.m}`, what);
  check(d.y.length === d.n * d.k, `y holds ${d.y.length} values, expected n x k = ${d.n * d.k}`, what);
  for (let i = 0; i < d.y.length; i++) {
    const v = d.y[i];
    if (!Number.isFinite(v) && !Number.isNaN(v)) {
      throw new UserError(`descriptor ${i % d.k} of row ${Math.floor(i / d.k)} is ${v} (expected a number, or NaN for a missing label)`, what);
    }
  }
  for (let i = 0; i < d.x.length; i++) {
    if (!Number.isFinite(d.x[i])) {
      throw new UserError(`x has a non-finite value at row ${Math.floor(i / d.m)}, column ${i % d.m}`, what);
    }
  }
}

function checkCompatible(state: TrainerState, train: TrainingArrays, network: NetworkConfig, where: string): void {
  if (state.format !== 'xlatent-rankaae-checkpoint') throw new UserError('not an xlatent RankAAE checkpoint', where);
  if (state.shape.m !== train.m || state.shape.k !== train.k) {
    throw new UserError(`checkpoint is for m=${state.shape.m}, k=${state.shape.k}; this data has m=${train.m}, k=${train.k}`, where);
  }
  if (JSON.stringify(state.config.network) !== JSON.stringify(network)) {
    throw new UserError('checkpoint was made with a different network configuration; start without resume or use a new checkpoint folder', where);
  }
}
