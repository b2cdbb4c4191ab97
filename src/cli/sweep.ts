import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { requireDecoder } from '../export/latent-model.js';
import { loadModelContext, referenceLatents, type ModelContext } from '../analysis/model-context.js';
import { decoderSweep, parsePercentileRange, type SweepMode, type SweepResult } from '../analysis/sweep.js';
import { csvField } from '../data/formats/csv-table.js';
import { sweepFamilySvg, sweepInDisplayUnits, sweepResidualSvg } from '../report/sweep-figures.js';
import { svgToPng } from '../report/plot/png.js';
import { interpolateSorted } from '../util/quantile.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError, check } from '../util/errors.js';
import { modelOption, pngOption, prepareOptionsFrom, spectraOptions, type SpectraArgs } from './options.js';

interface SweepArgs extends SpectraArgs {
  model: string;
  data?: string;
  axis?: string;
  steps: number;
  range: string;
  mode: string;
  samples: number;
  seed: number;
  out: string;
  png: boolean;
}

/** Resolves `--axis` (index, "z2" or a descriptor name such as "CN") to axis indices. */
export function resolveAxes(spec: string | undefined, ctx: ModelContext): number[] {
  if (spec === undefined || spec === '' || spec === 'all') return Array.from({ length: ctx.d }, (_, i) => i);
  return spec.split(',').map((tok) => {
    const t = tok.trim();
    if (/^\d+$/.test(t)) {
      const i = Number(t);
      check(i < ctx.d, `axis ${i} does not exist (the model has ${ctx.d} latent axes, 0..${ctx.d - 1})`, '--axis');
      return i;
    }
    const z = /^z(\d+)$/i.exec(t);
    if (z) {
      const i = Number(z[1]);
      check(i < ctx.d, `axis ${t} does not exist (the model has ${ctx.d} latent axes, z0..z${ctx.d - 1})`, '--axis');
      return i;
    }
    const desc = ctx.model.metadata.descriptors.find((x) => x.name.toLowerCase() === t.toLowerCase());
    if (desc) return desc.axis;
    throw new UserError(
      `unknown axis "${t}" (expected an index, z0..z${ctx.d - 1}, or a descriptor name: ${ctx.model.metadata.descriptors.map((x) => x.name).join(', ') || 'none'})`,
      '--axis',
    );
  });
}

/** Long-form CSV: one row per (axis, step, energy). */
export function sweepCsv(res: SweepResult, display: { spectra: Float32Array; residuals: Float32Array }[]): string {
  const lines = ['axis,step,axis_value,energy,intensity,residual'];
  const m = res.energies.length;
  res.axes.forEach((ax, k) => {
    const name = csvField(ax.axisName);
    for (let s = 0; s < ax.values.length; s++) {
      for (let j = 0; j < m; j++) {
        lines.push(`${name},${s},${ax.values[s]},${res.energies[j]},${display[k].spectra[s * m + j]},${display[k].residuals[s * m + j]}`);
      }
    }
  });
  return lines.join('\n') + '\n';
}

/** Same long table as Arrow IPC (for pandas/polars: `pd.read_feather`). */
function sweepArrow(res: SweepResult, display: { spectra: Float32Array; residuals: Float32Array }[]): Uint8Array {
  const m = res.energies.length;
  const total = res.axes.reduce((a, ax) => a + ax.values.length * m, 0);
  const axis: string[] = new Array(total);
  const step = new Int32Array(total);
  const value = new Float64Array(total);
  const energy = new Float64Array(total);
  const intensity = new Float32Array(total);
  const residual = new Float32Array(total);
  let r = 0;
  res.axes.forEach((ax, k) => {
    for (let s = 0; s < ax.values.length; s++) {
      for (let j = 0; j < m; j++, r++) {
        axis[r] = ax.axisName;
        step[r] = s;
        value[r] = ax.values[s];
        energy[r] = res.energies[j];
        intensity[r] = display[k].spectra[s * m + j];
        residual[r] = display[k].residuals[s * m + j];
      }
    }
  });
  return tableToIPC(tableFromArrays({ axis, step, axis_value: value, energy, intensity, residual }), 'file');
}

/** Safe file-name stem of an axis ("z0 (CN)" -> "z0_CN"). */
export function axisFileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '');
}

