import type { LatentInterpolation } from '../analysis/interpolation.js';
import { linePlotSvg, type LineSeries } from './plot/lines.js';
import { viridis } from './plot/svg.js';

/**
 * A latent interpolation family coloured by the path parameter t (viridis,
 * with colourbar), with the two measured end spectra dashed for comparison.
 * @param r the interpolation (spectra already in display units if `spectra` is given)
 * @param energies abscissa
 * @param labels names of the end spectra and the axis labels
 * @param spectra steps x m spectra to draw (default r.spectra)
 * @param ends the measured spectra A and B (display units), drawn dashed
 */
export function interpolationSvg(
  r: LatentInterpolation,
  energies: Float64Array,
  labels: { from: string; to: string; xLabel: string; yLabel: string },
  spectra = r.spectra,
  ends?: [ArrayLike<number>, ArrayLike<number>],
): string {
  const steps = r.t.length;
  const m = energies.length;
  const series: LineSeries[] = [];
  for (let s = 0; s < steps; s++) series.push({ x: energies, y: spectra.subarray(s * m, (s + 1) * m), color: viridis(r.t[s]), width: 1.4 });
  if (ends) {
    series.push({ x: energies, y: ends[0], color: '#000000', dash: '5 3', width: 1.2, label: `measured ${labels.from}` });
    series.push({ x: energies, y: ends[1], color: '#d62728', dash: '5 3', width: 1.2, label: `measured ${labels.to}` });
  }
  return linePlotSvg({
    series,
    title: `Latent interpolation ${labels.from} → ${labels.to}`,
    xLabel: labels.xLabel,
    yLabel: labels.yLabel,
    colorbar: { min: 0, max: 1, label: `t (0 = ${labels.from}, 1 = ${labels.to})` },
    legend: ends !== undefined,
    width: 700,
    height: 420,
  });
}
