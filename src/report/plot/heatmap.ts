import { COLORBAR_SPACE, colorbarSvg, escapeXml, finiteExtent, formatNumber, frame, px, svgDocument, viridis } from './svg.js';

/** Options of {@link heatmapSvg}. */
export interface HeatmapOptions {
  /** rows x cols row-major cell values (e.g. a confusion matrix of counts). NaN cells are drawn grey. */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  /** Label of each row, top to bottom (e.g. true CN classes). */
  rowLabels?: string[];
  /** Label of each column, left to right (e.g. predicted CN classes). */
  colLabels?: string[];
  title?: string;
  /** Axis title under the columns. */
  xLabel?: string;
  /** Axis title beside the rows. */
  yLabel?: string;
  /** Colourbar label (default none). */
  colorLabel?: string;
  /** Write each cell's value in it (default: true when rows*cols <= 400). */
  annotate?: boolean;
  /** Total SVG width (default 480). */
  width?: number;
  /** Total SVG height (default 420). */
  height?: number;
}

/** Relative luminance of a `#rrggbb` colour, to pick black or white cell text. */
function luminance(hex: string): number {
  const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}

/**
 * A matrix as coloured cells (viridis), e.g. a confusion matrix: row 0 at the
 * top as in printed tables, with a colourbar and optional cell values.
 */
export function heatmapSvg(o: HeatmapOptions): string {
  const width = o.width ?? 480;
  const height = o.height ?? 420;
  const f = frame({
    width,
    height,
    xDomain: [-0.5, o.cols - 0.5],
    yDomain: [o.rows - 0.5, -0.5],
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    rightExtra: COLORBAR_SPACE,
    grid: false,
    xCategories: o.colLabels ?? Array.from({ length: o.cols }, (_, i) => String(i)),
    yCategories: o.rowLabels ?? Array.from({ length: o.rows }, (_, i) => String(i)),
  });
  const [lo, hi] = finiteExtent(o.values);
  const annotate = o.annotate ?? o.rows * o.cols <= 400;
  const cw = (f.right - f.left) / o.cols;
  const ch = (f.bottom - f.top) / o.rows;
  const cells: string[] = [];
  const texts: string[] = [];
  const fontSize = Math.max(8, Math.min(14, Math.min(cw, ch) / 3));
  for (let r = 0; r < o.rows; r++) {
    for (let c = 0; c < o.cols; c++) {
      const v = o.values[r * o.cols + c];
      const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      const fill = Number.isFinite(v) ? viridis(t) : '#cccccc';
      const x = f.left + c * cw;
      const y = f.top + r * ch;
      cells.push(`<rect x="${px(x)}" y="${px(y)}" width="${px(cw + 0.3)}" height="${px(ch + 0.3)}" fill="${fill}"/>`);
      if (annotate && Number.isFinite(v)) {
        const ink = luminance(fill) > 0.45 ? '#111' : '#fff';
        texts.push(`<text x="${px(x + cw / 2)}" y="${px(y + ch / 2)}" dy="0.35em" text-anchor="middle" font-size="${px(fontSize)}" fill="${ink}">${escapeXml(formatNumber(v, 3))}</text>`);
      }
    }
  }
  const body = [f.under, cells.join(''), texts.join(''), f.over];
  body.push(colorbarSvg(f.right + 14, f.top, f.bottom, Number.isFinite(lo) ? lo : 0, Number.isFinite(hi) ? hi : 1, o.colorLabel ?? ''));
  return svgDocument(width, height, body.join(''));
}
