import { Resvg } from '@resvg/resvg-js';

/**
 * Rasterizes an SVG document to PNG with resvg (no browser needed).
 *
 * Text needs a font on the machine: resvg loads the system fonts and
 * prefers DejaVu Sans (Debian/Ubuntu: `apt-get install -y fonts-dejavu-core`;
 * CI images need it too, otherwise labels silently disappear).
 * @param svg a complete SVG document
 * @param scale pixel density multiplier (default 2: crisp on high-DPI screens and in slides)
 */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
    textRendering: 1,
    shapeRendering: 2,
    logLevel: 'off',
  });
  return new Uint8Array(r.render().asPng());
}
