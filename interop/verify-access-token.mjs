// Verifies an Entente access token the way a resource server would, with an implementation
// that shares no code with Entente: fetch the JWKS, check signature, typ (RFC 9068), iss, aud, exp.
// Usage: node verify-access-token.mjs <jwks_uri> <issuer> <audience> <token>
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [jwksUri, issuer, audience, token] = process.argv.slice(2);
try {
  const jwks = createRemoteJWKSet(new URL(jwksUri));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    typ: 'at+jwt',
    algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'],
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
  });
  console.log(JSON.stringify({ header: protectedHeader, payload }));
} catch (e) {
  console.error(`verification failed: ${e.code ?? ''} ${e.message}`);
  process.exit(1);
}
