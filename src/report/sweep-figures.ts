import type { AxisSweep, SweepResult } from '../analysis/sweep.js';
import { linePlotSvg } from './plot/lines.js';
import { formatNumber, viridis } from './plot/svg.js';

/** Labels of the sweep figures. */
export interface SweepFigureLabels {
  /** Abscissa label, e.g. "Energy (eV)". */
  xLabel: string;
  /** Intensity label, e.g. "intensity (μ(E))". */
  yLabel: string;
}

/**
 * A sweep family as a viridis-graded spectra plot: one curve per step,
 * coloured by the swept axis value, with a colourbar. Spectra are drawn as
 * given (convert to display units first).
 * @param ax the axis' sweep
 * @param energies the abscissa
 * @param spectra steps x m spectra to draw (default ax.spectra)
 */
export function sweepFamilySvg(ax: AxisSweep, energies: Float64Array, labels: SweepFigureLabels, spectra = ax.spectra, opts: { width?: number; height?: number; mode?: string } = {}): string {
  const steps = ax.values.length;
  const m = energies.length;
  const lo = ax.values[0];
  const hi = ax.values[steps - 1];
  const series = [];
  for (let s = 0; s < steps; s++) {
    series.push({ x: energies, y: spectra.subarray(s * m, (s + 1) * m), color: viridis(steps > 1 ? s / (steps - 1) : 0.5), width: 1.3 });
  }
  return linePlotSvg({
    series,
    title: `Decoder sweep of ${ax.axisName}${opts.mode === 'prior-mean' ? ' (prior mean of other axes)' : ''}`,
    xLabel: labels.xLabel,
    yLabel: labels.yLabel,
    colorbar: { min: lo, max: hi, label: `${ax.axisName} value` },
    width: opts.width ?? 680,
    height: opts.height ?? 420,
  });
}

/** Residuals (spectrum minus the middle step's) of a sweep family, same colouring, with the sensitivity profile dashed. */
export function sweepResidualSvg(ax: AxisSweep, energies: Float64Array, labels: SweepFigureLabels, residuals = ax.residuals, opts: { width?: number; height?: number } = {}): string {
  const steps = ax.values.length;
  const m = energies.length;
  const series = [];
  for (let s = 0; s < steps; s++) {
    series.push({ x: energies, y: residuals.subarray(s * m, (s + 1) * m), color: viridis(steps > 1 ? s / (steps - 1) : 0.5), width: 1.2 });
  }
  const w = ax.topWindows[0];
  const unit = /\(([^)]*)\)\s*$/.exec(labels.xLabel)?.[1];
  const where = w ? `; strongest response ${formatNumber(w.from)}–${formatNumber(w.to)}${unit ? ` ${unit}` : ''}` : '';
  return linePlotSvg({
    series,
    title: `Sweep residual of ${ax.axisName}${where}`,
    xLabel: labels.xLabel,
    yLabel: `Δ ${labels.yLabel} vs. mid-step`,
    colorbar: { min: ax.values[0], max: ax.values[steps - 1], label: `${ax.axisName} value` },
    width: opts.width ?? 680,
    height: opts.height ?? 360,
  });
}

/** Sweep spectra and residuals in display units, given a converter (e.g. undoing the normalization). */
export function sweepInDisplayUnits(
  res: SweepResult,
  toDisplay: (spectra: Float32Array, n: number) => Float32Array,
): { spectra: Float32Array; residuals: Float32Array }[] {
  const m = res.energies.length;
  return res.axes.map((ax) => {
    const steps = ax.values.length;
    const spectra = toDisplay(ax.spectra, steps);
    const residuals = new Float32Array(steps * m);
    for (let s = 0; s < steps; s++) for (let j = 0; j < m; j++) residuals[s * m + j] = spectra[s * m + j] - spectra[ax.midStep * m + j];
    return { spectra, residuals };
  });
}
