import { readBoolean, readInteger, readOptionalInteger, readString, withSettings, type SchemeWiring } from '@authbench/core';
import { knoxScheme } from './index.js';

const YEAR = 366 * 86_400;

/** Each option's setting: knox's own names under a `KNOX_` prefix. */
const SETTING_OF = {
  keyword: 'KNOX_AUTH_HEADER_PREFIX',
  tokenTtlSeconds: 'KNOX_TOKEN_TTL',
  autoRefresh: 'KNOX_AUTO_REFRESH',
  autoRefreshMaxTtlSeconds: 'KNOX_AUTO_REFRESH_MAX_TTL',
  minRefreshIntervalSeconds: 'KNOX_MIN_REFRESH_INTERVAL',
  tokenLimitPerUser: 'KNOX_TOKEN_LIMIT_PER_USER',
  tokenPrefix: 'KNOX_TOKEN_PREFIX',
  hashAlgorithm: 'KNOX_SECURE_HASH_ALGORITHM',
  loginIncludesUser: 'KNOX_LOGIN_INCLUDES_USER',
} as const;

/** `AUTH_SCHEME=knox`: django-rest-knox, configured by environment (`none` is Python's None). */
export const knoxWiring: SchemeWiring = {
  name: 'knox',
  settings: Object.values(SETTING_OF),
  fromEnv(env, { stores }) {
    const options = {
      keyword: readString(env, SETTING_OF.keyword, 'Token'),
      tokenTtlSeconds: readOptionalInteger(env, SETTING_OF.tokenTtlSeconds, 36_000, 1, 10 * YEAR),
      autoRefresh: readBoolean(env, SETTING_OF.autoRefresh, false),
      autoRefreshMaxTtlSeconds: readOptionalInteger(env, SETTING_OF.autoRefreshMaxTtlSeconds, 30 * 86_400, 1, 10 * YEAR),
      minRefreshIntervalSeconds: readInteger(env, SETTING_OF.minRefreshIntervalSeconds, 60, 0, YEAR),
      tokenLimitPerUser: readOptionalInteger(env, SETTING_OF.tokenLimitPerUser, null, 1, 1_000_000),
      tokenPrefix: readString(env, SETTING_OF.tokenPrefix, ''),
      hashAlgorithm: readString(env, SETTING_OF.hashAlgorithm, 'sha512'),
      loginIncludesUser: readBoolean(env, SETTING_OF.loginIncludesUser, false),
    };
    return withSettings(SETTING_OF, 'AUTH_SCHEME', () => knoxScheme({ knoxTokens: stores.knoxTokens, ...options }));
  },
};
