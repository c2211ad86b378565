import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium (Debian's package), or undefined when it is not installed. `extraArgs`: e.g. a fake microphone. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/**
 * Chromium for a suite's `before` hook, or the suite is skipped with a message saying what to
 * install (the CI script installs Debian's chromium), rather than passing silently.
 */
export async function chromiumOrSkip(ctx: Mocha.Context, extraArgs: string[] = []): Promise<Browser> {
  const browser = await launchChromium(extraArgs);
  if (!browser) {
    console.warn(`    (skipped: no Chromium at ${CHROMIUM}; apt-get install -y chromium)`);
    ctx.skip();
  }
  return browser!;
}
