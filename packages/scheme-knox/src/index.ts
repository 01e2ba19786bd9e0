import { getHashes, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ApiError,
  deleteInBatches,
  drfDateTime,
  drfTokenCredentials,
  INVALID_TOKEN,
  isHttpToken,
  OptionError,
  publicUser,
  USER_INACTIVE,
  type AuthScheme,
  type Caller,
  type KnoxTokenRecord,
  type KnoxTokenStore,
  type PublicUser,
} from '@authbench/core';

/** django-rest-knox's settings, under their knox names where they have one. */
export interface KnoxSchemeOptions {
  readonly knoxTokens: KnoxTokenStore;
  /** TOKEN_TTL in seconds; null: tokens never expire. Default 10 hours, as knox. */
  readonly tokenTtlSeconds?: number | null | undefined;
  /** AUTO_REFRESH: each use moves the expiry to now + TTL. Default false. */
  readonly autoRefresh?: boolean | undefined;
  /**
   * AUTO_REFRESH_MAX_TTL in seconds from the login: the furthest an
   * auto-refreshed token can live. Knox's default is null (forever); ours is
   * 30 days, so a refreshed token cannot live forever. null restores knox's.
   */
  readonly autoRefreshMaxTtlSeconds?: number | null | undefined;
  /** MIN_REFRESH_INTERVAL: at most one write per token per this many seconds. Default 60. */
  readonly minRefreshIntervalSeconds?: number | undefined;
  /** TOKEN_LIMIT_PER_USER: live tokens a user may hold; null is unlimited (default). */
  readonly tokenLimitPerUser?: number | null | undefined;
  /** TOKEN_PREFIX: up to 10 characters before every token, for secret scanners. Default none. */
  readonly tokenPrefix?: string | undefined;
  /** SECURE_HASH_ALGORITHM: a Node hash name. Default `sha512`. */
  readonly hashAlgorithm?: string | undefined;
  /** AUTH_TOKEN_CHARACTER_LENGTH: hex characters after the prefix. Default 64 (256 bits). */
  readonly tokenCharacterLength?: number | undefined;
  /** AUTH_HEADER_PREFIX: the `Authorization` keyword. Default `Token`. */
  readonly keyword?: string | undefined;
  /** USER_SERIALIZER: add `"user": {id, username, email}` to the login body. Default false. */
  readonly loginIncludesUser?: boolean | undefined;
  /** The clock, for tests. */
  readonly now?: (() => Date) | undefined;
}

/** knox's CONSTANTS. */
export const TOKEN_KEY_LENGTH = 15;
export const MAXIMUM_TOKEN_PREFIX_LENGTH = 10;

/**
 * The id the sessions routes show for a token: a hash of its stored digest.
 * Not the token key, which is the token's first characters: ids appear in
 * URLs and lists, and must say nothing of a token.
 */
const publicId = (token: KnoxTokenRecord): string => hash('sha256', token.digest, 'hex').slice(0, 32);

const LIMIT_REACHED = Object.freeze(
  new ApiError(403, { error: 'Maximum amount of tokens allowed per user exceeded.' }, 'token_limit_reached'),
);

function option<T>(value: T | undefined, fallback: T, valid: (v: T) => boolean, name: string, expected: string): T {
  const chosen = value === undefined ? fallback : value;
  if (!valid(chosen)) throw new OptionError('knoxScheme', name, expected, chosen);
  return chosen;
}

const seconds = (v: number | null) => v === null || (Number.isInteger(v) && v > 0);

/** knox's LoginView body: DRF's datetime format for `expiry` (null when tokens never expire). */
export interface KnoxLoginBody {
  readonly expiry: string | null;
  readonly token: string;
  /** With `loginIncludesUser`. */
  readonly user?: PublicUser;
}

