import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { BackendName, TrainConfig } from '../config/schema.js';

/**
 * What the commands that train runs (`train`, `cv`) share: the config file
 * with command-line overrides, and the backend (Ctrl-C: interrupt.ts).
 */

/** Flags that override the config file. */
export interface RunArgs {
  config: string;
  data?: string;
  epochs?: number;
  seed?: number;
  backend?: string;
  out?: string;
  trials?: number;
  workers?: number;
  resume: boolean;
  json: boolean;
}

/** The override flags, declared once for every training command. */
export function runOptions<T>(y: Argv<T>, what = 'Run directory') {
  return y
    .option('config', { type: 'string', demandOption: true, describe: 'Run configuration (.yaml/.yml/.json)' })
    .option('data', { type: 'string', describe: 'Spectra file; overrides data.file' })
    .option('epochs', { type: 'number', describe: 'Overrides training.epochs' })
    .option('seed', { type: 'number', describe: 'Overrides seed' })
    .option('out', { type: 'string', describe: `${what}; overrides output` })
    .option('trials', { type: 'number', describe: 'Overrides training.trials' })
    .option('workers', { type: 'number', describe: 'Parallel worker processes (0 = one per core); overrides training.workers' })
    .option('resume', { type: 'boolean', default: false, describe: 'Continue a killed run from its last checkpoints' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the result as one JSON object' });
}

/** Command-line flags win over the config file; the merged config is what gets written to run.json. */
function applyOverrides(cfg: TrainConfig, a: RunArgs, backend: BackendName | undefined): TrainConfig {
  const out: TrainConfig = structuredClone(cfg);
  if (a.data !== undefined) {
    out.data.file = resolve(a.data);
    delete out.data.synth; // --data replaces a generated source too
  }
  if (a.epochs !== undefined) out.training.epochs = a.epochs;
  if (a.seed !== undefined) out.seed = a.seed;
  if (a.trials !== undefined) out.training.trials = a.trials;
  if (a.workers !== undefined) out.training.workers = a.workers;
  if (backend !== undefined) out.backend = backend;
  out.output = resolve(a.out ?? out.output);
  return out;
}

/**
 * The resolved config (file plus flags, validated like the file) with the
 * backend selected and described; progress goes to stderr.
 */
export async function setUpRun(a: RunArgs) {
  const [{ loadTrainConfig, validate }, { TrainConfigSchema }, { describeBackend, parseBackendArg, selectBackend }] = await Promise.all([
    import('../config/load.js'),
    import('../config/schema.js'),
    import('../backends/select.js'),
  ]);
  const fileConfig = loadTrainConfig(a.config);
  // Overrides get the config file's validation (e.g. --epochs 0 is rejected with the field named).
  const cfg = validate(applyOverrides(fileConfig, a, a.backend === undefined ? undefined : parseBackendArg(a.backend)), TrainConfigSchema, 'command-line flags');
  const log = (line: string) => process.stderr.write(line + '\n');
  // Training reads tensors only asynchronously, so `auto` may pick a GPU (webgpu) here.
  const selected = await selectBackend(cfg.backend, { training: true });
  const backend = { ...describeBackend(), requested: cfg.backend, reason: selected.reason };
  log(`backend: ${selected.name} (${selected.reason})`);
  return { cfg, log, backend };
}
