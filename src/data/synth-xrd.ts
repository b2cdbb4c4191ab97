import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { SpectralDataset } from './dataset.js';
import { linspace } from './grid.js';

/**
 * Synthetic powder XRD patterns of a binary alloy family A(1-x)B(x) with
 * known ground truth, for the studies that need phases (clustering) or a
 * composition to read off a latent space.
 *
 * Phases: fcc, hcp and bcc. In a family of several phases each has its
 * field of the phase diagram (fcc x <= 0.35, hcp 0.4 <= x <= 0.6, bcc
 * x >= 0.65; the miscibility gaps between them are not sampled); each
 * pattern picks one of the family's phases at random and x uniformly in its
 * field (within `composition`). A family of one phase is a complete solid
 * solution over `composition`. Lattice parameters follow Vegard's law
 * (a_fcc = 3.60 - 0.12 x, a_bcc = 2.90 - 0.06 x, hcp a = 2.62 - 0.05 x and
 * c = 4.25 - 0.08 x, Angstrom), so every peak moves with the composition.
 * Reflections at q = 2 pi / d (1/nm, the unit of xlatent's q axes) with textbook relative intensities:
 * fcc (111) 100, (200) 47, (220) 22, (311) 24, (222) 7;
 * bcc (110) 100, (200) 15, (211) 30, (220) 9, (310) 12;
 * hcp (100) 25, (002) 30, (101) 100, (102) 15, (110) 15, (103) 20, (112) 15.
 * Peaks are pseudo-Voigt (half Gaussian, half Lorentzian) of FWHM 0.35 1/nm,
 * or 0.85 1/nm for a "defective" (cold-worked, small-crystallite) sample,
 * each peak's height scaled by an unlabelled texture factor in [0.95, 1.05].
 * A smooth background b exp(-q / 20 nm^-1), b uniform in [0.02, 0.06], and
 * Gaussian noise are added; each pattern is scaled to a maximum of 1.
 *
 * Descriptors: x (composition), phase (0 fcc, 1 hcp, 2 bcc), defect (0 or
 * 1, with probability `defectFraction`).
 *
 * `measured: true` imitates patterns from another instrument: 1.25 times the
 * noise, a little more background, and a sample-displacement shift of every
 * peak by up to +-0.025 1/nm. `impurity` adds, to that fraction of the patterns,
 * three peaks of a phase the family does not have (an oxide: q = 27.1,
 * 39.3, 45.8 1/nm, heights 0.5, 0.35, 0.3 of the strongest peak): spectra a
 * model fitted on the family should call out of distribution.
 */

/** Crystal structures of the synthetic family. */
export const XRD_PHASES = ['fcc', 'hcp', 'bcc'] as const;
export type XrdPhase = (typeof XRD_PHASES)[number];

/** Options of {@link synthesizeXrd}; every field has a default. */
export interface XrdSynthOptions {
  /** Number of patterns (default 150). */
  count?: number;
  /** Grid points (default 400). */
  points?: number;
  /** q range in 1/nm (default 25 to 65). */
  qStart?: number;
  qStop?: number;
  /** Std of the Gaussian noise relative to the pattern maximum (default 0.005). */
  noise?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Phases of the family (default all three). */
  phases?: XrdPhase[];
  /** Range of the composition x (default [0, 1]). */
  composition?: [number, number];
  /** Probability of a defective (broadened) sample (default 0.5). */
  defectFraction?: number;
  /** Instrument-like differences from the simulations (see the module comment; default false). */
  measured?: boolean;
  /** Fraction of patterns with an impurity phase (default 0). */
  impurity?: number;
}

/** Reflections of each structure (Miller indices, relative intensity). */
const REFLECTIONS: Record<XrdPhase, { hkl: [number, number, number]; intensity: number }[]> = {
  fcc: [
    { hkl: [1, 1, 1], intensity: 100 },
    { hkl: [2, 0, 0], intensity: 47 },
    { hkl: [2, 2, 0], intensity: 22 },
    { hkl: [3, 1, 1], intensity: 24 },
    { hkl: [2, 2, 2], intensity: 7 },
  ],
  bcc: [
    { hkl: [1, 1, 0], intensity: 100 },
    { hkl: [2, 0, 0], intensity: 15 },
    { hkl: [2, 1, 1], intensity: 30 },
    { hkl: [2, 2, 0], intensity: 9 },
    { hkl: [3, 1, 0], intensity: 12 },
  ],
  hcp: [
    { hkl: [1, 0, 0], intensity: 25 },
    { hkl: [0, 0, 2], intensity: 30 },
    { hkl: [1, 0, 1], intensity: 100 },
    { hkl: [1, 0, 2], intensity: 15 },
    { hkl: [1, 1, 0], intensity: 15 },
    { hkl: [1, 0, 3], intensity: 20 },
    { hkl: [1, 1, 2], intensity: 15 },
  ],
};

/** Composition field of each phase in a family of several phases. */
const FIELDS: Record<XrdPhase, [number, number]> = { fcc: [0, 0.35], hcp: [0.4, 0.6], bcc: [0.65, 1] };

const IMPURITY: [number, number][] = [
  [27.1, 0.5],
  [39.3, 0.35],
  [45.8, 0.3],
];

