import type { CommandModule } from 'yargs';
import { streamSpectra } from '../data/formats/index.js';
import { embedChunks, type EmbedResult } from '../export/embed.js';
import { EmbeddingWriter, embedFormatFor } from '../export/embed-output.js';
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
      .example('$0 embed --model runs/model --data exp/fe-foils.xdi --out fe-foils.csv', 'one row per spectrum: id, z0.., pred_<descriptor> (ensembles: and pred_<descriptor>_std), recon_mse, ood_percentile, ood_flag (baselines: ood_knn_distance too)') as never,
  handler: async (argv) => {
    check(Number.isInteger(argv['batch-size']) && argv['batch-size'] >= 1, `--batch-size must be a positive integer, got ${argv['batch-size']}`);
    const format = embedFormatFor(argv.out, argv.format);
    const model = await loadModel(argv.model);
    const provenance: Record<string, unknown> = {
      model: argv.model,
      data: argv.data,
      role: argv.calculated ? 'calculated' : 'measured',
      energyShift: undefined,
      trainingConfigSha256: model.metadata.training.sha256,
      created: new Date().toISOString(),
    };
    if (model.metadata.ensemble) {
      provenance.ensemble = {
        members: model.metadata.ensemble.members.length,
        latent: 'z columns are member 0 (the best validation score); pred_<descriptor> is the mean of the estimates of the members and pred_<descriptor>_std their standard deviation; recon_mse, latent_distance and the OOD percentiles are means over the members',
      };
    }
    // CSV and Arrow input is read, embedded and written a chunk at a time (memory stays at a chunk).
    const labelled = [...model.metadata.descriptors.map((d) => d.name), ...(model.metadata.readouts ?? []).map((r) => r.descriptor)];
    const out = new EmbeddingWriter(argv.out, format, provenance, labelled);
    let totals;
    try {
      const write = (r: EmbedResult) => {
        provenance.energyShift ??= r.shift; // known with the first chunk, written with the header
        out.write(r);
      };
      totals = await embedChunks(model, streamSpectra(argv.data, argv['input-format']), write, argv['batch-size'], await prepareOptionsFrom(argv));
      out.commit(totals.warnings);
    } catch (e) {
      out.abort();
      throw e;
    }
    for (const w of totals.warnings) process.stderr.write(`xlatent: warning: ${w}\n`);
    const shifted = totals.shift.eV !== 0 ? `; energies shifted by ${totals.shift.eV.toFixed(3)} eV (${totals.shift.source})` : '';
    const ood = model.metadata.ood ? `${totals.flagged} flagged out of distribution by ${model.metadata.ood.metric}` : 'no OOD reference';
    process.stdout.write(`embedded ${totals.n} spectra into the ${totals.nStyle} latent axes of the ${model.method} model -> ${argv.out} (${ood}${shifted})\n`);
  },
};
export default command;
