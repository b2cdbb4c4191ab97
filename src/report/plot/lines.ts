import {
  COLORBAR_SPACE,
  categorical,
  colorbarSvg,
  escapeXml,
  finiteExtent,
  frame,
  legendSvg,
  paddedDomain,
  px,
  svgDocument,
} from './svg.js';

/** One polyline of a line plot. */
export interface LineSeries {
  /** Abscissa values (e.g. energy in eV). */
  x: ArrayLike<number>;
  /** Ordinate values, same length as x. Non-finite values break the line. */
  y: ArrayLike<number>;
  /** CSS colour; defaults to the categorical palette by series index. */
  color?: string;
  /** Legend text; series without a label are left out of the legend. */
  label?: string;
  /** Stroke width in px (default 1.6). */
  width?: number;
  /** SVG stroke-dasharray, e.g. "4 3". */
  dash?: string;
}

/** Options of {@link linePlotSvg}. */
export interface LinePlotOptions {
  series: LineSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Total SVG width in px (default 640). */
  width?: number;
  /** Total SVG height in px (default 400). */
  height?: number;
  /** Draw a legend of labelled series (default: true when any series has a label and there is no colourbar). */
  legend?: boolean;
  /**
   * A viridis colourbar right of the plot, for families of curves graded by a
   * value (colour the series yourself with `viridis((v - min) / (max - min))`).
   * `scale` is the colour map name; only "viridis" exists.
   */
  colorbar?: { min: number; max: number; label: string; scale?: string };
}

/** SVG path data for one series; non-finite points start a new sub-path. */
function pathData(x: ArrayLike<number>, y: ArrayLike<number>, sx: (v: number) => number, sy: (v: number) => number): string {
  const n = Math.min(x.length, y.length);
  const parts: string[] = [];
  let pen = false;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = y[i];
    if (!Number.isFinite(xi) || !Number.isFinite(yi)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${px(sx(xi))} ${px(sy(yi))}`);
    pen = true;
  }
  return parts.join('');
}

/**
 * A line plot (spectra, training curves, sweep families) as a complete
 * standalone SVG document: framed axes with nice ticks, grid, labels,
 * optional legend or viridis colourbar.
 */
export function linePlotSvg(opts: LinePlotOptions): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  const xs = opts.series.map((s) => s.x);
  const ys = opts.series.map((s) => s.y);
  const [x0, x1] = finiteExtent(...xs);
  const [y0, y1] = finiteExtent(...ys);
  const f = frame({
    width,
    height,
    xDomain: Number.isFinite(x0) ? (x0 === x1 ? paddedDomain(x0, x1) : [x0, x1]) : [0, 1],
    yDomain: paddedDomain(y0, y1, 0.05),
    title: opts.title,
    xLabel: opts.xLabel,
    yLabel: opts.yLabel,
    rightExtra: opts.colorbar ? COLORBAR_SPACE : 0,
  });
  const body: string[] = [f.under];
  const lines: string[] = [];
  opts.series.forEach((s, i) => {
    const d = pathData(s.x, s.y, f.sx, f.sy);
    if (!d) return;
    const color = s.color ?? categorical(i);
    lines.push(
      `<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="${s.width ?? 1.6}" stroke-linejoin="round" stroke-linecap="round"${s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : ''}/>`,
    );
  });
  body.push(`<g clip-path="url(#${f.clipId})">${lines.join('')}</g>`);
  body.push(f.over);
  if (opts.colorbar) {
    const cb = opts.colorbar;
    body.push(colorbarSvg(f.right + 14, f.top, f.bottom, cb.min, cb.max, cb.label));
  }
  const labelled = opts.series.map((s, i) => ({ s, i })).filter(({ s }) => s.label !== undefined && s.label !== '');
  const showLegend = opts.legend ?? (labelled.length > 0 && !opts.colorbar);
  if (showLegend && labelled.length > 0) {
    body.push(
      legendSvg(
        f.right,
        f.top,
        labelled.map(({ s, i }) => ({ label: s.label as string, color: s.color ?? categorical(i), dash: s.dash })),
        'line',
      ),
    );
  }
  return svgDocument(width, height, body.join(''));
}
