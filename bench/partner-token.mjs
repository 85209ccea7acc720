// Writes a partner IdP's public JWKS to argv[2] and prints one ES256 RFC 9068 access token from
// that IdP for Entente (argv[3] = Entente's issuer), valid for 20 minutes.
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const [jwksPath, audience] = process.argv.slice(2);
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
writeFileSync(jwksPath, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-idp' }] }));
const b64 = (s) => Buffer.from(s).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const head = b64(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-idp' }));
const body = b64(JSON.stringify({ iss: 'https://idp.bench.test', sub: 'user-1', aud: audience, iat: now, exp: now + 1200, jti: 'bench' }));
const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
console.log(`${head}.${body}.${b64(sig)}`);
