import * as tf from '@tensorflow/tfjs';
import type { LossesConfig, NetworkConfig, OptimizerConfig, TrainingConfig } from '../config/schema.js';
import { createDecoder } from '../model/decoder.js';
import { Discriminator } from '../model/discriminator.js';
import { createEncoder } from '../model/encoder.js';
import type { NetworkSpec } from '../model/spec.js';
import { mlpToSpec } from '../model/to-spec.js';
import { UserError, check } from '../util/errors.js';
import { section, sectionAsync } from '../util/profile.js';
import { Rng } from '../util/random.js';
import { AdamW } from './adamw.js';
import { changedFields } from '../util/diff.js';
import { type Callback, type CheckpointContent, type FitLoopView, hookOrder } from './callbacks/callback.js';
import { loadCheckpoint, restoreVariables, type StoredTensor } from './checkpoint.js';
import type { EpochRecord } from './epoch-record.js';
import { adversarialAlpha } from './losses/adversarial.js';
import { tensorArray } from '../ops/tensor-arrays.js';
import { addNormalNoise } from '../ops/random-fill.js';
import { gaussianKernel } from './losses/smoothness.js';
import { PlateauSchedule, type PlateauState } from './schedule.js';
import { mayBeBest, selectionMode, selectionScore, type SelectionMode } from './selection.js';
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
  /**
   * What happens around the loop (src/train/callbacks): checkpoints
   * (ModelCheckpoint), best-epoch tracking (BestModel), metrics files
   * (MetricsLogger), progress (ProgressCallback), stopping (StopOnSignal).
   * None are installed by default.
   */
  callbacks?: Callback[];
  /**
   * A checkpoint directory (written by ModelCheckpoint) to continue from;
   * the fit then ends with exactly the weights of an uninterrupted one. A
   * fresh start when absent.
   */
  resumeFrom?: string;
  /**
   * Perturbs each training batch (rows x m, row-major, in place) after it is
   * assembled; draws must come from `rng` (the trainer's seeded generator) so
   * runs and resumes stay reproducible. The pipeline builds it (src/data/augment.ts).
   */
  augment?(x: Float32Array, rows: number, m: number, rng: Rng): void;
}

export interface TrainResult {
  /** Encoder after the last epoch, inference mode (BestModel keeps the best epoch's). */
  finalEncoder: NetworkSpec;
  /** Decoder after the last epoch, inference mode. */
  finalDecoder: NetworkSpec;
  /** One record per epoch, from epoch 1 (resumed fits include the epochs before the resume). */
  history: EpochRecord[];
  /** Epoch the fit resumed after (0 for a fresh start). */
  resumedFrom: number;
  /** True when a callback stopped the fit before training.epochs. */
  stopped: boolean;
}

/** What state.json of a checkpoint holds besides the tensor manifest. */
interface TrainerState {
  format: 'xlatent-rankaae-checkpoint';
  version: typeof CHECKPOINT_VERSION;
  epoch: number;
  rng: ReturnType<Rng['getState']>;
  schedule: PlateauState;
  optimizerSteps: Partial<Record<TermName, number>>;
  history: EpochRecord[];
  shape: { m: number; k: number };
  config: { seed: number; network: NetworkConfig; losses: LossesConfig; optimizer: OptimizerConfig; training: TrainingConfig };
  /** Each stateful callback's JSON state, by its stateKey (its tensors are stored as `<stateKey>.<name>`). */
  callbacks: Record<string, unknown>;
}

/** Version 2: callback states (version 1 stored the best epoch at the top level). */
const CHECKPOINT_VERSION = 2;

/** Training settings that may differ on resume: they change neither the numbers nor the order of random draws. */
const RESUMABLE_TRAINING_FIELDS = ['epochs', 'trials', 'workers', 'checkpointEvery', 'ensemble'] as const;

/**
 * Trains a RankAAE (encoder, decoder, discriminator) with the five
 * sequential sub-steps of the reference per batch. `fit` is the loop
 * (Lightning's fit_loop): epochs of batches, a validation pass and the
 * learning-rate schedule per epoch; everything else (checkpoints, best
 * epoch, logs, progress, stopping) is a callback the caller installs.
 */
export class RankAAETrainer {
  readonly opts: TrainerOptions;

  constructor(opts: TrainerOptions) {
    this.opts = opts;
  }

