import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import type { TestApp } from '../../support/test-app';

/** Debian's chromium (`.ci/run` installs it when missing); CHROMIUM_PATH points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The host name the browser uses for the app: resolved to 127.0.0.1 by Chromium itself (--host-resolver-rules), so
 * pages see an ordinary host name as in a deployment. Swagger UI and others skip some calls to third parties for
 * `localhost` and `127.0.0.1` only; on this name they would make them, and the request recorder would see them.
 */
export const appHost = 'payments.test';

/** Where each test's screenshots land (gitignored); CI keeps the folder as the run's artifacts. */
export const screenshotsDirectory = join(__dirname, '..', '..', '..', 'test-artifacts', 'browser');

/**
 * Chromium headless, without the background calls a desktop browser makes (component updates, sync, first-run
 * pages). Playwright gives every launch a fresh user-data-dir of its own and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--host-resolver-rules=MAP ${appHost} 127.0.0.1`,
      ],
    });
  } catch (error) {
    throw new Error(
      `Chromium did not start from ${chromiumPath} (install Debian's chromium, as .ci/run does, or set ` +
        `CHROMIUM_PATH): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Starts the app's HTTP server on an ephemeral port and answers the origin the browser reaches it by. */
export async function listenForBrowser(subject: TestApp): Promise<string> {
  await subject.app.listen(0, '127.0.0.1');
  const { port } = subject.app.getHttpServer().address() as { port: number };
  return `http://${appHost}:${port}`;
}

/**
 * Every request the pages of a context make, so a test can fail on any that leaves the app: data: and blob: URLs
 * stay inside the page, everything else must go to `origin`.
 */
export class RequestRecorder {
  readonly urls: string[] = [];

  constructor(
    context: BrowserContext,
    private readonly origin: string,
  ) {
    context.on('request', (request) => this.urls.push(request.url()));
  }

  /** The recorded requests to anywhere but the app. */
  elsewhere(): string[] {
    return this.urls.filter((url) => {
      if (url.startsWith('data:') || url.startsWith('blob:')) return false;
      return new URL(url).origin !== this.origin;
    });
  }
}

/** A full-page screenshot under test-artifacts/browser/, named `<name>.png`; `mask` hides what shows a secret. */
export async function screenshot(page: Page, name: string, mask: Locator[] = []): Promise<void> {
  mkdirSync(screenshotsDirectory, { recursive: true });
  await page.screenshot({ path: join(screenshotsDirectory, `${name}.png`), fullPage: true, mask });
}
