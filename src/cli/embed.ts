import type { CommandModule } from 'yargs';
import { readSpectra } from '../data/formats/index.js';
import { embedSpectra } from '../export/embed.js';
import { embedFormatFor, writeEmbedding } from '../export/embed-output.js';
import { loadModel } from '../export/load-model.js';
import { check } from '../util/errors.js';
import { modelOption, prepareOptionsFrom, spectraOptions, type SpectraArgs } from './options.js';

interface Args extends SpectraArgs {
  model: string;
  data: string;
  out: string;
  format?: string;
  'input-format': string;
  'batch-size': number;
}

/** `xlatent embed`: project new spectra (e.g. experimental) into a trained model's latent space (RankAAE or baseline). */
const command: CommandModule<object, Args> = {
  command: 'embed',
  builder: (y) =>
    y
      .option('model', modelOption)
      .option('data', { type: 'string', demandOption: true, describe: 'Spectra file or folder (any format `xlatent data` reads); resampled onto the model grid' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output table (.csv, .json, .arrow)' })
      .option('format', { type: 'string', choices: ['csv', 'json', 'arrow'], describe: 'Output format (default: from the --out extension)' })
      .option('input-format', { type: 'string', default: 'auto', describe: 'Reader for --data (default: detect)' })
      .option('batch-size', { type: 'number', default: 4096, describe: 'Spectra per inference batch' })
      .options(spectraOptions)
      .example('$0 embed --model runs/model --data exp/fe-foils.xdi --out fe-foils.csv', 'one row per spectrum: id, z0.., pred_<descriptor>, recon_mse, ood_percentile, ood_flag (baselines: ood_knn_distance too)') as never,
  handler: async (argv) => {
    check(Number.isInteger(argv['batch-size']) && argv['batch-size'] >= 1, `--batch-size must be a positive integer, got ${argv['batch-size']}`);
    const format = embedFormatFor(argv.out, argv.format);
    const model = await loadModel(argv.model);
    const input = await readSpectra(argv.data, argv['input-format']);
    const result = embedSpectra(model, input, argv['batch-size'], await prepareOptionsFrom(argv));
    for (const w of result.warnings) process.stderr.write(`xlatent: warning: ${w}\n`);
    writeEmbedding(
      result,
      argv.out,
      format,
      {
        model: argv.model,
        data: argv.data,
        role: argv.calculated ? 'calculated' : 'measured',
        energyShift: result.shift,
        trainingConfigSha256: model.metadata.training.sha256,
        created: new Date().toISOString(),
      },
      [...model.metadata.descriptors.map((d) => d.name), ...(model.metadata.readouts ?? []).map((r) => r.descriptor)],
    );
    const flagged = result.oodFlag.reduce((s, v) => s + (v === 1 ? 1 : 0), 0);
    const ood = result.oodMetric ? `${flagged} flagged out of distribution by ${result.oodMetric}` : 'no OOD reference';
    const shifted = result.shift.eV !== 0 ? `; energies shifted by ${result.shift.eV.toFixed(3)} eV (${result.shift.source})` : '';
    process.stdout.write(`embedded ${result.n} spectra into the ${result.nStyle} latent axes of the ${model.method} model -> ${argv.out} (${ood}${shifted})\n`);
  },
};
export default command;
