import { createHash } from 'node:crypto';
import type { TrainConfig } from '../config/schema.js';
import type { SpectralDataset } from '../data/dataset.js';
import { canonicalJson } from '../export/metadata.js';
import { sha256Hex } from '../export/digest.js';
import { changedFields } from '../util/diff.js';
import { UserError } from '../util/errors.js';
import { readJsonIfExists } from '../util/json-text.js';
import { xlatentVersion } from '../util/versions.js';

/**
 * What makes two runs (or a run and one of its trials) the same computation:
 * the config fields that change numbers, the data actually trained on and
 * the xlatent version. Recorded in run.json and every trial's result.json;
 * `--resume` and the gathering of trial results refuse anything else.
 */
export interface RunIdentity {
  /** SHA-256 of the canonical JSON of identityConfig(config). */
  configSha256: string;
  /** SHA-256 of the loaded data (datasetSha256). */
  dataSha256: string;
  xlatentVersion: string;
}

/**
 * The config without what may change between a run and its resumption
 * without changing any number: where it is written (output), the compute
 * backend, parallelism (workers), checkpoint frequency, how many trials
 * form the ensemble (it changes no trial), and the data file's
 * path (its content is compared through dataSha256, so a moved file is fine).
 */
export function identityConfig(cfg: TrainConfig): Record<string, unknown> {
  const { output: _output, backend: _backend, ...rest } = cfg;
  const { workers: _workers, checkpointEvery: _every, ensemble: _ensemble, ...training } = cfg.training;
  const { file: _file, ...data } = cfg.data;
  return { ...rest, data, training };
}

/**
 * SHA-256 of a dataset as training sees it (grid, spectra, descriptor names
 * and values, ids), independent of the file format it was read from.
 */
export function datasetSha256(ds: SpectralDataset): string {
  const h = createHash('sha256');
  const bytes = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  h.update(`${ds.n} ${ds.m} ${ds.axis ?? 'energy'}\n`);
  h.update(bytes(ds.energies));
  h.update(bytes(ds.spectra));
  h.update(JSON.stringify(ds.descriptorNames));
  h.update(bytes(ds.descriptors));
  for (const id of ds.ids) h.update(id + '\0');
  return h.digest('hex');
}

export function runIdentity(cfg: TrainConfig, dataset: SpectralDataset): RunIdentity {
  return runIdentityWith(cfg, datasetSha256(dataset));
}

/** The identity of a run of `cfg` on data whose datasetSha256 is already known (many configs on one dataset). */
export function runIdentityWith(cfg: TrainConfig, dataSha256: string): RunIdentity {
  return { configSha256: sha256Hex(canonicalJson(identityConfig(cfg))), dataSha256, xlatentVersion: xlatentVersion() };
}

/** True when two identities are the same computation. */
export function sameIdentity(a: Partial<RunIdentity>, b: RunIdentity): boolean {
  return a.configSha256 === b.configSha256 && a.dataSha256 === b.dataSha256 && a.xlatentVersion === b.xlatentVersion;
}

/** What run.json records (the fields this module reads back). */
export interface RunRecord {
  config: TrainConfig;
  identity?: RunIdentity;
  /** Set in the run folder of a search trial (the search file, trial and rung). */
  search?: { file: string; trial: string; rung: number; epochs: number };
}

export function readRunRecord(path: string): RunRecord | undefined {
  return readJsonIfExists<RunRecord>(path);
}

/**
 * Refuses to continue a run with another seed, config or data, naming what
 * changed; `where` is the run.json path.
 */
export function checkSameRun(recorded: RunRecord, cfg: TrainConfig, identity: RunIdentity, where: string): void {
  const refuse = (what: string) => {
    throw new UserError(`--resume: ${what}; run without --resume to start afresh, or use another --out`, where);
  };
  if (!recorded.identity) refuse('this run directory was written by an older xlatent that did not record data and config hashes, so continuing it cannot be checked');
  if (recorded.config.seed !== cfg.seed) refuse(`the seed changed (the run used ${recorded.config.seed}, this command gives ${cfg.seed})`);
  const changed = changedFields(identityConfig(recorded.config), identityConfig(cfg));
  if (changed.length > 0 || recorded.identity!.configSha256 !== identity.configSha256) {
    refuse(`the configuration changed (${changed.join('; ') || 'config hash differs'})`);
  }
  if (recorded.identity!.dataSha256 !== identity.dataSha256) {
    const file = cfg.data.file ?? 'the generated data';
    refuse(`the data changed: ${file} now has SHA-256 ${identity.dataSha256.slice(0, 12)}..., the run was trained on ${recorded.identity!.dataSha256.slice(0, 12)}...${recorded.config.data.file && recorded.config.data.file !== cfg.data.file ? ` (${recorded.config.data.file})` : ''}`);
  }
  if (recorded.identity!.xlatentVersion !== identity.xlatentVersion) {
    refuse(`the run was made by xlatent ${recorded.identity!.xlatentVersion}, this is ${identity.xlatentVersion}`);
  }
}

/**
 * Throws unless `found` (a trial result, or what a trial worker loaded) is
 * the same computation as `expected` (the run's); `what` says what differs.
 */
export function checkSameIdentity(found: Partial<RunIdentity>, expected: RunIdentity, where: string, what = 'made by another computation than this run'): void {
  for (const key of ['xlatentVersion', 'configSha256', 'dataSha256'] as const) {
    if (found[key] !== expected[key]) {
      throw new UserError(`${what} (${key} ${String(found[key]).slice(0, 12)} vs ${expected[key].slice(0, 12)}); results of different configs, data or xlatent versions are never mixed`, where);
    }
  }
}
