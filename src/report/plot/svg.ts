/**
 * Shared SVG primitives for every static figure xlatent draws: nice axis
 * ticks, a plot frame (axes, ticks, grid, labels, title), colour maps
 * (viridis for continuous values, a categorical palette for classes),
 * a colourbar, a legend and XML escaping. Figures are plain SVG 1.1 text so
 * they render identically in browsers, in resvg (PNG export) and in
 * vector-graphics editors.
 */

/** Font stack: DejaVu Sans is what resvg finds on a bare Linux box; the rest serve browsers. */
export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif";

/** Escapes text for use inside SVG/HTML element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** Rounds a pixel coordinate to 0.1 px: enough for print, and keeps large paths small. */
export function px(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Minimum and maximum of the finite values in `a` (NaN/Inf skipped); [NaN, NaN] when none. */
export function finiteExtent(...arrays: ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}

/**
 * Axis ticks at "nice" values (1, 2, 2.5, 5 x 10^k) covering [min, max].
 * @param min lower data limit
 * @param max upper data limit
 * @param target roughly how many ticks are wanted
 * @returns the tick values (inside [min, max] up to rounding) and their spacing
 */
export function niceTicks(min: number, max: number, target = 5): { ticks: number[]; step: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { ticks: [], step: 1 };
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const d = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= d;
    max += d;
  }
  const raw = (max - min) / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 2.25 ? 2 : norm < 3.5 ? 2.5 : norm < 7.5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let t = Math.ceil((min - eps) / step) * step; t <= max + eps; t += step) {
    ticks.push(Math.abs(t) < eps ? 0 : t);
  }
  return { ticks, step };
}

/**
 * Data range widened by `pad` (a fraction of the span) on both sides so
 * points and lines do not touch the frame; degenerate or empty ranges get a
 * sensible non-zero width.
 */
export function paddedDomain(min: number, max: number, pad = 0.04): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max === min) {
    const d = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - d, max + d];
  }
  const span = max - min;
  return [min - pad * span, max + pad * span];
}

/** Formats a tick value with just enough decimals for its spacing; large/small magnitudes use exponents. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const s = v.toExponential(Math.max(0, Math.min(3, -Math.floor(Math.log10(step / a)))));
    return s.replace(/\.?0+e/, 'e').replace('e+', 'e');
  }
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  const digits = step * Math.pow(10, decimals);
  // steps of 2.5 x 10^k need one decimal more than their magnitude suggests
  const extra = Math.abs(digits - Math.round(digits)) > 1e-6 ? 1 : 0;
  return v.toFixed(decimals + extra).replace(/^-0(\.0*)?$/, '0');
}

/** General number formatting for annotations and tables (4 significant digits, no trailing zeros). */
export function formatNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}

// matplotlib's viridis sampled at 0, 0.1, ..., 1; linear interpolation between stops
// is visually indistinguishable from the 256-entry table.
const VIRIDIS_STOPS = [
  [0x44, 0x01, 0x54], [0x48, 0x24, 0x75], [0x41, 0x44, 0x87], [0x35, 0x5f, 0x8d],
  [0x2a, 0x78, 0x8e], [0x21, 0x91, 0x8c], [0x22, 0xa8, 0x84], [0x44, 0xbf, 0x70],
  [0x7a, 0xd1, 0x51], [0xbd, 0xdf, 0x26], [0xfd, 0xe7, 0x25],
];

function hex2(v: number): string {
  return Math.round(Math.max(0, Math.min(255, v))).toString(16).padStart(2, '0');
}

/** Viridis colour for t in [0, 1] (clamped; NaN gives grey) as `#rrggbb`. */
export function viridis(t: number): string {
  if (!Number.isFinite(t)) return '#999999';
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS_STOPS.length - 1);
  const i = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS_STOPS[i];
  const b = VIRIDIS_STOPS[i + 1];
  return `#${hex2(a[0] + f * (b[0] - a[0]))}${hex2(a[1] + f * (b[1] - a[1]))}${hex2(a[2] + f * (b[2] - a[2]))}`;
}

/** Tableau-10: distinguishable categorical colours, also for most colour-vision deficiencies. */
export const CATEGORICAL = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];

