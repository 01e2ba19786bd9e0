/**
 * Peer: express-jwt (HS256) as its README shows it: the secret passed as a
 * string, the claims on `req.auth`, no storage read.
 */
import { expressjwt } from 'express-jwt';
import { peerSetup } from './common.js';

const secret = process.env['JWT_SIGNING_KEY'];
if (!secret) throw new Error('peer: JWT_SIGNING_KEY is not set');
const { app, serve } = peerSetup();

app.get('/api/me', expressjwt({ secret, algorithms: ['HS256'] }), (req, res) => {
  // express-jwt puts the verified claims on `req.auth`.
  const claims = (req as unknown as { auth: { user_id?: string; username?: string } }).auth;
  res.json({ id: Number(claims.user_id), username: claims.username ?? '', email: '' });
});
serve();
