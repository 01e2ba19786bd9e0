import { createRequire } from 'node:module';
import type * as LanguageCommon from '@zxcvbn-ts/language-common';
import { quickSimilarityRatio } from './sequence-matcher.js';

/**
 * Django's `validate_password` with the four validators a new Django 5
 * project lists in AUTH_PASSWORD_VALIDATORS, and their English messages.
 * Lengths count code points and case mapping is full Unicode, as in Python.
 */

export interface PasswordUserAttributes {
  readonly username?: string | undefined;
  readonly email?: string | undefined;
}

const MAX_SIMILARITY = 0.7;
const MIN_LENGTH = 8;

const TOO_SHORT = `This password is too short. It must contain at least ${MIN_LENGTH} characters.`;
const TOO_COMMON = 'This password is too common.';
const ENTIRELY_NUMERIC = 'This password is entirely numeric.';

/** The attributes compared, in Django's order, with the User fields' verbose names. */
const SIMILARITY_ATTRIBUTES = [
  ['username', 'username'],
  ['email', 'email address'],
] as const;

/** Python's `\W+` on a str: anything but a Unicode letter, number or underscore. */
const NON_WORD_RUN = /[^\p{L}\p{N}_]+/u;

/**
 * `str.isdigit()`: Unicode decimal digits plus the characters whose
 * Numeric_Type is Digit (superscripts, circled and parenthesised digits...),
 * which have no property escape of their own.
 */
const ALL_DIGITS =
  /^[\p{Nd}\u00B2\u00B3\u00B9\u1369-\u1371\u19DA\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247C\u2488-\u2490\u24EA\u24F5-\u24FD\u24FF\u2776-\u277E\u2780-\u2788\u278A-\u2792\u{10A40}-\u{10A43}\u{10E60}-\u{10E68}\u{11052}-\u{1105A}\u{1F100}-\u{1F10A}]+$/u;

/** What `str.strip()` removes: `str.isspace()` characters, a different set from JS `trim()`. */
const SURROUNDING_SPACE =
  /^[\t-\r\x1C-\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+|[\t-\r\x1C-\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$/g;

function length(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Django skips the sequence matching when the value is so much shorter than
 * the password that the similarity cannot reach the threshold anyway.
 */
function tooShortToCompare(passwordLength: number, value: string): boolean {
  const valueLength = length(value);
  return passwordLength >= 10 * valueLength && valueLength < (MAX_SIMILARITY / 2) * passwordLength;
}

/** UserAttributeSimilarityValidator: each attribute, whole and split into words. */
function similarAttribute(password: string, user: PasswordUserAttributes): string | undefined {
  const lowered = password.toLowerCase();
  const passwordLength = length(lowered);
  for (const [attribute, verboseName] of SIMILARITY_ATTRIBUTES) {
    const value = user[attribute];
    if (!value) continue;
    const loweredValue = value.toLowerCase();
    for (const part of [...loweredValue.split(NON_WORD_RUN), loweredValue]) {
      if (tooShortToCompare(passwordLength, part)) continue;
      if (quickSimilarityRatio(lowered, part) >= MAX_SIMILARITY) return verboseName;
    }
  }
  return undefined;
}

let commonPasswords: ReadonlySet<string> | undefined;

function loadCommonPasswords(): ReadonlySet<string> {
  // The package is CommonJS and ~400 KB; a synchronous require on first use
  // keeps it out of start-up without making validation async.
  const require = createRequire(import.meta.url);
  const { dictionary } = require('@zxcvbn-ts/language-common') as typeof LanguageCommon;
  // zxcvbn-ts's ranked list of common passwords (MIT), its 20,000 most
  // common entries standing in for Django's own 20,000-entry list.
  return new Set(dictionary['passwords-common'].slice(0, 20_000).map((entry) => entry.toLowerCase()));
}

function isCommon(password: string): boolean {
  commonPasswords ??= loadCommonPasswords();
  return commonPasswords.has(password.toLowerCase().replace(SURROUNDING_SPACE, ''));
}

/** Django's default validators of a new project, in settings order; [] when the password passes. */
export function validatePassword(password: string, user?: PasswordUserAttributes): string[] {
  const problems: string[] = [];
  const similarTo = user ? similarAttribute(password, user) : undefined;
  if (similarTo !== undefined) problems.push(`The password is too similar to the ${similarTo}.`);
  if (length(password) < MIN_LENGTH) problems.push(TOO_SHORT);
  if (isCommon(password)) problems.push(TOO_COMMON);
  if (ALL_DIGITS.test(password)) problems.push(ENTIRELY_NUMERIC);
  return problems;
}
