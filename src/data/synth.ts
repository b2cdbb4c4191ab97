import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { SpectralDataset } from './dataset.js';
import { interpolateInto, linspace } from './grid.js';
import { broadenSpectrum } from './preprocess/broaden.js';

/**
 * Synthetic Fe K-edge XANES with known ground-truth descriptors, for
 * testing that a model recovers physics it was told about.
 *
 * Each spectrum (normalized: edge step 1) is the sum of
 * - an arctan edge step centred at E0, width w (an unlabeled nuisance drawn
 *   from `edgeWidth`, so free latent axes have something to find);
 * - a Gaussian pre-edge peak (1s -> 3d) at 7112.5 + 0.9 (OS - 2) eV, sigma
 *   0.8 eV, strong for tetrahedral CN 4 (0.20), weak for centrosymmetric
 *   CN 6 (0.035): height 0.20 - 0.0825 (CN - 4);
 * - a Gaussian white line at E0 + 5 eV, sigma 2.5 eV, height 0.35 + 0.15 (CN - 4);
 * - a smooth post-edge: the step times (1 + chi(k) - 0.0015 (E - E0)), with an
 *   EXAFS-like chi(k) = 0.12 sin(2 k R - 1) exp(-2 * 0.003 k^2) (1 - exp(-(E - E0) / 10)),
 *   k = sqrt(0.2625 (E - E0)) 1/A, R = BL, switched on above E0;
 * - Gaussian noise of std `noise` (in edge-step units).
 *
 * Descriptors and their single effects:
 * - OS, oxidation state, uniform in [2, 4] (rounded to 0.001): moves the edge,
 *   E0 = 7120 + 3 (OS - 2) eV (the chemical shift of ~3 eV per unit seen in
 *   Fe K-edges), and the pre-edge by 0.9 eV per unit;
 * - CN, coordination number, uniform over {4, 5, 6}: pre-edge and white-line
 *   heights;
 * - BL, bond length, uniform in [1.85, 2.15] A (rounded to 0.0001): the
 *   post-edge oscillation frequency.
 * They are drawn independently. A descriptor not in `descriptors` is held
 * at OS = 3, CN = 5 or BL = 2.0 and not reported.
 *
 * These are the "calculated" spectra. The `experimental` option turns the
 * same compounds (equal seeds give equal descriptors and edge widths) into
 * "measured" ones, as a beamline would record them: on an energy scale
 * offset by an unknown global `offset` (plus a small per-spectrum drift),
 * convolved with a Gaussian of `broadening` FWHM (resolution and lifetime
 * the calculation lacks), in raw absorption units (a random edge step
 * 1 + N(0, stepError) on a background b0 + b1 (E - 7100 eV) / 100 eV with
 * b0 ~ 0.3 + N(0, 0.1), b1 ~ N(0, slope)) and with noise. The truth stays
 * known, so tests can check what survives the transfer.
 * `reference` generates one fixed compound (OS 3, CN 6, BL 2.0, edge width
 * 1.5 eV, id "reference") for calibrating the two energy scales.
 */
export const SYNTH_DESCRIPTORS = ['OS', 'CN', 'BL', 'EW', 'DW'] as const;
/** The descriptors generated when none are named. */
export const DEFAULT_SYNTH_DESCRIPTORS: SynthDescriptor[] = ['OS', 'CN', 'BL'];
export type SynthDescriptor = (typeof SYNTH_DESCRIPTORS)[number];
/** Defaults of the scalar {@link SynthOptions} (the config schema uses them too). */
export const SYNTH_DEFAULTS = { count: 1000, start: 7100, stop: 7180, points: 128, noise: 0.01, seed: 0 } as const;

