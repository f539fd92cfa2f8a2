import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createMerchant, createPayment, type Merchant, type PaymentBody } from '../support/api';
import { startTestApp, type TestApp } from '../support/test-app';
import { launchChromium, listenForBrowser, RequestRecorder, screenshot } from './support/chromium';

// Every wait is on something the page shows or answers, bounded by this; never a fixed pause.
const renderDeadlineMs = 15_000;

interface OpenApiDocument {
  paths: Record<string, Record<string, { tags?: string[] }>>;
  components?: { schemas?: Record<string, unknown> };
}

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Tag → sorted `METHOD path` of its operations, as Swagger UI groups them (untagged ones under `default`). */
function operationsByTag(document: OpenApiDocument): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!httpMethods.has(method)) continue;
      for (const tag of operation.tags ?? ['default']) (groups[tag] ??= []).push(`${method.toUpperCase()} ${path}`);
    }
  }
  for (const operations of Object.values(groups)) operations.sort();
  return groups;
}

/** The little of the DOM's Element read in the page (the project's TypeScript has no DOM library). */
interface PageElement {
  readonly id: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selectors: string): PageElement | null;
  querySelectorAll(selectors: string): Iterable<PageElement>;
}

/** What the page rendered: each tag section with the operations listed in it. */
function renderedOperationsByTag(page: Page): Promise<Record<string, string[]>> {
  return page.$$eval('.opblock-tag-section', (sections: PageElement[]) => {
    const groups: Record<string, string[]> = {};
    for (const section of sections) {
      const tag = section.querySelector('.opblock-tag')?.getAttribute('data-tag') ?? '';
      groups[tag] = [...section.querySelectorAll('.opblock')]
        .map((operation) => {
          const method = operation.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '';
          const path = operation.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
          return `${method} ${path}`;
        })
        .sort();
    }
    return groups;
  });
}

describe('API documentation at /docs in Chromium', () => {
  let subject: TestApp;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let recorder: RequestRecorder;
  let page: Page;
  let document: OpenApiDocument;

  beforeAll(async () => {
    subject = await startTestApp();
    origin = await listenForBrowser(subject);
    browser = await launchChromium();
    document = (await subject.inject({ method: 'GET', url: '/docs-json' })).json<OpenApiDocument>();
  });
  afterAll(async () => {
    await browser?.close();
    await subject?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    recorder = new RequestRecorder(context, origin);
    page = await context.newPage();
    page.setDefaultTimeout(renderDeadlineMs);
  });
  afterEach(async () => {
    await context.close();
  });

  async function openDocs(): Promise<void> {
    const response = await page.goto(`${origin}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.swagger-ui .information-container .title').waitFor();
    await page.locator('.opblock-tag-section .opblock').first().waitFor();
  }

  it('renders every operation under its tag and every schema, loading nothing from elsewhere', async () => {
    await openDocs();

    expect(await page.locator('.information-container .title').innerText()).toContain('Payments API');
    expect(await renderedOperationsByTag(page)).toEqual(operationsByTag(document));
    const schemaNames = Object.keys(document.components?.schemas ?? {}).sort();
    expect(schemaNames).toContain('Error');
    await page.locator('section.models').waitFor();
    const renderedSchemas = await page.$$eval('section.models .model-container', (models: PageElement[]) =>
      models.map((model) => model.id.replace(/^model-/, '')).sort(),
    );
    expect(renderedSchemas).toEqual(schemaNames);
    await screenshot(page, 'docs-operations-and-schemas');

    // Swagger UI's script and styles come from the app (@nestjs/swagger serves swagger-ui-dist), like everything else.
    expect(recorder.urls).toEqual(
      expect.arrayContaining([`${origin}/docs/swagger-ui-bundle.js`, `${origin}/docs/swagger-ui.css`]),
    );
    expect(recorder.elsewhere()).toEqual([]);
  });

  it('authorizes with a merchant API key and runs "Try it out" on GET /v1/payments/{id}', async () => {
    const merchant: Merchant = await createMerchant(subject, 'Docs reader');
    const created = await createPayment(subject, merchant);
    expect(created.statusCode).toBe(202);
    const payment = created.json<PaymentBody>();
    const paymentId = payment.id;
    await openDocs();

    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    const bearer = dialog.locator('.auth-container').filter({ hasText: 'secret_key' });
    await bearer.locator('input[aria-label="auth-bearer-value"]').fill(merchant.apiKey);
    await bearer.locator('button.authorize').click();
    await bearer.locator('button', { hasText: 'Logout' }).waitFor();
    await screenshot(page, 'docs-authorized');
    await bearer.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });

    const operation = page
      .locator('.opblock.opblock-get')
      .filter({ has: page.locator('.opblock-summary-path[data-path="/v1/payments/{id}"]') });
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('tr[data-param-name="id"] input').fill(paymentId);
    const answered = page.waitForResponse(
      (response) => response.request().method() === 'GET' && response.url() === `${origin}/v1/payments/${paymentId}`,
    );
    await operation.locator('button.execute').click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(await response.request().headerValue('authorization')).toBe(`Bearer ${merchant.apiKey}`);

    const live = operation.locator('.live-responses-table .response');
    await live.locator('.response-col_status', { hasText: '200' }).waitFor();
    const shownBody = live.locator('.response-col_description .microlight').first();
    await shownBody.waitFor();
    expect(JSON.parse(await shownBody.innerText())).toMatchObject({
      id: paymentId,
      amount: payment.amount,
      currency: payment.currency,
    });
    // The curl line shows the API key: masked in the artifact.
    await screenshot(page, 'docs-try-it-out-200', [operation.locator('.curl-command')]);

    expect(recorder.elsewhere()).toEqual([]);
  });
});
