import type { AuthScheme, KeepCredential } from './scheme.js';
import type { UserId } from './user.js';

/**
 * Revokes every credential of the user in every scheme given, in order: the
 * one place a password change, a deactivation or a deletion ends them. With
 * `keep`, the caller's own credential survives (or is replaced) in its scheme.
 * @returns the fields the schemes want the caller to learn (the token
 *   scheme's new token); `{}` when none.
 */
export async function revokeCredentials(
  schemes: readonly AuthScheme[],
  userId: UserId,
  keep?: KeepCredential,
): Promise<Record<string, unknown>> {
  const issued: Record<string, unknown> = {};
  // One after another: a failing store stops the sweep with an error rather than leaving it silently partial.
  for (const scheme of schemes) Object.assign(issued, (await scheme.revokeUser(userId, keep)).body);
  return issued;
}
