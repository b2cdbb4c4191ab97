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

/** Summarizes a dataset for inspection. */
export function summarizeDataset(ds: SpectralDataset): DatasetSummary {
  const { n, m, energies } = ds;
  const steps = Array.from({ length: m - 1 }, (_, i) => energies[i + 1] - energies[i]).sort((a, b) => a - b);
  const median = steps.length ? steps[Math.floor(steps.length / 2)] : 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sum2 = 0;
  let nan = 0;
  let finite = 0;
  const sMin: [number, number] = [Infinity, -Infinity];
  const sMax: [number, number] = [Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < m; c++) {
      const v = ds.spectra[i * m + c];
      if (!Number.isFinite(v)) {
        nan++;
        continue;
      }
      finite++;
      sum += v;
      sum2 += v * v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min = Math.min(min, lo);
    max = Math.max(max, hi);
    sMin[0] = Math.min(sMin[0], lo);
    sMin[1] = Math.max(sMin[1], lo);
    sMax[0] = Math.min(sMax[0], hi);
    sMax[1] = Math.max(sMax[1], hi);
  }
  const mean = finite ? sum / finite : NaN;
  const k = ds.descriptorNames.length;
  let missingLabels = 0;
  const descriptors = ds.descriptorNames.map((name, j): DescriptorSummary => {
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = ds.descriptors[i * k + j];
      if (Number.isNaN(v)) missingLabels++;
      else values.push(v);
    }
    const cnt = values.length;
    const mu = cnt ? values.reduce((a, b) => a + b, 0) / cnt : NaN;
    const sd = cnt ? Math.sqrt(values.reduce((a, b) => a + (b - mu) ** 2, 0) / cnt) : NaN;
    const counts = new Map<number, number>();
    for (const v of values) {
      counts.set(v, (counts.get(v) ?? 0) + 1);
      if (counts.size > MAX_LEVELS) break;
    }
    const out: DescriptorSummary = {
      name,
      count: cnt,
      missing: n - cnt,
      min: cnt ? values.reduce((a, b) => (b < a ? b : a), Infinity) : NaN,
      max: cnt ? values.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN,
      mean: mu,
      std: sd,
    };
    if (counts.size <= MAX_LEVELS && cnt > 0) {
      out.levels = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([value, count]) => ({ value, count }));
    }
    return out;
  });
  return {
    source: ds.source ?? '',
    count: n,
    gridLength: m,
    axis: ds.axis ?? 'energy',
    grid: {
      start: energies[0],
      stop: energies[m - 1],
      step: median,
      minStep: steps[0] ?? 0,
      maxStep: steps[steps.length - 1] ?? 0,
      uniform: steps.length === 0 || steps[steps.length - 1] - steps[0] <= 1e-3 * Math.abs(median),
    },
    intensity: {
      min,
      max,
      mean,
      std: finite ? Math.sqrt(Math.max(0, sum2 / finite - mean * mean)) : NaN,
      spectrumMin: sMin,
      spectrumMax: sMax,
    },
    nanCount: nan,
    missingLabels,
    descriptors,
  };
}