/** Options of {@link synthesizeXanes}; every field has a default. */
export interface SynthOptions {
  /** Number of spectra (default 1000). */
  count?: number;
  /** First grid energy in eV (default 7100). */
  start?: number;
  /** Last grid energy in eV (default 7180). */
  stop?: number;
  /** Number of evenly spaced grid points (default 128). */
  points?: number;
  /** Std of the additive Gaussian noise, in edge-step units (default 0.01). */
  noise?: number;
  /** Seed; equal seeds and options give identical datasets (default 0). */
  seed?: number;
  /**
   * Descriptors to vary and report, in this order (default OS, CN, BL). Two more exist for
   * wider workloads: EW, the arctan edge width in eV (otherwise an unlabeled nuisance), and
   * DW, the EXAFS-like Debye-Waller factor sigma^2 in A^2, uniform in [0.001, 0.008], which
   * damps the post-edge oscillation as exp(-2 sigma^2 k^2) (held at 0.003 when not listed).
   */
  descriptors?: SynthDescriptor[];
  /** Range of the unlabeled edge width w in eV (default [1.2, 1.8]; equal ends fix it). */
  edgeWidth?: [number, number];
  /** Generate "measured" spectra of the same compounds (see the module comment); omit for calculated ones. */
  experimental?: ExperimentalOptions;
  /** Generate the single reference compound instead of `count` random ones. */
  reference?: boolean;
}

/** What makes a synthetic spectrum "measured"; every field has a default. */
export interface ExperimentalOptions {
  /** Global offset of the measured energy scale (eV): a feature at E in the calculation appears at E + offset. Default 4.5. */
  offset?: number;
  /** Std (eV) of a per-spectrum calibration drift on top of `offset`. Default 0.1. */
  offsetJitter?: number;
  /** FWHM (eV) of the Gaussian broadening the calculation lacks. Default 2. */
  broadening?: number;
  /** Std of the background slope b1 (absorption units per 100 eV). Default 0.05. */
  slope?: number;
  /** Std of the relative edge-step error (sample thickness, normalization). Default 0.1. */
  stepError?: number;
}

/** Defaults of {@link ExperimentalOptions} (the config schema uses them too). */
export const EXPERIMENTAL_DEFAULTS = { offset: 4.5, offsetJitter: 0.1, broadening: 2, slope: 0.05, stepError: 0.1 } as const;

/** The reference compound's parameters. */
export const REFERENCE_COMPOUND: SynthParams = { OS: 3, CN: 6, BL: 2.0, edgeWidth: 1.5 };

/** The physical parameters of one synthetic spectrum. */
export interface SynthParams {
  /** Oxidation state. */
  OS: number;
  /** Coordination number. */
  CN: number;
  /** Bond length, Angstrom. */
  BL: number;
  /** Arctan edge width, eV. */
  edgeWidth: number;
  /** Debye-Waller factor sigma^2 (A^2) damping the post-edge oscillation; 0.003 when absent. */
  DW?: number;
}

/** Edge position E0 in eV for an oxidation state. */
export function edgePosition(os: number): number {
  return 7120 + 3 * (os - 2);
}

/** Pre-edge peak height for a coordination number. */
export function preEdgeHeight(cn: number): number {
  return 0.2 - 0.0825 * (cn - 4);
}

/** Noise-free spectrum of `p` on `energies`, written into `out` at `offset`. */
export function synthSpectrum(p: SynthParams, energies: ArrayLike<number>, out: Float32Array | Float64Array, offset = 0): void {
  const e0 = edgePosition(p.OS);
  const ePre = 7112.5 + 0.9 * (p.OS - 2);
  const hPre = preEdgeHeight(p.CN);
  const hWhite = 0.35 + 0.15 * (p.CN - 4);
  const eWhite = e0 + 5;
  for (let c = 0; c < energies.length; c++) {
    const e = energies[c];
    const step = 0.5 + Math.atan((e - e0) / p.edgeWidth) / Math.PI;
    let post = 1;
    if (e > e0) {
      const de = e - e0;
      const k = Math.sqrt(0.2625 * de);
      const chi = 0.12 * Math.sin(2 * k * p.BL - 1) * Math.exp(-2 * (p.DW ?? 0.003) * k * k) * (1 - Math.exp(-de / 10));
      post += chi - 0.0015 * de;
    }
    const pre = hPre * Math.exp(-0.5 * ((e - ePre) / 0.8) ** 2);
    const white = hWhite * Math.exp(-0.5 * ((e - eWhite) / 2.5) ** 2);
    out[offset + c] = step * post + pre + white;
  }
}