/** Colour of class `i` (cycles after ten classes). */
export function categorical(i: number): string {
  return CATEGORICAL[((i % CATEGORICAL.length) + CATEGORICAL.length) % CATEGORICAL.length];
}

/** A linear map from data to pixel coordinates. */
export interface Scale {
  domain: [number, number];
  range: [number, number];
  (v: number): number;
}

/** Linear scale: domain[0] -> range[0], domain[1] -> range[1]. */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const f = ((v: number) => r0 + (v - d0) * k) as Scale;
  f.domain = domain;
  f.range = range;
  return f;
}

/** Options of the common axis frame. */
export interface FrameOptions {
  /** Total width of the SVG in px. */
  width: number;
  /** Total height of the SVG in px. */
  height: number;
  /** Data range on x (already padded as wanted). */
  xDomain: [number, number];
  /** Data range on y. */
  yDomain: [number, number];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Extra space on the right (colourbar, outside legend), px. */
  rightExtra?: number;
  /** Light grid lines at the ticks (default true). */
  grid?: boolean;
  /** Approximate number of ticks per axis (default 6 on x, 5 on y). */
  xTicks?: number;
  yTicks?: number;
  /** Tick labels for categorical axes: value i is labelled xCategories[i]. */
  xCategories?: string[];
  yCategories?: string[];
}

/** A drawn frame: scales into the plotting area plus the SVG of axes/labels to wrap around the data. */
export interface Frame {
  sx: Scale;
  sy: Scale;
  /** Plotting area in px. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** Grid lines, drawn under the data. */
  under: string;
  /** Axes, ticks, labels and title, drawn over the data. */
  over: string;
  /** id of the clip path for the plotting area. */
  clipId: string;
}

/**
 * Element ids inside figures are written with this placeholder and made
 * unique by `svgDocument` from a hash of the figure, so the same input gives
 * byte-identical SVG and many figures can be inlined into one HTML page.
 */
const ID = '@@id@@';

/** FNV-1a hash of a string, base-36. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/** Whether a tick lies inside its domain, up to rounding (1e-9 of the span). */
function within(domain: [number, number]): (v: number) => boolean {
  const slack = 1e-9 * Math.abs(domain[1] - domain[0]);
  const lo = Math.min(...domain) - slack;
  const hi = Math.max(...domain) + slack;
  return (v: number) => v >= lo && v <= hi;
}

/**
 * Lays out a plotting area with margins for labels and builds the axes:
 * outward ticks with labels, axis titles, plot title, optional grid.
 */
