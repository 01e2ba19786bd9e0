import { describe, it, expect } from 'vitest';
import { validateEmail, validateUsername } from '../src/user-validation.js';

const INVALID_USERNAME =
  'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';
const USERNAME_TOO_LONG = 'Ensure this field has no more than 150 characters.';
const INVALID_EMAIL = 'Enter a valid email address.';
const EMAIL_TOO_LONG = 'Ensure this field has no more than 254 characters.';

describe('validateUsername', () => {
  it('accepts letters, digits and @/./+/-/_', () => {
    expect(validateUsername('alice')).toEqual([]);
    expect(validateUsername('jean-luc.o+test@x_y')).toEqual([]);
  });

  it("accepts any script's letters and numbers, as Python's \\w does", () => {
    expect(validateUsername('Jürgen')).toEqual([]);
    expect(validateUsername('张伟')).toEqual([]);
    expect(validateUsername('أحمد')).toEqual([]);
    expect(validateUsername('user٣')).toEqual([]);
    expect(validateUsername('²x')).toEqual([]);
    expect(validateUsername('Ⅻ')).toEqual([]);
    expect(validateUsername('𝒜lice')).toEqual([]);
  });

  it('rejects other characters', () => {
    expect(validateUsername('john doe')).toEqual([INVALID_USERNAME]);
    expect(validateUsername('bob!')).toEqual([INVALID_USERNAME]);
    expect(validateUsername('😀')).toEqual([INVALID_USERNAME]);
    expect(validateUsername('a\u00B7b')).toEqual([INVALID_USERNAME]);
    expect(validateUsername('a\u200Db')).toEqual([INVALID_USERNAME]);
  });

  it('rejects combining marks, which \\w does not match', () => {
    expect(validateUsername('e\u0301')).toEqual([INVALID_USERNAME]);
  });

  it('rejects a trailing newline (the pattern ends with \\Z, not $)', () => {
    expect(validateUsername('alice\n')).toEqual([INVALID_USERNAME]);
  });

  it('rejects the empty string', () => {
    expect(validateUsername('')).toEqual([INVALID_USERNAME]);
  });

  it('allows at most 150 code points', () => {
    expect(validateUsername('a'.repeat(150))).toEqual([]);
    expect(validateUsername('a'.repeat(151))).toEqual([USERNAME_TOO_LONG]);
    expect(validateUsername('𝒜'.repeat(150))).toEqual([]);
    expect(validateUsername('𝒜'.repeat(151))).toEqual([USERNAME_TOO_LONG]);
  });

  it('reports both problems, the pattern first', () => {
    expect(validateUsername(`a b${'c'.repeat(148)}`)).toEqual([INVALID_USERNAME, USERNAME_TOO_LONG]);
  });
});

