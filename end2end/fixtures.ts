export const ADMIN_EMAIL = 'admin@example.test';
export const ADMIN_PASSWORD = 'correct horse battery staple';

// A Content-Security-Policy violation anywhere in the page is reported as a console error, which
// every suite fails on (Chromium also logs its own "Refused to …" line).
export async function reportCspViolations(page: import('@playwright/test').Page) {
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
}
