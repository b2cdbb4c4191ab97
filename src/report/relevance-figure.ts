import type { RelevanceResult } from '../analysis/relevance.js';
import { linePlotSvg, type LineSeries } from './plot/lines.js';
import { categorical } from './plot/svg.js';

/**
 * Relevance vs. energy: one curve per latent axis (shift in units of the
 * axis' spread, so axes compare), optionally over a faint mean spectrum
 * rescaled to the plot for orientation (where the edge and white line are).
 * @param r the relevance result
 * @param xLabel abscissa label, e.g. "Energy (eV)"
 * @param meanSpectrum optional mean spectrum on `energies` drawn grey for orientation
 * @param energies grid of `meanSpectrum`
 */
export function relevanceSvg(r: RelevanceResult, xLabel: string, meanSpectrum?: ArrayLike<number>, energies?: ArrayLike<number>): string {
  const series: LineSeries[] = [];
  let top = 0;
  for (let i = 0; i < r.relativeShift.length; i++) top = Math.max(top, r.relativeShift[i]);
  if (meanSpectrum && energies && top > 0) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < meanSpectrum.length; j++) {
      lo = Math.min(lo, meanSpectrum[j]);
      hi = Math.max(hi, meanSpectrum[j]);
    }
    const y = Float64Array.from(meanSpectrum as ArrayLike<number>, (v) => (hi > lo ? ((v - lo) / (hi - lo)) * top : 0));
    series.push({ x: energies, y, color: '#bbbbbb', width: 2.5, label: 'mean spectrum (scaled)' });
  }
  for (let a = 0; a < r.d; a++) {
    const y = new Float64Array(r.positions);
    for (let p = 0; p < r.positions; p++) y[p] = r.relativeShift[p * r.d + a];
    series.push({ x: r.centers, y, label: r.axisNames[a], color: categorical(a) });
  }
  const fill = r.fill === 'interpolate' ? 'linear interpolation' : 'dataset mean';
  return linePlotSvg({
    series,
    title: `Peak-masking relevance (${r.windowPoints}-point window, ${fill})`,
    xLabel: `${xLabel}, window centre`,
    yLabel: 'mean |Δz| / std(z)',
    width: 720,
    height: 420,
  });
}
