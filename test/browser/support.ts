/**
 * Browser tests drive Debian's Chromium (/usr/bin/chromium, or GOD_CHROMIUM) through playwright-core: headless,
 * no sandbox (CI runs as root), no background networking, so nothing leaves the machine. Where the browser is
 * missing the tests are skipped and say so loudly: they count as not run, never as passed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.GOD_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

if (!HAVE_CHROMIUM) {
  console.warn(
    `\n*** BROWSER TESTS NOT RUN: no Chromium at ${CHROMIUM} (apt-get install chromium, or set GOD_CHROMIUM). ` +
      'They are reported as skipped, not passed. ***\n',
  );
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-default-apps', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** Fails the test on any error the page logs or throws (a broken bundle shows up here first). */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  // Nothing may be fetched from another origin.
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.hostname !== '127.0.0.1' && url.protocol !== 'data:') errors.push(`external request: ${req.url()}`);
  });
  return errors;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** With GOD_SCREENSHOTS=1, saves a full-page PNG under docs/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<string | null> {
  if (process.env.GOD_SCREENSHOTS !== '1') return null;
  const path = join(ROOT, 'docs', 'screenshots', `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}
