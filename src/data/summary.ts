import { UserError, quote } from '../util/errors.js';
import type { SpectralDataset } from './dataset.js';

/** Statistics of one descriptor column. */
export interface DescriptorSummary {
  name: string;
  /** Rows with a value. */
  count: number;
  /** Rows with a missing label (NaN). */
  missing: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  /** Distinct values and their counts, ascending, when there are at most 12 (discrete descriptors such as CN). */
  levels?: { value: number; count: number }[];
}

/** What `xlatent data inspect` reports. */
export interface DatasetSummary {
  source: string;
  /** Number of spectra. */
  count: number;
  /** Points per spectrum. */
  gridLength: number;
  axis: string;
  grid: {
    start: number;
    stop: number;
    /** Median spacing. */
    step: number;
    minStep: number;
    maxStep: number;
    /** Whether all spacings agree within 0.1 % of the median. */
    uniform: boolean;
  };
  intensity: {
    min: number;
    max: number;
    mean: number;
    std: number;
    /** Range of the per-spectrum minima. */
    spectrumMin: [number, number];
    /** Range of the per-spectrum maxima. */
    spectrumMax: [number, number];
  };
  /** Non-finite intensities (readers reject them, so anything but 0 means a bug upstream). */
  nanCount: number;
  /** Missing descriptor labels over all descriptors. */
  missingLabels: number;
  descriptors: DescriptorSummary[];
}

const MAX_LEVELS = 12;

/** Running statistics of one descriptor column (Welford's mean and variance). */
interface DescriptorAccumulator {
  count: number;
  missing: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  /** Value -> count while there are at most MAX_LEVELS distinct values; null after. */
  levels: Map<number, number> | null;
}

/**
 * {@link DatasetSummary} built chunk by chunk, so `data inspect` reads a
 * file of any size a block at a time: every statistic is a running one.
 */
export class SummaryAccumulator {
  private n = 0;
  private energies: Float64Array | null = null;
  private axis = 'energy';
  private names: string[] = [];
  private min = Infinity;
  private max = -Infinity;
  private sum = 0;
  private sum2 = 0;
  private nan = 0;
  private finite = 0;
  private readonly sMin: [number, number] = [Infinity, -Infinity];
  private readonly sMax: [number, number] = [Infinity, -Infinity];
  private desc: DescriptorAccumulator[] = [];

  /** Adds the rows of `ds` (every chunk on the same grid with the same descriptors). */
  add(ds: SpectralDataset): this {
    const { n, m } = ds;
    if (!this.energies) {
      this.energies = ds.energies;
      this.axis = ds.axis ?? 'energy';
      this.names = ds.descriptorNames;
      this.desc = ds.descriptorNames.map(() => ({ count: 0, missing: 0, min: Infinity, max: -Infinity, mean: 0, m2: 0, levels: new Map() }));
    }
    for (let i = 0; i < n; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let c = 0; c < m; c++) {
        const v = ds.spectra[i * m + c];
        if (!Number.isFinite(v)) {
          this.nan++;
          continue;
        }
        this.finite++;
        this.sum += v;
        this.sum2 += v * v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      this.min = Math.min(this.min, lo);
      this.max = Math.max(this.max, hi);
      this.sMin[0] = Math.min(this.sMin[0], lo);
      this.sMin[1] = Math.max(this.sMin[1], lo);
      this.sMax[0] = Math.min(this.sMax[0], hi);
      this.sMax[1] = Math.max(this.sMax[1], hi);
    }
    const k = this.names.length;
    this.desc.forEach((d, j) => {
      for (let i = 0; i < n; i++) {
        const v = ds.descriptors[i * k + j];
        if (Number.isNaN(v)) {
          d.missing++;
          continue;
        }
        d.count++;
        const delta = v - d.mean;
        d.mean += delta / d.count;
        d.m2 += delta * (v - d.mean);
        if (v < d.min) d.min = v;
        if (v > d.max) d.max = v;
        if (d.levels) {
          d.levels.set(v, (d.levels.get(v) ?? 0) + 1);
          if (d.levels.size > MAX_LEVELS) d.levels = null;
        }
      }
    });
    this.n += n;
    return this;
  }

  /** The summary of every row added so far. */
  result(source: string): DatasetSummary {
    const energies = this.energies ?? new Float64Array(0);
    const m = energies.length;
    const steps = Array.from({ length: Math.max(0, m - 1) }, (_, i) => energies[i + 1] - energies[i]).sort((a, b) => a - b);
    const median = steps.length ? steps[Math.floor(steps.length / 2)] : 0;
    const mean = this.finite ? this.sum / this.finite : NaN;
    let missingLabels = 0;
    const descriptors = this.desc.map((d, j): DescriptorSummary => {
      missingLabels += d.missing;
      const cnt = d.count;
      const out: DescriptorSummary = {
        name: this.names[j],
        count: cnt,
        missing: d.missing,
        min: cnt ? d.min : NaN,
        max: cnt ? d.max : NaN,
        mean: cnt ? d.mean : NaN,
        std: cnt ? Math.sqrt(d.m2 / cnt) : NaN,
      };
      if (d.levels && cnt > 0) out.levels = [...d.levels.entries()].sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count }));
      return out;
    });
    return {
      source,
      count: this.n,
      gridLength: m,
      axis: this.axis,
      grid: {
        start: energies[0],
        stop: energies[m - 1],
        step: median,
        minStep: steps[0] ?? 0,
        maxStep: steps[steps.length - 1] ?? 0,
        uniform: steps.length === 0 || steps[steps.length - 1] - steps[0] <= 1e-3 * Math.abs(median),
      },
      intensity: {
        min: this.min,
        max: this.max,
        mean,
        std: this.finite ? Math.sqrt(Math.max(0, this.sum2 / this.finite - mean * mean)) : NaN,
        spectrumMin: this.sMin,
        spectrumMax: this.sMax,
      },
      nanCount: this.nan,
      missingLabels,
      descriptors,
    };
  }
}

/** Summarizes a dataset for inspection. */
export function summarizeDataset(ds: SpectralDataset): DatasetSummary {
  return new SummaryAccumulator().add(ds).result(ds.source ?? '');
}

/** Most distinct values a descriptor declared discrete may take (CN of Fe complexes spans ~12). */
export const MAX_DISCRETE_LEVELS = 20;

/**
 * Refuses a descriptor declared discrete that takes more than
 * {@link MAX_DISCRETE_LEVELS} distinct values: it is continuous, and treating
 * it as classes would build a threshold classifier and a confusion matrix
 * with one row per value (hundreds of KB of nonsense) instead of a regression.
 *
 * @param column the descriptor's values (NaN = missing)
 * @param where the config key naming it, e.g. "data.discrete"
 */
export function checkDiscreteDescriptor(column: ArrayLike<number>, name: string, where: string): void {
  const seen = new Set<number>();
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (!Number.isFinite(v)) continue;
    seen.add(v);
    if (seen.size > MAX_DISCRETE_LEVELS) {
      const some = [...seen].slice(0, 4).join(', ');
      throw new UserError(
        `descriptor ${quote(name)} is declared discrete but takes more than ${MAX_DISCRETE_LEVELS} distinct values (${some}, ...): it is continuous. Remove it from the discrete list`,
        where,
      );
    }
  }
}
