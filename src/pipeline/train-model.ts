import { describeBackend, selectBackend } from '../backends/select.js';
import { loadTrainConfig, validate } from '../config/load.js';
import { TrainConfigSchema, type TrainConfig } from '../config/schema.js';
import type { Evaluation } from '../metrics/evaluation.js';
import type { ModelMetadata } from '../export/metadata.js';
import { runTraining, type RunPaths } from './train-run.js';

/** Options of {@link trainModel}. */
export interface TrainModelOptions {
  /** Continue a killed run from its last checkpoints (default false). */
  resume?: boolean;
  /** Progress and notes, one line at a time (default: none). */
  log?: (line: string) => void;
  /** Aborting it stops every trial at the end of its epoch with its checkpoint written (resume later). */
  signal?: AbortSignal;
}

/** What {@link trainModel} returns. */
export interface TrainedModel {
  /** The run directory's files; `paths.model` is the model directory. */
  paths: RunPaths;
  /** Test-split evaluation of the chosen model. */
  evaluation: Evaluation;
  metadata: ModelMetadata;
}

/**
 * Trains a RankAAE (or, with `data.descriptors: []`, an unconstrained AAE)
 * exactly as `xlatent train` does: validates the config, selects its
 * backend, trains every trial, and writes the run and model directories.
 *
 * @param config a config file path (YAML/JSON, relative paths against its folder) or a config object (validated here)
 */
export async function trainModel(config: string | Partial<TrainConfig> | TrainConfig, options: TrainModelOptions = {}): Promise<TrainedModel> {
  const cfg: TrainConfig = typeof config === 'string' ? loadTrainConfig(config) : validate(config, TrainConfigSchema, 'config');
  const log = options.log ?? (() => {});
  // Training reads tensors only asynchronously, so `auto` may pick a GPU (webgpu), as `xlatent train` does.
  const selected = await selectBackend(cfg.backend, { training: true });
  log(`backend: ${selected.name} (${selected.reason})`);
  const backend = { ...describeBackend(), requested: cfg.backend, reason: selected.reason };
  const r = await runTraining(cfg, { resume: options.resume ?? false, backend, log, signal: options.signal });
  return { paths: r.paths, evaluation: r.evaluation, metadata: r.metadata };
}