export function frame(o: FrameOptions): Frame {
  const yt = o.yCategories
    ? { ticks: o.yCategories.map((_, i) => i), step: 1 }
    : niceTicks(o.yDomain[0], o.yDomain[1], o.yTicks ?? 5);
  const yLabels = yt.ticks.map((t) => (o.yCategories ? o.yCategories[t] ?? '' : formatTick(t, yt.step)));
  // room for the longest y tick label (DejaVu Sans 11 px: ~6.6 px per character) plus the rotated axis title
  const left = Math.max(56, Math.ceil(Math.max(0, ...yLabels.map((l) => l.length)) * 6.6) + 38);
  const top = o.title ? 34 : 14;
  const right = o.width - 16 - (o.rightExtra ?? 0);
  const bottom = o.height - (o.xLabel ? 50 : 32);
  const sx = linearScale(o.xDomain, [left, right]);
  const sy = linearScale(o.yDomain, [bottom, top]);
  const clipId = `${ID}clip`;
  const grid = o.grid ?? true;
  const under: string[] = [];
  const over: string[] = [];
  under.push(`<clipPath id="${clipId}"><rect x="${px(left)}" y="${px(top)}" width="${px(right - left)}" height="${px(bottom - top)}"/></clipPath>`);
  under.push(`<rect x="${px(left)}" y="${px(top)}" width="${px(right - left)}" height="${px(bottom - top)}" fill="#ffffff"/>`);

  const xt = o.xCategories
    ? { ticks: o.xCategories.map((_, i) => i), step: 1 }
    : niceTicks(o.xDomain[0], o.xDomain[1], o.xTicks ?? 6);
  const inX = within(o.xDomain);
  const inY = within(o.yDomain);

  const tickText: string[] = [];
  for (const t of xt.ticks) {
    if (!inX(t)) continue;
    const x = px(sx(t));
    if (grid && !o.xCategories) under.push(`<line x1="${x}" y1="${px(top)}" x2="${x}" y2="${px(bottom)}" stroke="#e6e6e6" stroke-width="1"/>`);
    over.push(`<line x1="${x}" y1="${px(bottom)}" x2="${x}" y2="${px(bottom + 5)}" stroke="#333" stroke-width="1"/>`);
    const label = o.xCategories ? o.xCategories[t] : formatTick(t, xt.step);
    tickText.push(`<text x="${x}" y="${px(bottom + 18)}" text-anchor="middle">${escapeXml(label)}</text>`);
  }
  for (const t of yt.ticks) {
    if (!inY(t)) continue;
    const y = px(sy(t));
    if (grid && !o.yCategories) under.push(`<line x1="${px(left)}" y1="${y}" x2="${px(right)}" y2="${y}" stroke="#e6e6e6" stroke-width="1"/>`);
    over.push(`<line x1="${px(left - 5)}" y1="${y}" x2="${px(left)}" y2="${y}" stroke="#333" stroke-width="1"/>`);
    const label = o.yCategories ? o.yCategories[t] : formatTick(t, yt.step);
    tickText.push(`<text x="${px(left - 8)}" y="${y}" text-anchor="end" dominant-baseline="central" dy="0.35em">${escapeXml(label)}</text>`);
  }
  over.push(`<rect x="${px(left)}" y="${px(top)}" width="${px(right - left)}" height="${px(bottom - top)}" fill="none" stroke="#333" stroke-width="1"/>`);
  over.push(`<g font-size="11" fill="#222">${tickText.join('')}</g>`);
  if (o.xLabel) {
    over.push(`<text x="${px((left + right) / 2)}" y="${px(o.height - 12)}" text-anchor="middle" font-size="13" fill="#111">${escapeXml(o.xLabel)}</text>`);
  }
  if (o.yLabel) {
    const cy = (top + bottom) / 2;
    over.push(`<text transform="translate(16 ${px(cy)}) rotate(-90)" text-anchor="middle" dominant-baseline="central" dy="0.35em" font-size="13" fill="#111">${escapeXml(o.yLabel)}</text>`);
  }
  if (o.title) {
    over.push(`<text x="${px((left + right) / 2)}" y="22" text-anchor="middle" font-size="14" font-weight="bold" fill="#111">${escapeXml(o.title)}</text>`);
  }
  return { sx, sy, left, top, right, bottom, under: under.join(''), over: over.join(''), clipId };
}

/** Wraps body markup into a complete standalone SVG document with a white background. */
export function svgDocument(width: number, height: number, body: string): string {
  body = body.split(ID).join(`x${fnv1a(body)}-`);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT_FAMILY)}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    body +
    `</svg>\n`
  );
}

/** Width in px that `colorbarSvg` needs to the right of the plotting area. */
export const COLORBAR_SPACE = 78;

/**
 * A vertical viridis colourbar with ticks and a rotated label, placed just
 * right of the plotting area.
 * @param x left edge of the bar in px
 * @param top top of the bar in px
 * @param bottom bottom of the bar in px
 * @param min value at the bottom of the bar
 * @param max value at the top
 * @param label what the colour means, e.g. "z0 value"
 */