/** Generates a seeded synthetic XANES dataset (see the module comment for the model). */
export function synthesizeXanes(options: SynthOptions = {}): SpectralDataset {
  const count = options.count ?? SYNTH_DEFAULTS.count;
  const start = options.start ?? SYNTH_DEFAULTS.start;
  const stop = options.stop ?? SYNTH_DEFAULTS.stop;
  const points = options.points ?? SYNTH_DEFAULTS.points;
  const noise = options.noise ?? SYNTH_DEFAULTS.noise;
  const seed = options.seed ?? SYNTH_DEFAULTS.seed;
  const include = options.descriptors ?? [...DEFAULT_SYNTH_DESCRIPTORS];
  const [wLo, wHi] = options.edgeWidth ?? [1.2, 1.8];
  if (!Number.isInteger(count) || count < 1) throw new UserError(`count must be a positive integer, found ${count}`, 'synth');
  if (!Number.isInteger(points) || points < 2) throw new UserError(`points must be an integer >= 2, found ${points}`, 'synth');
  if (!(stop > start)) throw new UserError(`expected start < stop, found ${start} and ${stop}`, 'synth');
  if (!Number.isInteger(seed) || seed < 0) throw new UserError(`seed must be a non-negative integer, found ${seed}`, 'synth');
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new UserError(`noise must be >= 0, found ${noise}`, 'synth');
  if (!(wLo > 0 && wHi >= wLo)) throw new UserError(`edgeWidth must be 0 < low <= high, found [${wLo}, ${wHi}]`, 'synth');
  for (const d of include) {
    if (!SYNTH_DESCRIPTORS.includes(d)) {
      throw new UserError(`unknown synthetic descriptor "${d}" (available: ${SYNTH_DESCRIPTORS.join(', ')})`, 'synth');
    }
  }
  if (new Set(include).size !== include.length) throw new UserError(`descriptor listed twice in ${include.join(', ')}`, 'synth');
  const energies = linspace(start, stop, points);
  const measure = options.experimental ? measurement(options.experimental, energies, seed) : undefined;
  const rng = new Rng(seed);
  // DW has its own stream so adding it left the OS/CN/BL datasets (and data-samples/) unchanged.
  const dwRng = new Rng(seed + 0x5eed);
  if (options.reference) return referenceDataset(include, energies, noise, seed, measure);
  const k = include.length;
  const spectra = new Float32Array(count * points);
  const descriptors = new Float64Array(count * k);
  const ids: string[] = new Array(count);
  const row = new Float64Array(points);
  const width = String(count).length;
  for (let i = 0; i < count; i++) {
    // Always draw every descriptor so the stream (and the noise) does not depend on which are reported.
    const os = Math.round((2 + 2 * rng.uniform()) * 1000) / 1000;
    const cn = 4 + rng.int(3);
    const bl = Math.round((1.85 + 0.3 * rng.uniform()) * 10000) / 10000;
    const w = wLo + (wHi - wLo) * rng.uniform();
    const dw = Math.round((0.001 + 0.007 * dwRng.uniform()) * 1e5) / 1e5;
    const p: SynthParams = {
      OS: include.includes('OS') ? os : 3,
      CN: include.includes('CN') ? cn : 5,
      BL: include.includes('BL') ? bl : 2.0,
      edgeWidth: w,
      DW: include.includes('DW') ? dw : undefined,
    };
    const off = i * points;
    if (measure) measure.spectrum(p, row, noise, rng);
    else {
      synthSpectrum(p, energies, row);
      for (let c = 0; c < points; c++) row[c] += noise > 0 ? noise * rng.normal() : 0;
    }
    spectra.set(row, off);
    include.forEach((d, j) => (descriptors[i * k + j] = d === 'EW' ? p.edgeWidth : (p[d] as number)));
    ids[i] = `synth_${String(i + 1).padStart(width, '0')}`;
  }
  return {
    energies,
    spectra,
    n: count,
    m: points,
    ids,
    descriptorNames: [...include],
    descriptors,
    axis: 'energy',
    source: `synth(seed=${seed}${measure ? ', experimental' : ''})`,
  };
}

