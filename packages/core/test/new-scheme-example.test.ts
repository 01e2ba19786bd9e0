import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, type User } from '../src/index.js';
import { apiKeyScheme, apiKeyWiring, type ApiKeyStore } from './fixtures/api-key-scheme.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the "writing a new scheme" example of docs/architecture.md', () => {
  it('is this file, word for word, so what the doc shows compiles', () => {
    const doc = read('../../../docs/architecture.md');
    const section = doc.slice(doc.indexOf('## Writing a new scheme'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(read('./fixtures/api-key-scheme.ts'));
  });

  it('authenticates, refuses, issues and revokes as the interface asks', async () => {
    const alice: User = { id: 'u-1', username: 'alice', email: '', isActive: true, dateJoined: '2026-01-01T00:00:00.000Z' };
    const keys = new Map<string, User>();
    const store: ApiKeyStore = {
      findUserByKey: async (key) => keys.get(key) ?? null,
      issue: async () => {
        keys.set('k-1', alice);
        return 'k-1';
      },
      revokeAll: async () => void keys.clear(),
    };
    const scheme = apiKeyWiring(store).fromEnv({ API_KEY_HEADER: 'X-Key' }, { stores: {} as never, users: {} as never, notices: [] });
    const request = (headers: Record<string, string>) => ({ headers }) as never;
    expect(await scheme.authenticate(request({}))).toBeNull();
    const { body, withdraw } = await apiKeyScheme({ keys: store }).login(alice, { client: '' });
    expect(body).toEqual({ key: 'k-1' });
    expect(await scheme.authenticate(request({ 'x-key': 'k-1' }))).toEqual({ user: alice, scheme: 'apikey', credentialId: null });
    await withdraw();
    await expect(scheme.authenticate(request({ 'x-key': 'k-1' }))).rejects.toBeInstanceOf(AuthenticationError);
  });
});
