import { describe, it, expect } from 'vitest';
import { validatePassword } from '../src/password-validation.js';

const TOO_SHORT = 'This password is too short. It must contain at least 8 characters.';
const TOO_COMMON = 'This password is too common.';
const NUMERIC = 'This password is entirely numeric.';
const SIMILAR_TO_USERNAME = 'The password is too similar to the username.';
const SIMILAR_TO_EMAIL = 'The password is too similar to the email address.';

describe('validatePassword', () => {
  it('accepts a long, uncommon password unrelated to the user', () => {
    expect(validatePassword('correct-horse-battery-staple-42', { username: 'alice', email: 'alice@example.com' })).toEqual(
      [],
    );
    expect(validatePassword('bob12345', { username: 'bob', email: 'bob@example.com' })).toEqual([]);
  });

  describe('MinimumLengthValidator', () => {
    it('rejects fewer than 8 characters', () => {
      expect(validatePassword('Xy7!q')).toEqual([TOO_SHORT]);
    });

    it('counts code points, as Python does', () => {
      expect(validatePassword('😀😀😀😀')).toEqual([TOO_SHORT]);
      expect(validatePassword('😀😀😀😀😀😀😀😀')).toEqual([]);
    });
  });

  describe('CommonPasswordValidator', () => {
    it('rejects a common password whatever its case', () => {
      expect(validatePassword('password')).toEqual([TOO_COMMON]);
      expect(validatePassword('Password')).toEqual([TOO_COMMON]);
      expect(validatePassword('PASSWORD')).toEqual([TOO_COMMON]);
    });

    it("ignores surrounding whitespace, as Python's str.strip() defines it", () => {
      expect(validatePassword('  password\t')).toEqual([TOO_COMMON]);
      expect(validatePassword('\u3000password\u3000')).toEqual([TOO_COMMON]);
    });
  });

  describe('NumericPasswordValidator', () => {
    it('rejects a password made only of digits', () => {
      expect(validatePassword('8675309123')).toEqual([NUMERIC]);
    });

    it("follows str.isdigit(): other scripts' digits and superscripts count", () => {
      expect(validatePassword('٣٤٥٦٧٨٩٠١٢')).toEqual([NUMERIC]);
      expect(validatePassword('²³¹⁴⁵⁶⁷⁸⁹')).toEqual([NUMERIC]);
      // Roman numerals are numeric but not digits.
      expect(validatePassword('ⅫⅫⅫⅫⅫⅫⅫⅫ')).toEqual([]);
    });
  });

  describe('UserAttributeSimilarityValidator', () => {
    it('rejects a password too similar to the username, ignoring case', () => {
      expect(validatePassword('alicesmith1', { username: 'AliceSmith', email: '' })).toEqual([SIMILAR_TO_USERNAME]);
    });

    it('compares characters without regard to order, as quick_ratio does', () => {
      expect(validatePassword('emanresu', { username: 'username' })).toEqual([SIMILAR_TO_USERNAME]);
    });

    it('rejects a password too similar to the whole email address', () => {
      expect(validatePassword('jan.kowalski@example', { username: 'zebra', email: 'jan.kowalski@example.com' })).toEqual(
        [SIMILAR_TO_EMAIL],
      );
    });

    it('rejects a password too similar to one word of the email address', () => {
      expect(validatePassword('kowalski99', { username: 'zebra', email: 'kowalski@example.com' })).toEqual([
        SIMILAR_TO_EMAIL,
      ]);
      expect(validatePassword('example.com!', { username: 'zebra', email: 'jan.kowalski@example.com' })).toEqual([
        SIMILAR_TO_EMAIL,
      ]);
    });

    it('reports only the first similar attribute, username before email', () => {
      expect(validatePassword('mysecret', { username: 'mysecret', email: 'mysecret@example.com' })).toEqual([
        SIMILAR_TO_USERNAME,
        TOO_COMMON,
      ]);
    });

    it('lower-cases with full Unicode rules', () => {
      expect(validatePassword('οδυσσευς', { username: 'ΟΔΥΣΣΕΥΣ' })).toEqual([SIMILAR_TO_USERNAME]);
    });

    it('skips a value ten times shorter than the password (the length-ratio shortcut)', () => {
      expect(validatePassword(`alice${'q'.repeat(45)}`, { username: 'alice' })).toEqual([]);
      expect(validatePassword(`aliceQz9!vR2#mK7$pL4&wX8*nB3^tY6(hJ1)dF5${'z'.repeat(10)}`, { username: 'alice' })).toEqual(
        [],
      );
    });

    it('still compares an empty word with an empty password, as Django does', () => {
      // "-bob" splits into "" and "bob"; the shortcut needs a non-empty password.
      expect(validatePassword('', { username: '-bob' })).toEqual([SIMILAR_TO_USERNAME, TOO_SHORT]);
      expect(validatePassword('', { username: 'bob' })).toEqual([TOO_SHORT]);
    });

    it('is skipped without a user', () => {
      expect(validatePassword('alicesmith1')).toEqual([]);
    });
  });

  describe('several failures', () => {
    it("reports every failing validator in Django's settings order", () => {
      expect(validatePassword('123456')).toEqual([TOO_SHORT, TOO_COMMON, NUMERIC]);
      expect(validatePassword('1234')).toEqual([TOO_SHORT, TOO_COMMON, NUMERIC]);
      expect(validatePassword('12345678')).toEqual([TOO_COMMON, NUMERIC]);
      expect(validatePassword('ab', { username: 'ab' })).toEqual([SIMILAR_TO_USERNAME, TOO_SHORT]);
      expect(validatePassword('123456', { username: '123456' })).toEqual([
        SIMILAR_TO_USERNAME,
        TOO_SHORT,
        TOO_COMMON,
        NUMERIC,
      ]);
    });

    it('does not find "123" in the stand-in common list, unlike Django\'s', () => {
      expect(validatePassword('123')).toEqual([TOO_SHORT, NUMERIC]);
    });
  });
});
