import { readBoolean, readString, withSettings, type SchemeWiring } from '@authbench/core';
import { tokenScheme } from './index.js';

/** `AUTH_SCHEME=token`: DRF's TokenAuthentication, configured by environment. */
export const tokenWiring: SchemeWiring = {
  name: 'token',
  settings: ['TOKEN_KEYWORD', 'TOKEN_CREATE_ON_REGISTER'],
  fromEnv: (env, { stores }) =>
    withSettings({ keyword: 'TOKEN_KEYWORD' }, 'AUTH_SCHEME', () =>
      tokenScheme({
        tokens: stores.tokens,
        keyword: readString(env, 'TOKEN_KEYWORD', 'Token'),
        createOnUserCreated: readBoolean(env, 'TOKEN_CREATE_ON_REGISTER', false),
      }),
    ),
};
