/**
 * The similarity scores of Python's `difflib.SequenceMatcher(None, a, b)`:
 * `ratio()` and `quick_ratio()`, with CPython's defaults (no junk function,
 * autojunk on). Strings are compared code point by code point, as Python
 * indexes a `str`, so an astral character counts once, not as two halves.
 */

/** `2 * matches / total`, and 1 for two empty sequences, as difflib scores. */
function score(matches: number, total: number): number {
  return total === 0 ? 1 : (2 * matches) / total;
}

function codePoints(text: string): number[] {
  const points: number[] = [];
  for (const character of text) points.push(character.codePointAt(0) ?? 0);
  return points;
}

/**
 * Where each element of `b` occurs, in increasing order. In a sequence of 200
 * or more items, an element occurring more than `len // 100 + 1` times is
 * "popular" and left out (the autojunk heuristic): it never starts a match,
 * though it may still extend one.
 */
function indexPositions(b: readonly number[]): Map<number, number[]> {
  const positions = new Map<number, number[]>();
  b.forEach((element, index) => {
    const list = positions.get(element);
    if (list) list.push(index);
    else positions.set(element, [index]);
  });
  if (b.length >= 200) {
    const limit = Math.floor(b.length / 100) + 1;
    for (const [element, list] of positions) {
      if (list.length > limit) positions.delete(element);
    }
  }
  return positions;
}

interface Block {
  readonly i: number;
  readonly j: number;
  readonly size: number;
}

/**
 * The longest block `a[i:i+size] == b[j:j+size]` inside the given windows,
 * earliest in `a` then in `b` on ties, as `find_longest_match` picks it.
 */
function longestMatch(
  a: readonly number[],
  b: readonly number[],
  positions: ReadonlyMap<number, readonly number[]>,
  aLow: number,
  aHigh: number,
  bLow: number,
  bHigh: number,
): Block {
  let bestI = aLow;
  let bestJ = bLow;
  let bestSize = 0;
  // runLengths.get(j): length of the match ending at a[i - 1] and b[j].
  let runLengths = new Map<number, number>();
  for (let i = aLow; i < aHigh; i++) {
    const next = new Map<number, number>();
    for (const j of positions.get(a[i] as number) ?? []) {
      if (j < bLow) continue;
      if (j >= bHigh) break;
      const size = (runLengths.get(j - 1) ?? 0) + 1;
      next.set(j, size);
      if (size > bestSize) {
        bestI = i - size + 1;
        bestJ = j - size + 1;
        bestSize = size;
      }
    }
    runLengths = next;
  }
  // Popular elements are absent from `positions` but are not junk, so equal
  // neighbours on either side still join the match.
  while (bestI > aLow && bestJ > bLow && a[bestI - 1] === b[bestJ - 1]) {
    bestI--;
    bestJ--;
    bestSize++;
  }
  while (bestI + bestSize < aHigh && bestJ + bestSize < bHigh && a[bestI + bestSize] === b[bestJ + bestSize]) {
    bestSize++;
  }
  return { i: bestI, j: bestJ, size: bestSize };
}

/** Total size of the matching blocks `get_matching_blocks` would return. */
function matchedElements(a: readonly number[], b: readonly number[]): number {
  const positions = indexPositions(b);
  let matched = 0;
  const pending: Array<[number, number, number, number]> = [[0, a.length, 0, b.length]];
  for (let window = pending.pop(); window; window = pending.pop()) {
    const [aLow, aHigh, bLow, bHigh] = window;
    const { i, j, size } = longestMatch(a, b, positions, aLow, aHigh, bLow, bHigh);
    if (size === 0) continue;
    matched += size;
    if (aLow < i && bLow < j) pending.push([aLow, i, bLow, j]);
    if (i + size < aHigh && j + size < bHigh) pending.push([i + size, aHigh, j + size, bHigh]);
  }
  return matched;
}

/** `difflib.SequenceMatcher(None, a, b).ratio()`. */
export function similarityRatio(a: string, b: string): number {
  const left = codePoints(a);
  const right = codePoints(b);
  return score(matchedElements(left, right), left.length + right.length);
}

/**
 * `difflib.SequenceMatcher(None, a, b).quick_ratio()`: the size of the
 * multiset intersection, an upper bound on `ratio()` that ignores order.
 */
export function quickSimilarityRatio(a: string, b: string): number {
  const left = codePoints(a);
  const right = codePoints(b);
  const available = new Map<number, number>();
  for (const element of right) available.set(element, (available.get(element) ?? 0) + 1);
  let matches = 0;
  for (const element of left) {
    const count = available.get(element) ?? 0;
    if (count > 0) {
      matches++;
      available.set(element, count - 1);
    }
  }
  return score(matches, left.length + right.length);
}