/** Scattering vector q = 2 pi / d (1/nm) of a reflection of `phase` at composition x. */
export function reflectionQ(phase: XrdPhase, hkl: [number, number, number], x: number): number {
  const [h, k, l] = hkl;
  let invD2: number;
  if (phase === 'hcp') {
    const a = 2.62 - 0.05 * x;
    const c = 4.25 - 0.08 * x;
    invD2 = ((4 / 3) * (h * h + h * k + k * k)) / (a * a) + (l * l) / (c * c);
  } else {
    const a = phase === 'fcc' ? 3.6 - 0.12 * x : 2.9 - 0.06 * x;
    invD2 = (h * h + k * k + l * l) / (a * a);
  }
  // Lattice parameters are in Angstrom: 1/d in 1/A, times 10 for 1/nm.
  return 20 * Math.PI * Math.sqrt(invD2);
}

function pseudoVoigt(q: number, q0: number, fwhm: number): number {
  const t = (q - q0) / fwhm;
  return 0.5 * Math.exp(-4 * Math.LN2 * t * t) + 0.5 / (1 + 4 * t * t);
}

/** Generates a seeded synthetic XRD dataset (see the module comment for the model). */
export function synthesizeXrd(options: XrdSynthOptions = {}): SpectralDataset {
  const count = options.count ?? 150;
  const points = options.points ?? 400;
  const qStart = options.qStart ?? 25;
  const qStop = options.qStop ?? 65;
  const seed = options.seed ?? 0;
  const measured = options.measured ?? false;
  const noise = (options.noise ?? 0.005) * (measured ? 1.25 : 1);
  const phases = options.phases ?? [...XRD_PHASES];
  const [xLo, xHi] = options.composition ?? [0, 1];
  const defectFraction = options.defectFraction ?? 0.5;
  const impurity = options.impurity ?? 0;
  if (!Number.isInteger(count) || count < 1) throw new UserError(`count must be a positive integer, found ${count}`, 'synth');
  if (!Number.isInteger(points) || points < 2) throw new UserError(`points must be an integer >= 2, found ${points}`, 'synth');
  if (!(qStop > qStart && qStart > 0)) throw new UserError(`expected 0 < qStart < qStop, found ${qStart} and ${qStop}`, 'synth');
  if (!Number.isInteger(seed) || seed < 0) throw new UserError(`seed must be a non-negative integer, found ${seed}`, 'synth');
  if (!(noise >= 0)) throw new UserError(`noise must be >= 0, found ${noise}`, 'synth');
  if (!(xLo >= 0 && xHi <= 1 && xLo <= xHi)) throw new UserError(`composition must satisfy 0 <= low <= high <= 1, found [${xLo}, ${xHi}]`, 'synth');
  if (phases.length === 0 || phases.some((p) => !XRD_PHASES.includes(p))) {
    throw new UserError(`phases must be some of ${XRD_PHASES.join(', ')}, found ${phases.join(', ') || 'none'}`, 'synth');
  }
  for (const [name, v] of [['defectFraction', defectFraction], ['impurity', impurity]] as const) {
    if (!(v >= 0 && v <= 1)) throw new UserError(`${name} must be in [0, 1], found ${v}`, 'synth');
  }
  const fields = phases.map((p) => {
    const [lo, hi] = phases.length > 1 ? FIELDS[p] : [0, 1];
    const f: [number, number] = [Math.max(lo, xLo), Math.min(hi, xHi)];
    if (!(f[1] >= f[0])) throw new UserError(`composition [${xLo}, ${xHi}] misses the ${p} field [${FIELDS[p].join(', ')}]`, 'synth');
    return f;
  });
  const q = linspace(qStart, qStop, points);
  const rng = new Rng(seed);
  const spectra = new Float32Array(count * points);
  const descriptors = new Float64Array(count * 3);
  const ids: string[] = new Array(count);
  const row = new Float64Array(points);
  const width = String(count).length;
  for (let i = 0; i < count; i++) {
    const pi = rng.int(phases.length);
    const phase = phases[pi];
    const [lo, hi] = fields[pi];
    const x = Math.round((lo + (hi - lo) * rng.uniform()) * 1e4) / 1e4;
    const defect = rng.uniform() < defectFraction ? 1 : 0;
    const dirty = rng.uniform() < impurity;
    const background = (measured ? 0.03 : 0.02) + 0.04 * rng.uniform();
    const shift = measured ? 0.05 * (rng.uniform() - 0.5) : 0;
    const fwhm = defect ? 0.85 : 0.35;
    row.fill(0);
    for (const r of REFLECTIONS[phase]) {
      const texture = 0.95 + 0.1 * rng.uniform();
      const q0 = reflectionQ(phase, r.hkl, x) + shift;
      for (let j = 0; j < points; j++) row[j] += (r.intensity / 100) * texture * pseudoVoigt(q[j], q0, fwhm);
    }
    let peak = 0;
    for (const v of row) peak = Math.max(peak, v);
    if (dirty) for (const [q0, h] of IMPURITY) for (let j = 0; j < points; j++) row[j] += h * peak * pseudoVoigt(q[j], q0 + shift, 0.5);
    for (let j = 0; j < points; j++) row[j] += background * peak * Math.exp(-q[j] / 20);
    let max = 0;
    for (let j = 0; j < points; j++) {
      row[j] += noise * peak * rng.normal();
      max = Math.max(max, row[j]);
    }
    for (let j = 0; j < points; j++) spectra[i * points + j] = row[j] / max;
    descriptors[i * 3] = x;
    descriptors[i * 3 + 1] = XRD_PHASES.indexOf(phase);
    descriptors[i * 3 + 2] = defect;
    ids[i] = `${measured ? 'measured' : 'xrd'}_${String(i + 1).padStart(width, '0')}${dirty ? '_impure' : ''}`;
  }
  return {
    energies: q,
    spectra,
    n: count,
    m: points,
    ids,
    descriptorNames: ['x', 'phase', 'defect'],
    descriptors,
    axis: 'q',
    source: `synth-xrd(seed=${seed})`,
  };
}
