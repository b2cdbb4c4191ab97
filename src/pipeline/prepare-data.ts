import { checkTrainingFits } from '../config/resources.js';
import type { DataConfig, TrainConfig } from '../config/schema.js';
import { type SpectralDataset, descriptorColumn, selectRows } from '../data/dataset.js';
import { checkDiscreteDescriptor } from '../data/summary.js';
import { loadSpectra, toDataset, type LoadResult } from '../data/load.js';
import { synthesizeXanes } from '../data/synth.js';
import { applyNormalization, fitNormalization, type NormalizationParams } from '../data/normalize.js';
import { fitPreprocess } from '../data/preprocess/fit.js';
import type { PreprocessParams } from '../data/preprocess/schema.js';
import { splitRows, type Split } from '../data/split.js';
import type { TrainingArrays } from '../train/trainer.js';
import { UserError } from '../util/errors.js';

/**
 * The data module of a run (Lightning's DataModule): file -> common grid ->
 * seeded split -> normalization fitted on the training rows only -> plain
 * arrays for the trainer. Evaluation calls it again with the same config to
 * get the very same split.
 */
export interface PreparedData {
  /** Dataset on the training grid after preprocessing, before the intensity normalization (ids, labels, grid). */
  dataset: SpectralDataset;
  split: Split;
  /** The fitted preprocessing pipeline (identity without a `preprocess` section); stored with the model. */
  preprocess: PreprocessParams;
  normalization: NormalizationParams;
  train: TrainingArrays;
  validation: TrainingArrays;
  test: TrainingArrays;
  /** Labels of the data.readout descriptors per split (rows x readout.length, NaN where unknown). */
  readout: { names: string[]; train: Float64Array; validation: Float64Array; test: Float64Array };
  warnings: string[];
}

/** The file path, or a description of the generated data, for messages. */
export function dataSourceName(data: DataConfig): string {
  return data.file ?? `synthetic XANES (${JSON.stringify(data.synth)})`;
}

/** The training spectra on their grid, through the pipeline's calculated role: constrained descriptors first (axis order), then the readout ones. */
async function loadSource(data: DataConfig, preprocess: PreprocessParams, cfg: { onFailure?: 'error' | 'skip' } = {}): Promise<LoadResult> {
  const descriptors = [...data.descriptors, ...data.readout];
  const options = { format: data.format, descriptors, grid: data.grid, labels: data.labels, preprocess: { params: preprocess, role: 'calculated' as const, skipFailed: cfg.onFailure === 'skip' } };
  if (data.synth) return toDataset(synthesizeXanes(data.synth), dataSourceName(data), options);
  return loadSpectra(data.file!, options);
}

/**
 * What a config asks of the data, checked before anything trains: enough
 * spectra, a network that fits in memory for this grid, discrete descriptors
 * that are discrete, a latent size that holds every constrained descriptor.
 */
export function checkConfigForData(cfg: TrainConfig, dataset: SpectralDataset): void {
  if (dataset.n < 4) throw new UserError(`only ${dataset.n} spectra; training needs at least 4`, dataSourceName(cfg.data));
  checkTrainingFits(cfg, dataset.m);
  for (const name of cfg.data.discrete) {
    if (!cfg.data.descriptors.includes(name)) {
      throw new UserError(`"${name}" is listed as discrete but is not one of data.descriptors (${cfg.data.descriptors.join(', ')})`, 'data.discrete');
    }
    checkDiscreteDescriptor(descriptorColumn(dataset, dataset.descriptorNames.indexOf(name)), name, 'data.discrete');
  }
  if (cfg.data.descriptors.length > cfg.network.nStyle) {
    throw new UserError(
      `${cfg.data.descriptors.length} constrained descriptors need network.nStyle >= ${cfg.data.descriptors.length} (got ${cfg.network.nStyle})`,
      'network.nStyle',
    );
  }
}

export async function prepareData(cfg: TrainConfig): Promise<PreparedData> {
  const both = cfg.data.readout.filter((r) => cfg.data.descriptors.includes(r));
  if (both.length > 0) throw new UserError(`${both.join(', ')} cannot be both constrained (data.descriptors) and read out (data.readout)`, 'data.readout');
  const preprocess = await fitPreprocess(cfg.preprocess);
  const { dataset, warnings } = await loadSource(cfg.data, preprocess, { onFailure: cfg.preprocess?.onFailure });
  checkConfigForData(cfg, dataset);
  const split = splitRows(dataset.n, cfg.data.split, cfg.seed);
  if (split.train.length < 2) throw new UserError(`the split leaves ${split.train.length} training rows; need at least 2`, 'data.split');
  const normalization = fitNormalization(cfg.data.normalization, dataset.spectra, dataset.n, dataset.m, dataset.energies, split.train);
  const normalized = applyNormalization(normalization, dataset.spectra, dataset.n, dataset.m);
  const normalizedDs: SpectralDataset = { ...dataset, spectra: normalized };
  const k = cfg.data.descriptors.length;
  const r = cfg.data.readout.length;
  const columns = (part: SpectralDataset, from: number, count: number) => {
    const all = part.descriptorNames.length;
    const out = new Float64Array(part.n * count);
    for (let i = 0; i < part.n; i++) for (let j = 0; j < count; j++) out[i * count + j] = part.descriptors[i * all + from + j];
    return out;
  };
  const arrays = (rows: Int32Array): TrainingArrays => {
    const part = selectRows(normalizedDs, rows);
    return { x: part.spectra, y: r > 0 ? columns(part, 0, k) : part.descriptors, n: part.n, m: part.m, k };
  };
  const readout = (rows: Int32Array) => columns(selectRows(dataset, rows), k, r);
  return {
    dataset,
    split,
    preprocess,
    normalization,
    train: arrays(split.train),
    validation: arrays(split.validation),
    test: arrays(split.test),
    readout: { names: [...cfg.data.readout], train: readout(split.train), validation: readout(split.validation), test: readout(split.test) },
    warnings,
  };
}

/** The split a model is scored on: test, else validation, else (nothing held out) the training rows. */
export function evaluationPart(data: PreparedData): { part: TrainingArrays; label: 'test' | 'validation' | 'train' } {
  if (data.test.n > 0) return { part: data.test, label: 'test' };
  if (data.validation.n > 0) return { part: data.validation, label: 'validation' };
  return { part: data.train, label: 'train' };
}