export function knoxScheme(options: KnoxSchemeOptions): AuthScheme<KnoxLoginBody> {
  const store = options.knoxTokens;
  const ttl = option(options.tokenTtlSeconds, 10 * 3600, seconds, 'tokenTtlSeconds', 'a whole number of seconds above 0, or null');
  const flag = (v: boolean) => typeof v === 'boolean';
  const autoRefresh = option(options.autoRefresh, false, flag, 'autoRefresh', 'true or false');
  const loginIncludesUser = option(options.loginIncludesUser, false, flag, 'loginIncludesUser', 'true or false');
  const maxTtl = option(options.autoRefreshMaxTtlSeconds, 30 * 86_400, seconds, 'autoRefreshMaxTtlSeconds', 'a whole number of seconds above 0, or null');
  const minRefresh = option(options.minRefreshIntervalSeconds, 60, (v) => Number.isInteger(v) && v >= 0, 'minRefreshIntervalSeconds', 'a whole number of seconds, 0 or more');
  const limit = option(options.tokenLimitPerUser, null, (v) => v === null || (Number.isInteger(v) && v > 0), 'tokenLimitPerUser', 'a whole number above 0, or null');
  const prefix = option(options.tokenPrefix, '', (v) => /^[A-Za-z0-9_.-]{0,10}$/.test(v), 'tokenPrefix', `at most ${MAXIMUM_TOKEN_PREFIX_LENGTH} letters, digits, "_", "." or "-"`);
  const algorithm = option(options.hashAlgorithm, 'sha512', (v) => getHashes().includes(v), 'hashAlgorithm', 'a hash Node supports (such as sha512)');
  const length = option(options.tokenCharacterLength, 64, (v) => Number.isInteger(v) && v % 2 === 0 && v >= 32 && v <= 128, 'tokenCharacterLength', 'an even number from 32 to 128');
  const keyword = option(options.keyword, 'Token', isHttpToken, 'keyword', 'one HTTP token (letters, digits, no spaces)');
  const clock = options.now ?? (() => new Date());
  const keywords = [keyword.toLowerCase()];
  const tokenLength = prefix.length + length;
  const refreshMs = minRefresh * 1000;

  /** Hex, as stored: the hash's own hex output, with no Buffer between. */
  const digestOf = (token: string): string => hash(algorithm, token, 'hex');
  const clockMs = options.now === undefined ? Date.now : () => options.now!().getTime();
  const isExpired = (token: KnoxTokenRecord, now: number) => token.expiry !== null && Date.parse(token.expiry) <= now;

  // The stored digest is compared again, in constant time, whatever the store matched on. Both
  // hex strings are copied into scratch buffers, so the comparison allocates nothing; a write
  // that fills the buffer exactly was all ASCII, so equal bytes are equal strings.
  const hexLength = 2 * hash(algorithm, '', 'buffer').length;
  const presented = Buffer.alloc(hexLength);
  const stored = Buffer.alloc(hexLength);
  const sameDigest = (storedHex: string, presentedHex: string): boolean =>
    storedHex.length === hexLength &&
    stored.write(storedHex, 'utf8') === hexLength &&
    presented.write(presentedHex, 'utf8') === hexLength &&
    timingSafeEqual(stored, presented);

  /** One write at most per refresh interval: last use, and a moved expiry when auto-refresh is on. Null: nothing to write. */
  function useToRecord(token: KnoxTokenRecord, now: number): Promise<void> | null {
    let expiry = token.expiry;
    let due = token.lastUsed === null || now - Date.parse(token.lastUsed) >= refreshMs;
    if (autoRefresh && token.expiry !== null && ttl !== null) {
      let next = now + ttl * 1000;
      if (maxTtl !== null) next = Math.min(next, Date.parse(token.created) + maxTtl * 1000);
      if (next - Date.parse(token.expiry) > refreshMs) {
        expiry = new Date(next).toISOString();
        due = true;
      }
    }
    return due ? store.touch(token.userId, token.tokenKey, new Date(now).toISOString(), expiry) : null;
  }

  return {
    name: 'knox',
    challenge: keyword,
    basicLogin: true,
    recordsLogin: true, // knox's LoginView sends user_logged_in

    async authenticate(req): Promise<Caller | null> {
      const token = drfTokenCredentials(req, keywords);
      if (token === null) return null;
      // The length is no secret; past this point known and unknown keys cost the same work.
      if (token.length !== tokenLength) throw INVALID_TOKEN;
      const digest = digestOf(token);
      // The digest goes into the lookup: a right key with a wrong secret finds nothing, as an unknown key does.
      const candidates = await store.findByTokenKey(token.slice(0, TOKEN_KEY_LENGTH), digest);
      const now = clockMs();
      for (const { token: found, user } of candidates) {
        if (isExpired(found, now)) {
          await store.delete(found.userId, found.tokenKey); // knox deletes an expired token when it is used
          continue;
        }
        if (!sameDigest(found.digest, digest)) continue;
        if (!user.isActive) throw USER_INACTIVE;
        const write = useToRecord(found, now);
        if (write !== null) await write;
        return { user, scheme: 'knox', credentialId: found.tokenKey };
      }
      throw INVALID_TOKEN;
    },

    async login(user, { client }) {
      const created = clock();
      const expiry = ttl === null ? null : new Date(created.getTime() + ttl * 1000);
      // A user's token keys are unique, so a rare clash (likely only with a long prefix) draws again.
      for (let attempt = 0; attempt < 8; attempt++) {
        const token = prefix + randomBytes(length / 2).toString('hex');
        const record: KnoxTokenRecord = {
          tokenKey: token.slice(0, TOKEN_KEY_LENGTH),
          digest: digestOf(token),
          userId: user.id,
          created: created.toISOString(),
          expiry: expiry?.toISOString() ?? null,
          client,
          lastUsed: null,
        };
        const result = await store.create(record, { max: limit, now: created.toISOString() });
        if (result === 'limit-reached') throw LIMIT_REACHED;
        if (result === 'created') {
          const body = { expiry: expiry && drfDateTime(expiry), token };
          return {
            body: loginIncludesUser ? { ...body, user: publicUser(user) } : body,
            withdraw: async () => void (await store.delete(user.id, record.tokenKey)),
          };
        }
      }
      throw new Error('knoxScheme: could not draw a token key unique for this user');
    },

    async logout(caller) {
      await store.delete(caller.user.id, caller.credentialId!);
    },
    async logoutAll(caller) {
      await store.deleteAll(caller.user.id);
    },
    async revokeUser(userId, keep) {
      const kept = keep?.caller.scheme === 'knox' ? keep.caller.credentialId : null;
      if (kept === null) {
        await store.deleteAll(userId);
        return {};
      }
      // Every live token but the caller's; expired ones already authenticate no one and are swept.
      for (const token of await store.listLive(userId, clock().toISOString())) {
        if (token.tokenKey !== kept) await store.delete(userId, token.tokenKey);
      }
      return {};
    },

    async listSessions(caller) {
      const tokens = await store.listLive(caller.user.id, clock().toISOString());
      const time = (iso: string | null) => iso && drfDateTime(new Date(iso));
      return tokens.map((t) => ({
        id: publicId(t),
        created: time(t.created),
        expiry: time(t.expiry),
        last_used: time(t.lastUsed),
        client: t.client,
        current: t.tokenKey === caller.credentialId,
      }));
    },
    async revokeSession(caller, id) {
      const match = (await store.listLive(caller.user.id, clock().toISOString())).find((t) => publicId(t) === id);
      return match !== undefined && store.delete(caller.user.id, match.tokenKey);
    },

    async flushExpired() {
      const now = clock().toISOString();
      return deleteInBatches((batch) => store.deleteExpired(now, batch));
    },
  };
}

export { knoxWiring } from './env.js';
