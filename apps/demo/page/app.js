// The demo's browser page: each scheme used the way its documentation
// recommends for a browser. Plain script, no framework, no build step.
// Everything from the server is shown with textContent, never as markup; the
// page's Content-Security-Policy forbids inline script and style besides.
'use strict';

/** What the browser holds under each scheme, in one paragraph. */
const HOLDS = {
  token:
    'A token in memory: a JavaScript variable of this page, sent as "Authorization: Token …". ' +
    'No cookie carries it, so another site cannot make the browser send it (no CSRF), ' +
    'but any script running on this page could read it. It is the user\'s one token, shared by every device.',
  knox:
    'A token in memory: a JavaScript variable of this page, sent as "Authorization: Token …", ' +
    'one per login (a device of its own, listed below) with an expiry. No cookie carries it (no CSRF), ' +
    'but any script running on this page could read it.',
  jwt:
    'An access token and a refresh token in memory: JavaScript variables of this page. ' +
    'The access token (minutes) goes in "Authorization: Bearer …"; on a 401 the page spends the refresh token ' +
    'for a new pair once and retries. No cookie carries them (no CSRF), but any script on this page could read both.',
  session:
    'An HttpOnly session cookie (sessionid) that no script can read, and a readable CSRF cookie (csrftoken) ' +
    'whose value this page copies into X-CSRFToken on every unsafe request. The browser sends the cookies by itself: ' +
    'the login survives a reload and is shared by every tab; another site cannot read csrftoken, and the server checks Origin.',
  'jwt-cookie':
    'Two HttpOnly cookies that no script can read: the access token (jwt_access, minutes) and the refresh token ' +
    '(jwt_refresh, sent to /api/auth/refresh only), and a readable CSRF cookie (csrftoken) whose value this page copies ' +
    'into X-CSRFToken on every unsafe request. On a 401 the page posts {} to /api/auth/refresh once, so that the browser ' +
    'spends the refresh cookie for new ones, and retries. Login and refresh still return both tokens in their bodies, ' +
    'as simplejwt does; this page throws those copies away. Another site cannot read csrftoken, and the server checks Origin.',
};

const MEMORY_RELOAD =
  'Reload the page and the credential is gone: it lives in a JavaScript variable only, never in localStorage, ' +
  'sessionStorage, a cookie or the URL. Each tab logs in on its own.';
const COOKIE_RELOAD =
  'Reload, or open a second tab: the browser sends the cookie, so you stay logged in, in every tab. ' +
  'A logout in one tab logs out all of them.';
const JWT_COOKIE_RELOAD =
  'Reload, or open a second tab: the browser sends the cookies, so you stay logged in, in every tab. ' +
  'The tabs share one refresh token: should two refresh at once, the server\'s grace window (JWT_REFRESH_GRACE, ' +
  '10 s by default) gives both the same new pair; without one, the second is reuse and ends the login. ' +
  'A logout in one tab logs out all of them.';

/** Routes that take no credential: a 401 there is no reason to refresh. */
const ANONYMOUS = new Set(['/api/auth/login', '/api/auth/register', '/api/auth/refresh', '/api/auth/verify']);

const state = {
  schemes: [],
  /** The schemes whose credential a cookie carries, as /healthz lists them (jwt under JWT_COOKIE=true). */
  cookies: [],
  primary: '',
  /** The Authorization keyword, learnt from the server's challenge (TOKEN_KEYWORD may change it). */
  keyword: 'Token',
  // token, knox: the token. jwt: the pair. Only here, in memory; jwt-cookie keeps nothing.
  token: null,
  expiry: null,
  access: null,
  refresh: null,
  /** Refreshes this tab made: per login in memory (jwt), per tab under jwt-cookie. */
  refreshes: 0,
};

/**
 * One refresh at a time: a second with the same refresh token is reuse, which
 * revokes the whole login once the server's grace window (JWT_REFRESH_GRACE) is past.
 * Under jwt-cookie the tabs share the refresh cookie, so two tabs may still refresh
 * at once: that is what the grace window is for.
 */
let refreshing = null;

const $ = (id) => document.getElementById(id);
const text = (id, value) => {
  $(id).textContent = value;
};
/** token, knox: 'token'; jwt: 'jwt' (in memory), or 'jwt-cookie' when the server says a cookie carries it; session: 'cookie'. */
const mode = () =>
  state.primary === 'session'
    ? 'cookie'
    : state.primary === 'jwt'
      ? state.cookies.includes('jwt')
        ? 'jwt-cookie'
        : 'jwt'
      : 'token';

// ---- HTTP -------------------------------------------------------------------

function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

function authorization() {
  if (mode() === 'token' && state.token) return `${state.keyword} ${state.token}`;
  if (mode() === 'jwt' && state.access) return `${state.keyword} ${state.access}`;
  return null;
}