/** The generator of "measured" spectra for one set (one beamline calibration). */
function measurement(o: ExperimentalOptions, energies: Float64Array, seed: number) {
  const offset = o.offset ?? EXPERIMENTAL_DEFAULTS.offset;
  const jitter = o.offsetJitter ?? EXPERIMENTAL_DEFAULTS.offsetJitter;
  const fwhm = o.broadening ?? EXPERIMENTAL_DEFAULTS.broadening;
  const slope = o.slope ?? EXPERIMENTAL_DEFAULTS.slope;
  const stepError = o.stepError ?? EXPERIMENTAL_DEFAULTS.stepError;
  for (const [name, v] of Object.entries({ offsetJitter: jitter, broadening: fwhm, slope, stepError })) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new UserError(`experimental.${name} must be >= 0, found ${v}`, 'synth');
  }
  if (!Number.isFinite(offset)) throw new UserError(`experimental.offset must be a finite number of eV, found ${offset}`, 'synth');
  // Own stream, so the compounds (and their noise draws) match the calculated set of the same seed.
  const rng = new Rng(seed + 0xe4e4);
  const m = energies.length;
  // The calculation on a 0.2 eV grid wide enough for any drift and the kernel's reach.
  const pad = 5 * jitter + 3 * fwhm + 5;
  const fine = linspace(energies[0] - offset - pad, energies[m - 1] - offset + pad, Math.ceil((energies[m - 1] - energies[0] + 2 * pad) / 0.2) + 1);
  const clean = new Float64Array(fine.length);
  const at = new Float64Array(m);
  return {
    spectrum(p: SynthParams, out: Float64Array, noise: number, noiseRng: Rng, drift = true): void {
      synthSpectrum(p, fine, clean);
      const broad = fwhm > 0 ? broadenSpectrum(fine, clean, { kind: 'gaussian', fwhm }) : clean;
      const shift = offset + (drift && jitter > 0 ? jitter * rng.normal() : 0);
      for (let c = 0; c < m; c++) at[c] = energies[c] - shift;
      interpolateInto(fine, broad, at, out);
      const step = 1 + stepError * rng.normal();
      const b0 = 0.3 + 0.1 * rng.normal();
      const b1 = slope * rng.normal();
      for (let c = 0; c < m; c++) {
        out[c] = step * out[c] + b0 + (b1 * (energies[c] - 7100)) / 100 + (noise > 0 ? noise * noiseRng.normal() : 0);
      }
    },
  };
}

/** The reference compound alone, calculated or measured. */
function referenceDataset(include: SynthDescriptor[], energies: Float64Array, noise: number, seed: number, measure?: ReturnType<typeof measurement>): SpectralDataset {
  const row = new Float64Array(energies.length);
  const rng = new Rng(seed);
  if (measure) measure.spectrum(REFERENCE_COMPOUND, row, noise, rng, false);
  else {
    synthSpectrum(REFERENCE_COMPOUND, energies, row);
    for (let c = 0; c < row.length; c++) row[c] += noise > 0 ? noise * rng.normal() : 0;
  }
  const labels = include.map((d) => (d === 'EW' ? REFERENCE_COMPOUND.edgeWidth : d === 'DW' ? 0.003 : (REFERENCE_COMPOUND[d] as number)));
  return {
    energies,
    spectra: Float32Array.from(row),
    n: 1,
    m: energies.length,
    ids: ['reference'],
    descriptorNames: [...include],
    descriptors: Float64Array.from(labels),
    axis: 'energy',
    source: `synth(reference${measure ? ', experimental' : ''})`,
  };
}
