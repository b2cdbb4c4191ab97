import type { CommandModule } from 'yargs';
import type { BackendName, TrainConfig } from '../config/schema.js';
import { resolve } from 'node:path';
import { untilInterrupted } from './interrupt.js';

interface TrainArgs {
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

/** Command-line flags win over the config file; the merged config is what gets written to run.json. */
function applyOverrides(cfg: TrainConfig, a: TrainArgs, backend: BackendName | undefined): TrainConfig {
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

const command: CommandModule<object, TrainArgs> = {
  command: 'train',
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'Run configuration (.yaml/.yml/.json)' })
      .option('data', { type: 'string', describe: 'Spectra file; overrides data.file' })
      .option('epochs', { type: 'number', describe: 'Overrides training.epochs' })
      .option('seed', { type: 'number', describe: 'Overrides seed' })
      .option('out', { type: 'string', describe: 'Run directory; overrides output' })
      .option('trials', { type: 'number', describe: 'Overrides training.trials' })
      .option('workers', { type: 'number', describe: 'Parallel trial processes (0 = one per core); overrides training.workers' })
      .option('resume', { type: 'boolean', default: false, describe: 'Continue a killed run from its last checkpoints' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the final evaluation as one JSON object' })
      .example('$0 train --config configs/quickstart.yaml', 'train on the bundled synthetic sample')
      .example('$0 train --config configs/quickstart.yaml --resume', 'continue a killed run'),
  // --backend is the global option of src/cli/main.ts. The training code (TF.js and all) loads only here, not for --help.
  handler: async (a) => {
    const [{ loadTrainConfig, validate }, { TrainConfigSchema }, { describeBackend, parseBackendArg, selectBackend }, { formatEvaluation }, { runTraining, runPaths }] =
      await Promise.all([
        import('../config/load.js'),
        import('../config/schema.js'),
        import('../backends/select.js'),
        import('../metrics/evaluation.js'),
        import('../pipeline/train-run.js'),
      ]);
    const fileConfig = loadTrainConfig(a.config);
    // Overrides get the config file's validation (e.g. --epochs 0 is rejected with the field named).
    const cfg = validate(applyOverrides(fileConfig, a, a.backend === undefined ? undefined : parseBackendArg(a.backend)), TrainConfigSchema, 'command-line flags');
    const log = (line: string) => process.stderr.write(line + '\n');
    // Training reads tensors only asynchronously, so `auto` may pick a GPU (webgpu) here.
    const selected = await selectBackend(cfg.backend, { training: true });
    const backend = { ...describeBackend(), requested: cfg.backend, reason: selected.reason };
    log(`backend: ${selected.name} (${selected.reason})`);
    // Ctrl-C ends every trial's epoch in progress, writes its `last` checkpoint and exits 130: `--resume` continues from there.
    const run = await untilInterrupted(log, (signal) => runTraining(cfg, { resume: a.resume, backend, log, signal }));
    const { evaluation, paths, best } = run;
    if (a.json) {
      process.stdout.write(JSON.stringify(evaluation) + '\n');
    } else {
      process.stdout.write(formatEvaluation(evaluation) + '\n\n');
      process.stdout.write(`model: ${paths.model} (trial ${best.trial}, best epoch ${best.bestEpoch})\n`);
      process.stdout.write(`run:   ${runPaths(cfg.output).runJson}\n`);
    }
  },
};
export default command;
