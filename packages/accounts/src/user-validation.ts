/**
 * Django's validators for the username and email of a new user, as DRF runs
 * them for a ModelSerializer over django.contrib.auth's User: every validator
 * of a field runs and each failing one adds its English message, in DRF's
 * order. Lengths count code points, as Python's `len` does.
 */

const USERNAME_MAX_LENGTH = 150;
const EMAIL_MAX_LENGTH = 254;

const INVALID_USERNAME =
  'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';
const INVALID_EMAIL = 'Enter a valid email address.';

function tooLong(limit: number): string {
  return `Ensure this field has no more than ${limit} characters.`;
}

function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** UnicodeUsernameValidator's `^[\w.@+-]+\Z`; Python's `\w` on a str is `[\p{L}\p{N}_]`. */
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;

/** Django's username rules for a new user; messages in Django's order, [] when valid. */
export function validateUsername(username: string): string[] {
  // The model field's validator comes before the length check DRF adds.
  const problems: string[] = [];
  if (!USERNAME.test(username)) problems.push(INVALID_USERNAME);
  if (codePointLength(username) > USERNAME_MAX_LENGTH) problems.push(tooLong(USERNAME_MAX_LENGTH));
  return problems;
}

/** Django's EmailValidator plus the 254-character limit of User.email; [] when valid. */
export function validateEmail(email: string): string[] {
  // DRF's EmailField checks the length before its EmailValidator.
  const problems: string[] = [];
  if (codePointLength(email) > EMAIL_MAX_LENGTH) problems.push(tooLong(EMAIL_MAX_LENGTH));
  if (!isValidEmail(email)) problems.push(INVALID_EMAIL);
  return problems;
}

// EmailValidator's patterns are ASCII classes compiled with re.IGNORECASE.
// Python then also matches the four non-ASCII letters whose simple case
// mapping lands in A-Z (İ, ı, ſ and the Kelvin sign), so they are spelled out
// here rather than left to the `i` flag, which folds differently.

/** The local part: a dot-atom or a quoted string. */
const USER_PART =
  /^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Za-z\u0130\u0131\u017F\u212A]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z\u0130\u0131\u017F\u212A]+)*|"(?:[\x01-\x08\x0B\x0C\x0E-\x1F!#-[\]-\x7F\u0130\u0131\u017F\u212A]|\\[\x01-\x09\x0B\x0C\x0E-\x7F\u0130\u0131\u017F\u212A])*")$/;

/** Dot-separated labels of at most 63 characters, then a top-level label of 2 to 63. */
const DOMAIN =
  /^(?:[A-Za-z0-9\u0130\u0131\u017F\u212A](?:[-A-Za-z0-9\u0130\u0131\u017F\u212A]{0,61}[A-Za-z0-9\u0130\u0131\u017F\u212A])?\.)+[-A-Za-z0-9\u0130\u0131\u017F\u212A]{2,63}(?<!-)$/;

/** An address literal such as `[192.0.2.1]` or `[2001:db8::1]`. */
const LITERAL = /^\[([A-Fa-f0-9:.]+)\]$/;

const DOMAIN_ALLOWLIST: ReadonlySet<string> = new Set(['localhost']);

/** Longest value EmailValidator considers (RFC 3696 section 3). */
const EMAIL_VALIDATOR_MAX_LENGTH = 320;

function isValidEmail(value: string): boolean {
  if (!value.includes('@') || codePointLength(value) > EMAIL_VALIDATOR_MAX_LENGTH) return false;
  const at = value.lastIndexOf('@');
  if (!USER_PART.test(value.slice(0, at))) return false;
  const domain = value.slice(at + 1);
  if (DOMAIN_ALLOWLIST.has(domain) || isValidDomainPart(domain)) return true;
  // A second chance for an internationalised domain, in its ASCII form.
  const ascii = domainToAscii(domain);
  return ascii !== undefined && isValidDomainPart(ascii);
}

