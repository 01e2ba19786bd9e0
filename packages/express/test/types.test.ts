// Type tests: `npm test` type-checks this file (tsc over test/), and the
// `@ts-expect-error` lines fail the check if a type loosens. Vitest runs it too,
// so each claim is also a value test where one can be made.
import express, { type Request } from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AuthScheme, Caller, LoginResult, User, UserId, UserRepository } from '@authbench/core';
import { jwtScheme, type JwtLoginBody } from '@authbench/scheme-jwt';
import { knoxScheme, type KnoxLoginBody } from '@authbench/scheme-knox';
import { sessionScheme, type SessionLoginBody } from '@authbench/scheme-session';
import { tokenScheme, type TokenLoginBody } from '@authbench/scheme-token';
import { createAuth, requireAuth, type Auth, type AuthenticatedRequest } from '../src/index.js';

describe('req.auth', () => {
  it('is Caller | null | undefined on any request, so it must be checked', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<Caller | null | undefined>();
    const handler = (req: Request) => {
      // @ts-expect-error: possibly null or undefined before requireAuth
      return req.auth.user;
    };
    expect(typeof handler).toBe('function');
  });

  it('is the caller, never null, inside requireAuth, without a cast', () => {
    const app = express();
    app.get(
      '/me',
      requireAuth((req, res) => {
        expectTypeOf(req).toEqualTypeOf<AuthenticatedRequest>();
        expectTypeOf(req.auth).toEqualTypeOf<Caller>();
        expectTypeOf(req.auth.user.id).toEqualTypeOf<UserId>();
        res.json({ id: req.auth.user.id });
      }),
    );
    expect(app.router).toBeDefined();
  });

  it('keeps route parameters typed when asked', () => {
    const handler = requireAuth<{ id: string }>((req) => {
      expectTypeOf(req.params.id).toEqualTypeOf<string>();
    });
    expect(typeof handler).toBe('function');
  });
});

describe('the factories', () => {
  it('type each scheme’s login body, for issuing outside a request', () => {
    const stores = {} as never;
    expectTypeOf(tokenScheme({ tokens: stores })).toEqualTypeOf<AuthScheme<TokenLoginBody>>();
    expectTypeOf(knoxScheme({ knoxTokens: stores })).toEqualTypeOf<AuthScheme<KnoxLoginBody>>();
    expectTypeOf(jwtScheme).returns.toEqualTypeOf<AuthScheme<JwtLoginBody>>();
    expectTypeOf(sessionScheme).returns.toEqualTypeOf<AuthScheme<SessionLoginBody>>();
    expectTypeOf<ReturnType<AuthScheme<TokenLoginBody>['login']>>().toEqualTypeOf<Promise<LoginResult<TokenLoginBody>>>();
    expectTypeOf<TokenLoginBody>().toEqualTypeOf<{ readonly token: string }>();
    expectTypeOf<JwtLoginBody>().toEqualTypeOf<{ readonly refresh: string; readonly access: string }>();
    expect(tokenScheme({ tokens: stores }).name).toBe('token');
  });

  it('createAuth takes any user repository, and gives what an app mounts', () => {
    expectTypeOf(createAuth).parameter(0).toHaveProperty('users').toEqualTypeOf<UserRepository>();
    expectTypeOf(createAuth).returns.toEqualTypeOf<Auth>();
    expectTypeOf<UserRepository['findById']>().parameter(0).toEqualTypeOf<UserId>();
    expectTypeOf<UserRepository['checkPassword']>().parameters.toEqualTypeOf<[User | null, string]>();
    // @ts-expect-error: a repository needs checkPassword
    const incomplete: UserRepository = { findById: async () => null, findByUsername: async () => null };
    expect(incomplete).toBeDefined();
  });
});
