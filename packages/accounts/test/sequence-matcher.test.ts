import { describe, it, expect } from 'vitest';
import { quickSimilarityRatio, similarityRatio } from '../src/sequence-matcher.js';

// Expected values come from CPython 3.11: difflib.SequenceMatcher(None, a, b).

describe('similarityRatio', () => {
  it('scores matching blocks as 2 * matches / total length', () => {
    expect(similarityRatio('abcd', 'bcde')).toBe(0.75);
    expect(similarityRatio('kowalski99', 'kowalski')).toBe(0.8888888888888888);
    expect(similarityRatio('private Thread currentThread;', 'private volatile Thread currentThread;')).toBe(
      0.8656716417910447,
    );
  });

  it('takes order into account', () => {
    expect(similarityRatio('tide', 'diet')).toBe(0.25);
    expect(similarityRatio('password', 'drowssap')).toBe(0.25);
  });

  it('scores two empty strings 1 and one empty string 0', () => {
    expect(similarityRatio('', '')).toBe(1);
    expect(similarityRatio('abc', '')).toBe(0);
    expect(similarityRatio('', 'abc')).toBe(0);
  });

  it('treats popular characters of a 200+ character string as junk (autojunk)', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(5);
    const edited = text.replaceAll('fox', 'cat').replaceAll('dog', 'emu');
    expect(text).toHaveLength(225);
    expect(similarityRatio(edited, text)).toBe(0.07111111111111111);
    expect(similarityRatio(text.toUpperCase(), text)).toBe(0.0044444444444444444);
    // Only the lone "x" can start a match; without autojunk this would be 0.996.
    expect(similarityRatio(`x${'a'.repeat(250)}`, `${'a'.repeat(250)}x`)).toBe(0.00398406374501992);
  });

  it('still extends a match over popular characters', () => {
    expect(similarityRatio('a'.repeat(200), 'a'.repeat(200))).toBe(1);
    expect(similarityRatio('ab'.repeat(100), 'ab'.repeat(100))).toBe(1);
  });

  it('does not apply autojunk below 200 characters', () => {
    expect(similarityRatio('a'.repeat(199), 'a'.repeat(199))).toBe(1);
  });

  it('compares code points, not UTF-16 units', () => {
    expect(similarityRatio('😀a', 'a😀')).toBe(0.5);
    expect(similarityRatio('😀', '😁')).toBe(0);
    expect(similarityRatio('𝐀𝐁𝐂', '𝐀𝐁𝐃')).toBe(0.6666666666666666);
    expect(similarityRatio('naïve café', 'naive cafe')).toBe(0.8);
  });
});

describe('quickSimilarityRatio', () => {
  it('counts common characters regardless of order', () => {
    expect(quickSimilarityRatio('abcd', 'bcde')).toBe(0.75);
    expect(quickSimilarityRatio('tide', 'diet')).toBe(1);
    expect(quickSimilarityRatio('password', 'drowssap')).toBe(1);
    expect(quickSimilarityRatio('kowalski99', 'kowalski')).toBe(0.8888888888888888);
  });

  it('scores two empty strings 1 and one empty string 0', () => {
    expect(quickSimilarityRatio('', '')).toBe(1);
    expect(quickSimilarityRatio('abc', '')).toBe(0);
  });

  it('is not affected by autojunk', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(5);
    expect(quickSimilarityRatio(text.replaceAll('fox', 'cat').replaceAll('dog', 'emu'), text)).toBe(
      0.8666666666666667,
    );
    expect(quickSimilarityRatio(text.toUpperCase(), text)).toBe(0.24444444444444444);
    expect(quickSimilarityRatio(`x${'a'.repeat(250)}`, `${'a'.repeat(250)}x`)).toBe(1);
  });

  it('compares code points, not UTF-16 units', () => {
    expect(quickSimilarityRatio('😀a', 'a😀')).toBe(1);
    expect(quickSimilarityRatio('😀', '😁')).toBe(0);
    expect(quickSimilarityRatio('𝐀𝐁𝐂', '𝐀𝐁𝐃')).toBe(0.6666666666666666);
  });
});
