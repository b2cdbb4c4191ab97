import type { CommandModule } from 'yargs';
import { evaluateModel, formatModelEvaluation } from '../pipeline/evaluate.js';
import { UserError } from '../util/errors.js';
import { prepareOptionsFrom, spectraOptions, type SpectraArgs } from './options.js';

interface EvaluateArgs extends SpectraArgs {
  model: string;
  data?: string;
  json: boolean;
}

const command: CommandModule<object, EvaluateArgs> = {
  command: 'evaluate',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'Model directory (or the run directory holding model/), RankAAE or baseline' })
      .option('data', { type: 'string', describe: 'Evaluate on every labelled row of this file instead of the test split (a baseline: instead of its fit-time scores)' })
      .options(spectraOptions)
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object instead of a table' })
      .example('$0 evaluate --model runs/quickstart', 'test-split scores of the quickstart model'),
  handler: async (a) => {
    if (!a.data && (a.calculated || a.shift !== undefined || a.reference !== undefined)) {
      throw new UserError('--calculated, --shift and --reference describe --data spectra; give --data too');
    }
    const ev = await evaluateModel(a.model, a.data, await prepareOptionsFrom(a));
    process.stdout.write(a.json ? JSON.stringify(ev) + '\n' : formatModelEvaluation(ev) + '\n');
  },
};
export default command;
