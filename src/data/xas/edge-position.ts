/**
 * The energy where a normalized spectrum crosses half its edge step (0.5),
 * the simplest edge-position measure and the usual trivial baseline for
 * oxidation state. Searched outwards from E0 so that a pre-edge peak above
 * 0.5 or a white line dipping below it further up do not count: the
 * crossing returned is the one on the main rise, interpolated linearly.
 * NaN when the spectrum never crosses 0.5 near E0.
 */
export function halfStepEnergy(energy: ArrayLike<number>, norm: ArrayLike<number>, e0: number): number {
  const n = energy.length;
  let i = 0;
  while (i < n - 1 && energy[i + 1] <= e0) i++;
  if (norm[i] >= 0.5) {
    // walk down to the last point below 0.5
    while (i > 0 && norm[i] >= 0.5) i--;
    if (norm[i] >= 0.5) return NaN;
  } else {
    while (i < n - 1 && norm[i + 1] < 0.5) i++;
    if (i === n - 1) return NaN;
  }
  const y0 = norm[i];
  const y1 = norm[i + 1];
  return energy[i] + ((0.5 - y0) / (y1 - y0)) * (energy[i + 1] - energy[i]);
}
