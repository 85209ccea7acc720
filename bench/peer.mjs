// The benchmark peer: npm oidc-provider configured for the same jobs as Entente's bench —
// client_credentials with client_secret_basic → an ES256-signed RFC 9068 JWT access token for one
// resource (resource indicators, accessTokenFormat 'jwt'); and, for its introspection, a second
// client whose tokens are its default kind (opaque, held in its memory adapter), introspected by
// that client. Usage: node peer.mjs <port>
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 3300);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' };
const RESOURCE = 'https://api.example.test';

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret-0123456789abcdef0123456789abcdef',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope: 'orders:read',
  }, {
    client_id: 'bench-opaque',
    client_secret: 'bench-secret-0123456789abcdef0123456789abcdef',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope: 'orders:read',
  }],
  ttl: { ClientCredentials: 300 },
  jwks: { keys: [jwk] },
  scopes: ['orders:read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No resource for the opaque client: its tokens stay oidc-provider's default format.
      defaultResource: (ctx, client) => (client.clientId === 'bench' ? RESOURCE : undefined),
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'orders:read',
        audience: RESOURCE,
        accessTokenTTL: 300,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`peer listening on ${port}`));