function isValidDomainPart(domain: string): boolean {
  if (DOMAIN.test(domain)) return true;
  const literal = LITERAL.exec(domain)?.[1];
  return literal !== undefined && (isIPv4(literal) || isIPv6(literal));
}

/** Python's `ipaddress.IPv4Address`: four decimal octets, no leading zeros. */
function isIPv4(text: string): boolean {
  const octets = text.split('.');
  return (
    octets.length === 4 &&
    octets.every((octet) => /^(?:0|[1-9][0-9]{0,2})$/.test(octet) && Number(octet) <= 255)
  );
}

/** Django caps an IPv6 address at 39 characters before parsing it. */
const IPV6_MAX_LENGTH = 39;

/** Python's `ipaddress.IPv6Address`, after Django's length cap. */
function isIPv6(text: string): boolean {
  if (text.length > IPV6_MAX_LENGTH) return false;
  const parts = text.split(':');
  if (parts.length < 3) return false;
  // An IPv4 tail stands for the last two hextets.
  const tail = parts[parts.length - 1] as string;
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    parts.splice(-1, 1, '0', '0');
  }
  if (parts.length > 9) return false;
  let skip: number | undefined;
  for (let index = 1; index < parts.length - 1; index++) {
    if (parts[index] !== '') continue;
    if (skip !== undefined) return false;
    skip = index;
  }
  let head: number;
  let rest: number;
  if (skip === undefined) {
    if (parts.length !== 8 || parts[0] === '' || parts[7] === '') return false;
    head = 8;
    rest = 0;
  } else {
    // `::` may sit at either end, but a lone leading or trailing ':' may not.
    head = skip;
    rest = parts.length - skip - 1;
    if (parts[0] === '' && --head !== 0) return false;
    if (parts[parts.length - 1] === '' && --rest !== 0) return false;
    if (head + rest > 7) return false;
  }
  const hextets = [...parts.slice(0, head), ...parts.slice(parts.length - rest)];
  return hextets.every((hextet) => /^[0-9A-Fa-f]{1,4}$/.test(hextet));
}

// Internationalised domains: Django retries with `domain.encode("idna")`,
// Python's IDNA 2003 codec (RFC 3490), whose nameprep profile (RFC 3454) is
// defined on Unicode 3.2. It is reproduced here with the Unicode 3.2 tables
// it needs; the labels' ASCII forms then go through the domain pattern.

const ASCII = /^[\x00-\x7F]*$/;
const LABEL_SEPARATORS = /[.\u3002\uFF0E\uFF61]/;
const ACE_PREFIX = 'xn--';

/** `domain.encode("idna")`, or undefined where Python raises UnicodeError. */
function domainToAscii(domain: string): string | undefined {
  if (ASCII.test(domain)) {
    const labels = domain.split('.');
    const last = labels.pop() ?? '';
    return labels.every(isAsciiLabelLength) && last.length < 64 ? domain : undefined;
  }
  const labels = domain.split(LABEL_SEPARATORS);
  const trailingDot = labels[labels.length - 1] === '' ? '.' : '';
  if (trailingDot) labels.pop();
  const converted: string[] = [];
  for (const label of labels) {
    const ascii = labelToAscii(label);
    if (ascii === undefined) return undefined;
    converted.push(ascii);
  }
  return converted.join('.') + trailingDot;
}

function isAsciiLabelLength(label: string): boolean {
  return label.length > 0 && label.length < 64;
}

/** RFC 3490 ToASCII without STD3 rules, as Python applies it to one label. */
function labelToAscii(label: string): string | undefined {
  if (ASCII.test(label)) return isAsciiLabelLength(label) ? label : undefined;
  const prepared = nameprep(label);
  if (prepared === undefined) return undefined;
  if (ASCII.test(prepared)) return isAsciiLabelLength(prepared) ? prepared : undefined;
  if (prepared.startsWith(ACE_PREFIX)) return undefined;
  const encoded = ACE_PREFIX + punycode(prepared);
  return isAsciiLabelLength(encoded) ? encoded : undefined;
}

