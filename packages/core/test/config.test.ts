import { describe, expect, it } from 'vitest';
import { ConfigError, OptionError, readBoolean, readInteger, readSchemeList, readString, withSettings } from '../src/config.js';

const AVAILABLE = ['token', 'knox'];

describe('readSchemeList', () => {
  it('defaults, trims, lower-cases and keeps order', () => {
    expect(readSchemeList({}, 'AUTH_SCHEME', AVAILABLE, 'token')).toEqual(['token']);
    expect(readSchemeList({ AUTH_SCHEME: ' Knox , token ' }, 'AUTH_SCHEME', AVAILABLE, 'token')).toEqual(['knox', 'token']);
  });

  it.each([
    ['bogus', 'AUTH_SCHEME: unknown scheme "bogus" (choose from token, knox)'],
    ['jwt', 'AUTH_SCHEME: unknown scheme "jwt" (choose from token, knox)'],
    ['token,,knox', 'AUTH_SCHEME: empty entry in "token,,knox"'],
    ['token,token', 'AUTH_SCHEME: scheme "token" is listed twice'],
  ])('refuses %j with one line naming the setting', (value, message) => {
    expect(() => readSchemeList({ AUTH_SCHEME: value }, 'AUTH_SCHEME', AVAILABLE, 'token')).toThrow(new ConfigError('AUTH_SCHEME', message.slice('AUTH_SCHEME: '.length)));
  });
});

describe('readInteger', () => {
  it('reads a number in range, or the fallback when unset or blank', () => {
    expect(readInteger({ PORT: '8080' }, 'PORT', 8000, 0, 65535)).toBe(8080);
    expect(readInteger({ PORT: ' ' }, 'PORT', 8000, 0, 65535)).toBe(8000);
    expect(readInteger({}, 'PORT', 8000, 0, 65535)).toBe(8000);
  });

  it.each(['80a', '-1', '65536', '1e3', '8000.5'])('refuses %j', (value) => {
    expect(() => readInteger({ PORT: value }, 'PORT', 8000, 0, 65535)).toThrow(
      `PORT: expected a whole number from 0 to 65535, got "${value}"`,
    );
  });
});

describe('readBoolean and readString', () => {
  it('reads the usual spellings', () => {
    expect(readBoolean({ X: 'TRUE' }, 'X', false)).toBe(true);
    expect(readBoolean({ X: '0' }, 'X', true)).toBe(false);
    expect(readBoolean({}, 'X', true)).toBe(true);
    expect(() => readBoolean({ X: 'maybe' }, 'X', true)).toThrow('X: expected true or false, got "maybe"');
    expect(readString({ H: ' ::1 ' }, 'H', '127.0.0.1')).toBe('::1');
  });
});

describe('withSettings', () => {
  it('reports an OptionError under the setting its option came from', () => {
    const refuse = () => {
      throw new OptionError('tokenScheme', 'keyword', 'one HTTP token', 'two words');
    };
    expect(() => withSettings({ keyword: 'TOKEN_KEYWORD' }, 'AUTH_SCHEME', refuse)).toThrow(
      new ConfigError('TOKEN_KEYWORD', 'tokenScheme: options.keyword must be one HTTP token, got "two words"'),
    );
    expect(() => withSettings({}, 'AUTH_SCHEME', refuse)).toThrow(/^AUTH_SCHEME: tokenScheme: options\.keyword/);
  });

  it('lets any other error through unchanged', () => {
    const boom = new Error('disk on fire');
    expect(() =>
      withSettings({}, 'AUTH_SCHEME', () => {
        throw boom;
      }),
    ).toThrow(boom);
  });
});