export function colorbarSvg(x: number, top: number, bottom: number, min: number, max: number, label: string): string {
  const id = `${ID}cbar`;
  const w = 14;
  const stops: string[] = [];
  for (let i = 0; i <= 10; i++) stops.push(`<stop offset="${i / 10}" stop-color="${viridis(1 - i / 10)}"/>`);
  const parts: string[] = [];
  parts.push(`<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops.join('')}</linearGradient></defs>`);
  parts.push(`<rect x="${px(x)}" y="${px(top)}" width="${w}" height="${px(bottom - top)}" fill="url(#${id})" stroke="#333" stroke-width="0.8"/>`);
  let lo = min;
  let hi = max;
  if (!(hi > lo)) {
    lo = Number.isFinite(min) ? min - 0.5 : 0;
    hi = lo + 1;
  }
  const s = linearScale([lo, hi], [bottom, top]);
  const t = niceTicks(lo, hi, 5);
  const inside = within([lo, hi]);
  for (const v of t.ticks) {
    if (!inside(v)) continue;
    const y = px(s(v));
    parts.push(`<line x1="${px(x + w)}" y1="${y}" x2="${px(x + w + 4)}" y2="${y}" stroke="#333"/>`);
    parts.push(`<text x="${px(x + w + 6)}" y="${y}" dy="0.35em" font-size="10" fill="#222">${escapeXml(formatTick(v, t.step))}</text>`);
  }
  const cy = (top + bottom) / 2;
  parts.push(`<text transform="translate(${px(x + w + 52)} ${px(cy)}) rotate(-90)" text-anchor="middle" font-size="12" fill="#111">${escapeXml(label)}</text>`);
  return parts.join('');
}

/**
 * A boxed legend with one coloured swatch (line or dot) per entry, in the
 * top-right corner of the plotting area.
 * @param right right edge of the plotting area, px
 * @param top top of the plotting area, px
 * @param entries label and colour of each entry (max ~15 shown; the rest summarized)
 * @param kind 'line' for line plots, 'dot' for scatter classes
 */
export function legendSvg(
  right: number,
  top: number,
  entries: { label: string; color: string; dash?: string }[],
  kind: 'line' | 'dot',
): string {
  const maxShown = 15;
  const shown = entries.slice(0, maxShown);
  const more = entries.length - shown.length;
  const labels = shown.map((e) => e.label).concat(more > 0 ? [`… ${more} more`] : []);
  // DejaVu Sans at 11 px averages ~6.5 px per character; a little slack
  const textW = Math.max(...labels.map((l) => l.length)) * 6.9;
  const w = 34 + textW;
  const rowH = 16;
  const h = 8 + rowH * labels.length;
  const x0 = right - w - 8;
  const y0 = top + 8;
  const parts: string[] = [
    `<rect x="${px(x0)}" y="${px(y0)}" width="${px(w)}" height="${px(h)}" fill="#ffffff" fill-opacity="0.85" stroke="#bbb" stroke-width="0.8"/>`,
  ];
  shown.forEach((e, i) => {
    const cy = y0 + 4 + rowH * i + rowH / 2;
    if (kind === 'line') {
      parts.push(`<line x1="${px(x0 + 6)}" y1="${px(cy)}" x2="${px(x0 + 26)}" y2="${px(cy)}" stroke="${e.color}" stroke-width="2"${e.dash ? ` stroke-dasharray="${escapeXml(e.dash)}"` : ''}/>`);
    } else {
      parts.push(`<circle cx="${px(x0 + 16)}" cy="${px(cy)}" r="4" fill="${e.color}"/>`);
    }
    parts.push(`<text x="${px(x0 + 30)}" y="${px(cy)}" dy="0.35em" font-size="11" fill="#222">${escapeXml(e.label)}</text>`);
  });
  if (more > 0) {
    const cy = y0 + 4 + rowH * shown.length + rowH / 2;
    parts.push(`<text x="${px(x0 + 30)}" y="${px(cy)}" dy="0.35em" font-size="11" fill="#555">${escapeXml(`… ${more} more`)}</text>`);
  }
  return parts.join('');
}

/** A boxed multi-line text annotation in the top-left corner of the plotting area (e.g. "ρ = 0.93"). */
export function annotationSvg(left: number, top: number, text: string): string {
  const lines = text.split('\n');
  const w = Math.max(...lines.map((l) => l.length)) * 7.3 + 14;
  const h = lines.length * 15 + 8;
  const parts = [`<rect x="${px(left + 8)}" y="${px(top + 8)}" width="${px(w)}" height="${h}" fill="#ffffff" fill-opacity="0.85" stroke="#bbb" stroke-width="0.8"/>`];
  lines.forEach((l, i) => {
    parts.push(`<text x="${px(left + 14)}" y="${px(top + 8 + 4 + 15 * i + 7.5)}" dy="0.35em" font-size="12" fill="#111">${escapeXml(l)}</text>`);
  });
  return parts.join('');
}
