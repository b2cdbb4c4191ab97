import { describe, expect, it } from 'vitest';
import { Resvg } from '@resvg/resvg-js';
import { escapeXml, formatTick, niceTicks, viridis, linearScale } from '../../src/report/plot/svg.js';
import { linePlotSvg } from '../../src/report/plot/lines.js';
import { scatterPlotSvg, scatterSubsample } from '../../src/report/plot/scatter.js';
import { heatmapSvg } from '../../src/report/plot/heatmap.js';
import { qqPlotSvg, qqPoints } from '../../src/report/plot/qq.js';
import { svgToPng } from '../../src/report/plot/png.js';
import { Rng } from '../../src/util/random.js';

/** Pixels of a rendered SVG, to check that something visible (e.g. text) was drawn. */
function darkPixels(svg: string): number {
  const img = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, logLevel: 'off' }).render();
  const p = img.pixels;
  let dark = 0;
  for (let i = 0; i < p.length; i += 4) if (p[i] + p[i + 1] + p[i + 2] < 200 && p[i + 3] > 200) dark++;
  return dark;
}

describe('svg primitives', () => {
  it('niceTicks covers the range with 1/2/2.5/5 x 10^k steps', () => {
    for (const [lo, hi] of [[0, 1], [8330.2, 8429.7], [-2.13, 2.31], [1e-4, 3e-4], [5, 5]]) {
      const { ticks, step } = niceTicks(lo, hi, 5);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      const mant = step / Math.pow(10, Math.floor(Math.log10(step)));
      expect([1, 2, 2.5, 5].some((m) => Math.abs(mant - m) < 1e-9)).toBe(true);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBeCloseTo(step, 9);
      if (hi > lo) {
        expect(ticks[0]).toBeGreaterThanOrEqual(lo - 1e-9);
        expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(hi + 1e-9);
        expect(ticks[0] - lo).toBeLessThan(step + 1e-9);
      }
    }
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(2.5, 2.5)).toBe('2.5');
    expect(formatTick(8350, 10)).toBe('8350');
  });

  it('viridis runs dark purple -> yellow and escapes text', () => {
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    expect(viridis(2)).toBe('#fde725');
    expect(viridis(NaN)).toBe('#999999');
    expect(escapeXml('<a & "b">')).toBe('&lt;a &amp; &quot;b&quot;&gt;');
    const s = linearScale([0, 10], [100, 200]);
    expect(s(5)).toBe(150);
  });
});

describe('linePlotSvg', () => {
  it('draws one path per series at the right pixel positions, labels rendered', () => {
    const x = [0, 1, 2, 3];
    const svg = linePlotSvg({
      series: [
        { x, y: [0, 1, 2, 3], label: 'rising' },
        { x, y: [3, NaN, 1, 0], label: 'falling', dash: '4 2', color: '#ff0000' },
      ],
      title: 'Test <plot>',
      xLabel: 'Energy (eV)',
      yLabel: 'μ(E)',
    });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('Test &lt;plot&gt;');
    const paths = [...svg.matchAll(/<path d="([^"]+)" fill="none" stroke="([^"]+)"/g)];
    expect(paths.length).toBe(2);
    // NaN breaks the second series into two sub-paths
    expect(paths[1][1].split('M').length - 1).toBe(2);
    expect(paths[1][2]).toBe('#ff0000');
    // the first series is a straight increasing line: y pixel decreases as x pixel increases
    const pts = paths[0][1].split(/[ML]/).filter(Boolean).map((p) => p.split(' ').map(Number));
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i][0]).toBeGreaterThan(pts[i - 1][0]);
      expect(pts[i][1]).toBeLessThan(pts[i - 1][1]);
    }
    // legend has both entries
    expect(svg).toContain('>rising<');
    expect(svg).toContain('>falling<');
    // axis labels and tick labels render as real glyphs (a font was found)
    const withText = darkPixels(svg);
    const noText = darkPixels(svg.replace(/<text[^>]*>[^<]*<\/text>/g, ''));
    expect(withText - noText).toBeGreaterThan(500);
  });

  it('draws a colourbar for graded families', () => {
    const x = [0, 1, 2];
    const svg = linePlotSvg({
      series: [0, 0.5, 1].map((t) => ({ x, y: x.map((v) => v * t), color: viridis(t) })),
      colorbar: { min: -2, max: 2, label: 'z0 value' },
    });
    expect(svg).toContain('linearGradient');
    expect(svg).toContain('z0 value');
  });
});

describe('scatterPlotSvg', () => {
  it('colours discrete classes with a legend and continuous values with a colourbar', () => {
    const rng = new Rng(3);
    const n = 200;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    const cn = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = rng.normal();
      y[i] = rng.normal();
      cn[i] = 4 + (i % 3);
    }
    const d = scatterPlotSvg({ x, y, color: cn, discrete: true, colorLabel: 'CN', annotation: 'ρ = 0.9' });
    expect(d).toContain('CN = 4');
    expect(d).toContain('CN = 6');
    expect(d).toContain('ρ = 0.9');
    // each point is one "M x y h0" segment
    expect((d.match(/h0/g) ?? []).length).toBe(n);
    const c = scatterPlotSvg({ x, y, color: x, colorLabel: 'z0' });
    expect(c).toContain('linearGradient');
  });

  it('keeps 50,000 points small by deterministic subsampling', () => {
    const rng = new Rng(5);
    const n = 50000;
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    rng.fillNormal(x);
    rng.fillNormal(y);
    const a = scatterPlotSvg({ x, y, color: x });
    const b = scatterPlotSvg({ x, y, color: x });
    expect(a).toBe(b);
    expect((a.match(/h0/g) ?? []).length).toBe(20000);
    expect(a).toContain('20,000 of 50,000 points shown');
    expect(a.length).toBeLessThan(600_000);
    const rows = scatterSubsample(n, 100);
    expect(new Set(rows).size).toBe(100);
    for (let i = 1; i < rows.length; i++) expect(rows[i]).toBeGreaterThan(rows[i - 1]);
  });
});

describe('heatmap and Q-Q', () => {
  it('draws one cell per matrix entry with values', () => {
    const svg = heatmapSvg({ values: [10, 2, 0, 1, 7, 3, 0, 1, 12], rows: 3, cols: 3, rowLabels: ['4', '5', '6'], colLabels: ['4', '5', '6'] });
    expect((svg.match(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+" fill="#(?!ffffff)[0-9a-f]{6}"\/>/g) ?? []).length).toBe(9);
    expect(svg).toContain('>12<');
  });

  it('a normal sample lies on y = x', () => {
    const s = new Float64Array(5000);
    new Rng(9).fillNormal(s);
    const { theoretical, observed } = qqPoints(s, 200);
    expect(theoretical.length).toBe(200);
    let maxDev = 0;
    for (let i = 10; i < 190; i++) maxDev = Math.max(maxDev, Math.abs(theoretical[i] - observed[i]));
    expect(maxDev).toBeLessThan(0.15);
    expect(qqPlotSvg({ sample: s, annotation: 'W = 0.999' })).toContain('W = 0.999');
  });
});

describe('svgToPng', () => {
  it('produces a PNG of the requested scale', () => {
    const png = svgToPng(linePlotSvg({ series: [{ x: [0, 1], y: [0, 1] }], width: 300, height: 200 }), 2);
    expect([...png.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(view.getUint32(16)).toBe(600);
    expect(view.getUint32(20)).toBe(400);
  });
});