  async fit(train: TrainingArrays, validation: TrainingArrays): Promise<TrainResult> {
    const { network } = this.opts;
    checkArrays(train, 'training data');
    if (validation.n > 0) checkArrays(validation, 'validation data');
    check(validation.n === 0 || (validation.m === train.m && validation.k === train.k), 'validation data must have the training data\'s m and k', 'validation data');
    check(train.k <= network.nStyle, `${train.k} descriptors need network.nStyle >= ${train.k}, got ${network.nStyle}`, 'network.nStyle');
    check(train.n >= 2, `at least 2 training rows are needed, got ${train.n}`, 'training data');
    const callbacks = hookOrder(this.opts.callbacks ?? []);
    const keys = callbacks.flatMap((c) => (c.stateKey ? [c.stateKey] : []));
    if (new Set(keys).size !== keys.length) throw new Error(`RankAAETrainer: two callbacks share a stateKey (${keys.join(', ')})`);
    // Without validation rows the score is computed on the training rows (a poor but defined choice).
    const loop = new FitLoop(this.opts, train, validation.n > 0 ? validation : train, callbacks);
    try {
      if (this.opts.resumeFrom) await loop.restore(this.opts.resumeFrom);
      for (const cb of callbacks) await cb.onFitStart?.(loop);
      while (loop.epoch < loop.maxEpochs && !loop.shouldStop) {
        const epoch = loop.epoch + 1;
        const rec = await loop.runEpoch(async (batch, nBatches) => {
          for (const cb of callbacks) await sectionAsync('phase', 'callbacks', async () => cb.onBatchEnd?.(loop, epoch, batch, nBatches));
        });
        for (const cb of callbacks) await sectionAsync('phase', 'callbacks', async () => cb.onEpochEnd?.(loop, rec));
      }
      for (const cb of callbacks) await cb.onFitEnd?.(loop);
      const { encoder, decoder } = await loop.networks();
      return {
        finalEncoder: encoder,
        finalDecoder: decoder,
        history: loop.history,
        resumedFrom: loop.resumedFrom,
        stopped: loop.epoch < loop.maxEpochs,
      };
    } finally {
      loop.dispose();
    }
  }
}

/** The state of one fit: networks, optimizers, generator, schedule, history; what a checkpoint stores. */
class FitLoop implements FitLoopView {
  readonly maxEpochs: number;
  epoch = 0;
  resumedFrom = 0;
  history: EpochRecord[] = [];
  shouldStop = false;
  private readonly rng: Rng;
  private readonly model: RankAAEModel;
  private readonly optimizers: TermOptimizers = {};
  private readonly schedule: PlateauSchedule;
  private readonly variables: [string, tf.Variable][];
  private readonly kernel: Float32Array;
  private readonly valVariance: number;
  /** How the best epoch is chosen for this validation split (src/train/selection.ts). */
  readonly selection: SelectionMode;

  constructor(
    private readonly opts: TrainerOptions,
    private readonly train: TrainingArrays,
    private readonly val: TrainingArrays,
    private readonly callbacks: Callback[],
  ) {
    const { network, losses, optimizer, training, seed } = opts;
    this.maxEpochs = training.epochs;
    this.valVariance = totalVariance(val.x, val.n, val.m);
    this.selection = selectionMode(val.n, training.selection);
    this.rng = new Rng(seed);
    this.model = {
      encoder: createEncoder(this.rng, train.m, network),
      decoder: createDecoder(this.rng, train.m, network),
      discriminator: new Discriminator(this.rng, network),
    };
    for (const term of TERMS) {
      const t = losses[term];
      // Without constrained descriptors (an unconstrained AAE) the rank term has nothing to order.
      if (t.weight === 0 || (term === 'rank' && train.k === 0)) continue;
      const betas = term === 'adversarial' ? optimizer.adversarialBetas : optimizer.betas;
      this.optimizers[term] = new AdamW(termVariables(this.model, term), {
        lr: optimizer.lr * t.lrRatio,
        beta1: betas[0],
        beta2: betas[1],
        weightDecay: optimizer.weightDecay,
      });
    }
    this.schedule = new PlateauSchedule(optimizer.plateau);
    this.variables = checkpointVariables(this.model, this.optimizers);
    this.kernel = losses.smoothness.weight > 0 ? gaussianKernel(losses.smoothness.kernelSize, losses.smoothness.sigma) : new Float32Array(0);
    this.setLearningRates();
  }

