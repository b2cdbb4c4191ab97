import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { interpolateRows, loadDataForModel, loadModelContext } from '../analysis/model-context.js';
import { interpolationSvg } from '../report/interpolation-figure.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError, check } from '../util/errors.js';
import { writeFigure } from './figure.js';
import { modelOption, pngOption, prepareOptionsFrom, spectraOptions, type SpectraArgs } from './options.js';

interface InterpolateArgs extends SpectraArgs {
  model: string;
  data: string;
  from: string;
  to: string;
  steps: number;
  out: string;
  png: boolean;
}

/** Row of a spectrum by id, or by 0-based row number written as `#12`. */
function findRow(ids: string[], key: string, path: string, flag: string): number {
  const hash = /^#(\d+)$/.exec(key);
  if (hash) {
    const i = Number(hash[1]);
    check(i < ids.length, `row ${i} does not exist (the file has ${ids.length} spectra)`, flag);
    return i;
  }
  const i = ids.indexOf(key);
  if (i < 0) {
    const some = ids.slice(0, 5).map((s) => `"${s}"`).join(', ');
    throw new UserError(`no spectrum with id "${key}" in ${path} (ids look like ${some}${ids.length > 5 ? ', ...' : ''}; or pass a row number as #N)`, flag);
  }
  return i;
}

const command: CommandModule<object, InterpolateArgs> = {
  command: 'interpolate',
  builder: (y: Argv) =>
    y
      .option('model', modelOption)
      .option('data', { type: 'string', demandOption: true, describe: 'spectra file holding both spectra' })
      .options(spectraOptions)
      .option('from', { type: 'string', demandOption: true, describe: 'id of spectrum A (or #row)' })
      .option('to', { type: 'string', demandOption: true, describe: 'id of spectrum B (or #row)' })
      .option('steps', { type: 'number', default: 11, describe: 'points on the path, both ends included' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (created; files in it are replaced)' })
      .option('png', pngOption) as unknown as Argv<InterpolateArgs>,
  handler: async (args: ArgumentsCamelCase<InterpolateArgs>) => {
    const ctx = await loadModelContext(args.model);
    const data = await loadDataForModel(args.data, ctx, await prepareOptionsFrom(args));
    for (const w of data.warnings) process.stderr.write(`xlatent interpolate: warning: ${w}\n`);
    const { dataset } = data;
    const ia = findRow(dataset.ids, String(args.from), args.data, '--from');
    const ib = findRow(dataset.ids, String(args.to), args.data, '--to');
    const m = dataset.m;
    const { path: r, shown: spectra, ends } = interpolateRows(ctx, data, ia, ib, args.steps);
    const steps = r.t.length;
    const nameA = dataset.ids[ia];
    const nameB = dataset.ids[ib];
    const lines = ['step,t,energy,intensity'];
    for (let s = 0; s < steps; s++) for (let j = 0; j < m; j++) lines.push(`${s},${r.t[s]},${ctx.energies[j]},${spectra[s * m + j]}`);
    const out = args.out;
    writeFileAtomic(join(out, 'interpolation.csv'), lines.join('\n') + '\n');
    const svg = interpolationSvg(r, ctx.energies, { from: nameA, to: nameB, xLabel: ctx.abscissaLabel, yLabel: ctx.intensityLabel }, spectra, ends);
    writeFigure(out, 'interpolation', svg, args.png);
    const d = ctx.d;
    writeJsonAtomic(join(out, 'interpolation.json'), {
      model: args.model,
      data: args.data,
      from: nameA,
      to: nameB,
      axes: ctx.axisNames,
      zFrom: Array.from(r.zA),
      zTo: Array.from(r.zB),
      t: Array.from(r.t),
      latents: Array.from({ length: steps }, (_, s) => Array.from(r.latents.subarray(s * d, (s + 1) * d))),
      energies: Array.from(ctx.energies),
      spectra: Array.from({ length: steps }, (_, s) => Array.from(spectra.subarray(s * m, (s + 1) * m))),
    });
    const fmt = (z: Float32Array) => Array.from(z, (v) => v.toFixed(3)).join(', ');
    process.stdout.write(`${nameA}: z = [${fmt(r.zA)}]\n${nameB}: z = [${fmt(r.zB)}]\nwrote interpolation.csv, .json, .svg${args.png ? ', .png' : ''} to ${out}\n`);
  },
};
export default command;