interface NameprepTables {
  readonly assigned: readonly number[];
  readonly prohibited: readonly number[];
  readonly rightToLeft: readonly number[];
  readonly leftToRight: readonly number[];
  readonly mappedToNothing: readonly number[];
  readonly folding: ReadonlyMap<number, string>;
}

let nameprepTables: NameprepTables | undefined;

/** The tables are only unpacked for the rare non-ASCII domain. */
function tables(): NameprepTables {
  nameprepTables ??= {
    assigned: unpackRanges(ASSIGNED_3_2),
    prohibited: unpackRanges(PROHIBITED),
    rightToLeft: unpackRanges(RAND_AL),
    leftToRight: unpackRanges(LEFT_TO_RIGHT),
    mappedToNothing: unpackRanges(MAPPED_TO_NOTHING),
    folding: new Map(
      FOLDING.split(',').map((entry) => {
        const colon = entry.indexOf(':');
        return [parseInt(entry.slice(0, colon), 16), entry.slice(colon + 1)] as const;
      }),
    ),
  };
  return nameprepTables;
}

/**
 * Ranges are packed as comma-separated base-36 tokens `gap` or `gap.span`:
 * the distance from the end of the previous range, then the range's length
 * minus one. The result is a flat, sorted list of inclusive bounds.
 */
function unpackRanges(packed: string): number[] {
  const bounds: number[] = [];
  let end = -1;
  for (const token of packed.split(',')) {
    const dot = token.indexOf('.');
    const start = end + 1 + parseInt(dot < 0 ? token : token.slice(0, dot), 36);
    end = start + (dot < 0 ? 0 : parseInt(token.slice(dot + 1), 36));
    bounds.push(start, end);
  }
  return bounds;
}

function inRanges(bounds: readonly number[], codePoint: number): boolean {
  let low = 0;
  let high = bounds.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < (bounds[2 * middle] as number)) high = middle - 1;
    else if (codePoint > (bounds[2 * middle + 1] as number)) low = middle + 1;
    else return true;
  }
  return false;
}

function codePointsOf(text: string): number[] {
  return Array.from(text, (character) => character.codePointAt(0) ?? 0);
}

/**
 * Compatibility ideographs whose decomposition Unicode corrected after 3.2;
 * Python's Unicode 3.2 normalisation keeps the old targets.
 */
const NFKC_3_2_CORRECTIONS: ReadonlyMap<number, string> = new Map([
  [0x2f868, '\u{2136A}'],
  [0x2f874, '\u5F33'],
  [0x2f91f, '\u43AB'],
  [0x2f95f, '\u7AAE'],
  [0x2f9bf, '\u4D57'],
]);

/**
 * Python's NFKC for Unicode 3.2: today's algorithm and combining classes, but
 * a character assigned after 3.2 keeps its own form. Those with a
 * decomposition are all starters that compose with nothing, so the text is
 * normalised in runs between them.
 */
function normalize32(text: string, data: NameprepTables): string {
  let result = '';
  let run = '';
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (!inRanges(data.assigned, codePoint) && character.normalize('NFKD') !== character) {
      result += run.normalize('NFKC') + character;
      run = '';
    } else {
      run += NFKC_3_2_CORRECTIONS.get(codePoint) ?? character;
    }
  }
  return result + run.normalize('NFKC');
}

/** Python's `str.lower()`, except where RFC 3454 case folding differs from it. */
function fold(character: string, data: NameprepTables): string {
  return data.folding.get(character.codePointAt(0) ?? 0) ?? character.toLowerCase();
}

