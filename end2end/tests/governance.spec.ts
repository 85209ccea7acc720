import { test, expect, Browser } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD, baseURL, cli, cliWithInput, fillEscalation, hydrated, partnerKey, reportCspViolations, signIn, watch } from '../fixtures';

// Onboarding and four eyes in the browser: an operator completes a sandbox partner's checklist
// (record, questionnaire, issuer keys checked by the server, a real token exchange) and asks for
// production; they cannot approve it themselves; a second administrator cannot reject without a
// reason, and approves; the partner is then in production. Suspension (with a reason and a
// its slug typed out, in the Danger zone) turns into a reactivation request.

const OPERATOR = 'olga@example.test';
const IDP = 'https://idp.initech.test';
const API = 'https://shipping.e2e.test';
const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';

async function as(browser: Browser, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await reportCspViolations(page);
  await signIn(page, email, ADMIN_PASSWORD);
  return { page, problems, context };
}

test('an operator onboards a partner and requests production, a second administrator approves', async ({ browser }) => {
  cliWithInput(`${ADMIN_PASSWORD}\n`, 'admin', 'create', '--email', OPERATOR, '--role', 'operator', '--password-stdin');
  cli('partner', 'create', '--slug', 'initech', '--name', 'Initech', '--stage', 'sandbox');
  // Tried in the sandbox first: a sandbox audience for the partner's sandbox client.
  cli('audience', 'create', '--identifier', API, '--scopes', 'shipments:read', '--environment', 'sandbox');
  cli('grant', 'set', '--partner', 'initech', '--audience', API, '--scopes', 'shipments:read');
  const key = partnerKey('initech-1');
  const jwksFile = path.resolve(__dirname, '../.data/initech-idp.json');
  writeFileSync(jwksFile, key.jwks);
  cli('issuer', 'add', '--partner', 'initech', '--issuer', IDP, '--jwks-file', jwksFile);
  cli('trust-rule', 'set', '--partner', 'initech', '--issuer', IDP, '--audience', API, '--scopes', 'shipments:read');
  const client = JSON.parse(cli('client', 'create', '--partner', 'initech', '--name', 'gateway', '--scopes', 'shipments:read',
    '--grant-types', TX, '--output', 'json'));

  // The checklist starts empty and production cannot be requested.
  const olga = await as(browser, OPERATOR);
  await olga.page.goto('/partners/initech');
  await hydrated(olga.page);
  await olga.page.getByRole('link', { name: 'Onboarding' }).click();
  await expect(olga.page).toHaveURL(/\/partners\/initech\/onboarding$/);
  await hydrated(olga.page);
  await expect(olga.page.getByRole('heading', { name: /Checklist/ })).toContainText('0 of 5 done');
  await expect(olga.page.getByRole('button', { name: 'Request production' })).toBeDisabled();

  // The record, with inline validation of the agreement's dates.
  const form = olga.page.locator('#partner-record');
  await form.getByLabel('Legal name').fill('Initech LLC');
  await form.getByLabel('Reference').fill('MSA-2026-031');
  await form.getByLabel('Signed on').fill('2026-02-01');
  await form.getByLabel('Expires on').fill('2026-01-01');
  await expect(olga.page.getByText('The agreement must expire after it was signed.')).toBeVisible();
  await expect(form.getByRole('button', { name: 'Save record' })).toBeDisabled();
  await form.getByLabel('Expires on').fill('2029-01-31');
  await form.getByLabel('Permitted operations').fill('read shipments');
  await form.getByLabel('Data-handling class').selectOption('confidential');
  for (const [kind, who] of [['Technical', 'tess'], ['Security', 'sam'], ['Business', 'bo']]) {
    const set = form.getByRole('group', { name: `${kind} contact` });
    await set.getByLabel('Name').fill(who);
    await set.getByLabel('E-mail').fill(`${who}@initech.test`);
    await set.getByLabel('Phone').fill('+1 555 0100');
  }
  // The escalation path, a row per step: a step half filled in is named beside it and blocks
  // saving until completed or removed.
  await form.getByLabel('Step 1 name').fill('Initech NOC');
  await expect(form.locator('li.step').first().getByRole('alert')).toHaveText('add its contact and hours, or remove the step');
  await expect(form.getByRole('button', { name: 'Save record' })).toBeDisabled();
  await fillEscalation(form, [['Initech NOC', '+1 555 0199', '24x7'], ['CISO', 'ciso@initech.test', 'office hours'], ['spare', '', '']]);
  await form.getByRole('button', { name: 'Remove step 3' }).click();
  await expect(form.getByRole('alert')).toHaveCount(0);
  await form.getByRole('button', { name: 'Save record' }).click();
  await expect(olga.page.getByRole('heading', { name: /Checklist/ })).toContainText('2 of 5 done');

  await olga.page.getByRole('button', { name: 'Accept questionnaire' }).click();
  await expect(olga.page.locator('#check-questionnaire')).toHaveClass(/done/);
  await olga.page.getByRole('button', { name: 'Check now' }).click();
  await expect(olga.page.getByRole('status').filter({ hasText: 'Every issuer answered' })).toContainText('1 key');
  await expect(olga.page.locator('#check-issuer_keys')).toHaveClass(/done/);

  // The partner's first real token exchange, seen by the server.
  const now = Math.floor(Date.now() / 1000);
  const subject = key.token({ iss: IDP, sub: 'peter', aud: baseURL, iat: now, exp: now + 600, jti: 'e2e-onboarding-1' });
  const r = await fetch(`${baseURL}/sandbox/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
               'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: TX, subject_token: subject,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', audience: API }).toString(),
  });
  const exchangedBody = await r.text();
  expect(r.status, exchangedBody).toBe(200);
  const exchanged: string = JSON.parse(exchangedBody).access_token;
  // The orders API introspects it (RFC 7662) with its own client.
  const rs = JSON.parse(cli('resource-server', 'create', '--audience', API, '--name', 'orders-api', '--output', 'json'));
  const introspect = async () => {
    const res = await fetch(`${baseURL}/sandbox/oauth2/introspect`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${rs.client_id}:${rs.client_secret}`).toString('base64')}`,
                 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: exchanged }).toString(),
    });
    // The resource server is new: until the change feed brings it (≤ 1 s) it is refused.
    return res.status === 200 ? ((await res.json()).active as boolean) : `status ${res.status}`;
  };
  await expect.poll(introspect, { timeout: 2000 }).toBe(true);
  await expect(async () => {
    await olga.page.reload();
    await expect(olga.page.getByRole('heading', { name: /Checklist/ })).toContainText('5 of 5 done', { timeout: 500 });
  }).toPass({ timeout: 5000 });
  await hydrated(olga.page);
  await olga.page.screenshot({ path: 'test-results/onboarding-complete.png', fullPage: true });

  // Production is requested from the checklist: a change request, and the partner stays in sandbox.
  await olga.page.locator('#request-production').getByLabel('Reason (shown to the approver)').fill('checklist complete');
  await olga.page.getByRole('button', { name: 'Request production' }).click();
  await expect(olga.page.getByRole('status').filter({ hasText: 'Change request #' })).toContainText('promote initech to production');
  await olga.page.goto('/partners/initech');
  await hydrated(olga.page);
  await expect(olga.page.getByRole('heading', { level: 1 })).toHaveText('Initech');
  await expect(olga.page.locator('#lifecycle .state')).toHaveText('Sandbox');
  // No destination is chosen for the user, and the Overview only moves forward: demotion and
  // offboarding are in the Danger zone.
  const move = olga.page.locator('#move-stage select');
  await expect(move).toHaveValue('');
  await expect(move.locator('option')).toHaveText(['Choose a stage…', 'Production (needs approval)']);

  // They see their request but cannot decide it.
  await olga.page.getByRole('link', { name: /Change requests/ }).first().click();
  await expect(olga.page).toHaveURL(/\/changes/);
  await hydrated(olga.page);
  const mine = olga.page.locator('.request').filter({ hasText: 'promote initech to production' });
  await expect(mine).toBeVisible();
  await expect(mine).toContainText('You filed this request');
  await expect(mine.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await olga.page.screenshot({ path: 'test-results/changes-operator.png', fullPage: true });

  // The administrator sees it waiting in the navigation, and approves it.
  const admin = await as(browser, 'admin@example.test');
  await expect(admin.page.locator('.nav-count')).toHaveText('1');
  // Home is the overview: partners by stage, what waits for approval, recent events.
  await expect(admin.page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(admin.page.getByRole('region', { name: 'Waiting for approval' })).toContainText('promote initech to production');
  await expect(admin.page.getByRole('region', { name: 'Recent events' })).toContainText('change_request.file');
  await admin.page.screenshot({ path: 'test-results/overview.png', fullPage: true });
  await admin.page.goto('/changes');
  await hydrated(admin.page);
  const request = admin.page.locator('.request').filter({ hasText: 'promote initech to production' });
  await expect(request).toContainText('checklist complete');
  await expect(request).toContainText(`filed by ${OPERATOR}`);
  // The approver reads the promotion as a diff: the stage it changes, and the production access
  // it turns on (none here: sandbox access is not listed), with the onboarding evidence one
  // click away. The administrator's day (workday.spec) sees a production grant listed.
  const diff = request.locator('.request-diff');
  await expect(diff).toContainText('What approving changes');
  await expect(diff.locator('li.add')).toHaveText(/Production/);
  await expect(diff.locator('li.remove')).toHaveText(/Sandbox/);
  // initech's only grant is on a sandbox API, which a promotion does not carry to production.
  await expect(diff).not.toContainText('shipping.e2e.test');
  await expect(request.getByRole('link', { name: "initech's onboarding checklist" })).toHaveAttribute('href', '/partners/initech/onboarding');
  // Rejecting needs a reason first.
  await expect(request.getByRole('button', { name: 'Reject' })).toBeDisabled();
  await request.getByLabel('Comment (required to reject)').fill('welcome aboard');
  await expect(request.getByRole('button', { name: 'Reject' })).toBeEnabled();
  await admin.page.screenshot({ path: 'test-results/changes-admin.png', fullPage: true });
  admin.page.once('dialog', (d) => d.accept());
  await request.getByRole('button', { name: 'Approve' }).click();
  await expect(admin.page.getByRole('status').filter({ hasText: 'approved' })).toBeVisible();
  await expect(admin.page.getByText('Nothing waits for approval.')).toBeVisible();
  // The navigation's count follows the decision without a reload.
  await expect(admin.page.locator('.nav-count')).toHaveCount(0);

  // The requester reads the decision; the partner is in production.
  await olga.page.getByLabel('Show').selectOption('all');
  const decided = olga.page.locator('.request').filter({ hasText: 'promote initech to production' });
  await expect(decided.locator('.state')).toHaveText('approved');
  await expect(decided).toContainText('approved by admin@example.test');
  await expect(decided).toContainText('welcome aboard');
  await expect(decided.locator('.request-diff')).toContainText('What it changed');
  await olga.page.goto('/partners/initech');
  await hydrated(olga.page);
  await expect(olga.page.locator('#lifecycle .state')).toHaveText('Production');
  await expect(olga.page.locator('#move-stage')).toHaveCount(0);

  // The Danger zone names what each action stops and wants the slug typed out.
  await olga.page.getByRole('navigation', { name: 'Partner' }).getByRole('link', { name: 'Danger zone' }).click();
  await expect(olga.page).toHaveURL(/\/partners\/initech\?tab=danger$/);
  await hydrated(olga.page);
  const demote = olga.page.locator('#demote');
  await expect(demote.locator('.consequence')).toHaveText(
    "initech has no enabled production client, so none stops getting tokens; its sandbox clients keep working. Promoting it again needs a second administrator's approval.");
  await expect(olga.page.locator('#offboard .consequence')).toContainText("initech's 1 client stops getting tokens, every token derived from initech is revoked, and offboarding cannot be undone.");
  await expect(demote.getByRole('button', { name: 'Demote partner' })).toBeDisabled();
  await demote.getByLabel(/to confirm/).fill('initec');
  await expect(demote.getByRole('button', { name: 'Demote partner' })).toBeDisabled();
  await olga.page.screenshot({ path: 'test-results/partner-danger-zone.png', fullPage: true });

  // Suspension: a reason, the slug typed out, and then reactivation is a request.
  const suspend = olga.page.locator('#suspend');
  await expect(suspend.locator('.consequence')).toContainText("initech's 1 client stops getting tokens and every token derived from initech is revoked within a second.");
  await suspend.getByLabel('Why suspend (required)').fill('credential leak reported');
  await expect(suspend.getByRole('button', { name: 'Suspend partner' })).toBeDisabled();
  await suspend.getByLabel(/to confirm/).fill('initech');
  await suspend.getByRole('button', { name: 'Suspend partner' }).click();
  await expect(olga.page.locator('#partner-state .state')).toHaveText('Suspended');
  await expect(olga.page.locator('#partner-state')).toContainText('credential leak reported');
  // The kill switch: the token exchanged earlier introspects inactive within a second.
  const suspendedAt = Date.now();
  await expect.poll(introspect, { timeout: 1000, intervals: [50] }).toBe(false);
  expect(Date.now() - suspendedAt).toBeLessThan(1000);
  await olga.page.getByRole('navigation', { name: 'Partner' }).getByRole('link', { name: 'Overview' }).click();
  await hydrated(olga.page);
  await olga.page.locator('#reactivate').getByLabel('Reason (shown to the approver)').fill('leaked key rotated');
  await olga.page.getByRole('button', { name: 'Request reactivation' }).click();
  await expect(olga.page.getByRole('status').filter({ hasText: 'Change request #' })).toContainText('reactivate initech');
  await olga.page.screenshot({ path: 'test-results/partner-suspended.png', fullPage: true });
  await expect(olga.page.locator('#lifecycle .state')).toHaveText('Suspended');

  // All of it is in the audit log, and the filters narrow it.
  await admin.page.goto('/audit?partner=initech');
  await hydrated(admin.page);
  // Issue 25: the page says whether the audit trail is intact (a hash chain, checked here).
  await expect(admin.page.locator('#audit-chain')).toContainText(/^Audit chain verified: /);
  const log = admin.page.locator('#audit');
  for (const action of ['partner.record', 'partner.questionnaire_accept', 'partner.issuer_check', 'change_request.file',
    'change_request.approve', 'partner.stage', 'partner.suspend']) {
    await expect(log.getByText(action, { exact: true }).first()).toBeVisible();
  }
  // One line per event; its change opens under it, and its target links to the object.
  const suspension = log.getByRole('row').filter({ hasText: 'partner.suspend' });
  await expect(suspension.locator('pre.diff')).toBeHidden();
  await suspension.locator('summary').click();
  await expect(suspension.locator('pre.diff')).toContainText('reason: credential leak reported');
  await expect(suspension.getByRole('link', { name: 'partner:initech' })).toHaveAttribute('href', '/partners/initech');
  const approval = log.getByRole('row').filter({ hasText: 'change_request.approve' }).first();
  await expect(approval.getByRole('link', { name: /^change_request:\d+$/ })).toHaveAttribute('href', /^\/changes\?show=all&partner=initech&request=\d+#request-\d+$/);
  await admin.page.getByLabel('Action').fill('change_request.');
  await admin.page.getByRole('button', { name: 'Filter' }).click();
  await expect(admin.page).toHaveURL(/action=change_request\./);
  await expect(log.getByText('partner.suspend', { exact: true })).toHaveCount(0);
  await expect(log.getByText('change_request.approve', { exact: true })).toBeVisible();
  await expect(admin.page.getByRole('link', { name: 'CSV' })).toHaveAttribute('href', /format=csv.*|.*action=change_request\..*format=csv/);
  await admin.page.screenshot({ path: 'test-results/audit.png', fullPage: true });

  // The change request's link opens on its card.
  const href = (await approval.getByRole('link', { name: /^change_request:\d+$/ }).getAttribute('href'))!;
  await admin.page.goto(href);
  await hydrated(admin.page);
  await expect(admin.page.locator(`#request-${href.split('#request-')[1]}`)).toContainText('promote initech to production');
  // It is that request alone, however old, with the way back to the partner's others.
  await expect(admin.page.locator('.request')).toHaveCount(1);
  await expect(admin.page.getByRole('link', { name: "all of initech's requests" })).toHaveAttribute('href', '/changes?show=all&partner=initech');

  // The users page: the administrator sees the operator and may change their role.
  await admin.page.goto('/users');
  await hydrated(admin.page);
  await expect(admin.page.locator('#users')).toContainText(OPERATOR);
  await expect(admin.page.locator('#users')).toContainText('admin@example.test (you)');
  await admin.page.screenshot({ path: 'test-results/users.png', fullPage: true });

  expect(olga.problems, olga.problems.join('\n')).toEqual([]);
  expect(admin.problems, admin.problems.join('\n')).toEqual([]);
  await olga.context.close();
  await admin.context.close();
});

