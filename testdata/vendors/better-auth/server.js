// better-auth 1.7.29 with @better-auth/oauth-provider 1.7.29 as an
// oauthcheck vendor target.
//
// A small authorization server for local conformance runs. It listens on
// 127.0.0.1 only (port from PORT, default 3001) and keeps everything in
// memory (better-auth's memoryAdapter). better-auth is headless: every
// deployment brings its own sign-in, consent and device pages, so this file
// has four small server-rendered pages of its own (/sign-in, /consent,
// /device, /device/decide). They call better-auth's server API
// (auth.api.*) with the browser's headers, as a server-rendered app does,
// and send the browser on with a 303.
//
// Everything under /api/auth/ is better-auth itself (toNodeHandler), and so
// are the two metadata documents at the root: the provider answers
// /.well-known/oauth-authorization-server and
// /.well-known/openid-configuration from its onRequest hook whenever the
// issuer (the jwt plugin's jwt.issuer) has no path
// (handleIssuerMetadataRequest in
// node_modules/@better-auth/oauth-provider/dist/authorize-*.mjs).
//
// It is a lab configuration: fixed local secrets, no persistence, no TLS.
// Never expose it beyond the loopback interface.

import http from 'node:http';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { getAuthTables } from 'better-auth/db';
import { toNodeHandler, fromNodeHeaders } from 'better-auth/node';
import { jwt } from 'better-auth/plugins/jwt';
import { oauthProvider, oauthDeviceAuthorization } from '@better-auth/oauth-provider';

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT || '3001', 10);
const ORIGIN = `http://${HOST}:${PORT}`;
const REDIRECT_URI = process.env.REDIRECT_URI || 'https://client.oauthcheck.test/cb';

// Fixed defaults for local use only; override them through the environment.
const SECRET = process.env.BETTER_AUTH_SECRET || 'oauthcheck-better-auth-local-secret-not-secret-0123456789';
const USER = {
  email: process.env.OAUTHCHECK_USER || 'alice@example.test',
  password: process.env.OAUTHCHECK_PASSWORD || 'alice-local-password',
  name: 'Alice Example',
};
const secretA = process.env.OAUTHCHECK_A_SECRET || 'oauthcheck-a-local-secret-0123456789abcdef';
const secretB = process.env.OAUTHCHECK_B_SECRET || 'oauthcheck-b-local-secret-0123456789abcdef';
// oauthcheck's optional "special" role: a secret with characters that
// RFC 6749 §2.3.1 form-encoding changes, for CLIENTAUTH-BASIC-FORM-ENCODING.
const secretS = process.env.OAUTHCHECK_S_SECRET || 'oauthcheck s:secret+/%&=?#local';

// The user-facing scopes, and one machine scope for client_credentials:
// the provider refuses openid, profile, email and offline_access there
// (USER_DELEGATED_SCOPES in the provider's authorize-*.mjs).
const USER_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const M2M_SCOPE = 'oauthcheck:m2m';

// Lifetimes (README.md, "Lifetimes"). The authorization code keeps the
// package default, codeExpiresIn 600 s: the same option also bounds the
// signed query that carries the request through the sign-in and consent
// pages (signParams: exp = now + codeExpiresIn), so a short one breaks a
// slow login. The refresh token is short, so that REFRESH-LIFECYCLE can
// wait for its idle expiry; every rotation gives the new token a fresh
// lifetime (resolveResourceGrantIssuance: iat + refreshTokenExpiresIn).
const REFRESH_TTL = 24; // s; package default refreshTokenExpiresIn 2592000
const DEVICE_TTL = '20s'; // package default expiresIn "30m"

// The in-memory database: one array per model, made from the schema of
// the options below (the memory adapter throws on an unknown model).
const db = {};

// Client registration through the provider's own admin endpoint
// (adminCreateOAuthClient) generates the client_id and client_secret with
// generateClientId / generateClientSecret; at start these return the fixed
// values oauthcheck.yaml names, one client at a time.
let nextClient = null;