describe('validateEmail', () => {
  it('accepts ordinary addresses', () => {
    expect(validateEmail('alice@example.com')).toEqual([]);
    expect(validateEmail('a.b+c@sub.example.co.uk')).toEqual([]);
    expect(validateEmail('a@123.com')).toEqual([]);
    expect(validateEmail('a@1.23')).toEqual([]);
  });

  it('accepts quoted local parts, but not a space in them', () => {
    expect(validateEmail('"a\\"b"@example.com')).toEqual([]);
    expect(validateEmail('"a@b"@example.com')).toEqual([]);
    expect(validateEmail('"john doe"@example.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('"a"b"@example.com')).toEqual([INVALID_EMAIL]);
  });

  it('rejects malformed local parts', () => {
    expect(validateEmail('a..b@example.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('.a@example.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a.@example.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a b@example.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('ü@example.com')).toEqual([INVALID_EMAIL]);
  });

  it('accepts the letters that re.IGNORECASE folds into A-Z', () => {
    expect(validateEmail('İnci@example.com')).toEqual([]);
    expect(validateEmail('user@ſtate.com')).toEqual([]);
    expect(validateEmail('user@\u212Aelvin.com')).toEqual([]);
  });

  it('rejects a missing or misplaced @', () => {
    expect(validateEmail('alice')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('alice@')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('@example.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@b@example.com')).toEqual([INVALID_EMAIL]);
  });

  it('rejects malformed domains', () => {
    expect(validateEmail('a@example')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@-example.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@example-.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@example.c')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@example.com-')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@example.com.')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@exa_mple.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@ex ample.com')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@example.com\n')).toEqual([INVALID_EMAIL]);
  });

  it('limits labels to 63 characters', () => {
    expect(validateEmail(`a@${'x'.repeat(63)}.com`)).toEqual([]);
    expect(validateEmail(`a@${'x'.repeat(64)}.com`)).toEqual([INVALID_EMAIL]);
    expect(validateEmail(`a@b.${'c'.repeat(63)}`)).toEqual([]);
    expect(validateEmail(`a@b.${'c'.repeat(64)}`)).toEqual([INVALID_EMAIL]);
  });

  it('allows localhost, and only as written', () => {
    expect(validateEmail('user@localhost')).toEqual([]);
    expect(validateEmail('a@LOCALHOST')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@localhost.')).toEqual([INVALID_EMAIL]);
  });

  it('accepts IPv4 and IPv6 address literals', () => {
    expect(validateEmail('user@[127.0.0.1]')).toEqual([]);
    expect(validateEmail('user@[::1]')).toEqual([]);
    expect(validateEmail('user@[::ffff:192.0.2.1]')).toEqual([]);
    expect(validateEmail('user@[1:2:3:4:5:6:7:8]')).toEqual([]);
    expect(validateEmail('user@[0000:0000:0000:0000:0000:ffff:192.0.2.1]')).toEqual([]);
  });

  it('rejects invalid address literals', () => {
    expect(validateEmail('a@[1.2.3.04]')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@[256.0.0.1]')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@[1::2::3]')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@[IPv6:::1]')).toEqual([INVALID_EMAIL]);
    expect(validateEmail('a@[::1%eth0]')).toEqual([INVALID_EMAIL]);
  });

  it('rejects an IPv6 literal longer than 39 characters, as Django does', () => {
    expect(validateEmail('a@[0000:0000:0000:0000:0000:ffff:192.168.100.200]')).toEqual([INVALID_EMAIL]);
  });

  describe('internationalised domains', () => {
    it('accepts domains whose IDNA form is valid', () => {
      expect(validateEmail('user@bücher.de')).toEqual([]);
      expect(validateEmail('user@例え.テスト')).toEqual([]);
      expect(validateEmail('user@пример.рф')).toEqual([]);
      expect(validateEmail('user@مثال.إختبار')).toEqual([]);
      expect(validateEmail('user@אב.com')).toEqual([]);
      expect(validateEmail('a@xn--bcher-kva.de')).toEqual([]);
    });

    it('applies nameprep: mapping, NFKC and the ideographic full stops', () => {
      expect(validateEmail('user@exam\u00ADple.com')).toEqual([]);
      expect(validateEmail('user@ｅｘａｍｐｌｅ.com')).toEqual([]);
      expect(validateEmail('user@example。com')).toEqual([]);
    });

    it('rejects bidi violations and a non-ASCII label with the ACE prefix', () => {
      expect(validateEmail('a@אa.com')).toEqual([INVALID_EMAIL]);
      expect(validateEmail('a@א1.com')).toEqual([INVALID_EMAIL]);
      expect(validateEmail('a@xn--ñ.com')).toEqual([INVALID_EMAIL]);
    });

    it('limits the encoded label to 63 characters', () => {
      expect(validateEmail(`a@${'ü'.repeat(57)}.de`)).toEqual([]);
      expect(validateEmail(`a@${'ü'.repeat(58)}.de`)).toEqual([INVALID_EMAIL]);
    });
  });

  it('allows at most 254 characters', () => {
    expect(validateEmail(`${'a'.repeat(242)}@example.com`)).toEqual([]);
    expect(validateEmail(`${'a'.repeat(243)}@example.com`)).toEqual([EMAIL_TOO_LONG]);
  });

  it('reports both problems past the 320 characters EmailValidator accepts', () => {
    expect(validateEmail(`${'a'.repeat(308)}@example.com`)).toEqual([EMAIL_TOO_LONG]);
    expect(validateEmail(`${'a'.repeat(309)}@example.com`)).toEqual([EMAIL_TOO_LONG, INVALID_EMAIL]);
  });
});
