import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadDataForModel, loadModelContext } from '../analysis/model-context.js';
import { defaultRelevanceWindow, maskingRelevance, type MaskFill } from '../analysis/relevance.js';
import { csvField } from '../data/formats/csv-table.js';
import { relevanceSvg } from '../report/relevance-figure.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { check } from '../util/errors.js';
import { writeFigure } from './figure.js';
import { modelOption, pngOption, prepareOptionsFrom, spectraOptions, type SpectraArgs } from './options.js';

interface RelevanceArgs extends SpectraArgs {
  model: string;
  data: string;
  window?: number;
  'window-points'?: number;
  stride: number;
  fill: string;
  'max-spectra': number;
  seed: number;
  out: string;
  png: boolean;
}

const command: CommandModule<object, RelevanceArgs> = {
  command: 'relevance',
  builder: (y: Argv) =>
    y
      .option('model', modelOption)
      .option('data', { type: 'string', demandOption: true, describe: 'spectra to mask and re-encode (any format `xlatent data` reads)' })
      .options(spectraOptions)
      .option('window', { type: 'number', describe: 'masking window width in abscissa units (default 5 eV for XAS, 2% of the span for 2-theta or q)' })
      .option('window-points', { type: 'number', describe: 'masking window width in grid points (overrides --window)' })
      .option('stride', { type: 'number', default: 1, describe: 'grid points between window positions' })
      .option('fill', { type: 'string', choices: ['interpolate', 'mean'], default: 'interpolate', describe: 'masked region: straight line across it, or the dataset-mean spectrum' })
      .option('max-spectra', { type: 'number', default: 1000, describe: 'fixed-seed random subset of the data used (cost = positions x spectra encodings)' })
      .option('seed', { type: 'number', default: 0, describe: 'seed of that subset' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (created; files in it are replaced)' })
      .option('png', pngOption) as unknown as Argv<RelevanceArgs>,
  handler: async (args: ArgumentsCamelCase<RelevanceArgs>) => {
    check(Number.isInteger(args['max-spectra']) && args['max-spectra'] >= 1, `expected an integer >= 1, got ${args['max-spectra']}`, '--max-spectra');
    const ctx = await loadModelContext(args.model);
    const data = await loadDataForModel(args.data, ctx, await prepareOptionsFrom(args));
    for (const w of data.warnings) process.stderr.write(`xlatent relevance: warning: ${w}\n`);
    const r = maskingRelevance(ctx.encode, ctx.d, data.input, data.dataset.n, {
      energies: ctx.energies,
      window: args.window ?? defaultRelevanceWindow(ctx.model.metadata.axisKind, ctx.energies),
      windowPoints: args['window-points'],
      stride: args.stride,
      fill: args.fill as MaskFill,
      maxSpectra: args['max-spectra'],
      seed: args.seed,
      axisNames: ctx.axisNames,
    });
    const lines = ['axis,center_energy,start_energy,end_energy,shift,relative_shift'];
    for (let a = 0; a < r.d; a++) {
      const name = csvField(r.axisNames[a]);
      for (let p = 0; p < r.positions; p++) {
        lines.push(`${name},${r.centers[p]},${ctx.energies[r.startIndex[p]]},${ctx.energies[r.endIndex[p]]},${r.shift[p * r.d + a]},${r.relativeShift[p * r.d + a]}`);
      }
    }
    const out = args.out;
    writeFileAtomic(join(out, 'relevance.csv'), lines.join('\n') + '\n');
    const m = ctx.energies.length;
    const mean = new Float64Array(m);
    const n = data.dataset.n;
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mean[j] += data.dataset.spectra[i * m + j] / n;
    const svg = relevanceSvg(r, ctx.abscissaLabel, mean, ctx.energies);
    writeFigure(out, 'relevance', svg, args.png);
    writeJsonAtomic(join(out, 'relevance.json'), {
      model: args.model,
      data: args.data,
      fill: r.fill,
      windowPoints: r.windowPoints,
      stride: args.stride,
      spectraUsed: r.spectraUsed,
      centers: Array.from(r.centers),
      axes: r.axisNames.map((name, a) => ({
        axis: a,
        name,
        peakEnergy: r.peakEnergy[a],
        topWindows: r.topWindows[a],
        shift: Array.from({ length: r.positions }, (_, p) => r.shift[p * r.d + a]),
        relativeShift: Array.from({ length: r.positions }, (_, p) => r.relativeShift[p * r.d + a]),
      })),
    });
    for (let a = 0; a < r.d; a++) {
      const w = r.topWindows[a].map((x) => `${x.from.toFixed(1)}-${x.to.toFixed(1)}`).join(', ');
      process.stdout.write(`${r.axisNames[a]}: most relevant at ${r.peakEnergy[a].toFixed(1)} (windows ${w})\n`);
    }
    process.stdout.write(`wrote relevance.csv, relevance.json, relevance.svg${args.png ? ', relevance.png' : ''} to ${out} (${r.spectraUsed} spectra, ${r.positions} window positions)\n`);
  },
};
export default command;
