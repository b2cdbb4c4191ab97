import { join } from 'node:path';
import { svgToPng } from '../report/plot/png.js';
import { writeFileAtomic } from '../util/atomic.js';

/** Writes `stem`.svg into `dir`, and `stem`.png beside it when `png`. */
export function writeFigure(dir: string, stem: string, svg: string, png: boolean): void {
  writeFileAtomic(join(dir, `${stem}.svg`), svg);
  if (png) writeFileAtomic(join(dir, `${stem}.png`), svgToPng(svg));
}