/** Table B.1 (mapped to nothing) and B.2 (case folding for use with NFKC). */
function mapCharacter(character: string, data: NameprepTables): string {
  if (inRanges(data.mappedToNothing, character.codePointAt(0) ?? 0)) return '';
  const folded = fold(character, data);
  const normalized = normalize32(folded, data);
  const refolded = normalize32(Array.from(normalized, (each) => fold(each, data)).join(''), data);
  return normalized === refolded ? folded : refolded;
}

/** RFC 3491 nameprep, or undefined for a prohibited character or a bidi violation. */
function nameprep(label: string): string | undefined {
  const data = tables();
  const prepared = normalize32(Array.from(label, (character) => mapCharacter(character, data)).join(''), data);
  const points = codePointsOf(prepared);
  if (points.some((codePoint) => inRanges(data.prohibited, codePoint))) return undefined;
  const rightToLeft = points.map((codePoint) => inRanges(data.rightToLeft, codePoint));
  if (rightToLeft.includes(true)) {
    // A right-to-left label holds no left-to-right character and starts and ends right-to-left.
    if (points.some((codePoint) => inRanges(data.leftToRight, codePoint))) return undefined;
    if (!rightToLeft[0] || !rightToLeft[rightToLeft.length - 1]) return undefined;
  }
  return prepared;
}

const PUNYCODE_BASE = 36;
const PUNYCODE_TMIN = 1;
const PUNYCODE_TMAX = 26;

/** RFC 3492 bias adaptation. */
function adaptBias(delta: number, handled: number, first: boolean): number {
  let scaled = Math.floor(delta / (first ? 700 : 2));
  scaled += Math.floor(scaled / handled);
  let k = 0;
  while (scaled > ((PUNYCODE_BASE - PUNYCODE_TMIN) * PUNYCODE_TMAX) >> 1) {
    scaled = Math.floor(scaled / (PUNYCODE_BASE - PUNYCODE_TMIN));
    k += PUNYCODE_BASE;
  }
  return k + Math.floor(((PUNYCODE_BASE - PUNYCODE_TMIN + 1) * scaled) / (scaled + 38));
}

function punycodeDigit(value: number): string {
  return String.fromCharCode(value < 26 ? 0x61 + value : 0x30 + value - 26);
}

/** RFC 3492 Punycode of a label with at least one non-ASCII character. */
function punycode(label: string): string {
  const points = codePointsOf(label);
  const basic = points.filter((codePoint) => codePoint < 0x80);
  let output = String.fromCharCode(...basic);
  if (basic.length > 0) output += '-';
  let next = 0x80;
  let delta = 0;
  let bias = 72;
  let handled = basic.length;
  while (handled < points.length) {
    const smallest = Math.min(...points.filter((codePoint) => codePoint >= next));
    delta += (smallest - next) * (handled + 1);
    next = smallest;
    for (const codePoint of points) {
      if (codePoint < next) delta++;
      if (codePoint !== next) continue;
      let q = delta;
      for (let k = PUNYCODE_BASE; ; k += PUNYCODE_BASE) {
        const t = k <= bias ? PUNYCODE_TMIN : k >= bias + PUNYCODE_TMAX ? PUNYCODE_TMAX : k - bias;
        if (q < t) break;
        output += punycodeDigit(t + ((q - t) % (PUNYCODE_BASE - t)));
        q = Math.floor((q - t) / (PUNYCODE_BASE - t));
      }
      output += punycodeDigit(q);
      bias = adaptBias(delta, handled + 1, handled === basic.length);
      delta = 0;
      handled++;
    }
    delta++;
    next++;
  }
  return output;
}

// Unicode 3.2 data for nameprep, from RFC 3454 as Python's stringprep module
// implements it: code points assigned in Unicode 3.2; the prohibited output
// (tables C.1.2, C.2.2, C.3 to C.9); bidi categories R and AL (D.1) and L
// (D.2); characters mapped to nothing (B.1); and the case foldings (B.3)
// where they differ, after NFKC, from Python's `str.lower()`.

