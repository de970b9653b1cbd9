import { chromium, type Browser } from 'playwright-core';

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
