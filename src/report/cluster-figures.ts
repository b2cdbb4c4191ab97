import type { ClusterStudy } from '../analysis/cluster-study.js';
import type { ClusterAgreement } from '../analysis/clustering.js';
import { heatmapSvg } from './plot/heatmap.js';
import { linePlotSvg, type LineSeries } from './plot/lines.js';
import { scatterPlotSvg } from './plot/scatter.js';
import { categorical, formatNumber } from './plot/svg.js';

/** Figures of a cluster study (analysis/cluster-study.ts), as standalone SVG documents. */

/** The latent map (axes 0 and 1) coloured by cluster, noise grey, measured spectra as labelled diamonds. */
export function clusterScatterSvg(s: ClusterStudy, axisNames: string[], title: string): string {
  const d = s.fit.d;
  const x = Float64Array.from({ length: s.n }, (_, i) => s.latents[i * d]);
  const y = Float64Array.from({ length: s.n }, (_, i) => (d > 1 ? s.latents[i * d + 1] : 0));
  const color = Float64Array.from(s.fit.labels, (c) => (c >= 0 ? c : NaN));
  const mk = s.measured;
  return scatterPlotSvg({
    x,
    y,
    color,
    discrete: true,
    colorLabel: 'cluster',
    title,
    xLabel: axisNames[0],
    yLabel: d > 1 ? axisNames[1] : '',
    marked: mk
      ? {
          x: Float64Array.from({ length: mk.ids.length }, (_, i) => mk.latents[i * d]),
          y: Float64Array.from({ length: mk.ids.length }, (_, i) => (d > 1 ? mk.latents[i * d + 1] : 0)),
          labels: mk.ids,
        }
      : undefined,
    width: 620,
    height: 480,
  });
}

/**
 * Each cluster's mean spectrum (solid) with its members' spread, mean +- one
 * standard deviation (thin dashed), in the cluster's colour.
 */
export function clusterSpectraSvg(s: ClusterStudy, energies: Float64Array, labels: { xLabel: string; yLabel: string }): string {
  const m = energies.length;
  const series: LineSeries[] = [];
  for (let c = 0; c < s.fit.k; c++) {
    const color = categorical(c);
    const mean = s.profiles.mean.subarray(c * m, (c + 1) * m);
    const sd = s.profiles.std.subarray(c * m, (c + 1) * m);
    series.push({ x: energies, y: mean, color, width: 2, label: `cluster ${c} (${s.fit.sizes[c]})` });
    series.push({ x: energies, y: mean.map((v, j) => v - sd[j]), color, width: 0.9, dash: '3 3' });
    series.push({ x: energies, y: mean.map((v, j) => v + sd[j]), color, width: 0.9, dash: '3 3' });
  }
  return linePlotSvg({ series, title: 'Spectra of each cluster: mean and mean ± 1 std', xLabel: labels.xLabel, yLabel: labels.yLabel, width: 720, height: 440 });
}

/** Mean silhouette against k for a k-means fit whose k was chosen by silhouette; null otherwise. */
export function silhouetteSvg(s: ClusterStudy): string | null {
  const sel = s.fit.selection;
  if (!sel || sel.length < 2) return null;
  return linePlotSvg({
    series: [{ x: sel.map((r) => r.k), y: sel.map((r) => r.silhouette), label: `chosen k = ${s.fit.k}` }],
    title: 'k-means: mean silhouette against k',
    xLabel: 'k',
    yLabel: 'mean silhouette',
    width: 480,
    height: 320,
  });
}

/** The confusion table of clusters against one descriptor as a heatmap (rows: label values; columns: clusters). */
export function agreementSvg(a: ClusterAgreement): string {
  return heatmapSvg({
    values: a.confusion.flat(),
    rows: a.classes.length,
    cols: a.clusters.length,
    rowLabels: a.classNames ?? a.classes.map((v) => formatNumber(v)),
    colLabels: a.clusters.map((c) => (c < 0 ? 'noise' : String(c))),
    title: `${a.descriptor} vs clusters (ARI ${formatNumber(a.ari, 3)})`,
    xLabel: 'cluster',
    yLabel: a.descriptor,
    colorLabel: 'spectra',
    width: 460,
    height: 380,
  });
}

/** The confusion table as plain text rows, for terminals and Markdown. */
export function agreementText(a: ClusterAgreement): string {
  const head = ['', ...a.clusters.map((c) => (c < 0 ? 'noise' : `c${c}`))];
  const names = a.classNames ?? a.classes.map((v) => formatNumber(v));
  const w = Math.max(6, ...head.map((h) => h.length), ...names.map((v) => v.length));
  const pad = (t: string) => t.padStart(w);
  const lines = [head.map(pad).join(' ')];
  names.forEach((v, i) => lines.push([v, ...a.confusion[i].map(String)].map(pad).join(' ')));
  return lines.join('\n');
}
