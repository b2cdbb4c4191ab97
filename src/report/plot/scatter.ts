import { Rng } from '../../util/random.js';
import {
  COLORBAR_SPACE,
  annotationSvg,
  categorical,
  colorbarSvg,
  escapeXml,
  finiteExtent,
  formatNumber,
  frame,
  legendSvg,
  paddedDomain,
  px,
  svgDocument,
  viridis,
} from './svg.js';

/** Options of {@link scatterPlotSvg}. */
export interface ScatterPlotOptions {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Per-point value: continuous -> viridis with colourbar; with `discrete` -> one colour per distinct value with a legend. NaN -> grey. */
  color?: ArrayLike<number>;
  /** Colourbar label or legend title (e.g. "CN"). */
  colorLabel?: string;
  /** Treat `color` values as classes (e.g. coordination numbers). */
  discrete?: boolean;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Total SVG width in px (default 520). */
  width?: number;
  /** Total SVG height in px (default 420). */
  height?: number;
  /** Dot radius in px (default: 3 for small n, shrinking to 1.2 for many points). */
  pointRadius?: number;
  /** Text in a box at the top-left of the plot, e.g. "Spearman ρ = 0.93\nR² = 0.87"; '\n' separates lines. */
  annotation?: string;
  /**
   * Most points drawn (default 20,000). Above it a deterministic subsample
   * (fixed-seed random permutation, same input -> same figure) is drawn and
   * the plot says so under the title; axis ranges and colour scale still use
   * every point.
   */
  maxPoints?: number;
  /**
   * Points drawn on top as black-edged diamonds with their labels (e.g.
   * measured spectra projected into a map); the axis ranges include them.
   */
  marked?: { x: ArrayLike<number>; y: ArrayLike<number>; labels?: string[] };
}

/** Colour bins for continuous colour: one path per bin keeps the SVG small; 64 levels look continuous. */
const COLOR_BINS = 64;

/** Rows drawn for a plot of n points: all of them, or a fixed-seed subsample of `max`, in draw order. */
export function scatterSubsample(n: number, max: number): Int32Array {
  if (n <= max) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const perm = new Rng(0x5ca77e5).permutation(n);
  return perm.slice(0, max).sort();
}

/**
 * A scatter plot as a complete standalone SVG document. Points are drawn
 * as zero-length round-capped path segments ("M x y h0"), grouped into one
 * `<path>` per colour, so 20,000 points cost ~0.3 MB rather than a
 * `<circle>` element each; larger inputs are subsampled (see `maxPoints`).
 */
export function scatterPlotSvg(opts: ScatterPlotOptions): string {
  const width = opts.width ?? 520;
  const n = Math.min(opts.x.length, opts.y.length);
  const color = opts.color;
  const discrete = opts.discrete ?? false;
  const continuous = color !== undefined && !discrete;
  const height = opts.height ?? 420;
  const maxPoints = opts.maxPoints ?? 20000;
  const rows = scatterSubsample(n, maxPoints);
  const mk = opts.marked;
  const [x0, x1] = mk ? finiteExtent(opts.x, mk.x) : finiteExtent(opts.x);
  const [y0, y1] = mk ? finiteExtent(opts.y, mk.y) : finiteExtent(opts.y);

  // classes for discrete colour, in ascending order
  let classes: number[] = [];
  if (color && discrete) {
    const set = new Set<number>();
    for (let i = 0; i < n; i++) if (Number.isFinite(color[i])) set.add(color[i]);
    classes = [...set].sort((a, b) => a - b);
  }
  const [c0, c1] = color && continuous ? finiteExtent(color) : [NaN, NaN];

  const subtitle = rows.length < n ? `${rows.length.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} points shown` : '';
  const f = frame({
    width,
    height,
    xDomain: paddedDomain(x0, x1),
    yDomain: paddedDomain(y0, y1),
    title: opts.title,
    xLabel: opts.xLabel,
    yLabel: opts.yLabel,
    rightExtra: continuous ? COLORBAR_SPACE : 0,
  });

  const r = opts.pointRadius ?? (rows.length <= 500 ? 3 : rows.length <= 5000 ? 2 : 1.3);
  const groups = new Map<string, string[]>();
  const push = (key: string, seg: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(seg);
  };
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const xi = opts.x[i];
    const yi = opts.y[i];
    if (!Number.isFinite(xi) || !Number.isFinite(yi)) continue;
    let key: string;
    if (!color) key = categorical(0);
    else if (discrete) {
      const ci = classIndex.get(color[i]);
      key = ci === undefined ? '#999999' : categorical(ci);
    } else {
      const t = c1 > c0 ? (color[i] - c0) / (c1 - c0) : 0.5;
      key = Number.isFinite(t) ? viridis(Math.round(t * (COLOR_BINS - 1)) / (COLOR_BINS - 1)) : '#999999';
    }
    push(key, `M${px(f.sx(xi))} ${px(f.sy(yi))}h0`);
  }
  const body: string[] = [f.under, `<g clip-path="url(#${f.clipId})" fill="none" stroke-linecap="round" stroke-width="${px(2 * r)}" stroke-opacity="${rows.length > 5000 ? 0.75 : 0.9}">`];
  // grey (missing colour) first so labelled points lie on top
  const keys = [...groups.keys()].sort((a, b) => (a === '#999999' ? -1 : b === '#999999' ? 1 : 0));
  for (const key of keys) body.push(`<path stroke="${key}" d="${(groups.get(key) as string[]).join('')}"/>`);
  body.push('</g>');
  if (mk) {
    const marks: string[] = [];
    const size = 5;
    for (let i = 0; i < Math.min(mk.x.length, mk.y.length); i++) {
      if (!Number.isFinite(mk.x[i]) || !Number.isFinite(mk.y[i])) continue;
      const cx = f.sx(mk.x[i]);
      const cy = f.sy(mk.y[i]);
      marks.push(`<path d="M${px(cx)} ${px(cy - size)}L${px(cx + size)} ${px(cy)}L${px(cx)} ${px(cy + size)}L${px(cx - size)} ${px(cy)}Z" fill="#ffffff" stroke="#000000" stroke-width="1.4"/>`);
      const label = mk.labels?.[i];
      if (label) marks.push(`<text x="${px(cx + size + 2)}" y="${px(cy - size - 1)}" font-size="10" fill="#000">${escapeXml(label)}</text>`);
    }
    body.push(`<g clip-path="url(#${f.clipId})">${marks.join('')}</g>`);
  }
  body.push(f.over);
  if (subtitle) {
    body.push(`<text x="${px(f.right)}" y="${px(f.top - 4)}" text-anchor="end" font-size="10" fill="#555">${subtitle}</text>`);
  }
  if (continuous) body.push(colorbarSvg(f.right + 14, f.top, f.bottom, c0, c1, opts.colorLabel ?? ''));
  if (color && discrete && classes.length > 0) {
    const entries = classes.map((c, i) => ({ label: `${opts.colorLabel ? `${opts.colorLabel} = ` : ''}${formatNumber(c)}`, color: categorical(i) }));
    body.push(legendSvg(f.right, f.top, entries, 'dot'));
  }
  if (opts.annotation) body.push(annotationSvg(f.left, f.top, opts.annotation));
  return svgDocument(width, height, body.join(''));
}
