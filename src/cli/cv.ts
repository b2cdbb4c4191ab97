import type { CommandModule } from 'yargs';
import { untilInterrupted } from './interrupt.js';
import { runOptions, setUpRun, type RunArgs } from './run-setup.js';

interface Args extends RunArgs {
  folds: number;
}

/** `xlatent cv`: k-fold cross-validation for small labelled sets (src/pipeline/cross-validate.ts). */
const command: CommandModule<object, Args> = {
  command: 'cv',
  builder: (y) =>
    runOptions(y, 'Output folder (cv.json, cv.csv, cv.md, fold-<f>/ runs)')
      .option('folds', { type: 'number', default: 5, describe: 'Number of folds (each spectrum is tested once, by the model of its fold)' })
      .example('$0 cv --config configs/small.yaml --folds 5', 'out-of-fold Spearman, R2 and accuracy per descriptor, mean and spread across folds') as never,
  handler: async (a) => {
    const { formatCrossValidation, runCrossValidation } = await import('../pipeline/cross-validate.js');
    const { cfg, log, backend } = await setUpRun(a);
    const cv = await untilInterrupted(log, (signal) => runCrossValidation(cfg, { folds: a.folds, backend, log, signal, resume: a.resume }));
    process.stdout.write(a.json ? JSON.stringify(cv) + '\n' : `${formatCrossValidation(cv)}\n\nwritten: ${cfg.output}/cv.json, cv.csv, cv.md\n`);
  },
};
export default command;
