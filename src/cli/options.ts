import { readOneSpectrum } from '../data/preprocess/fit.js';
import type { PrepareOptions } from '../export/embed.js';
import { check } from '../util/errors.js';

/** Options several commands share, declared once so their help reads the same. */

/** --model: the model directory a command reads. */
export const modelOption = { type: 'string', demandOption: true, describe: 'Model directory written by `xlatent train` (or a run directory holding model/) or by `xlatent baseline`' } as const;

/** --png / --no-png: PNG copies next to the SVG figures. */
export const pngOption = { type: 'boolean', default: true, describe: 'Also write PNG copies of the SVG figures (--no-png to skip)' } as const;

/**
 * How the --data spectra enter the model's stored preprocessing pipeline:
 * measured by default (the measured energy shift applies, no broadening),
 * or calculated like the training set; the shift can be given or fitted
 * from a measured spectrum of the model's reference compound.
 */
export const spectraOptions = {
  calculated: {
    type: 'boolean',
    default: false,
    describe: 'The --data spectra are calculated like the training set (broadened, calculated-scale shift) instead of measured',
  },
  shift: { type: 'number', describe: "Energy shift (eV) added to the --data spectra instead of the model's stored one" },
  reference: {
    type: 'string',
    describe: "Measured spectrum of the model's reference compound: the energy shift is fitted from it against the stored calculated one",
  },
  'reference-id': { type: 'string', describe: 'Spectrum id in the --reference file when it holds several' },
} as const;

/** Parsed {@link spectraOptions}. */
export interface SpectraArgs {
  calculated: boolean;
  shift?: number;
  reference?: string;
  'reference-id'?: string;
}

/** The prepareForModel options the flags ask for (reads the --reference file). */
export async function prepareOptionsFrom(a: SpectraArgs, extra: PrepareOptions = {}): Promise<PrepareOptions> {
  check(a.shift === undefined || Number.isFinite(a.shift), `expected a number of eV, got ${a.shift}`, '--shift');
  check(!(a.shift !== undefined && a.reference !== undefined), 'give either --shift or --reference, not both');
  check(!(a.calculated && a.reference !== undefined), '--reference calibrates measured spectra; leave it out with --calculated');
  const opts: PrepareOptions = { ...extra, role: a.calculated ? 'calculated' : 'measured', shift: a.shift };
  if (a.reference !== undefined) {
    const ref = await readOneSpectrum(a.reference, a['reference-id']);
    opts.reference = { energy: ref.energy, mu: ref.mu, where: `${a.reference} [${ref.id}]` };
  }
  return opts;
}
