import { normalQuantile } from '../../metrics/normal-distribution.js';
import { annotationSvg, categorical, finiteExtent, frame, paddedDomain, px, svgDocument } from './svg.js';

/**
 * Theoretical N(0,1) quantiles (Blom plotting positions (i - 3/8)/(n + 1/4))
 * against the sorted finite sample values; at most `maxPoints` evenly spaced
 * order statistics so 50,000-point latents stay small.
 */
export function qqPoints(sample: ArrayLike<number>, maxPoints = 1000): { theoretical: Float64Array; observed: Float64Array } {
  const vals = Float64Array.from(Array.prototype.filter.call(sample, (v: number) => Number.isFinite(v)) as number[]).sort();
  const n = vals.length;
  const k = Math.min(n, maxPoints);
  const theoretical = new Float64Array(k);
  const observed = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const i = k === 1 ? 0 : Math.round((j * (n - 1)) / (k - 1));
    theoretical[j] = normalQuantile((i + 1 - 0.375) / (n + 0.25));
    observed[j] = vals[i];
  }
  return { theoretical, observed };
}

/** Options of {@link qqPlotSvg}. */
export interface QQPlotOptions {
  /** The sample (e.g. one latent coordinate over the training set); non-finite values ignored. */
  sample: ArrayLike<number>;
  title?: string;
  /** Default "N(0,1) quantile". */
  xLabel?: string;
  /** Default "sample quantile". */
  yLabel?: string;
  /** Boxed text, e.g. "Shapiro–Wilk W = 0.998". */
  annotation?: string;
  width?: number;
  height?: number;
}

/**
 * Normal Q-Q plot: sample quantiles against N(0,1) quantiles with the
 * identity line y = x (the prior an adversarial autoencoder pushes its
 * latents towards), so both shape and scale deviations show.
 */
export function qqPlotSvg(o: QQPlotOptions): string {
  const width = o.width ?? 380;
  const height = o.height ?? 360;
  const { theoretical, observed } = qqPoints(o.sample);
  const [lo, hi] = finiteExtent(theoretical, observed);
  const dom = paddedDomain(Number.isFinite(lo) ? lo : -3, Number.isFinite(hi) ? hi : 3);
  const f = frame({
    width,
    height,
    xDomain: dom,
    yDomain: dom,
    title: o.title,
    xLabel: o.xLabel ?? 'N(0,1) quantile',
    yLabel: o.yLabel ?? 'sample quantile',
  });
  const pts: string[] = [];
  for (let i = 0; i < theoretical.length; i++) pts.push(`M${px(f.sx(theoretical[i]))} ${px(f.sy(observed[i]))}h0`);
  const body = [
    f.under,
    `<g clip-path="url(#${f.clipId})">`,
    `<line x1="${px(f.sx(dom[0]))}" y1="${px(f.sy(dom[0]))}" x2="${px(f.sx(dom[1]))}" y2="${px(f.sy(dom[1]))}" stroke="#c44" stroke-width="1.2" stroke-dasharray="5 3"/>`,
    `<path d="${pts.join('')}" stroke="${categorical(0)}" stroke-width="4" stroke-linecap="round" fill="none"/>`,
    '</g>',
    f.over,
  ];
  if (o.annotation) body.push(annotationSvg(f.left, f.top, o.annotation));
  return svgDocument(width, height, body.join(''));
}
