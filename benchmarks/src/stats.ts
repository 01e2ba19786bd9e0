/** Small statistics for rounds of measurements: medians and ranges, never means of noisy samples. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Each pair's ratio subject ÷ baseline: the machine's drift hits both halves of a pair alike. */
export function pairedRatios(pairs: readonly { subject: number; baseline: number }[]): number[] {
  return pairs.map((p) => p.subject / p.baseline);
}