const ASSIGNED_3_2 =
  '0.f4,1.h,s.2l,2.1q,h.27,g.f,4.1,4,3,5.6,1,1.j,1.17,1.12,9.3q,1.1y,1.11,2.1,6.f,x.11,2.6,1.12,1.1,' +
  '6.g,1.m,1.9,b.q,5.4,n,e,3,1.p,5.l,a.3x,2.e,1.d,1.t,3.q,1h.1d,9b.2,1.1g,2.h,2.4,3.o,g.2,1.7,2.1,' +
  '2.l,1.6,1,3.3,2,1.6,2.1,2.2,9,4.1,1.4,2.k,7,2.5,4.1,2.l,1.6,1.1,1.1,1.1,2,1.4,4.1,2.2,b.3,1,7.e,' +
  'c.2,1.6,1,1.2,1.l,1.6,1.1,1.4,2.9,1.2,1.2,2,f,5.9,h.2,1.7,2.1,2.l,1.6,1.1,2.3,2.7,3.1,2.2,8.1,' +
  '4.1,1.2,4.a,h.1,1.5,3.2,1.3,3.1,1,1.1,3.1,3.2,3.7,1.2,4.4,3.2,1.3,9,f.b,e.2,1.7,1.2,1.m,1.9,1.4,' +
  '4.6,1.2,1.3,7.1,9.1,4.9,i.1,1.7,1.2,1.m,1.9,1.4,4.6,1.2,1.3,7.1,7,1.1,4.9,i.1,1.7,1.2,1.m,1.f,' +
  '4.5,2.2,1.3,9,8.1,4.9,i.1,1.h,3.n,1.8,1,2.6,3,4.5,1,1.7,i.2,c.1l,4.s,11.1,1,2.1,1,2,6.3,1.6,1.2,' +
  '1,1,2.1,1.c,1.2,2.4,1,1.5,2.9,2.1,y.1z,1.x,6.q,4.7,1.z,1.e,2,1c.x,1.4,1.1,1.6,3.3,6.p,1y.11,a.14,' +
  '2,4.2h,5.1v,5.29,6.6,1.1q,1,1.3,2.6,1,1.3,2.12,1,1.3,2.u,1,1.3,2.6,1,1.3,2.6,1.6,1.m,1.u,1,1.3,' +
  '2.6,1.12,1.i,6.r,z.2c,c.hh,9.s,3.28,f.c,1.6,b.m,9.j,c.c,1.2,1.1,c.2k,3.9,m.e,1.9,6.2f,8.15,' +
  '11y.4b,4.2h,6.l,2.5,2.11,2.5,2.7,1,1,1,1.u,2.1g,1.e,1.d,2.5,1.i,2.2,1.8,1.2a,4,7.4,6.7,2.q,h.h,' +
  'u.q,l.1m,2.e,7.1c,c.fy,1d.12,p.a,l.4e,1.7n,2.1,1.2s,2.9,3b.3,1.3,2.r,1.y,1,1.3,3,1.6,2.1f,3.n,' +
  '1.d,h.r,4.lr,ow.p,1.2g,c.5x,q.b,4.1r,1.2d,2.2u,5.13,4.2l,1.13,1k.18,3.z,d.16,3.24,4.1a,1.3a,4.2q,' +
  '2.u,1.52t,22.g4l,2i.wc,3.1i,1fd.8mb,2k.6r1,2.1m,45.6,c.4,5.p,1.4,1,1.1,1.1,1.2z,x.a4,g.1r,2.1h,' +
  '14.c,3.f,g.3,c.m,2.9,1.i,1.3,4.4,1.3q,2,1.59,3.5,2.5,2.5,2.2,3.6,1.6,a.4,le.u,1.3,c.q,51.11,2.11,' +
  '148i.6t,a.12,3.4z,f6.2c,1.1y,1.1,2,2.1,2.3,1.b,1,1.3,1.1,1.1s,1.3,2.7,1.6,1.r,1.3,1.4,1,3.6,1.9d,' +
  '4.81,4.1d,7wg.wye,g15.f1,fher,u.2n,1egw.1ekd,2.1ekd';