const options = {
  appName: 'oauthcheck better-auth',
  baseURL: ORIGIN, // better-auth's own routes: ORIGIN + /api/auth
  secret: SECRET,
  database: memoryAdapter(db),
  emailAndPassword: { enabled: true },
  // The built-in rate limiter is on only when NODE_ENV is production
  // (enabled: options.rateLimit?.enabled ?? isProduction in
  // better-auth/dist/context/create-context.mjs). Off here on purpose: its
  // defaults (20 token requests a minute per IP, and 5 a window at /device)
  // would throttle a conformance run from one address.
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  plugins: [
    // JWKS at /api/auth/jwks, ID token signing; the issuer is the clean
    // origin, so the metadata lives at the root.
    jwt({ jwt: { issuer: ORIGIN } }),
    oauthProvider({
      loginPage: '/sign-in',
      consentPage: '/consent',
      scopes: [...USER_SCOPES, M2M_SCOPE],
      refreshTokenExpiresIn: REFRESH_TTL,
      generateClientId: () => nextClient?.id,
      generateClientSecret: () => nextClient?.secret,
      // Managed clients get client_credentials scopes only when this says
      // so (assertClientPrivileges, action configure-client-credentials-scopes).
      clientPrivileges: () => true,
      // Open dynamic registration (RFC 7591) at /api/auth/oauth2/register,
      // as MCP servers run it: MCP clients register themselves.
      allowDynamicClientRegistration: true,
      allowUnauthenticatedClientRegistration: true,
      // Discovery lists "none" only with open registration or client
      // discovery; these clients are registered here, so say it outright.
      advertisedMetadata: {
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      },
    }),
    // RFC 8628 with OAuth tokens from the provider's token endpoint
    // (grant urn:ietf:params:oauth:grant-type:device_code at /oauth2/token).
    oauthDeviceAuthorization({
      verificationUri: `${ORIGIN}/device`,
      expiresIn: DEVICE_TTL,
      interval: '5s',
    }),
  ],
};

for (const table of Object.values(getAuthTables(options))) {
  db[table.modelName] = [];
}

const auth = betterAuth(options);
const authHandler = toNodeHandler(auth);

// ---------------------------------------------------------------- seeding

const ALL = USER_SCOPES.join(' ');
const CLIENTS = [
  { id: 'oauthcheck-a', secret: secretA, body: webClient('oauthcheck A') },
  { id: 'oauthcheck-b', secret: secretB, body: webClient('oauthcheck B') },
  { id: 'oauthcheck-s', secret: secretS, body: webClient('oauthcheck special') },
  { id: 'oauthcheck-p', body: publicClient('oauthcheck public') },
  { id: 'oauthcheck-p2', body: publicClient('oauthcheck public 2') },
  { id: 'oauthcheck-d', body: deviceClient('oauthcheck device') },
  { id: 'oauthcheck-d2', body: deviceClient('oauthcheck device 2') },
];

function webClient(name) {
  return {
    client_name: name,
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    scope: ALL,
    client_credentials_scopes: [M2M_SCOPE],
  };
}

function publicClient(name) {
  return {
    client_name: name,
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: ALL,
  };
}

function deviceClient(name) {
  return {
    client_name: name,
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    scope: ALL,
  };
}

async function seed() {
  await auth.api.signUpEmail({ body: { email: USER.email, password: USER.password, name: USER.name } });
  // An admin session to register the clients with (the owner is alice).
  const signIn = await auth.api.signInEmail({
    body: { email: USER.email, password: USER.password },
    returnHeaders: true,
  });
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const headers = new Headers({ cookie });
  for (const c of CLIENTS) {
    nextClient = c;
    try {
      await auth.api.adminCreateOAuthClient({ headers, body: c.body });
    } catch (err) {
      throw new Error(`register ${c.id}: ${err?.body?.error_description || err?.message || err}`);
    }
  }
  nextClient = null;
  await auth.api.signOut({ headers });
}

// ------------------------------------------------------------------ pages

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));

function page(res, status, title, body) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    // Our pages, not better-auth's: the library sets no framing headers
    // (it serves no HTML); a deployment's pages must (RFC 9700 §4.16).
    'Content-Security-Policy': "frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}label{display:block;margin:.6em 0}input{display:block;width:100%;padding:.3em}button{margin:.8em .4em 0 0;padding:.4em 1.2em}.err{color:#a00}</style>
