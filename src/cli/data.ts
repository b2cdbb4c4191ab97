import { extname } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { parseAbscissaArg } from '../data/formats/npy.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { SpectralDataset } from '../data/dataset.js';
import { formatNames, openSpectraWriter, writeSpectra, type SpectraWriter } from '../data/formats/index.js';
import type { GridSpec } from '../data/grid.js';
import { loadSpectraChunks, selectDescriptors, type LoadOptions } from '../data/load.js';
import { SummaryAccumulator, type DatasetSummary } from '../data/summary.js';
import { DEFAULT_SYNTH_DESCRIPTORS, EXPERIMENTAL_DEFAULTS, SYNTH_DESCRIPTORS, synthesizeXanes, type SynthDescriptor } from '../data/synth.js';
import { synthesizeXrd, type XrdPhase } from '../data/synth-xrd.js';
import { Rng } from '../util/random.js';
import { linePlotSvg } from '../report/plot/lines.js';
import { svgToPng } from '../report/plot/png.js';
import { viridis } from '../report/plot/svg.js';

/** Reader options shared by `inspect` and `convert`. */
function readerOptions<T>(y: Argv<T>) {
  return y
    .option('format', {
      type: 'string',
      choices: ['auto', ...formatNames()],
      default: 'auto',
      describe: 'Input format (auto: from the file name and content)',
    })
    .option('descriptor-columns', {
      type: 'string',
      array: true,
      describe: 'CSV columns to read as descriptors when they lack the AUX_ prefix',
    })
    .option('id-column', { type: 'string', describe: 'CSV column holding the spectrum id' })
    .option('labels', { type: 'string', describe: 'Label table (CSV) joined by spectrum name, for formats that keep labels apart (matrix)' })
    .option('axis', { type: 'string', describe: 'Abscissa of a .npy matrix: kind:start:step, kind energy|twotheta|q (e.g. q:15:0.1)' })
    .option('grid', {
      type: 'string',
      describe: 'Resample onto a grid: "start:stop:step" or a number of points over the common range',
    })
    .option('extrapolate', {
      type: 'boolean',
      default: false,
      describe: 'Extend spectra flat where the grid reaches beyond their range (with a warning) instead of failing',
    });
}

/** Parses `--grid`: "7100:7180:0.5" or "256". */
export function parseGridArg(text: string | undefined): GridSpec | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(':').map((s) => Number(s.trim()));
  if (parts.length === 1 && Number.isInteger(parts[0]) && parts[0] >= 2) return { points: parts[0] };
  if (parts.length === 3 && parts.every(Number.isFinite) && parts[2] > 0) return { start: parts[0], stop: parts[1], step: parts[2] };
  throw new UserError(`--grid: expected "start:stop:step" (e.g. 7100:7180:0.5) or a number of points >= 2, found "${text}"`);
}

interface ReaderArgs {
  format: string;
  'descriptor-columns'?: string[];
  'id-column'?: string;
  labels?: string;
  axis?: string;
  grid?: string;
  extrapolate: boolean;
}

/**
 * The spectra of `path` a chunk at a time (CSV and Arrow are read a block
 * at a time, so inspect and convert take files larger than memory), with
 * the reader's warnings printed as they come.
 */
async function* loadChunks(path: string, a: ReaderArgs, extra: Partial<LoadOptions> = {}): AsyncGenerator<SpectralDataset> {
  const chunks = loadSpectraChunks(path, {
    format: a.format,
    descriptorColumns: a['descriptor-columns'],
    idColumn: a['id-column'],
    labels: a.labels,
    abscissa: parseAbscissaArg(a.axis),
    grid: parseGridArg(a.grid),
    outside: a.extrapolate ? 'clamp' : 'error',
    ...extra,
  });
  for await (const { dataset, warnings } of chunks) {
    for (const w of warnings) process.stderr.write(`xlatent: warning: ${w}\n`);
    yield dataset;
  }
}

/**
 * Evenly spaced rows of a dataset read in chunks, at most 2 x `count` kept:
 * every stride-th row, the stride doubling (and every other kept row
 * dropped) whenever the sample fills up.
 */
