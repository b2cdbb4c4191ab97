import type { CommandModule } from 'yargs';

interface Args {
  from: string[];
  members: number;
  out?: string;
  json: boolean;
}

/** `xlatent ensemble`: a model from the best trials of finished runs (src/pipeline/ensemble.ts buildEnsembleModel). */
const command: CommandModule<object, Args> = {
  command: 'ensemble',
  builder: (y) =>
    y
      .option('from', { type: 'string', array: true, demandOption: true, describe: 'Run directories and/or trial folders (<run>/trials/trial-<i>) to choose from' })
      .option('members', { type: 'number', demandOption: true, describe: 'How many of the best trials (by validation score) form the model' })
      .option('out', { type: 'string', describe: 'Model directory to write (default with one run directory: that run\'s model)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the ensemble evaluation as one JSON object' })
      .example('$0 ensemble --from runs/seed0 runs/seed1 runs/seed2 --members 3 --out runs/ensemble', 'one model from the trials of three seeds') as never,
  handler: async (a) => {
    const [{ buildEnsembleModel }, { describeBackend }, { formatEvaluation }] = await Promise.all([
      import('../pipeline/ensemble.js'),
      import('../backends/select.js'),
      import('../metrics/evaluation.js'),
    ]);
    const log = (line: string) => process.stderr.write(line + '\n');
    const built = await buildEnsembleModel(a.from, a.members, { out: a.out, backend: { ...describeBackend() }, log });
    const ev = built.ensembleEvaluation ? { ...built.evaluation, ensemble: built.ensembleEvaluation } : built.evaluation;
    if (a.json) process.stdout.write(JSON.stringify(ev) + '\n');
    else {
      process.stdout.write(formatEvaluation(ev) + '\n\n');
      process.stdout.write(`model: ${built.dir} (${built.members.map((m) => `trial ${m.trial} score ${m.bestScore.toFixed(4)}`).join('; ')})\n`);
    }
  },
};
export default command;
