// A partner's own OpenID Connect provider for federated sign-in tests: npm oidc-provider with
// its development login form (any password is accepted; the login names the account), an
// authorization-code client for Entente, ES256 ID tokens with the e-mail claims, and consent
// granted up front for Entente (a first-party client of the partner's).
// Usage: node partner-sso.mjs <port> <entente redirect uri> [client secret]
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const redirectUri = process.argv[3];
const secret = process.argv[4] || 'wonka-sso-secret-0123456789abcdef0123456789';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'sso-1' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'entente',
    client_secret: secret,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [jwk] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // The login typed in the development form is the account: its e-mail address.
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: `sub-${id}`, email: id, email_verified: true }),
  }),
  // Entente is the partner's own application: no consent screen.
  loadExistingGrant: async (ctx) => {
    const id = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email');
    await grant.save();
    return grant;
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
});
provider.listen(port, '127.0.0.1', () => console.log(`partner sso listening on ${port}`));