class EvenRows {
  private stride = 1;
  private total = 0;
  private kept: { index: number; id: string; spectrum: Float32Array; labels: Float64Array }[] = [];
  private template: SpectralDataset | null = null;

  constructor(private readonly count: number) {}

  add(ds: SpectralDataset): void {
    this.template ??= ds;
    const k = ds.descriptorNames.length;
    for (let i = 0; i < ds.n; i++) {
      const index = this.total + i;
      if (index % this.stride !== 0) continue;
      this.kept.push({ index, id: ds.ids[i], spectrum: ds.spectra.slice(i * ds.m, (i + 1) * ds.m), labels: ds.descriptors.slice(i * k, (i + 1) * k) });
      if (this.kept.length > 2 * this.count) {
        this.stride *= 2;
        this.kept = this.kept.filter((r) => r.index % this.stride === 0);
      }
    }
    this.total += ds.n;
  }

  /** The kept rows as a dataset, and how many rows there were in all. */
  result(): { ds: SpectralDataset; total: number } {
    const t = this.template!;
    const n = this.kept.length;
    const k = t.descriptorNames.length;
    const spectra = new Float32Array(n * t.m);
    const descriptors = new Float64Array(n * k);
    this.kept.forEach((r, i) => {
      spectra.set(r.spectrum, i * t.m);
      descriptors.set(r.labels, i * k);
    });
    return { ds: { ...t, n, spectra, descriptors, ids: this.kept.map((r) => r.id) }, total: this.total };
  }
}

const synth: CommandModule<object, {
  out: string;
  count: number;
  points: number;
  start: number;
  stop: number;
  noise: number;
  seed: number;
  descriptors: string[];
  format?: string;
  decimals?: number;
  experimental: boolean;
  reference: boolean;
  offset: number;
  'offset-jitter': number;
  broadening: number;
  slope: number;
  'step-error': number;
}> = {
  command: 'synth',
  describe: 'Generate synthetic Fe K-edge XANES with known descriptors (OS, CN, BL)',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'Output file (.csv, .arrow/.feather or .json)' })
      .option('count', { type: 'number', default: 1000, describe: 'Number of spectra' })
      .option('points', { type: 'number', default: 128, describe: 'Grid points' })
      .option('start', { type: 'number', default: 7100, describe: 'First grid energy (eV)' })
      .option('stop', { type: 'number', default: 7180, describe: 'Last grid energy (eV)' })
      .option('noise', { type: 'number', default: 0.01, describe: 'Gaussian noise std in edge-step units' })
      .option('seed', { type: 'number', default: 0, describe: 'Random seed' })
      .option('descriptors', {
        type: 'string',
        array: true,
        default: [...DEFAULT_SYNTH_DESCRIPTORS],
        describe: 'Descriptors to vary and write, in order (others are held fixed)',
      })
      .option('format', { type: 'string', choices: ['csv', 'arrow', 'json'], describe: 'Output format (default: from --out extension)' })
      .option('decimals', { type: 'number', describe: 'CSV: decimals of intensities (default: lossless float32 text)' })
      .option('experimental', { type: 'boolean', default: false, describe: '"Measured" spectra of the same compounds: offset energy scale, broader lines, raw units with background, noise' })
      .option('reference', { type: 'boolean', default: false, describe: 'Only the reference compound (OS 3, CN 6, BL 2.0), for calibrating the energy scales' })
      .option('offset', { type: 'number', default: EXPERIMENTAL_DEFAULTS.offset, describe: 'Experimental: global energy offset of the measured scale (eV)' })
      .option('offset-jitter', { type: 'number', default: EXPERIMENTAL_DEFAULTS.offsetJitter, describe: 'Experimental: std of a per-spectrum calibration drift (eV)' })
      .option('broadening', { type: 'number', default: EXPERIMENTAL_DEFAULTS.broadening, describe: 'Experimental: Gaussian FWHM the calculation lacks (eV)' })
      .option('slope', { type: 'number', default: EXPERIMENTAL_DEFAULTS.slope, describe: 'Experimental: std of the background slope (per 100 eV)' })
      .option('step-error', { type: 'number', default: EXPERIMENTAL_DEFAULTS.stepError, describe: 'Experimental: std of the relative edge-step error' })
      .example('$0 data synth --out data-samples/synth_xanes.csv --count 3000 --points 128 --noise 0.01 --seed 7 --decimals 5', '')
      .example('$0 data synth --experimental --out measured.csv --count 200 --seed 2', 'the same kind of compounds as a beamline would measure them') as never,
  handler: (a) => {
    const descriptors = a.descriptors.flatMap((d) => d.split(',')).map((d) => d.trim()) as SynthDescriptor[];
    const ds = synthesizeXanes({
      count: a.count,
      points: a.points,
      start: a.start,
      stop: a.stop,
      noise: a.noise,
      seed: a.seed,
      descriptors,
      reference: a.reference,
      experimental: a.experimental
        ? { offset: a.offset, offsetJitter: a['offset-jitter'], broadening: a.broadening, slope: a.slope, stepError: a['step-error'] }
        : undefined,
    });
    let out = a.out;
    const ext = extname(out).toLowerCase();
    if (a.format) {
      const want = a.format === 'arrow' ? ['.arrow', '.feather', '.ipc'] : [`.${a.format}`];
      if (ext === '') out += want[0];
      else if (!want.includes(ext)) {
        throw new UserError(`--format ${a.format} does not match the extension of --out ${out} (expected ${want.join(' or ')})`);
      }
    } else if (ext === '') out += '.csv';
    writeSpectra(ds, out, { decimals: a.decimals });
    process.stdout.write(`wrote ${ds.n} spectra x ${ds.m} points (${ds.descriptorNames.join(', ')}) to ${out}\n`);
  },
};