</head><body><h1>${esc(title)}</h1>
${body}
</body></html>`);
}

function seeOther(res, location, extra = {}) {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store', ...extra });
  res.end();
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Calls a better-auth endpoint as a Response; returns its status, JSON body
// and Set-Cookie values.
async function call(endpoint, args) {
  let resp;
  try {
    resp = await endpoint({ ...args, asResponse: true });
  } catch (err) {
    // A hook's APIError is thrown even with asResponse.
    if (err?.statusCode && err?.body) return { status: err.statusCode, ok: false, json: err.body, cookies: [] };
    throw err;
  }
  let json = null;
  try {
    json = await resp.json();
  } catch {
    json = null;
  }
  return { status: resp.status, ok: resp.ok, json, cookies: resp.headers.getSetCookie() };
}

// Only local paths of the device page may follow a sign-in without an
// OAuth request.
const safeNext = (next) => (typeof next === 'string' && /^\/device(\?|$)/.test(next) ? next : '');

function signInForm(res, status, { oauthQuery = '', next = '', error = '' } = {}) {
  page(res, status, 'Sign in', `
<form method="post" action="/sign-in">
${error ? `<p class="err">${esc(error)}</p>` : ''}
<label for="email">Email <input id="email" name="email" type="email" autocomplete="username" required autofocus></label>
<label for="password">Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="oauth_query" value="${esc(oauthQuery)}">
<input type="hidden" name="next" value="${esc(next)}">
<button type="submit">Sign in</button>
</form>`);
}

async function signIn(req, res, url) {
  if (req.method === 'GET') {
    // The provider sends the browser here with the signed authorization
    // request as the query (redirectWithPromptCode); it goes back with the
    // form as oauth_query.
    const oauthQuery = url.searchParams.has('sig') ? url.search.slice(1) : '';
    return signInForm(res, 200, { oauthQuery, next: safeNext(url.searchParams.get('next')) });
  }
  const form = await readForm(req);
  const oauthQuery = form.get('oauth_query') || '';
  const next = safeNext(form.get('next'));
  const body = { email: form.get('email') || '', password: form.get('password') || '' };
  if (oauthQuery) body.oauth_query = oauthQuery;
  const r = await call(auth.api.signInEmail, { body, headers: fromNodeHeaders(req.headers) });
  if (!r.ok) {
    const msg = r.json?.message || r.json?.error_description || r.json?.error || `sign-in failed (${r.status})`;
    return signInForm(res, r.status === 401 ? 401 : 400, { oauthQuery, next, error: msg });
  }
  const cookies = { 'Set-Cookie': r.cookies };
  // With oauth_query, the provider's after-hook continues the authorization
  // and answers {redirect: true, url}: the consent page or the client.
  if (r.json?.url) return seeOther(res, r.json.url, cookies);
  if (next) return seeOther(res, next, cookies);
  res.setHeader('Set-Cookie', r.cookies);
  return page(res, 200, 'Signed in', `<p>You are signed in as ${esc(r.json?.user?.email)}.</p>`);
}

async function consent(req, res, url) {
  if (req.method === 'GET') {
    const p = url.searchParams;
    const clientId = p.get('client_id') || '';
    let clientName = clientId;
    try {
      const cl = await auth.api.getOAuthClientPublic({ query: { client_id: clientId }, headers: fromNodeHeaders(req.headers) });
      clientName = cl?.client_name || clientId;
    } catch {
      // unknown client or no session: show the id
    }
    const scopes = (p.get('scope') || '').split(' ').filter(Boolean);
    return page(res, 200, 'Authorize access', `
