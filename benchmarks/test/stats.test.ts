import { describe, expect, it } from 'vitest';
import { median, pairedRatios, spread } from '../src/stats.js';

describe('median', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });
  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('is NaN for no samples', () => {
    expect(median([])).toBeNaN();
  });
});

describe('spread', () => {
  it('gives median, min and max', () => {
    expect(spread([0.9, 0.7, 0.8, 1.1, 0.85])).toEqual({ median: 0.85, min: 0.7, max: 1.1 });
  });
});

describe('pairedRatios', () => {
  it('divides each subject by the baseline of its own pair', () => {
    expect(pairedRatios([{ subject: 900, baseline: 1000 }, { subject: 1200, baseline: 1500 }])).toEqual([0.9, 0.8]);
  });
});