const synthXrd: CommandModule<object, {
  out: string;
  count: number;
  points: number;
  noise: number;
  seed: number;
  measured: boolean;
  impurity: number;
  'defect-fraction': number;
  descriptors: string[];
  phases: string[];
  composition: string;
  known?: number;
}> = {
  command: 'synth-xrd',
  describe: 'Generate synthetic powder XRD of an alloy family (fcc, hcp, bcc phases; composition x, phase, defect known)',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'Output file (.arrow/.feather or .json keep the q axis; .csv)' })
      .option('count', { type: 'number', default: 150, describe: 'Number of patterns' })
      .option('points', { type: 'number', default: 400, describe: 'Grid points over q = 25..65 1/nm' })
      .option('noise', { type: 'number', default: 0.005, describe: 'Gaussian noise std relative to the pattern maximum' })
      .option('seed', { type: 'number', default: 0, describe: 'Random seed' })
      .option('measured', { type: 'boolean', default: false, describe: 'Instrument-like patterns: 1.25x noise, more background, sample-displacement shifts' })
      .option('impurity', { type: 'number', default: 0, describe: 'Fraction of patterns with peaks of a foreign (oxide) phase' })
      .option('defect-fraction', { type: 'number', default: 0.5, describe: 'Fraction of defective (broadened) samples' })
      .option('phases', { type: 'string', array: true, default: ['fcc', 'hcp', 'bcc'], describe: 'Phases of the family; one phase is a solid solution over all compositions' })
      .option('composition', { type: 'string', default: '0:1', describe: 'Range of the composition x, LOW:HIGH' })
      .option('descriptors', { type: 'string', array: true, default: ['x', 'phase', 'defect'], describe: 'Descriptors to write (x, phase, defect)' })
      .option('known', { type: 'number', describe: 'Keep the descriptor values of only this many patterns (seeded choice); the others are unlabelled' })
      .example('$0 data synth-xrd --out xrd.arrow --count 150 --descriptors x --known 12', 'an unlabelled family whose composition is known for 12 patterns') as never,
  handler: (a) => {
    const comp = a.composition.split(':').map(Number);
    if (comp.length !== 2 || !comp.every(Number.isFinite)) throw new UserError(`expected LOW:HIGH, e.g. 0:1, found "${a.composition}"`, '--composition');
    const phases = a.phases.flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean) as XrdPhase[];
    let ds = synthesizeXrd({
      count: a.count,
      points: a.points,
      noise: a.noise,
      seed: a.seed,
      measured: a.measured,
      impurity: a.impurity,
      defectFraction: a['defect-fraction'],
      phases,
      composition: comp as [number, number],
    });
    ds = selectDescriptors(ds, a.descriptors.flatMap((d) => d.split(',')).map((d) => d.trim()).filter(Boolean));
    if (a.known !== undefined) {
      if (!Number.isInteger(a.known) || a.known < 0 || a.known > ds.n) throw new UserError(`expected an integer in 0..${ds.n}, got ${a.known}`, '--known');
      const keep = new Set(new Rng(a.seed + 1).permutation(ds.n).subarray(0, a.known));
      const k = ds.descriptorNames.length;
      for (let i = 0; i < ds.n; i++) if (!keep.has(i)) ds.descriptors.fill(NaN, i * k, (i + 1) * k);
    }
    writeSpectra(ds, a.out);
    const known = a.known === undefined ? '' : `, known for ${a.known}`;
    process.stdout.write(`wrote ${ds.n} patterns x ${ds.m} points (${ds.descriptorNames.join(', ') || 'no descriptors'}${known}) to ${a.out}\n`);
  },
};