const PROHIBITED =
  '3k.w,in.1,pn,1d,31s,b1,1kh.f,o.7,1b.4,6.5,328.b,4,x6n.6in,y8.v,7j,6x.6,15df.7,96r.1,1eke.1,' +
  '1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1eke.1,1,u.2n,1egu.2t4x';
const RAND_AL =
  '14u,1,2,c.q,5.4,12,3,1.p,5.a,y.2,1.2s,7,7.1,j.4,1.d,2,1.q,2b.11,b,4t9,179p,1.9,1.c,1.4,1,1.1,1.1,' +
  '1.2z,x.a2,i.1r,2.1h,14.c,37.4,1.3q';
const LEFT_TO_RIGHT =
  '1t.p,6.p,1b,a,4,5.m,1.u,1.88,1.h,s.2l,2.8,2.6,e.1,e.4,9,3v,b,1.2,1,1.j,1.17,1.11,a.3m,7.1w,1.11,' +
  '2.1,6.f,x.11,2.6,1.12,1,op,1.1g,3.3,8.3,3,7.9,2.c,h.1,1.7,2.1,2.l,1.6,1,3.3,4.2,6.1,2.1,a,4.1,' +
  '1.2,4.b,2.6,a.5,4.1,2.l,1.6,1.1,1.1,1.1,4.2,o.3,1,7.9,2.2,e,1.6,1,1.2,1.l,1.6,1.1,1.4,3.3,8,1.1,' +
  '3,f,5.9,i.1,1.7,2.1,2.l,1.6,1.1,2.3,3.1,1,6.1,2.1,a,4.1,1.2,4.a,i,1.5,3.2,1.3,3.1,1,1.1,3.1,3.2,' +
  '3.7,1.2,4.1,1.1,3.2,1.2,a,f.b,e.2,1.7,1.2,1.m,1.9,1.4,7.3,r.1,4.9,i.1,1.7,1.2,1.m,1.9,1.4,4,1.4,' +
  '2.1,1.1,9.1,7,1.1,4.9,i.1,1.7,1.2,1.m,1.f,4.2,5.2,1.2,a,8.1,4.9,i.1,1.h,3.n,1.8,1,2.6,8.2,6.7,' +
  'i.2,c.1b,1.1,c.6,8.c,11.1,1,2.1,1,2,6.3,1.6,1.2,1,1,2.1,1.3,1.1,9,2.4,1,9.9,2.1,y.n,2.q,1,1,5.9,' +
  '1.x,k,5,2.3,1e.7,1.5,2,1c.x,1.4,1.1,1,4,6,7.n,20.11,a.14,2,4.2h,5.1v,5.29,6.6,1.1q,1,1.3,2.6,1,' +
  '1.3,2.12,1,1.3,2.u,1,1.3,2.6,1,1.3,2.6,1.6,1.m,1.u,1,1.3,2.6,1.12,1.i,6.r,z.2c,c.hh,a.p,5.28,f.c,' +
  '1.3,e.h,3.1,9.h,e.c,1.2,f.1i,7.7,1.1,b.6,1,3.9,12.9,6.2f,8.14,11z.4b,4.2h,6.l,2.5,2.11,2.5,2.7,1,' +
  '1,1,1.u,2.1g,1.6,1,3.2,1.6,3.3,2.5,4.c,5.2,1.6,h,2q,d,3m,4,2.9,1,3.4,6,1,1,1.3,1.2,1.6,3.2,5.4,' +
  'm.z,c2.1w,q,7a.25,26z.2,p.8,7.4,2.4,4.2d,6.2,1.2h,1.3,5.13,4.2l,1.13,1k.18,3.z,s.r,3.1d,f.b,4.1a,' +
  '1.3a,4.2q,2.u,1.52t,22.g4l,2i.wc,1gz.8mb,1ng.565,2.1m,45.6,c.4,sp.p,6.p,b.2g,3.5,2.5,2.5,2.2,' +
  'mb.u,1.3,c.q,51.11,2.11,148i.6t,a.12,3.1o,3.8,g.1,7.t,4.1b,f6.2c,1.1y,1.1,2,2.1,2.3,1.b,1,1.3,' +
  '1.1,1.1s,1.3,2.7,1.6,1.r,1.3,1.4,1,3.6,1.9d,4.81,7xy.wye,g15.f1,gvz6.1ekd,2.1ekd';
