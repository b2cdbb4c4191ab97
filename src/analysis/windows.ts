/** An energy window where a response curve (sweep sensitivity, relevance) is concentrated. */
export interface EnergyWindow {
  /** First energy of the window (eV, or the dataset's abscissa unit). */
  from: number;
  /** Last energy of the window. */
  to: number;
  /** Energy of the largest curve value inside the window. */
  peak: number;
  /** Fraction of the curve's total (sum over all grid points) inside this window, 0..1. */
  share: number;
}

/**
 * The `count` non-overlapping windows of width `width` (abscissa units)
 * holding the most of a non-negative curve sampled on `energies`, best
 * first. Greedy: take the best window, drop every window overlapping it,
 * repeat. Sums are over grid points, so a non-uniform grid weights regions
 * by point density, as the network itself sees them.
 */
export function topWindows(energies: ArrayLike<number>, curve: ArrayLike<number>, width: number, count = 3): EnergyWindow[] {
  const m = Math.min(energies.length, curve.length);
  if (m === 0) return [];
  let total = 0;
  for (let i = 0; i < m; i++) total += Math.max(0, curve[i]);
  // window starting at i covers points i..end[i]
  const end = new Int32Array(m);
  const sums = new Float64Array(m);
  let j = 0;
  let acc = 0;
  for (let i = 0; i < m; i++) {
    if (j < i) {
      j = i;
      acc = 0;
    }
    while (j < m && energies[j] - energies[i] <= width) acc += Math.max(0, curve[j++]);
    end[i] = j - 1;
    sums[i] = acc;
    acc -= Math.max(0, curve[i]);
  }
  const taken = new Uint8Array(m);
  const out: EnergyWindow[] = [];
  for (let k = 0; k < count; k++) {
    let best = -1;
    for (let i = 0; i < m; i++) {
      if (taken[i] || taken[end[i]]) continue;
      let free = true;
      for (let q = i; q <= end[i]; q++) if (taken[q]) { free = false; break; }
      if (!free) continue;
      if (best < 0 || sums[i] > sums[best]) best = i;
    }
    if (best < 0 || sums[best] <= 0) break;
    let peak = best;
    for (let q = best; q <= end[best]; q++) {
      taken[q] = 1;
      if (curve[q] > curve[peak]) peak = q;
    }
    out.push({ from: energies[best], to: energies[end[best]], peak: energies[peak], share: total > 0 ? sums[best] / total : 0 });
  }
  return out;
}
