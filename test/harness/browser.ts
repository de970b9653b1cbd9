import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium, headless, as root on a machine without network: without the
 * background-networking flags Chromium keeps trying to reach Google's hosts.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A console page in Chromium, with the page's uncaught errors collected as they happen. */
export interface ConsolePage {
  browser: Browser;
  page: Page;
  pageErrors: string[];
}

/** Opens `url` at 1400×900 (or `viewport`) and waits for the page's `heading`. */
export async function openConsole(
  url: string,
  heading: string,
  viewport = { width: 1400, height: 900 },
): Promise<ConsolePage> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(30_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  return { browser, page, pageErrors };
}

/**
 * A console page at `viewport`, in `timezoneId` with en-US formats (so the times a test reads
 * do not depend on the machine), its uncaught errors and, when given, its console errors
 * collected into the arrays a test asserts empty at its end.
 */
export async function newZonedPage(
  browser: Browser,
  timezoneId: string,
  viewport: { width: number; height: number },
  pageErrors: string[],
  consoleErrors?: string[],
): Promise<Page> {
  const page = await browser.newPage({ viewport, locale: 'en-US', timezoneId });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  if (consoleErrors)
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  return page;
}

/** Clicks `label` in the console's main navigation and waits for that page's heading. */
export async function navigateTo(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

/** Saves `page` as NAME.png in HYPERKEEP_E2E_SHOTS, when that is set (for a person to look at). */
export async function saveShot(page: Page, name: string, fullPage = true): Promise<void> {
  const dir = process.env['HYPERKEEP_E2E_SHOTS'];
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage });
}
