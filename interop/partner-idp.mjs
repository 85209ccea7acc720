// A partner's identity provider for the federation interop test: npm oidc-provider issuing
// RFC 9068 JWT access tokens (ES256, typ at+jwt) by client_credentials, addressed to Entente.
// Usage: node partner-idp.mjs <port> <entente issuer>
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const audience = process.argv[3];
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'partner-1' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'acme-workload',
    client_secret: 'acme-workload-secret-0123456789abcdef0123456789',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope: 'partner:api',
  }],
  jwks: { keys: [jwk] },
  scopes: ['partner:api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'partner:api',
        audience,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`partner idp listening on ${port}`));
