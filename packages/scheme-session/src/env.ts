import { randomBytes } from 'node:crypto';
import { ConfigError, isProduction, readBoolean, readInteger, readString, readTrustedProxies, withSettings, type Env, type SchemeWiring } from '@authbench/core';
import { MIN_SECRET_LENGTH, sessionScheme } from './index.js';

const YEAR = 366 * 86_400;
const list = (env: Env, name: string) => readString(env, name, '').split(',').map((v) => v.trim()).filter(Boolean);

const SETTING_OF = {
  secrets: 'SESSION_SECRET',
  cookieAgeSeconds: 'SESSION_COOKIE_AGE',
  secureCookies: 'SESSION_COOKIE_SECURE',
  trustProxy: 'TRUST_PROXY',
  rolling: 'SESSION_ROLLING',
  trustedOrigins: 'CSRF_TRUSTED_ORIGINS',
} as const;

/**
 * CSRF_TRUSTED_ORIGINS as Django takes it: each entry needs its scheme
 * (Django's check 4_0.E001), so a bare `app.example.com` or `*` stops the
 * start rather than trusting nothing in silence. Like Django, an entry is
 * not normalised: one with a path (a trailing slash, say) can never equal an
 * Origin header, which says so at start-up.
 */
export function readTrustedOrigins(env: Env, notices: string[]): string[] {
  const origins = list(env, SETTING_OF.trustedOrigins);
  for (const origin of origins) {
    if (!origin.includes('://')) {
      throw new ConfigError(SETTING_OF.trustedOrigins, `the values must start with a scheme (usually http:// or https://) but found ${origin} (Django's check 4_0.E001)`);
    }
    if (!origin.includes('*') && /^[^:]*:\/\/[^/?#]*[/?#]/.test(origin)) {
      notices.push(`CSRF_TRUSTED_ORIGINS: ${origin} has a path, so it never equals an Origin header (as in Django); only a Referer's host can match it. Write it without one: scheme://host[:port].`);
    }
  }
  return origins;
}

/**
 * `AUTH_SCHEME=session`: DRF's SessionAuthentication, configured by
 * environment. Without SESSION_SECRET a development run generates one and
 * says so; production (`NODE_ENV=production`) refuses to start.
 */
export const sessionWiring: SchemeWiring = {
  name: 'session',
  settings: Object.values(SETTING_OF),
  fromEnv(env, { stores, notices }) {
    let secrets = list(env, SETTING_OF.secrets);
    if (secrets.length === 0) {
      if (isProduction(env)) throw new ConfigError(SETTING_OF.secrets, `required in production (a random secret of at least ${MIN_SECRET_LENGTH} characters)`);
      secrets = [randomBytes(32).toString('base64url')];
      notices.push('SESSION_SECRET is not set: generated a random one for this run; sessions will not survive a restart.');
    }
    if (secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
      throw new ConfigError(SETTING_OF.secrets, `too weak: each secret needs at least ${MIN_SECRET_LENGTH} characters`);
    }
    // Production sends its cookies over HTTPS only unless told otherwise: a TLS proxy the app
    // cannot see (no TRUST_PROXY) would otherwise get them without Secure.
    const production = isProduction(env);
    const secure = readString(env, SETTING_OF.secureCookies, production ? 'true' : 'auto').toLowerCase();
    if (production && readString(env, SETTING_OF.secureCookies, '') === '') {
      notices.push('SESSION_COOKIE_SECURE is not set: in production the session and CSRF cookies are Secure (HTTPS only); set it to auto or false to change that.');
    }
    const options = {
      secrets,
      cookieAgeSeconds: readInteger(env, SETTING_OF.cookieAgeSeconds, 1_209_600, 1, 10 * YEAR),
      secureCookies: secure === 'auto' ? ('auto' as const) : readBoolean(env, SETTING_OF.secureCookies, production),
      trustProxy: readTrustedProxies(env, SETTING_OF.trustProxy),
      rolling: readBoolean(env, SETTING_OF.rolling, false),
      trustedOrigins: readTrustedOrigins(env, notices),
    };
    return withSettings(SETTING_OF, 'AUTH_SCHEME', () => sessionScheme({ sessions: stores.sessions, ...options }));
  },
};
