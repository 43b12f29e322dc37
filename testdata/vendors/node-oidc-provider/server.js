// node-oidc-provider 9.13.3 as an oauthcheck vendor target.
//
// A small provider for local conformance runs: it listens on 127.0.0.1
// only (port from PORT, default 3000), keeps everything in memory, and uses
// the package's development login and consent pages (devInteractions),
// which accept any login name and any password.
//
// Every option below is documented in the package's configuration
// reference (docs/README.md in the panva/node-oidc-provider repository;
// the defaults live in node_modules/oidc-provider/lib/helpers/defaults.js).
// It is a lab configuration: development signing keys, no persistence, no
// TLS. Never expose it beyond the loopback interface.

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT || '3000', 10);
const ISSUER = `http://${HOST}:${PORT}`;
const REDIRECT_URI = 'https://client.oauthcheck.test/cb';

// Fixed defaults for local use only; override them through the environment.
const secretA = process.env.OAUTHCHECK_A_SECRET || 'oauthcheck-a-local-secret-0123456789abcdef';
const secretB = process.env.OAUTHCHECK_B_SECRET || 'oauthcheck-b-local-secret-0123456789abcdef';
// The optional "special" role of oauthcheck: a secret with characters that
// RFC 6749 §2.3.1 form-encoding changes, for CLIENTAUTH-BASIC-FORM-ENCODING.
const secretS = process.env.OAUTHCHECK_S_SECRET || 'oauthcheck s:secret+/%&=?#local';

const ALL_SCOPES = 'openid profile email offline_access';

const webClient = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
  scope: ALL_SCOPES,
});

const publicClient = (id) => ({
  client_id: id,
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
  scope: ALL_SCOPES,
});

const deviceClient = (id) => ({
  client_id: id,
  token_endpoint_auth_method: 'none',
  application_type: 'native',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  response_types: [],
  redirect_uris: [],
  scope: ALL_SCOPES,
});

// The test user. devInteractions accepts any login; the account's claims
// are made up from its id (alice, or whatever was typed).
async function findAccount(ctx, id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: id === 'alice' ? 'Alice Example' : id,
        preferred_username: id,
        email: `${id}@example.test`,
        email_verified: true,
      };
    },
  };
}

const configuration = {
  clients: [
    webClient('oauthcheck-a', secretA),
    webClient('oauthcheck-b', secretB),
    webClient('oauthcheck-s', secretS),
    publicClient('oauthcheck-p'),
    publicClient('oauthcheck-p2'),
    deviceClient('oauthcheck-d'),
    deviceClient('oauthcheck-d2'),
  ],
  findAccount,

  // Scopes: openid and offline_access are built in; profile and email come
  // from the claims mapping (a claims key that maps to a list is a scope).
  scopes: ['openid', 'offline_access'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },

  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    introspection: {
      enabled: true,
      // Confidential clients may introspect any token of this server;
      // public clients may not introspect at all.
      async allowedPolicy(ctx, client) {
        return client.clientAuthMethod !== 'none';
      },
    },
  },

  // A refresh token for every grant of a client that may use the
  // refresh_token grant. The default issues one only with offline_access,
  // which the provider drops from an authorization request unless it also
  // carries prompt=consent (OpenID Connect Core §11); oauthcheck does not
  // send that prompt.
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  // Rotate on every use, for every client (RFC 9700 §4.14.2).
  rotateRefreshToken: true,

  // PKCE as the provider enforces it by default: required for public
  // clients (token_endpoint_auth_method none), optional for confidential
  // ones; S256 is the only method it supports.

  ttl: {
    AuthorizationCode: 10, // seconds; oauthcheck's AUTHCODE-EXPIRY waits on it (code_lifetime)
    DeviceCode: 20, // seconds; DEVICE-EXPIRED-TOKEN waits on it
    AccessToken: 3600,
    ClientCredentials: 600,
    IdToken: 3600,
    // 12 s, renewed by every rotation (lib/actions/grants/refresh_token.js
    // saves the rotated token with a fresh TTL): an idle lifetime short
    // enough for REFRESH-LIFECYCLE to wait out (14.2 s) beside the other
    // checks, and long enough for any of them to use its refresh token
    // (refresh_lifetime in oauthcheck.yaml).
    RefreshToken: 12,
    Interaction: 3600,
    Session: 14 * 24 * 60 * 60,
    Grant: 14 * 24 * 60 * 60,
  },

  cookies: {
    keys: [process.env.COOKIE_KEY || 'oauthcheck-local-cookie-key-not-secret'],
  },
};

const provider = new Provider(ISSUER, configuration);

const server = provider.listen(PORT, HOST, () => {
  console.log(`node-oidc-provider listening on ${ISSUER}, discovery at ${ISSUER}/.well-known/openid-configuration`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
