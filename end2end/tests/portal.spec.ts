import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { baseURL, cli, hydrated, reportCspViolations, signIn, takeSecret, watch } from '../fixtures';

// The partner portal: a partner admin joins by invitation, creates a sandbox client, gets a
// token with it from a shell, rotates its secret with an overlap, and invites a colleague;
// partner users never see the console.
const API = 'https://sandbox.wonka.e2e.test';
const PASSWORD = 'golden ticket chocolate river';

test('a partner admin joins by invitation and manages sandbox clients in the portal', async ({ page, browser }) => {
  const problems = watch(page, (status, url) => status === 403 && url.includes('/api/'));
  await reportCspViolations(page);
  cli('partner', 'create', '--slug', 'wonka', '--name', 'Wonka Industries', '--stage', 'sandbox');
  cli('audience', 'create', '--identifier', API, '--scopes', 'candy:read candy:write', '--environment', 'sandbox');
  cli('grant', 'set', '--partner', 'wonka', '--audience', API, '--scopes', 'candy:read');
  const invite = JSON.parse(cli('partner', 'invite', '--partner', 'wonka', '--email', 'willy@wonka.test',
    '--role', 'partner_admin', '--output', 'json'));
  expect(invite.link).toContain(`${baseURL}/setup?token=`);

  // The link: the invited address sets a password and lands in the portal.
  await page.goto(invite.link);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  // It says who invites whom, to what, with the address shown and not editable.
  const offer = page.getByRole('region', { name: 'Invitation' });
  await expect(offer).toContainText("You are invited to join Wonka Industries's team in the partner portal.");
  await expect(offer).toContainText('Partner admin: manages clients and the team');
  await expect(page.getByLabel('E-mail')).toHaveValue('willy@wonka.test');
  await expect(page.getByLabel('E-mail')).not.toBeEditable();
  await page.screenshot({ path: 'test-results/invitation.png', fullPage: true });
  await page.getByLabel(/Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.locator('.partner-name')).toHaveText('Wonka Industries');
  await expect(page.getByRole('region', { name: 'Endpoints' })).toContainText(`${baseURL}/sandbox/oauth2/token`);
  await expect(page.getByRole('region', { name: 'Onboarding checklist' })).toContainText('of 5 done');
  await page.screenshot({ path: 'test-results/portal-overview.png', fullPage: true });

  // The console is not theirs: its pages send them back to the portal.
  await page.goto('/partners');
  await expect(page).toHaveURL(/\/portal$/);
  await hydrated(page);

  // A sandbox client, with inline validation of the scopes they hold.
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Clients' }).click();
  await expect(page).toHaveURL(/\/portal\/clients$/);
  await hydrated(page);
  await expect(page.getByText('No clients yet.')).toBeVisible();
  const form = page.locator('#new-client');
  await form.getByLabel('Name').fill('factory-floor');
  await form.getByLabel(/Scopes/).fill('candy:write');
  await expect(page.getByText('candy:write is not granted to you in the sandbox')).toBeVisible();
  await expect(form.getByRole('button', { name: 'Create sandbox client' })).toBeDisabled();
  await form.getByLabel(/Scopes/).fill('candy:read');
  await form.getByRole('button', { name: 'Create sandbox client' }).click();
  const { clientId, secret: shown, tokenEndpoint } = await takeSecret(page, 'Sandbox client created.');
  const secret = shown!;
  expect(tokenEndpoint).toBe(`${baseURL}/sandbox/oauth2/token`);
  await expect(page.locator(`#client-${clientId}`)).toContainText('sandbox');
  await page.screenshot({ path: 'test-results/portal-clients.png', fullPage: true });

  // The client works from a shell, as curl would call it.
  const curl = (id: string, s: string) => JSON.parse(execFileSync('curl', ['-s', '-u', `${id}:${s}`,
    '-d', 'grant_type=client_credentials', '-d', `resource=${API}`, `${baseURL}/sandbox/oauth2/token`]).toString());
  expect(curl(clientId, secret).token_type).toBe('Bearer');

  // The playground: a trial token through the real sandbox token endpoint, and its curl.
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Playground' }).click();
  await expect(page).toHaveURL(/\/sandbox$/);
  await hydrated(page);
  const trial = page.locator('#trial');
  await trial.getByRole('combobox', { name: 'Client', exact: true }).selectOption(clientId);
  await trial.getByLabel('Client secret').fill(secret);
  await trial.getByRole('button', { name: 'Send' }).click();
  const result = page.getByRole('region', { name: 'Trial result' });
  await expect(result.getByRole('heading', { name: /Result/ })).toContainText('HTTP 200');
  await expect(result.locator('.token-claims')).toContainText(`"iss": "${baseURL}/sandbox"`);
  await expect(result.locator('.token-times')).toHaveText(/^issued \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · expires .+ UTC \(lives \d+ (min|s)\)$/);
  await expect(result.locator('.checks li.done')).toHaveCount(5);
  const curlCommand = (await result.locator('pre.curl').textContent())!;
  expect(curlCommand).not.toContain(secret);
  const fromShell = JSON.parse(execFileSync('bash', ['-c', curlCommand], { env: { ...process.env, CLIENT_SECRET: secret } }).toString());
  expect(fromShell.token_type).toBe('Bearer');
  await page.screenshot({ path: 'test-results/playground.png', fullPage: true });
  // Another grant: the result shown was the previous grant's, so it goes.
  await trial.getByLabel('Grant').selectOption('urn:ietf:params:oauth:grant-type:token-exchange');
  await expect(result).toHaveCount(0);
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Clients' }).click();
  await hydrated(page);

  // Rotation with a 24-hour overlap: both secrets work.
  const row = page.locator(`#client-${clientId}`);
  await row.getByLabel('Old secret keeps working').selectOption('86400');
  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: 'Rotate secret' }).click();
  const rotated = (await takeSecret(page, 'the old one keeps working for 24 hours')).secret!;
  expect(rotated).not.toBe(secret);
  expect(curl(clientId, secret).access_token).toBeTruthy();
  expect(curl(clientId, rotated).access_token).toBeTruthy();

  // A private_key_jwt client: a pasted JWKS, checked as it is typed (private material is
  // refused), then a token from a shell with an assertion signed by the partner's own key.
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'wonka-2026', alg: 'ES256', use: 'sig' };
  const withPrivate = { ...privateKey.export({ format: 'jwk' }), kid: 'oops' };
  await form.getByLabel('Name').fill('signer');
  await form.getByLabel(/Scopes/).fill('candy:read');
  await form.getByLabel(/private_key_jwt/).check();
  const jwksField = form.getByLabel(/paste your public JWKS/);
  await jwksField.fill(JSON.stringify({ keys: [withPrivate] }));
  await expect(form.getByText('this holds private key material')).toBeVisible();
  await expect(form.getByRole('button', { name: 'Create sandbox client' })).toBeDisabled();
  await jwksField.fill(JSON.stringify({ keys: [jwk] }));
  await expect(form.getByRole('button', { name: 'Create sandbox client' })).toBeEnabled();
  await form.getByRole('button', { name: 'Create sandbox client' }).click();
  const keyShown = await takeSecret(page, 'it authenticates with private_key_jwt');
  expect(keyShown.secret).toBeUndefined();
  const signerId = keyShown.clientId;
  await expect(page.locator(`#client-${signerId}`)).toContainText('JWKS, 1 key');
  const b64 = (v: object | Buffer) => Buffer.from(v instanceof Buffer ? v : JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({ alg: 'ES256', kid: 'wonka-2026', typ: 'JWT' })}.${b64({
    iss: signerId, sub: signerId, aud: `${baseURL}/sandbox`, iat: now, exp: now + 120, jti: randomUUID() })}`;
  const assertion = `${unsigned}.${b64(sign('sha256', Buffer.from(unsigned), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
  const signed = JSON.parse(execFileSync('curl', ['-s', '-d', 'grant_type=client_credentials', '-d', `resource=${API}`,
    '-d', 'client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    '-d', `client_assertion=${assertion}`, `${baseURL}/sandbox/oauth2/token`]).toString());
  expect(signed.token_type).toBe('Bearer');
  await page.screenshot({ path: 'test-results/portal-key-client.png', fullPage: true });

  // The overview counts those tokens as sandbox usage (the rollups are written every few
  // seconds), with the partner's limits and the latest events.
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Overview' }).click();
  await hydrated(page);
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('usage-sandbox').locator('strong')).not.toHaveText('0', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByRole('region', { name: 'Rate limits' })).toContainText('All your sandbox clients together');
  await expect(page.getByRole('region', { name: 'Recent events' })).toContainText('client.create');
  await page.screenshot({ path: 'test-results/portal-activity.png', fullPage: true });
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Clients' }).click();
  await hydrated(page);

  // A colleague, invited from the team page with inline validation.
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Team' }).click();
  await expect(page).toHaveURL(/\/portal\/team$/);
  await hydrated(page);
  await expect(page.getByRole('table')).toContainText('willy@wonka.test (you)');
  const inviteForm = page.locator('#invite');
  await inviteForm.getByLabel('E-mail').fill('charlie@');
  await expect(page.getByText('Enter an e-mail address like name@example.com.')).toBeVisible();
  await inviteForm.getByLabel('E-mail').fill('charlie@wonka.test');
  await inviteForm.getByRole('button', { name: 'Create invitation link' }).click();
  await expect(page.locator('.invite-link')).toContainText(`${baseURL}/setup?token=`);
  await page.screenshot({ path: 'test-results/portal-team.png', fullPage: true });

  // The console shows the partner's users on its page.
  const context = await browser.newContext();
  const admin = await context.newPage();
  await reportCspViolations(admin);
  const adminProblems = watch(admin);
  await signIn(admin);
  await admin.goto('/partners/wonka?tab=users');
  await hydrated(admin);
  await expect(admin.getByRole('region', { name: 'Partner users' })).toContainText('willy@wonka.test');
  await expect(admin.getByRole('region', { name: 'Partner users' })).toContainText('charlie@wonka.test (partner_viewer');
  await expect(admin.getByTestId('partner-sso')).toContainText('No single sign-on');
  // Staff can set the partner's tester-clients switch for a partner who asks (the same
  // operation as the portal's Team page), after confirming.
  const testers = admin.getByRole('region', { name: "Sandbox testers' own clients" });
  await expect(testers).toContainText('Off: sandbox testers use the clients the partner gives them.');
  await testers.getByLabel('Let each sandbox tester get their own sandbox client').check();
  admin.once('dialog', (d) => d.accept());
  await testers.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByRole('region', { name: "Sandbox testers' own clients" }))
    .toContainText('On: each sandbox tester gets a sandbox client of their own');
  await admin.screenshot({ path: 'test-results/partner-users.png', fullPage: true });
  expect(adminProblems).toEqual([]);
  expect(problems).toEqual([]);
  await context.close();
});
