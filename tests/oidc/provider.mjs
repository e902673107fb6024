// A real OpenID Provider for the staff sign-in tests: oidc-provider (OpenID-certified), on
// 127.0.0.1, configured by one JSON argument (tests/oidc/support.py writes it):
//   {"port": 0, "issuer": "http://127.0.0.1:PORT", "client": {client_id, client_secret,
//    redirect_uris}, "keys": {"keys": [private JWKs, the first signs]},
//    "accounts": {"<sub>": {claims}}}
// Its development login form accepts any login as the subject; consent is given on the
// same form. Prints "listening <port>" once it serves.
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const accounts = config.accounts;

const provider = new Provider(config.issuer, {
  clients: [{ ...config.client, grant_types: ['authorization_code'], response_types: ['code'] }],
  jwks: config.keys,
  cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false, // the ID token carries the claims (as Keycloak, Entra do)
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, ...(accounts[sub] || {}) }),
  }),
  ttl: { IdToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