// Four eyes are two people: a console invitation names the address that may use it (inline
// validation first), and the link works for that address only.
test('a console invitation is bound to the invited address', async ({ browser }) => {
  const { page, problems, context } = await as(browser, 'admin@example.test');
  await page.goto('/users');
  await hydrated(page);
  const form = page.locator('#invite');
  const create = form.getByRole('button', { name: 'Create invitation link' });
  await form.getByLabel('E-mail').fill('carol@');
  await expect(form.getByRole('alert')).toContainText('Enter an e-mail address');
  await expect(create).toBeDisabled();
  await form.getByLabel('E-mail').fill('carol@example.test');
  await form.getByLabel('Role').selectOption('auditor');
  await create.click();
  const link = (await page.locator('.invite-link').textContent()) ?? '';
  expect(link).toContain(`${baseURL}/setup?token=`);
  await page.screenshot({ path: 'test-results/console-invitation.png', fullPage: true });

  // Pending invitations are listed, and one can be revoked (after a confirmation): its link
  // then says it no longer works.
  const pending = page.locator('#invitations');
  await expect(pending.getByRole('row').filter({ hasText: 'carol@example.test' })).toContainText('auditor');
  await form.getByLabel('E-mail').fill('dave@example.test');
  await create.click();
  // Read the new link, not carol's still on screen until the answer arrives.
  await expect(page.locator('.invite-link')).not.toHaveText(link);
  const daves = (await page.locator('.invite-link').textContent()) ?? '';
  const dave = pending.getByRole('row').filter({ hasText: 'dave@example.test' });
  page.once('dialog', (d) => d.accept());
  await dave.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The invitation for dave@example.test no longer works.' })).toBeVisible();
  await expect(dave).toHaveCount(0);
  // The host revokes one from the shell the same way.
  await form.getByLabel('E-mail').fill('erin@example.test');
  await create.click();
  await expect(pending.getByRole('row').filter({ hasText: 'erin@example.test' })).toHaveCount(1);
  expect(JSON.parse(cli('admin', 'revoke-invite', '--email', 'erin@example.test', '--output', 'json')).revoked).toBe(1);
  await page.reload();
  await hydrated(page);
  await expect(pending.getByRole('row').filter({ hasText: 'erin@example.test' })).toHaveCount(0);

  // The link says who invites whom, to what, for which address (shown, not typed; the server
  // refuses any other address all the same: the API tests send one).
  const other = await browser.newContext();
  const visitor = await other.newPage();
  await visitor.goto(daves);
  await hydrated(visitor);
  await expect(visitor.getByRole('alert')).toContainText('This link is invalid, used or expired');
  await visitor.goto(link);
  await hydrated(visitor);
  const offer = visitor.getByRole('region', { name: 'Invitation' });
  await expect(offer).toContainText('You are invited to join the Entente console.');
  await expect(offer).toContainText('auditor — reads everything');
  await expect(offer).toContainText('admin@example.test');
  await expect(visitor.getByLabel('E-mail')).toHaveValue('carol@example.test');
  await expect(visitor.getByLabel('E-mail')).not.toBeEditable();
  await visitor.getByLabel('Password').fill(ADMIN_PASSWORD);
  await visitor.getByRole('button', { name: 'Create account' }).click();
  await visitor.waitForURL((u) => u.pathname === '/');
  await other.close();
  expect(problems).toEqual([]);
  await context.close();
});