/** One request; `body` may be a function, evaluated per attempt (a jwt logout sends the refresh token current then). */
async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  const payload = typeof body === 'function' ? body() : body;
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  const sentAuthorization = authorization();
  const refreshesBefore = state.refreshes;
  if (sentAuthorization && !ANONYMOUS.has(path)) headers['Authorization'] = sentAuthorization;
  if (method !== 'GET' && method !== 'HEAD') {
    // Django's CSRF: the cookie's value back in a header, which another site cannot read or set.
    const csrf = readCookie('csrftoken');
    if (csrf) headers['X-CSRFToken'] = csrf;
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (error) {
    return { status: 0, data: { detail: `network error: ${error.message}` }, headers: new Headers(), sentAuthorization, refreshesBefore };
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = { detail: `a ${response.status} without JSON` };
    }
  }
  return { status: response.status, data, headers: response.headers, sentAuthorization, refreshesBefore };
}

/**
 * One request; under jwt a 401 refreshes once and retries. In memory the page
 * refreshes with its refresh token; under jwt-cookie with `{}`, and the
 * browser sends the refresh cookie, which the page cannot see: so it tries
 * whether or not it ever logged in (another tab may have). A refused refresh
 * comes back as `refused`. `quiet`: the refresh is not shown as the last response.
 */
async function authorized(method, path, body, quiet = false) {
  let result = await send(method, path, body);
  const refreshable = (mode() === 'jwt' && state.refresh) || mode() === 'jwt-cookie';
  if (result.status === 401 && refreshable && !ANONYMOUS.has(path)) {
    // Another request may have refreshed meanwhile: then only retry with its token (or its cookies).
    const moved = mode() === 'jwt' ? result.sentAuthorization !== authorization() : result.refreshesBefore !== state.refreshes;
    const refreshed = moved ? null : await refreshPair(quiet);
    if (refreshed === null || refreshed.status === 200) result = await send(method, path, body);
    else result.refused = refreshed;
  }
  return result;
}

/** A request as the page makes it (see `authorized`); the answer goes under "Last response". */
async function call(method, path, body) {
  const result = await authorized(method, path, body);
  log(method, path, result);
  if (result.status === 401 && !ANONYMOUS.has(path) && (state.token || state.access)) {
    forget(`The server refused the credential in memory (${message(result.data)}): it is forgotten. Log in again.`);
    result.forgotten = true;
  } else if (result.status === 401 && result.refused?.status === 401) {
    // jwt-cookie: the refresh cookie is spent, logged out or revoked (a 400 only means there was none).
    text('me', `Not logged in: the server refused the refresh cookie (${message(result.refused.data)}). Log in again.`);
    result.forgotten = true;
  }
  return result;
}

