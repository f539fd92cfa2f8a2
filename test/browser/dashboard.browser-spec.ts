import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Database } from '../../src/database/database';
import { PAYMENTS_QUEUE } from '../../src/payments/payments.constants';
import { QueueRegistry } from '../../src/queueing/queue-registry';
import {
  createMerchant,
  createPayment,
  eventually,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
} from '../support/api';
import { fastProcessing } from '../support/fast-processing';
import { startTestApp, type TestApp, testAdminToken } from '../support/test-app';
import { launchChromium, listenForBrowser, RequestRecorder, screenshot } from './support/chromium';

// Every wait is on something the page shows or answers, bounded by this; never a fixed pause.
const renderDeadlineMs = 15_000;
const operator = { username: 'admin', password: testAdminToken };

interface FetchedAnswer {
  status: number;
  challenge: string | null;
  body: string;
}

describe('Bull Board dashboard at /admin/queues in Chromium', () => {
  let subject: TestApp;
  let origin: string;
  let browser: Browser;
  let queueNames: string[];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    origin = await listenForBrowser(subject);
    browser = await launchChromium();
    queueNames = subject.app.get(QueueRegistry).queues.map((queue) => queue.name);
  });
  afterAll(async () => {
    await browser?.close();
    await subject?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  /**
   * A page in a context of its own; `httpCredentials` answer the dashboard's Basic challenge as an operator typing
   * them into the browser's prompt would. Without them the browser has nothing to answer with.
   */
  async function pageWith(httpCredentials?: { username: string; password: string }) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, httpCredentials });
    contexts.push(context);
    const recorder = new RequestRecorder(context, origin);
    const page = await context.newPage();
    page.setDefaultTimeout(renderDeadlineMs);
    return { page, recorder };
  }

  /** What the page's own fetch of `path` answers, sent without credentials (so the browser prompts for none). */
  function fetchWithoutCredentials(page: Page, path: string): Promise<FetchedAnswer> {
    return page.evaluate(async (target) => {
      const response = await fetch(target, { credentials: 'omit' });
      return {
        status: response.status,
        challenge: response.headers.get('www-authenticate'),
        body: await response.text(),
      };
    }, path);
  }

  /** The innermost card on a queue's page that shows the job's id and holds its actions. */
  function jobCard(page: Page, jobId: string) {
    return page
      .locator('[class*="card"]')
      .filter({ hasText: jobId })
      .filter({ has: page.locator('ul[class*="jobActions"]') })
      .last();
  }

  function showsDashboard(text: string): boolean {
    return text.includes('id="root"') || queueNames.some((name) => text.includes(name));
  }

  it('refuses a browser without credentials: the page fails on the Basic challenge, and nothing of it is sent', async () => {
    const { page, recorder } = await pageWith();
    const failures: string[] = [];
    page.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText}`));

    // Chromium cancels a challenge it has no credentials for (headless, no prompt): the navigation fails.
    await expect(page.goto(`${origin}/admin/queues`)).rejects.toThrow(/net::ERR_INVALID_AUTH_CREDENTIALS/);
    expect(failures).toEqual([`${origin}/admin/queues net::ERR_INVALID_AUTH_CREDENTIALS`]);
    await screenshot(page, 'dashboard-anonymous-refused');

    // What the server answered, read from a page of the same origin: 401, the challenge, no dashboard.
    await page.goto(`${origin}/health/live`);
    for (const path of ['/admin/queues', `/admin/queues/queue/${PAYMENTS_QUEUE}`, '/admin/queues/api/queues']) {
      const answer = await fetchWithoutCredentials(page, path);
      expect({ path, status: answer.status, challenge: answer.challenge }).toEqual({
        path,
        status: 401,
        challenge: 'Basic realm="queues", charset="UTF-8"',
      });
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'dashboard_credentials_invalid' } });
      expect(showsDashboard(answer.body)).toBe(false);
    }
    expect(recorder.elsewhere()).toEqual([]);
  });

  it('refuses a browser with a wrong password: it shows the 401 answer and nothing of the dashboard', async () => {
    const { page, recorder } = await pageWith({ username: 'admin', password: 'not-the-admin-token' });

    const response = await page.goto(`${origin}/admin/queues`);

    expect(response?.status()).toBe(401);
    expect(response?.headers()['www-authenticate']).toMatch(/^Basic realm="queues"/);
    expect(await page.locator('#root').count()).toBe(0);
    const shown = await page.locator('body').innerText();
    expect(shown).toContain('dashboard_credentials_invalid');
    expect(showsDashboard(shown)).toBe(false);
    await screenshot(page, 'dashboard-wrong-password-401');
    expect(recorder.elsewhere()).toEqual([]);
  });

  it('shows every queue to the operator, loading nothing from elsewhere (no web fonts from a CDN)', async () => {
    const { page, recorder } = await pageWith(operator);

    const response = await page.goto(`${origin}/admin/queues`);

    expect(response?.status()).toBe(200);
    expect(queueNames).toEqual(expect.arrayContaining([PAYMENTS_QUEUE]));
    for (const name of queueNames) await page.getByRole('link', { name, exact: true }).first().waitFor();
    await screenshot(page, 'dashboard-queues');
    expect(recorder.urls).toContainEqual(expect.stringMatching(/\/admin\/queues\/api\/queues/));
    expect(recorder.elsewhere()).toEqual([]);
  });

  it('shows a dead-lettered payment job, and the operator retries it from the page', async () => {
    const merchant = await createMerchant(subject, 'Dead letters');
    // The simulator times out on this card every time: the job exhausts its attempts and stays failed.
    const created = await createPayment(subject, merchant, paymentBody({}, { number: testCards.alwaysTimeout }));
    const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(payment).toMatchObject({ status: 'failed', failure_code: 'processing_error' });
    const outbox = await subject.app
      .get(Database)
      .db.execute<{ id: string }>(sql`SELECT id FROM outbox WHERE payload->>'paymentId' = ${payment.id}`);
    const jobId = outbox.rows[0]!.id;
    const queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
    const jobNow = async () => {
      const job = await queue.getJob(jobId);
      return { state: await job?.getState(), attemptsStarted: job?.attemptsStarted ?? 0, result: job?.returnvalue };
    };
    try {
      const deadLetter = await eventually(jobNow, (job) => job.state === 'failed', {
        what: 'the authorization job dead-lettered',
      });
      const { page, recorder } = await pageWith(operator);

      await page.goto(`${origin}/admin/queues/queue/${PAYMENTS_QUEUE}?status=failed`);
      const card = jobCard(page, jobId);
      await card.getByText('simulated network timeout').first().waitFor();
      await screenshot(page, 'dashboard-dead-letter');

      // A job's actions are icons named by their tooltips; a failed job's first one is Retry.
      const retry = card.locator('ul[class*="jobActions"] button').first();
      await retry.hover();
      await page.locator('[class*="popup"][data-open]', { hasText: /^Retry$/ }).waitFor();
      await retry.click();
      const confirmation = page.getByRole('alertdialog').filter({ hasText: 'retry this job' });
      await confirmation.waitFor();
      await screenshot(page, 'dashboard-dead-letter-retry-confirmation');
      const retried = page.waitForResponse(
        (response) =>
          response.request().method() === 'PUT' &&
          response.url() === `${origin}/admin/queues/api/queues/${PAYMENTS_QUEUE}/${jobId}/retry`,
      );
      await confirmation.getByRole('button', { name: 'Confirm' }).click();
      expect((await retried).status()).toBe(204);

      const ranAgain = await eventually(jobNow, (job) => job.state === 'completed', {
        what: 'the retried job running again',
      });
      expect(ranAgain.attemptsStarted).toBeGreaterThan(deadLetter.attemptsStarted);
      // The payment had failed for good: the job run again finds it final and changes nothing.
      expect(ranAgain.result).toEqual({ outcome: 'already_final' });
      await page.goto(`${origin}/admin/queues/queue/${PAYMENTS_QUEUE}?status=completed`);
      await jobCard(page, jobId).waitFor();
      await screenshot(page, 'dashboard-retried-completed');
      expect(recorder.elsewhere()).toEqual([]);
    } finally {
      await queue.close();
    }
  });
});