function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits + 2)));
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ')).join('\n');
}

/** The human-readable form of an inspect summary. */
export function formatSummary(s: DatasetSummary): string {
  const g = s.grid;
  const lines = [
    `${s.source}: ${s.count} spectra x ${s.gridLength} points`,
    `grid (${s.axis}): ${fmt(g.start)} .. ${fmt(g.stop)}, step ${fmt(g.step)}${g.uniform ? '' : ` (non-uniform: ${fmt(g.minStep)} .. ${fmt(g.maxStep)})`}`,
    `intensity: ${fmt(s.intensity.min)} .. ${fmt(s.intensity.max)}, mean ${fmt(s.intensity.mean)}, std ${fmt(s.intensity.std)}`,
    `  per-spectrum minimum ${fmt(s.intensity.spectrumMin[0])} .. ${fmt(s.intensity.spectrumMin[1])}, maximum ${fmt(s.intensity.spectrumMax[0])} .. ${fmt(s.intensity.spectrumMax[1])}`,
    `non-finite intensities: ${s.nanCount}; missing labels: ${s.missingLabels}`,
  ];
  if (s.descriptors.length === 0) lines.push('descriptors: none');
  else {
    lines.push('', 'descriptors:');
    const rows = [['name', 'count', 'missing', 'min', 'max', 'mean', 'std', 'levels']];
    for (const d of s.descriptors) {
      rows.push([
        d.name,
        String(d.count),
        String(d.missing),
        fmt(d.min),
        fmt(d.max),
        fmt(d.mean),
        fmt(d.std),
        d.levels ? d.levels.map((l) => `${fmt(l.value)}:${l.count}`).join(' ') : '(continuous)',
      ]);
    }
    lines.push(table(rows));
  }
  return lines.join('\n') + '\n';
}

/**
 * SVG overlay of up to `count` evenly chosen spectra, coloured by the first descriptor when there is one.
 *
 * @param total rows of the whole file when `ds` is a sample of it (for the title)
 */
export function overlaySvg(ds: SpectralDataset, count: number, total = ds.n): string {
  const shown = Math.min(count, ds.n);
  const rows = Array.from({ length: shown }, (_, t) => Math.floor((t * ds.n) / shown));
  const k = ds.descriptorNames.length;
  let colorbar: { min: number; max: number; label: string } | undefined;
  let color = (_i: number): string | undefined => undefined;
  if (k > 0) {
    const vals = rows.map((i) => ds.descriptors[i * k]).filter((v) => !Number.isNaN(v));
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    if (vals.length > 0 && hi > lo) {
      colorbar = { min: lo, max: hi, label: ds.descriptorNames[0] };
      color = (i) => {
        const v = ds.descriptors[i * k];
        return Number.isNaN(v) ? '#999999' : viridis((v - lo) / (hi - lo));
      };
    }
  }
  const series = rows.map((i) => ({
    x: ds.energies,
    y: ds.spectra.subarray(i * ds.m, (i + 1) * ds.m),
    color: color(i) ?? (colorbar ? undefined : '#1f77b4'),
    width: 1,
  }));
  return linePlotSvg({
    series,
    title: `${shown} of ${total} spectra`,
    xLabel: ds.axis === 'twotheta' ? '2θ (deg)' : ds.axis === 'q' ? 'q (1/nm)' : 'Energy (eV)',
    yLabel: 'Intensity',
    legend: false,
    colorbar,
  });
}

