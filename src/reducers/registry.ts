import { UserError } from '../util/errors.js';
import { Mds } from './mds.js';
import { Pca } from './pca.js';
import type { BaseReducer, ReducerJSON, ReducerParams } from './reducer.js';
import { Tsne } from './tsne.js';
import { Umap } from './umap.js';

/** Reducer names the CLI and `compare` accept. */
export const REDUCER_NAMES = ['pca', 'mds', 'tsne', 'umap'] as const;
export type ReducerName = (typeof REDUCER_NAMES)[number];

type Factory = (params: Record<string, unknown>) => BaseReducer<ReducerParams>;

const factories: Record<ReducerName, Factory> = {
  pca: (p) => new Pca(p),
  mds: (p) => new Mds(p),
  tsne: (p) => new Tsne(p),
  umap: (p) => new Umap(p),
};

/** Parameter names each reducer accepts (unknown ones are an error, never silently ignored). */
export const REDUCER_PARAMS: Record<ReducerName, readonly string[]> = {
  pca: ['nComponents', 'whiten'],
  mds: ['nComponents', 'method', 'landmarks', 'maxClassical', 'maxIter', 'eps', 'seed'],
  tsne: ['nComponents', 'perplexity', 'earlyExaggeration', 'exaggerationIter', 'learningRate', 'maxIter', 'method', 'theta', 'init', 'pcaDims', 'minGradNorm', 'seed', 'threads', 'fftNodes', 'fftMinBoxes', 'fftBoxesPerUnit'],
  umap: ['nComponents', 'nNeighbors', 'minDist', 'spread', 'nEpochs', 'seed', 'pcaDims', 'targetWeight'],
};

function checkName(name: string, where?: string): ReducerName {
  if (!(REDUCER_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`unknown method "${name}" (expected one of ${REDUCER_NAMES.join(', ')})`, where);
  }
  return name as ReducerName;
}

/**
 * A new unfitted reducer by name. Unknown parameter names throw UserError.
 * @param where location for error messages (e.g. a config key path)
 */
export function createReducer(name: string, params: Record<string, unknown> = {}, where?: string): BaseReducer<ReducerParams> {
  const key = checkName(name, where);
  for (const p of Object.keys(params)) {
    if (params[p] === undefined) continue;
    if (!REDUCER_PARAMS[key].includes(p)) {
      throw new UserError(`unknown parameter "${p}" for ${key} (expected one of ${REDUCER_PARAMS[key].join(', ')})`, where);
    }
  }
  return factories[key](params);
}

/** Restores a fitted reducer from its toJSON() form. */
export function loadReducer(json: ReducerJSON, where = 'reducer'): BaseReducer<ReducerParams> {
  if (!json || json.format !== 'xlatent-reducer' || json.version !== 1) {
    throw new UserError('not a saved xlatent reducer (expected format "xlatent-reducer", version 1)', where);
  }
  const r = createReducer(json.name, json.params ?? {}, where);
  return r.restore(json);
}
