import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { SEARCH_LIMITS, type Domain } from './schema.js';

/** The searched fields, in a fixed order (sorted by path) so that reordering the file changes no draw. */
export type Space = [path: string, domain: Domain][];

/** One drawn configuration: a value per searched path. */
export type Params = Record<string, unknown>;

/** Real numbers are kept to this many significant digits, so configs and leaderboards stay readable. */
const DIGITS = 6;
const tidy = (v: number) => Number(v.toPrecision(DIGITS));
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function sortedSpace(space: Record<string, Domain>): Space {
  return Object.keys(space)
    .sort()
    .map((k) => [k, space[k]]);
}

/**
 * The seed of trial `index`'s draws: a fixed mix of the search seed and the
 * index, so trial i draws the same values whatever the number of trials.
 */
export function sampleSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

/** One value of a domain, drawn from `rng`. */
export function drawValue(d: Domain, rng: Rng): unknown {
  if (d.choice) return structuredClone(d.choice[rng.int(d.choice.length)]);
  if (d.range) {
    const [lo, hi] = d.range;
    return clamp(tidy(lo + rng.uniform() * (hi - lo)), lo, hi);
  }
  if (d.logRange) {
    const [lo, hi] = d.logRange;
    return clamp(tidy(Math.exp(Math.log(lo) + rng.uniform() * (Math.log(hi) - Math.log(lo)))), lo, hi);
  }
  const [lo, hi] = d.intRange!;
  if (d.log) return clamp(Math.floor(Math.exp(Math.log(lo) + rng.uniform() * (Math.log(hi + 1) - Math.log(lo)))), lo, hi);
  return lo + rng.int(hi - lo + 1);
}

/** Trial `index` of a random search: one value per path from the trial's own generator. */
export function drawRandom(space: Space, seed: number, index: number): Params {
  const rng = new Rng(sampleSeed(seed, index));
  const params: Params = {};
  for (const [path, d] of space) params[path] = drawValue(d, rng);
  return params;
}

/** Evenly spaced values from lo to hi (geometrically spaced with `log`), inclusive. */
function spaced(lo: number, hi: number, points: number, log: boolean): number[] {
  return Array.from({ length: points }, (_, i) => {
    const t = i / (points - 1);
    const v = log ? Math.exp(Math.log(lo) + t * (Math.log(hi) - Math.log(lo))) : lo + t * (hi - lo);
    return clamp(tidy(v), lo, hi);
  });
}

/** The values a domain takes in a grid. */
export function gridValues(path: string, d: Domain): unknown[] {
  if (d.choice) return d.choice.map((v) => structuredClone(v));
  if (d.intRange) {
    const [lo, hi] = d.intRange;
    if (d.points === undefined) {
      if (hi - lo + 1 > SEARCH_LIMITS.values) throw new UserError(`intRange [${lo}, ${hi}] has ${hi - lo + 1} integers; give \`points\` for a grid`, `space.${path}`);
      return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    }
    return [...new Set(spaced(lo, hi, d.points, d.log ?? false).map(Math.round))];
  }
  const b = d.range ?? d.logRange!;
  if (d.points === undefined) throw new UserError('a range in a grid needs `points` (how many evenly spaced values to take)', `space.${path}`);
  return spaced(b[0], b[1], d.points, d.logRange !== undefined);
}

/** Every combination of the grid values, the last path varying fastest; refuses more than `max`. */
export function gridCombinations(space: Space, max: number = SEARCH_LIMITS.trials): Params[] {
  const axes = space.map(([path, d]) => [path, gridValues(path, d)] as const);
  const total = axes.reduce((n, [, v]) => n * v.length, 1);
  if (total > max) throw new UserError(`the grid has ${total} combinations (${axes.map(([p, v]) => `${p}: ${v.length}`).join(' x ')}); at most ${max} trials`, 'space');
  const out: Params[] = [];
  const at = new Array<number>(axes.length).fill(0);
  for (let n = 0; n < total; n++) {
    const params: Params = {};
    axes.forEach(([path, values], i) => (params[path] = structuredClone(values[at[i]])));
    out.push(params);
    for (let i = axes.length - 1; i >= 0; i--) {
      if (++at[i] < axes[i][1].length) break;
      at[i] = 0;
    }
  }
  return out;
}

/** Sets `value` at a dotted path of a plain object, creating missing objects on the way (in place). */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

/** A value as a leaderboard cell or log shows it: numbers and strings plain, anything else as JSON. */
export function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