<p><strong>${esc(clientName)}</strong> (${esc(clientId)}) asks for access to your account.</p>
<ul>${scopes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
<form method="post" action="/consent">
<input type="hidden" name="oauth_query" value="${esc(url.search.slice(1))}">
<button type="submit" name="accept" value="true">Allow</button>
<button type="submit" name="accept" value="false">Deny</button>
</form>`);
  }
  const form = await readForm(req);
  const r = await call(auth.api.oauth2Consent, {
    body: { accept: form.get('accept') === 'true', oauth_query: form.get('oauth_query') || '' },
    headers: fromNodeHeaders(req.headers),
  });
  if (r.ok && r.json?.url) return seeOther(res, r.json.url);
  const msg = r.json?.error_description || r.json?.message || r.json?.error || `consent failed (${r.status})`;
  return page(res, r.status >= 400 ? r.status : 400, 'Authorization failed', `<p class="err">${esc(msg)}</p>`);
}

function userCodeForm(res, status, error = '') {
  page(res, status, 'Connect a device', `
<form method="get" action="/device">
${error ? `<p class="err">${esc(error)}</p>` : ''}
<label for="user_code">Code shown on your device <input id="user_code" name="user_code" type="text" autocomplete="off" required autofocus></label>
<button type="submit">Continue</button>
</form>`);
}

async function device(req, res, url) {
  const userCode = url.searchParams.get('user_code');
  if (!userCode) return userCodeForm(res, 200);
  const headers = fromNodeHeaders(req.headers);
  const session = await auth.api.getSession({ headers });
  if (!session) return seeOther(res, `/sign-in?next=${encodeURIComponent(`/device?user_code=${encodeURIComponent(userCode)}`)}`);
  // GET /api/auth/device claims the pending code for the signed-in user
  // (deviceVerify in better-auth/dist/plugins/device-authorization/routes.mjs).
  const r = await call(auth.api.deviceVerify, { query: { user_code: userCode }, headers });
  if (!r.ok) return userCodeForm(res, 400, r.json?.error_description || r.json?.message || 'That code is not valid.');
  const v = r.json || {};
  if (v.status !== 'pending' || !v.client_id) {
    return page(res, 400, 'Connect a device', `<p class="err">The code ${esc(userCode)} was already used.</p>`);
  }
  const scopes = (v.scope || '').split(' ').filter(Boolean);
  return page(res, 200, 'Connect a device', `
<p>The device showing the code <strong>${esc(userCode)}</strong> asks for access to your account
as <strong>${esc(v.client_id)}</strong>. Check that the code matches the one on the device.</p>
<ul>${scopes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
<form method="post" action="/device/decide">
<input type="hidden" name="user_code" value="${esc(userCode)}">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`);
}

async function deviceDecide(req, res) {
  const form = await readForm(req);
  const approve = form.get('decision') === 'approve';
  const body = { userCode: form.get('user_code') || '' };
  const r = await call(approve ? auth.api.deviceApprove : auth.api.deviceDeny, { body, headers: fromNodeHeaders(req.headers) });
  if (!r.ok) {
    return page(res, r.status, 'Connect a device', `<p class="err">${esc(r.json?.error_description || r.json?.message || 'failed')}</p>`);
  }
  return page(res, 200, approve ? 'Device connected' : 'Device refused',
    `<p>${approve ? 'The device is connected. You may close this window.' : 'The device was refused access.'}</p>`);
}

// ----------------------------------------------------------------- server

const routes = {
  '/sign-in': { GET: signIn, POST: signIn },
  '/consent': { GET: consent, POST: consent },
  '/device': { GET: device },
  '/device/decide': { POST: deviceDecide },
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, ORIGIN);
  const route = routes[url.pathname];
  if (!route) return authHandler(req, res);
  const fn = route[req.method];
  if (!fn) {
    res.writeHead(405, { Allow: Object.keys(route).join(', ') });
    return res.end();
  }
  try {
    await fn(req, res, url);
  } catch (err) {
    console.error(`${req.method} ${url.pathname}:`, err);
    if (!res.headersSent) page(res, 500, 'Error', '<p class="err">Something went wrong.</p>');
    else res.end();
  }
});

// Node closes an idle keep-alive connection after 5 s by default; a client
// that sends a POST on it at that moment gets ECONNRESET (POSTs are not
// retried). Keep idle connections longer than oauthcheck's client does
// (IdleConnTimeout 60 s in drivers/client/client.go), so the client closes
// them first.
server.keepAliveTimeout = 75_000;
server.headersTimeout = 80_000;

await seed();
server.listen(PORT, HOST, () => {
  console.log(`better-auth listening on ${ORIGIN}, metadata at ${ORIGIN}/.well-known/oauth-authorization-server`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