/** Resolves with the refresh's answer; concurrent callers in this tab share the one request. */
function refreshPair(quiet = false) {
  refreshing ??= (async () => {
    const cookies = mode() === 'jwt-cookie';
    // The cookie transport: a body without `refresh` makes the server read the jwt_refresh cookie.
    const result = await send('POST', '/api/auth/refresh', cookies ? {} : { refresh: state.refresh });
    if (!quiet) log('POST', '/api/auth/refresh', result);
    if (result.status !== 200) return result;
    if (!cookies) {
      state.access = result.data.access;
      if (result.data.refresh) state.refresh = result.data.refresh; // rotation: the old one is spent
    } // jwt-cookie: the new pair came as cookies; the copies in the body are dropped.
    state.refreshes += 1;
    render();
    return result;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// ---- Showing things -----------------------------------------------------------

/** A DRF error body as one line of text: detail, field errors, non_field_errors, knox's error. */
function message(data) {
  if (data === null || typeof data !== 'object') return '';
  if (typeof data.detail === 'string') return data.detail;
  if (typeof data.error === 'string') return data.error;
  return Object.entries(data)
    .filter(([, v]) => Array.isArray(v))
    .map(([field, v]) => (field === 'non_field_errors' ? v.join(' ') : `${field}: ${v.join(' ')}`))
    .join(' ');
}

function log(method, path, result) {
  const detail = result.status === 204 ? '' : message(result.data);
  const line = `${method} ${path} → ${result.status || 'failed'}${detail ? ` (${detail})` : ''}`;
  text('status', line);
}

function when(iso) {
  if (!iso) return 'never';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The `exp` of a JWT, to show; the page never trusts it for anything. */
function jwtExpiry(jwt) {
  try {
    const claims = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return when(new Date(claims.exp * 1000).toISOString());
  } catch {
    return 'unknown';
  }
}

/** The end of a secret, enough to tell two apart (a JWT's start is its constant header). */
const preview = (secret) => `…${secret.slice(-8)} (${secret.length} characters)`;

function storageCounts() {
  try {
    return `localStorage: ${localStorage.length} items, sessionStorage: ${sessionStorage.length} items (this page writes nothing there)`;
  } catch {
    return 'not available';
  }
}

/** What the browser holds now: memory, readable cookies, storage. */
function render() {
  let memory;
  if (mode() === 'token') {
    memory = state.token
      ? `a token, ${preview(state.token)}${state.expiry ? `, expires ${when(state.expiry)}` : ', never expires'}`
      : 'nothing: no token (log in; a reload forgets it)';
  } else if (mode() === 'jwt') {
    memory = state.access
      ? `an access token, ${preview(state.access)}, expires ${jwtExpiry(state.access)}; ` +
        `a refresh token, expires ${jwtExpiry(state.refresh)}; refreshed ${state.refreshes} time${state.refreshes === 1 ? '' : 's'}`
      : 'nothing: no tokens (log in; a reload forgets them)';
  } else if (mode() === 'jwt-cookie') {
    memory =
      'nothing: the tokens are the HttpOnly cookies jwt_access and jwt_refresh, which the browser keeps' +
      (state.refreshes > 0 ? `; this tab refreshed them ${state.refreshes} time${state.refreshes === 1 ? '' : 's'}` : '');
  } else {
    memory = 'nothing: the credential is the session cookie, which the browser keeps';
  }
  text('memory', memory);

  const names = document.cookie
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => {
      const [name, ...rest] = c.split('=');
      return name === 'csrftoken' ? `csrftoken=${preview(rest.join('='))}, copied into X-CSRFToken` : name;
    });
  const hidden = { cookie: '; sessionid is HttpOnly: not readable here', 'jwt-cookie': '; jwt_access and jwt_refresh are HttpOnly: not readable here' }[mode()] ?? '';
  const inCookies = mode() === 'cookie' || mode() === 'jwt-cookie';
  text('cookies', names.length > 0 ? `${names.join('; ')}${hidden}` : `none${inCookies ? ' yet (log in)' : ' (no cookie carries the token)'}`);
  text('storage', storageCounts());
}

function showUser(user) {
  const me = $('me');
  me.replaceChildren();
  me.append('Logged in as ');
  const name = document.createElement('strong');
  name.className = 'username';
  name.textContent = user.username;
  me.append(name, ` (id ${user.id}${user.email ? `, email ${user.email}` : ', no email'})`);
}

/** Drops every credential this page holds in memory. */
function forget(why) {
  state.token = state.expiry = state.access = state.refresh = null;
  $('sessions-body').replaceChildren();
  $('sessions').hidden = true;
  text('me', why);
  render();
}

// ---- Actions ----------------------------------------------------------------

async function whoAmI() {
  const result = await call('GET', '/api/me');
  if (result.status === 200) showUser(result.data);
  else if (!result.forgotten) text('me', `Not logged in: ${message(result.data)}`);
}

async function register(form) {
  const fields = new FormData(form);
  const body = { username: fields.get('username'), password: fields.get('password') };
  if (fields.get('email')) body.email = fields.get('email');
  const result = await call('POST', '/api/auth/register', body);
  if (result.status === 201) {
    form.reset();
    $('register-details').open = false;
    text('me', `Registered ${result.data.username} (id ${result.data.id}): now log in.`);
  }
}

async function login(form) {
  const fields = new FormData(form);
  const result = await call('POST', '/api/auth/login', { username: fields.get('username'), password: fields.get('password') });
  if (result.status !== 200) return;
  form.reset(); // the password leaves the DOM
  if (mode() === 'token') {
    state.token = result.data.token;
    state.expiry = result.data.expiry ?? null;
  } else if (mode() === 'jwt') {
    state.access = result.data.access;
    state.refresh = result.data.refresh;
    state.refreshes = 0;
  } // jwt-cookie: the tokens in the body are dropped; the cookies the answer set carry them.
  render();
  await whoAmI();
}

async function logout(path) {
  // simplejwt's logout takes the refresh token too, and blacklists it. jwt-cookie: the access
  // cookie names the login, whose refresh tokens all end; the answer expires both cookies.
  const body = mode() === 'jwt' ? () => ({ refresh: state.refresh }) : undefined;
  const result = await call('POST', path, body);
  if (result.status === 204) forget(path.endsWith('logoutall') ? 'Logged out everywhere.' : 'Logged out.');
}

async function listSessions() {
  const result = await call('GET', '/api/auth/sessions');
  const tbody = $('sessions-body');
  tbody.replaceChildren();
  if (result.status === 404) {
    $('sessions').hidden = true;
    text(
      'sessions-note',
      `${state.primary} keeps no list of devices: the user has one token, shared by every device, so ` +
        'GET /api/auth/sessions answers 404. Log out ends that token everywhere.',
    );
    return;
  }
  if (result.status !== 200 || !Array.isArray(result.data)) {
    $('sessions').hidden = true;
    text('sessions-note', `No list: ${message(result.data)}`);
    return;
  }
  for (const login of result.data) {
    const row = document.createElement('tr');
    if (login.current) row.className = 'current';
    const client = document.createElement('td');
    client.className = 'client';
    if (login.current) {
      const mark = document.createElement('span');
      mark.className = 'mark';
      mark.textContent = 'this page';
      client.append(mark, ' ');
    }
    const agent = document.createElement('span');
    agent.className = 'agent';
    agent.textContent = login.client || '(no User-Agent)';
    client.append(agent);
    const created = document.createElement('td');
    created.textContent = when(login.created);
    const expiry = document.createElement('td');
    expiry.textContent = when(login.expiry);
    const action = document.createElement('td');
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.className = 'revoke';
    revoke.textContent = 'Revoke';
    revoke.addEventListener('click', () => act(() => revokeSession(login.id, login.current)));
    action.append(revoke);
    row.append(client, created, expiry, action);
    tbody.append(row);
  }
  $('sessions').hidden = false;
  text('sessions-note', `${result.data.length} live login${result.data.length === 1 ? '' : 's'} of this user.`);
}

async function revokeSession(id, current) {
  const result = await call('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}`);
  if (result.status !== 204) return;
  if (current) forget('This page\'s own login was revoked.');
  else await listSessions();
}

async function changePassword(form) {
  const fields = new FormData(form);
  const result = await call('POST', '/api/auth/password', {
    old_password: fields.get('old_password'),
    new_password: fields.get('new_password'),
  });
  if (result.status !== 200) return;
  form.reset();
  // token: the user's one token was replaced; the new one comes back beside the message.
  if (typeof result.data.token === 'string') state.token = result.data.token;
  render();
}

/**
 * Runs one user action; `data-actions` on <body> counts finished ones, so a
 * test (or a curious reader of the DOM) knows when the page is done.
 */
async function act(action) {
  document.body.dataset.busy = 'true';
  try {
    await action();
  } catch (error) {
    text('status', `The page failed: ${error.message}`);
  } finally {
    render();
    document.body.dataset.busy = 'false';
    document.body.dataset.actions = String(Number(document.body.dataset.actions ?? '0') + 1);
  }
}

function onSubmit(id, handler) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    act(() => handler(event.currentTarget));
  });
}

async function boot() {
  onSubmit('login-form', login);
  onSubmit('register-form', register);
  onSubmit('password-form', changePassword);
  $('me-button').addEventListener('click', () => act(whoAmI));
  $('sessions-button').addEventListener('click', () => act(listSessions));
  $('logout-button').addEventListener('click', () => act(() => logout('/api/auth/logout')));
  $('logoutall-button').addEventListener('click', () => act(() => logout('/api/auth/logoutall')));

  // The server says which schemes run, and which of them a cookie carries (jwt's cookie transport).
  const health = await send('GET', '/healthz');
  state.schemes = Array.isArray(health.data?.schemes) ? health.data.schemes : [];
  state.cookies = Array.isArray(health.data?.cookies) ? health.data.cookies : [];
  state.primary = state.schemes[0] ?? 'token';
  document.body.dataset.scheme = state.primary;
  text('scheme', state.primary);
  const extra = [];
  if (state.schemes.length > 1) extra.push(`(AUTH_SCHEME=${state.schemes.join(',')}: the first issues credentials at login)`);
  if (mode() === 'jwt-cookie') extra.push('with its cookie transport (JWT_COOKIE=true)');
  if (extra.length > 0) text('scheme-extra', extra.join(' '));
  text('holds', HOLDS[mode() === 'jwt-cookie' ? 'jwt-cookie' : state.primary] ?? `The ${state.primary} scheme.`);
  text('reload-note', { cookie: COOKIE_RELOAD, 'jwt-cookie': JWT_COOKIE_RELOAD }[mode()] ?? MEMORY_RELOAD);
  if (state.primary === 'token') text('sessions-note', 'token has one token per user: GET /api/auth/sessions answers 404.');

  // One look, without credentials: a cookie may log us in already (under jwt-cookie after a
  // quiet refresh, should the access cookie have expired); otherwise the 401's challenge
  // names the Authorization keyword this server expects.
  const me = mode() === 'jwt-cookie' ? await authorized('GET', '/api/me', undefined, true) : await send('GET', '/api/me');
  const challenge = me.headers.get('WWW-Authenticate');
  if (challenge) state.keyword = challenge.split(' ')[0];
  if (me.status === 200) showUser(me.data);
  else text('me', mode() === 'cookie' || mode() === 'jwt-cookie' ? 'Not logged in.' : 'Not logged in: nothing in memory.');
}

act(boot);