const inspect: CommandModule<object, ReaderArgs & { file: string; json: boolean; plot?: string; 'plot-count': number }> = {
  command: 'inspect <file>',
  describe: 'Summarize a spectra file: size, grid, intensities, descriptor statistics',
  builder: (y) =>
    readerOptions(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'Spectra file' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object instead of a table' })
      .option('plot', { type: 'string', describe: 'Also draw an overlay of sample spectra to this .svg or .png' })
      .option('plot-count', { type: 'number', default: 60, describe: 'Number of spectra in the --plot overlay' }) as never,
  handler: async (a) => {
    const acc = new SummaryAccumulator();
    const sample = a.plot ? new EvenRows(a['plot-count']) : undefined;
    let source = a.file;
    for await (const ds of loadChunks(a.file, a)) {
      acc.add(ds);
      sample?.add(ds);
      source = ds.source ?? source;
    }
    const summary = acc.result(source);
    if (a.json) process.stdout.write(JSON.stringify(summary, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
    else process.stdout.write(formatSummary(summary));
    if (a.plot) {
      const e = extname(a.plot).toLowerCase();
      if (e !== '.svg' && e !== '.png') throw new UserError(`--plot: expected a .svg or .png file name, found "${a.plot}"`);
      const { ds, total } = sample!.result();
      const svg = overlaySvg(ds, a['plot-count'], total);
      writeFileAtomic(a.plot, e === '.svg' ? svg : svgToPng(svg));
      if (!a.json) process.stdout.write(`plot: ${a.plot}\n`);
    }
  },
};

const convert: CommandModule<object, ReaderArgs & { input: string; output: string; descriptors?: string[]; decimals?: number }> = {
  command: 'convert <input> <output>',
  describe: 'Convert a spectra file; the output format follows its extension (.arrow/.feather, .csv, .json)',
  builder: (y) =>
    readerOptions(y)
      .positional('input', { type: 'string', demandOption: true, describe: 'Input spectra file' })
      .positional('output', { type: 'string', demandOption: true, describe: 'Output file (.arrow, .feather, .csv or .json)' })
      .option('descriptors', { type: 'string', array: true, describe: 'Keep only these descriptors, in this order' })
      .option('decimals', { type: 'number', describe: 'CSV output: decimals of intensities (default: lossless)' })
      .example('$0 data convert spectra.csv spectra.arrow', 'CSV -> Arrow for fast reloads') as never,
  handler: async (a) => {
    const descriptors = a.descriptors?.flatMap((d) => d.split(',')).map((d) => d.trim());
    // Chunk by chunk: the output is written as the input is read, and appears only when complete.
    let writer: SpectraWriter | undefined;
    let n = 0;
    let last: SpectralDataset | undefined;
    try {
      for await (const ds of loadChunks(a.input, a, { descriptors })) {
        writer ??= openSpectraWriter(a.output, ds, { decimals: a.decimals });
        writer.write(ds);
        n += ds.n;
        last = ds;
      }
      writer!.commit();
    } catch (e) {
      writer?.abort();
      throw e;
    }
    process.stdout.write(`wrote ${n} spectra x ${last!.m} points (${last!.descriptorNames.join(', ') || 'no descriptors'}) to ${a.output}\n`);
  },
};

const command: CommandModule = {
  command: 'data',
  builder: (y) =>
    y
      .command(synth as CommandModule)
      .command(synthXrd as CommandModule)
      .command(inspect as CommandModule)
      .command(convert as CommandModule)
      .demandCommand(1, 'Name a data command: synth, synth-xrd, inspect or convert.'),
  handler: () => {},
};
export default command;
