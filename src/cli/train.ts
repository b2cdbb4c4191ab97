import type { CommandModule } from 'yargs';
import { untilInterrupted } from './interrupt.js';
import { runOptions, setUpRun, type RunArgs } from './run-setup.js';

const command: CommandModule<object, RunArgs> = {
  command: 'train',
  builder: (y) =>
    runOptions(y)
      .example('$0 train --config configs/quickstart.yaml', 'train on the bundled synthetic sample')
      .example('$0 train --config configs/quickstart.yaml --resume', 'continue a killed run') as never,
  // --backend is the global option of src/cli/main.ts. The training code (TF.js and all) loads only here, not for --help.
  handler: async (a) => {
    const [{ formatEvaluation }, { runTraining, runPaths }] = await Promise.all([import('../metrics/evaluation.js'), import('../pipeline/train-run.js')]);
    const { cfg, log, backend } = await setUpRun(a);
    // Ctrl-C ends every trial's epoch in progress, writes its `last` checkpoint and exits 130: `--resume` continues from there.
    const run = await untilInterrupted(log, (signal) => runTraining(cfg, { resume: a.resume, backend, log, signal }));
    const { evaluation, paths, best, members } = run;
    if (a.json) {
      process.stdout.write(JSON.stringify(evaluation) + '\n');
    } else {
      process.stdout.write(formatEvaluation(evaluation) + '\n\n');
      const ensemble = members.length > 1 ? `; an ensemble of trials ${members.map((m) => m.trial).join(', ')}` : '';
      process.stdout.write(`model: ${paths.model} (trial ${best.trial}, best epoch ${best.bestEpoch}${ensemble})\n`);
      process.stdout.write(`run:   ${runPaths(cfg.output).runJson}\n`);
    }
  },
};
export default command;
