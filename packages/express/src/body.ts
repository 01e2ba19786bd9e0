import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import express, { type RequestHandler } from 'express';
import { ApiError, parseError, payloadTooLarge, unsupportedMediaType } from '@authbench/core';

/** The largest body any route accepts; credentials and a username are a few hundred bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** Deeper JSON is refused before it is parsed: no route needs more, and nothing recursive downstream meets it. */
export const MAX_JSON_DEPTH = 64;

class TooDeep extends Error {
  readonly status = 400;
}

/** A JSON body whose bytes are not UTF-8: DRF's JSONParser fails decoding it, before any JSON is read. */
class NotUtf8 extends Error {
  readonly status = 400;
}

/**
 * Where UTF-8 decoding fails, in the words of Python's codec (DRF's
 * `ParseError` quotes it): `'utf-8' codec can't decode byte 0xff in position
 * 0: invalid start byte`. null for valid UTF-8.
 */
export function utf8Error(buf: Uint8Array): string | null {
  const fail = (at: number, reason: string, end = at + 1) =>
    end - at > 1
      ? `'utf-8' codec can't decode bytes in position ${at}-${end - 1}: ${reason}`
      : `'utf-8' codec can't decode byte 0x${buf[at]!.toString(16).padStart(2, '0')} in position ${at}: ${reason}`;
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return fail(i, 'invalid start byte');
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      if (i + k >= buf.length) return fail(i, 'unexpected end of data', buf.length);
      const c = buf[i + k]!;
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return fail(i, 'invalid continuation byte', i + k);
    }
    i += length;
  }
  return null;
}

/** Refuses what DRF's JSONParser cannot read: bytes that are not UTF-8, and nesting past MAX_JSON_DEPTH. */
function checkJson(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) throw new NotUtf8(utf8Error(buf) ?? 'invalid UTF-8');
  rejectDeepJson(buf);
}

/** Counts bracket nesting outside strings, in one pass over the raw bytes. */
function rejectDeepJson(buf: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new TooDeep();
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

const parseJson = express.json({ limit: BODY_LIMIT_BYTES, strict: false, type: () => true, verify: checkJson });
const parseForm = express.urlencoded({ limit: BODY_LIMIT_BYTES, extended: false, parameterLimit: 100, type: () => true });

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
}

/**
 * Reads a JSON body (and, where `form` is set, an urlencoded one, as DRF's
 * `obtain_auth_token` does). A request without a body reads as `{}`; any other
 * content type is a 415, as DRF answers.
 */
export function readBody({ form }: { form: boolean }): RequestHandler {
  return (req, res, done) => {
    // The parsers' own errors become API errors here, so that an error handler
    // never has to guess whether a parser error was ours or the application's.
    const next = (error?: unknown) => done(error === undefined ? undefined : (bodyParserError(error) ?? error));
    if (!hasBody(req.headers)) {
      req.body = {};
      return next();
    }
    const contentType = req.headers['content-type'] ?? '';
    const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
    if (mediaType === 'application/json') return parseJson(req, res, next);
    if (form && mediaType === 'application/x-www-form-urlencoded') {
      return parseForm(req, res, (error?: unknown) => {
        // Repeated keys: DRF's QueryDict answers the last value.
        if (!error) for (const [k, v] of Object.entries(req.body)) if (Array.isArray(v)) req.body[k] = v.at(-1);
        next(error);
      });
    }
    next(unsupportedMediaType(contentType.slice(0, 200)));
  };
}

/**
 * V8's JSON messages quote a slice of the input, which may hold a password;
 * keep the reason and position, drop the quoted text.
 */
export function describeJsonError(message: string): string {
  const reason = message
    .replace(/,? "[\s\S]*" is not valid JSON$/, '')
    .replace(/^Unexpected token '[\s\S]{1,2}'/, 'Unexpected token');
  return reason.includes('"') ? 'Invalid JSON' : reason;
}

const MALFORMED_BODY = new ApiError(400, { detail: 'Malformed request body.' }, 'parse_error');

/** Maps the errors of Express's body parsers to API errors; null for anything else. */
function bodyParserError(error: unknown): ApiError | null {
  if (error instanceof TooDeep) return parseError(`Nesting deeper than ${MAX_JSON_DEPTH} levels`);
  if (error instanceof NotUtf8) return parseError(error.message);
  const { type, status, message, code, errno } = error as { type?: unknown; status?: unknown; message?: unknown; code?: unknown; errno?: unknown };
  // A body that its Content-Encoding (gzip, deflate, br) does not describe: zlib's error (Z_DATA_ERROR,
  // brotli's ERR__ERROR_FORMAT_…), which the parser passes on with a 400 but no type.
  if (status === 400 && type === undefined && typeof code === 'string' && typeof errno === 'number') return MALFORMED_BODY;
  if (typeof type !== 'string' || typeof status !== 'number') return null;
  switch (type) {
    case 'entity.parse.failed':
      return parseError(describeJsonError(String(message)));
    case 'entity.too.large':
      return payloadTooLarge(BODY_LIMIT_BYTES);
    case 'encoding.unsupported':
      return new ApiError(415, { detail: 'Unsupported content encoding.' }, 'unsupported_media_type');
    case 'charset.unsupported':
      return new ApiError(415, { detail: 'Unsupported charset.' }, 'unsupported_media_type');
    case 'parameters.too.many':
      return new ApiError(400, { detail: 'Too many form fields.' }, 'parse_error');
    default:
      return status >= 400 && status < 500 ? MALFORMED_BODY : null;
  }
}
