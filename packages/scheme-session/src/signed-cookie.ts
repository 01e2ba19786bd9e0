import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The session id of a signed session cookie, read as express-session reads
 * it (its `getcookie`): the first cookie of that name in the Cookie header,
 * as the `cookie` package parses it, then `s:` + id + `.` + signature,
 * checked as `cookie-signature` checks it against each secret in turn.
 * express-session reads it on the requests that change a session; this
 * reads it on the others, without parsing every cookie in the header or
 * hashing the signature twice more to compare it. The differential test
 * holds the two to the same answers.
 */

/** cookie-signature's: HMAC-SHA256 of the id, base64 without its one `=`. */
const SIGNATURE_LENGTH = 43;

/** @returns a reader of the `name` cookie's session id: null when absent, unsigned, badly signed or empty. */
export function signedCookieReader(name: string, secrets: readonly string[]): (header: string | undefined) => string | null {
  if (secrets.length === 0) throw new TypeError('signedCookieReader: at least one secret');
  // Scratch for the constant-time comparison; the reader runs synchronously, so one pair serves all calls.
  const presented = Buffer.alloc(SIGNATURE_LENGTH);
  const expected = Buffer.alloc(SIGNATURE_LENGTH + 1);
  const expectedSignature = expected.subarray(0, SIGNATURE_LENGTH); // a view of the same bytes

  return (header) => {
    if (header === undefined) return null;
    const raw = cookieValue(header, name);
    if (raw === undefined || !raw.startsWith('s:')) return null;
    // cookie-signature splits at the last dot: the id is what comes before it, and may hold dots itself.
    const dot = raw.lastIndexOf('.');
    // No dot after `s:`, or an empty id (`s:.sig`), which express-session takes as no session.
    if (dot <= 2) return null;
    const sid = raw.slice(2, dot);
    // The signature's length is public (43 for every cookie); a presented one that fills the scratch
    // exactly was all ASCII, so equal bytes mean equal strings.
    if (raw.length - dot - 1 !== SIGNATURE_LENGTH || presented.write(raw.slice(dot + 1), 'utf8') !== SIGNATURE_LENGTH) return null;
    for (const secret of secrets) {
      // 44 base64 characters whose last is the padding `=`, which the 43-byte view leaves out.
      expected.write(createHmac('sha256', secret).update(sid).digest('base64'), 'latin1');
      if (timingSafeEqual(presented, expectedSignature)) return sid;
    }
    return null;
  };
}

/**
 * The value of the first cookie called `name`, as `cookie.parse` (0.7)
 * gives it: pairs split at `;` and the first `=`, names and values trimmed of
 * spaces and tabs, one pair of surrounding double quotes dropped, then
 * percent-decoded when it holds a `%` (and left as it is when that fails).
 */
export function cookieValue(header: string, name: string): string | undefined {
  const length = header.length;
  if (length < 2) return undefined;
  let index = 0;
  do {
    const eq = header.indexOf('=', index);
    if (eq === -1) return undefined;
    let end = header.indexOf(';', index);
    if (end === -1) {
      end = length;
    } else if (eq > end) {
      // A segment without `=`: go on from the last `;` before the next `=`.
      index = header.lastIndexOf(';', eq - 1) + 1;
      continue;
    }
    const keyStart = trimStart(header, index, eq);
    const keyEnd = trimEnd(header, eq, keyStart);
    if (keyEnd - keyStart === name.length && header.startsWith(name, keyStart)) {
      let valueStart = trimStart(header, eq + 1, end);
      let valueEnd = trimEnd(header, end, valueStart);
      if (header.charCodeAt(valueStart) === 0x22 && header.charCodeAt(valueEnd - 1) === 0x22) {
        valueStart++;
        valueEnd--;
      }
      return decode(header.slice(valueStart, valueEnd));
    }
    index = end + 1;
  } while (index < length);
  return undefined;
}

const isBlank = (code: number) => code === 0x20 || code === 0x09;

function trimStart(text: string, index: number, max: number): number {
  for (; index < max; index++) if (!isBlank(text.charCodeAt(index))) return index;
  return max;
}

function trimEnd(text: string, index: number, min: number): number {
  for (; index > min; index--) if (!isBlank(text.charCodeAt(index - 1))) return index;
  return min;
}

function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
