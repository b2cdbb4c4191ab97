import type { EpochLine } from './metrics-file.js';
import { linePlotSvg, type LineSeries } from './plot/lines.js';
import { categorical } from './plot/svg.js';

/** A titled figure of the report. */
export interface Figure {
  /** File-name stem for the PNG asset. */
  id: string;
  title: string;
  svg: string;
  /** One line under the figure. */
  caption?: string;
}

/**
 * Training curves: one panel per loss term (their scales differ by orders
 * of magnitude, so a shared axis would flatten all but one), then the
 * validation Spearman per descriptor and the relative reconstruction error.
 * @param records epoch lines of metrics.jsonl
 * @param descriptorNames names of the constrained descriptors (validation.spearman order)
 */
export function trainingCurveFigures(records: EpochLine[], descriptorNames: string[]): Figure[] {
  if (records.length === 0) return [];
  const epochs = Float64Array.from(records, (r) => r.epoch);
  const terms: string[] = [];
  for (const r of records) for (const [k, v] of Object.entries(r.losses)) if (typeof v === 'number' && !terms.includes(k)) terms.push(k);
  const figs: Figure[] = terms.map((t, i) => ({
    id: `loss_${t.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    title: `${t} loss`,
    svg: linePlotSvg({
      series: [{ x: epochs, y: Float64Array.from(records, (r) => (typeof r.losses[t] === 'number' ? (r.losses[t] as number) : NaN)), color: categorical(i), width: 2 }],
      title: `${t} loss`,
      xLabel: 'epoch',
      yLabel: 'loss',
      width: 420,
      height: 300,
    }),
  }));
  const rho: LineSeries[] = [];
  descriptorNames.forEach((name, i) => {
    const y = Float64Array.from(records, (r) => r.validation?.spearman?.[i] ?? NaN);
    if (y.some((v) => Number.isFinite(v))) rho.push({ x: epochs, y, label: name, color: categorical(i), width: 2 });
  });
  const inter = Float64Array.from(records, (r) => r.validation?.maxInterAxis ?? NaN);
  if (inter.some((v) => Number.isFinite(v))) rho.push({ x: epochs, y: inter, label: 'max |ρ| between axes', color: '#555555', dash: '5 3', width: 1.5 });
  if (rho.length) {
    figs.push({
      id: 'validation_spearman',
      title: 'Validation Spearman ρ',
      svg: linePlotSvg({ series: rho, title: 'Validation Spearman ρ (axis vs. descriptor)', xLabel: 'epoch', yLabel: 'Spearman ρ', width: 420, height: 300 }),
    });
  }
  const rel = Float64Array.from(records, (r) => r.validation?.relativeMse ?? NaN);
  if (rel.some((v) => Number.isFinite(v))) {
    figs.push({
      id: 'validation_relative_mse',
      title: 'Validation reconstruction error',
      svg: linePlotSvg({
        series: [{ x: epochs, y: rel, color: categorical(0), width: 2 }],
        title: 'Validation reconstruction MSE / variance',
        xLabel: 'epoch',
        yLabel: '1 − R²',
        width: 420,
        height: 300,
      }),
    });
  }
  return figs;
}