  /** One pass over the training rows, the validation pass and the schedule update. */
  async runEpoch(onBatch: (batch: number, nBatches: number) => Promise<void>): Promise<EpochRecord> {
    const { losses, optimizer, training } = this.opts;
    const epoch = this.epoch + 1;
    const t0 = performance.now();
    const alpha = adversarialAlpha(epoch, losses.adversarial.alphaLimit, losses.adversarial.alphaRampEpochs);
    const ctx = { model: this.model, optimizers: this.optimizers, losses, kernel: this.kernel, rng: this.rng, alpha };
    const means = await runEpoch(this.train, training, ctx, onBatch, this.opts.augment);
    for (const term of TERMS) {
      const v = means[term];
      if (v !== undefined && !Number.isFinite(v)) {
        throw new UserError(
          `training diverged at epoch ${epoch}: the ${term} loss is ${v}; lower optimizer.lr or losses.${term}.lrRatio, or check the input normalization`,
          'training',
        );
      }
    }
    const metrics = await sectionAsync('phase', 'validation', () => validate(this.model, this.val, this.valVariance));
    const { window } = training.selection;
    const selected = selectionScore(this.selection, [...this.history.map((h) => h.score), metrics.score], window);
    // `best` marks a new highest (selection) score among the epochs that may win; NaN scores (nothing to correlate) never are.
    const rankOf = (h: EpochRecord) => h.selectionScore ?? h.score;
    const bestSoFar = this.history.reduce((b, h) => (h.best && rankOf(h) > b ? rankOf(h) : b), -Infinity);
    if (this.selection !== 'last') this.schedule.update(selected);
    this.setLearningRates();
    const rec: EpochRecord = {
      epoch,
      losses: means,
      lr: this.schedule.lr(optimizer.lr),
      alpha,
      validation: metrics,
      score: metrics.score,
      best: this.selection === 'last' || (mayBeBest(this.selection, epoch, window) && selected > bestSoFar),
      seconds: (performance.now() - t0) / 1000,
    };
    if (this.selection === 'smoothed') rec.selectionScore = selected;
    this.history.push(rec);
    this.epoch = epoch;
    return rec;
  }

  async networks(): Promise<{ encoder: NetworkSpec; decoder: NetworkSpec }> {
    return { encoder: await mlpToSpec(this.model.encoder), decoder: await mlpToSpec(this.model.decoder) };
  }

  checkpointContent(): CheckpointContent {
    const { network, losses, optimizer, training, seed } = this.opts;
    const callbackStates: Record<string, unknown> = {};
    const callbackTensors: [string, StoredTensor][] = [];
    for (const cb of this.callbacks) {
      if (!cb.stateKey || !cb.stateDict) continue;
      const saved = cb.stateDict(this);
      callbackStates[cb.stateKey] = saved.state;
      for (const [name, t] of saved.tensors ?? []) callbackTensors.push([`${cb.stateKey}.${name}`, t]);
    }
    const state: TrainerState = {
      format: 'xlatent-rankaae-checkpoint',
      version: CHECKPOINT_VERSION,
      epoch: this.epoch,
      rng: this.rng.getState(),
      schedule: { ...this.schedule.state },
      optimizerSteps: Object.fromEntries(TERMS.filter((t) => this.optimizers[t]).map((t) => [t, this.optimizers[t]!.step])),
      history: this.history,
      shape: { m: this.train.m, k: this.train.k },
      config: { seed, network, losses, optimizer, training },
      callbacks: callbackStates,
    };
    return { state: state as unknown as Record<string, unknown>, tensors: [...this.variables, ...callbackTensors] };
  }

