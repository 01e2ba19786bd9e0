import { randomBytes } from 'node:crypto';
import {
  drfTokenCredentials,
  isHttpToken,
  INVALID_TOKEN,
  OptionError,
  USER_INACTIVE,
  type AuthScheme,
  type Caller,
  type TokenStore,
  type User,
  type UserId,
} from '@authbench/core';

/** DRF's `TokenAuthentication` and `obtain_auth_token`. */
export interface TokenSchemeOptions {
  readonly tokens: TokenStore;
  /** The `Authorization` keyword, matched case-insensitively. Default `Token`, as DRF. */
  readonly keyword?: string | undefined;
  /** Create the token as soon as a user is created (the post_save recipe of DRF's docs). Default false. */
  readonly createOnUserCreated?: boolean | undefined;
}

// Every stored key has this form (the store's schema enforces it), so any
// other string is unknown without asking the store.
const KEY_FORM = /^[0-9a-f]{40}$/;

/** 20 bytes of the OS CSPRNG as 40 lowercase hex digits, as DRF's `Token.generate_key`. */
export const generateKey = (): string => randomBytes(20).toString('hex');

/** DRF's `obtain_auth_token` body. */
export interface TokenLoginBody {
  readonly token: string;
}

export function tokenScheme(options: TokenSchemeOptions): AuthScheme<TokenLoginBody> {
  const { tokens, createOnUserCreated = false } = options;
  const keyword = options.keyword ?? 'Token';
  if (!isHttpToken(keyword)) throw new OptionError('tokenScheme', 'keyword', 'one HTTP token (letters, digits, no spaces)', keyword);
  const keywords = [keyword.toLowerCase()];

  const getOrCreate = (user: User) => tokens.getOrCreate({ key: generateKey(), userId: user.id, created: new Date().toISOString() });

  return {
    name: 'token',
    challenge: keyword,

    async authenticate(req): Promise<Caller | null> {
      const key = drfTokenCredentials(req, keywords);
      if (key === null) return null;
      if (!KEY_FORM.test(key)) throw INVALID_TOKEN;
      const user = await tokens.findUserByKey(key);
      if (!user) throw INVALID_TOKEN;
      if (!user.isActive) throw USER_INACTIVE;
      return { user, scheme: 'token', credentialId: null };
    },

    async login(user) {
      const { token, created } = await getOrCreate(user);
      return {
        body: { token: token.key },
        // Only a token this login created (one it found is someone else's login too), and only
        // while it is still the user's: the owner may have replaced it since.
        withdraw: async () => {
          if (created && (await tokens.findByUser(user.id))?.key === token.key) await tokens.deleteByUser(user.id);
        },
      };
    },

    // DRF has no logout view; deleting the one token is what its users write.
    async logout(caller) {
      await tokens.deleteByUser(caller.user.id);
    },
    async logoutAll(caller) {
      await tokens.deleteByUser(caller.user.id);
    },

    // The one token is shared by every device, so it cannot be kept for the
    // caller alone: the caller gets a new one, every other copy dies.
    async revokeUser(userId, keep) {
      if (keep?.caller.scheme === 'token') {
        const token = await tokens.replace({ key: generateKey(), userId, created: new Date().toISOString() });
        return { body: { token: token.key } };
      }
      await tokens.deleteByUser(userId);
      return {};
    },

    ...(createOnUserCreated && {
      async onUserCreated(user: User) {
        await getOrCreate(user);
      },
    }),
  };
}

export { tokenWiring } from './env.js';
