/**
 * Peer: passport with passport-http-bearer, as its README shows it, doing the
 * same SQLite token→user lookup the token scheme does (a prepared statement,
 * made once).
 */
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { peerSetup, type PublicUser } from './common.js';

const { db, app, serve } = peerSetup();
const userByToken = db.prepare<[string], PublicUser>(
  'SELECT u.id, u.username, u.email FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.key = ? AND u.is_active = 1',
);

passport.use(new BearerStrategy((token, done) => done(null, userByToken.get(token) ?? false)));
app.get('/api/me', passport.authenticate('bearer', { session: false }), (req, res) => {
  res.json(req.user);
});
serve();