  /** Continues from a checkpoint directory: every tensor, the generator, schedule, history and callback states. */
  async restore(dir: string): Promise<void> {
    const { state, tensors } = loadCheckpoint<TrainerState>(dir);
    checkCompatible(state, this.train, this.opts, dir);
    restoreVariables(this.variables, tensors, dir);
    this.rng.setState(state.rng);
    this.schedule.state = { ...state.schedule, best: state.schedule.best ?? -Infinity };
    for (const term of TERMS) {
      const o = this.optimizers[term];
      if (o) o.step = state.optimizerSteps[term] ?? 0;
    }
    this.epoch = this.resumedFrom = state.epoch;
    // JSON has no NaN: undefined correlations and scores come back as null.
    this.history = state.history.map((h) => ({
      ...h,
      score: h.score ?? NaN,
      validation: { ...h.validation, spearman: h.validation.spearman.map((r) => r ?? NaN) },
    }));
    for (const cb of this.callbacks) {
      if (!cb.stateKey || !cb.loadStateDict) continue;
      if (!(cb.stateKey in state.callbacks)) throw new UserError(`the checkpoint holds no "${cb.stateKey}" state; it was written without that callback`, dir);
      const prefix = `${cb.stateKey}.`;
      const own = [...tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]): [string, StoredTensor] => [name.slice(prefix.length), t]);
      await cb.loadStateDict(this, { state: state.callbacks[cb.stateKey], tensors: own }, dir);
    }
    this.setLearningRates();
  }

  dispose(): void {
    this.model.encoder.dispose();
    this.model.decoder.dispose();
    this.model.discriminator.dispose();
    for (const term of TERMS) this.optimizers[term]?.dispose();
  }

  private setLearningRates(): void {
    const { losses, optimizer } = this.opts;
    for (const term of TERMS) {
      const o = this.optimizers[term];
      if (o) o.lr = this.schedule.lr(optimizer.lr * losses[term].lrRatio);
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

/**
 * One pass over the training rows in a fresh random order; returns each
 * term's mean loss. The losses are summed on the device and read once, at
 * the end, asynchronously: a GPU backend never waits within the epoch.
 */
async function runEpoch(
  data: TrainingArrays,
  training: TrainingConfig,
  ctx: Parameters<typeof trainStep>[0],
  onBatch: (batch: number, nBatches: number) => Promise<void>,
  augment?: TrainerOptions['augment'],
): Promise<Partial<Record<TermName, number>>> {
  const { n } = data;
  const order = ctx.rng.permutation(n);
  const bs = Math.min(training.batchSize, n);
  let nBatches = Math.ceil(n / bs);
  // A 1-row remainder cannot be batch-normalised (and has no pairs): it is left out of this epoch.
  if (n - (nBatches - 1) * bs < 2) nBatches--;
  const sums: Partial<Record<TermName, tf.Scalar>> = {};
  for (let b = 0; b < nBatches; b++) {
    const start = b * bs;
    const rows = Math.min(bs, n - start);
    const batch = section('phase', 'batch assembly', () => assembleBatch(data, order.subarray(start, start + rows), training.augmentNoise, ctx.rng, augment));
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
    // A turn of the event loop between batches lets signal handlers (Ctrl-C) run.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await onBatch(b + 1, nBatches);
  }
  const means: Partial<Record<TermName, number>> = {};
  for (const term of TERMS) {
    const s = sums[term];
    if (!s) continue;
    means[term] = (await s.data())[0] / nBatches;
    s.dispose();
  }
  return means;
}

/**
 * The training batch of rows `rows` (indices into data): spectra with the
 * augmentation noise (and the pipeline's augment hook) applied, descriptors
 * with missing values as 0 and their mask (absent when none is missing).
 */
function assembleBatch(data: TrainingArrays, rows: Int32Array, augmentNoise: number, rng: Rng, augment?: TrainerOptions['augment']): Batch {
  const { m, k } = data;
  const n = rows.length;
  // Every element of x is written below (y and valid rely on zeros: new arrays).
  const x = tensorArray(n * m);
  const y = new Float32Array(n * k);
  const valid = new Float32Array(n * k);
  let missing = false;
  for (let r = 0; r < n; r++) {
    const i = rows[r];
    x.set(data.x.subarray(i * m, (i + 1) * m), r * m);
    for (let j = 0; j < k; j++) {
      const v = data.y[i * k + j];
      if (Number.isFinite(v)) {
        y[r * k + j] = v;
        valid[r * k + j] = 1;
      } else missing = true;
    }
  }
  if (augmentNoise > 0) addNormalNoise(rng, x, augmentNoise);
  augment?.(x, n, m, rng);
  return {
    x: tf.tensor2d(x, [n, m]),
    y: tf.tensor2d(y, [n, k]),
    valid: missing ? tf.tensor2d(valid, [n, k]) : undefined,
  };
}

/** Inference-mode latents and reconstruction error on the validation rows, and the score (asynchronous reads). */
async function validate(model: RankAAEModel, data: TrainingArrays, variance: number): Promise<ValidationMetrics> {
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
    latent.set(await z.data(), start * nStyle);
    sse += (await err.data())[0];
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

function checkCompatible(state: TrainerState, train: TrainingArrays, opts: TrainerOptions, where: string): void {
  if (state.format !== 'xlatent-rankaae-checkpoint') throw new UserError('not an xlatent RankAAE checkpoint', where);
  if (state.version !== CHECKPOINT_VERSION) {
    throw new UserError(`checkpoint format version ${state.version} (this xlatent reads ${CHECKPOINT_VERSION}); it cannot be resumed, start without resume`, where);
  }
  if (state.shape.m !== train.m || state.shape.k !== train.k) {
    throw new UserError(`checkpoint is for m=${state.shape.m}, k=${state.shape.k}; this data has m=${train.m}, k=${train.k}`, where);
  }
  const comparable = (c: TrainerState['config']) => ({
    ...c,
    training: Object.fromEntries(Object.entries(c.training).filter(([key]) => !(RESUMABLE_TRAINING_FIELDS as readonly string[]).includes(key))),
  });
  const { seed, network, losses, optimizer, training } = opts;
  const changed = changedFields(comparable(state.config), comparable({ seed, network, losses, optimizer, training }));
  if (changed.length > 0) {
    throw new UserError(`checkpoint was made with a different configuration (${changed.join('; ')}); start without resume or use a new checkpoint folder`, where);
  }
}