const MAPPED_TO_NOTHING =
  '4t,ip,43a,4.2,1kt.2,2a,17rz.f,6n';
const FOLDING =
  'df:ss,345:\u03B9,37a: \u03B9,3c2:\u03C3,3f2:\u03C3,1f80:\u1F00\u03B9,1f81:\u1F01\u03B9,' +
  '1f82:\u1F02\u03B9,1f83:\u1F03\u03B9,1f84:\u1F04\u03B9,1f85:\u1F05\u03B9,1f86:\u1F06\u03B9,' +
  '1f87:\u1F07\u03B9,1f88:\u1F00\u03B9,1f89:\u1F01\u03B9,1f8a:\u1F02\u03B9,1f8b:\u1F03\u03B9,' +
  '1f8c:\u1F04\u03B9,1f8d:\u1F05\u03B9,1f8e:\u1F06\u03B9,1f8f:\u1F07\u03B9,1f90:\u1F20\u03B9,' +
  '1f91:\u1F21\u03B9,1f92:\u1F22\u03B9,1f93:\u1F23\u03B9,1f94:\u1F24\u03B9,1f95:\u1F25\u03B9,' +
  '1f96:\u1F26\u03B9,1f97:\u1F27\u03B9,1f98:\u1F20\u03B9,1f99:\u1F21\u03B9,1f9a:\u1F22\u03B9,' +
  '1f9b:\u1F23\u03B9,1f9c:\u1F24\u03B9,1f9d:\u1F25\u03B9,1f9e:\u1F26\u03B9,1f9f:\u1F27\u03B9,' +
  '1fa0:\u1F60\u03B9,1fa1:\u1F61\u03B9,1fa2:\u1F62\u03B9,1fa3:\u1F63\u03B9,1fa4:\u1F64\u03B9,' +
  '1fa5:\u1F65\u03B9,1fa6:\u1F66\u03B9,1fa7:\u1F67\u03B9,1fa8:\u1F60\u03B9,1fa9:\u1F61\u03B9,' +
  '1faa:\u1F62\u03B9,1fab:\u1F63\u03B9,1fac:\u1F64\u03B9,1fad:\u1F65\u03B9,1fae:\u1F66\u03B9,' +
  '1faf:\u1F67\u03B9,1fb2:\u1F70\u03B9,1fb3:\u03B1\u03B9,1fb4:\u03AC\u03B9,1fb7:\u03B1\u0342\u03B9,' +
  '1fbc:\u03B1\u03B9,1fc2:\u1F74\u03B9,1fc3:\u03B7\u03B9,1fc4:\u03AE\u03B9,1fc7:\u03B7\u0342\u03B9,' +
  '1fcc:\u03B7\u03B9,1ff2:\u1F7C\u03B9,1ff3:\u03C9\u03B9,1ff4:\u03CE\u03B9,1ff7:\u03C9\u0342\u03B9,' +
  '1ffc:\u03C9\u03B9,1d6d3:\u03C3,1d70d:\u03C3,1d747:\u03C3,1d781:\u03C3,1d7bb:\u03C3';