const command: CommandModule<object, SweepArgs> = {
  command: 'sweep',
  builder: (y: Argv) =>
    y
      .option('model', modelOption)
      .option('data', { type: 'string', describe: "spectra whose latents set the sweep range (default: the model's training file if present, else the N(0,1) prior)" })
      .options(spectraOptions)
      .option('axis', { type: 'string', describe: 'axes to sweep: index, z<i>, or descriptor name; comma-separated (default all)' })
      .option('steps', { type: 'number', default: 50, describe: 'points along each axis' })
      .option('range', { type: 'string', default: 'p5:p95', describe: 'percentiles of the reference latents bounding the sweep' })
      .option('mode', { type: 'string', choices: ['zero', 'prior-mean'], default: 'zero', describe: 'other axes at 0, or averaged over draws from the N(0,I) prior' })
      .option('samples', { type: 'number', default: 64, describe: 'prior draws per step in prior-mean mode' })
      .option('seed', { type: 'number', default: 0, describe: 'seed of the prior draws' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (created; files in it are replaced)' })
      .option('png', pngOption)
      .example('$0 sweep --model runs/fe --axis CN --steps 30 --out sweeps/', 'sweep the CN axis') as unknown as Argv<SweepArgs>,
  handler: async (args: ArgumentsCamelCase<SweepArgs>) => {
    const ctx = await loadModelContext(args.model);
    const decode = requireDecoder(ctx.model, 'a decoder sweep');
    const axes = resolveAxes(args.axis, ctx);
    const range = parsePercentileRange(args.range);
    check(Number.isInteger(args.steps) && args.steps >= 2, `expected an integer >= 2, got ${args.steps}`, '--steps');
    check(Number.isInteger(args.samples) && args.samples >= 1, `expected an integer >= 1, got ${args.samples}`, '--samples');
    // The training split's latent percentiles, stored by `xlatent train`, are the reference unless --data names a file.
    const stored = args.data ? undefined : storedLatentPercentiles(ctx.model.metadata.metrics, ctx.d);
    const ref = stored ? null : await referenceLatents(ctx, args.data, await prepareOptionsFrom(args));
    let valueRanges: [number, number][] | undefined;
    let rangeSource: string;
    if (stored) {
      valueRanges = stored.map((pcts) => [interpolateSorted(pcts, range[0]), interpolateSorted(pcts, range[1])] as [number, number]);
      rangeSource = `percentiles ${range[0]}:${range[1]} of the training-split latents stored with the model`;
    } else if (ref) {
      rangeSource = `percentiles ${range[0]}:${range[1]} of the latents of ${ref.source}`;
    } else {
      rangeSource = `percentiles ${range[0]}:${range[1]} of the N(0,1) prior (no --data given and the training file was not found)`;
      process.stderr.write(`xlatent sweep: note: ${rangeSource}\n`);
    }
    const res = decoderSweep(decode, ctx.d, ref?.latents ?? new Float32Array(0), ref?.n ?? 0, {
      energies: ctx.energies,
      axes,
      steps: args.steps,
      range,
      mode: args.mode as SweepMode,
      priorSamples: args.samples,
      seed: args.seed,
      axisNames: ctx.axisNames,
      valueRanges,
    });
    const display = sweepInDisplayUnits(res, ctx.toDisplay);
    const out = args.out;
    const written: string[] = [];
    const put = (name: string, data: string | Uint8Array) => {
      writeFileAtomic(join(out, name), data);
      written.push(join(out, name));
    };
    put('sweep.csv', sweepCsv(res, display));
    put('sweep.arrow', sweepArrow(res, display));
    const labels = { xLabel: ctx.abscissaLabel, yLabel: ctx.intensityLabel };
    res.axes.forEach((ax, k) => {
      const stem = `sweep_${axisFileStem(ctx.axisIds[ax.axis])}`;
      const fam = sweepFamilySvg(ax, res.energies, labels, display[k].spectra, { mode: res.mode });
      const resid = sweepResidualSvg(ax, res.energies, labels, display[k].residuals);
      put(`${stem}.svg`, fam);
      put(`${stem}_residual.svg`, resid);
      if (args.png) {
        put(`${stem}.png`, svgToPng(fam));
        put(`${stem}_residual.png`, svgToPng(resid));
      }
    });
    writeJsonAtomic(join(out, 'sweep.json'), {
      model: args.model,
      mode: res.mode,
      steps: res.steps,
      range: res.range,
      rangeSource,
      priorSamples: res.mode === 'prior-mean' ? res.priorSamples : undefined,
      seed: res.mode === 'prior-mean' ? res.seed : undefined,
      units: labels,
      energies: Array.from(res.energies),
      axes: res.axes.map((ax, k) => ({
        axis: ax.axis,
        name: ax.axisName,
        values: Array.from(ax.values),
        midStep: ax.midStep,
        peakEnergy: ax.peakEnergy,
        peakSensitivity: ax.peakSensitivity,
        topWindows: ax.topWindows,
        sensitivity: Array.from(ax.sensitivity),
        spectra: Array.from({ length: ax.values.length }, (_, s) =>
          Array.from(display[k].spectra.subarray(s * res.energies.length, (s + 1) * res.energies.length)),
        ),
      })),
    });
    written.push(join(out, 'sweep.json'));
    for (const ax of res.axes) {
      const w = ax.topWindows.map((x) => `${x.from.toFixed(1)}-${x.to.toFixed(1)} (${(100 * x.share).toFixed(0)}%)`).join(', ');
      process.stdout.write(`${ax.axisName}: ${ax.values[0].toFixed(3)} .. ${ax.values[ax.values.length - 1].toFixed(3)}; largest response at ${ax.peakEnergy.toFixed(1)}; windows ${w}\n`);
    }
    process.stdout.write(`wrote ${written.length} files to ${out}\n`);
  },
};
export default command;

/** The 0..100 percentile table per axis that training stores in metadata.metrics.latentPercentiles, if present and well formed. */
function storedLatentPercentiles(metrics: Record<string, unknown>, d: number): number[][] | undefined {
  const t = metrics.latentPercentiles;
  if (!Array.isArray(t) || t.length !== d) return undefined;
  const ok = t.every((row) => Array.isArray(row) && row.length === 101 && row.every((v) => typeof v === 'number' && Number.isFinite(v)));
  return ok ? (t as number[][]) : undefined;
}
