import { inArray } from 'drizzle-orm';
import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { apiKeys, events, payments, webhookDeliveries } from '../src/database/schema';
import {
  apiKeysCall,
  createMerchant,
  createPayment,
  type Merchant,
  type PaymentBody,
  settledPayment,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';
import { createEndpoint } from './support/webhooks-api';

// Every list pages by keyset (src/database/keyset.ts): these page through each of them with small limits over rows
// that share a millisecond, so a tie broken wrongly would repeat or lose a row.

interface ListItem {
  id: string;
  created_at: string;
}

interface ListCase {
  /** The list's URL, without a query. */
  path: string;
  headers: Record<string, string>;
  /** The list's rows, newest first, as PostgreSQL orders them. */
  expected: string[];
  /** Lists ordered by creation time (then id) rather than by sequence. */
  byCreation: boolean;
  /** A row this list does not hold: another merchant's (or another endpoint's). */
  foreignId: string;
  /** An id of the list's kind that names no row. */
  unknownId: string;
  /** `No such ${what}: '…'` */
  what: string;
}

describe('keyset pagination of every list', () => {
  let subject: TestApp;
  let database: Database;
  let owner: Merchant;
  let stranger: Merchant;

  /** Ids in the order PostgreSQL gives them (its collation orders ids that tie on created_at). */
  async function idsOf(query: string, parameters: unknown[]): Promise<string[]> {
    const result = await database.pool.query<{ id: string }>(query, parameters);
    return result.rows.map((row) => row.id);
  }

  function get(list: ListCase, query: string) {
    return subject.inject({ method: 'GET', url: `${list.path}${query}`, headers: list.headers });
  }

  async function checkPaging(list: ListCase) {
    expect(list.expected.length).toBeGreaterThanOrEqual(4);
    for (const limit of [1, 2, 3]) {
      const seen: ListItem[] = [];
      let startingAfter: string | undefined;
      for (let pages = 0; ; pages += 1) {
        expect(pages).toBeLessThanOrEqual(list.expected.length);
        const response = await get(list, `?limit=${limit}${startingAfter ? `&starting_after=${startingAfter}` : ''}`);
        expect(response.statusCode).toBe(200);
        const page = response.json<{ object: string; data: ListItem[]; has_more: boolean }>();
        expect(page.object).toBe('list');
        expect(page.data.length).toBeGreaterThan(0);
        expect(page.data.length).toBeLessThanOrEqual(limit);
        seen.push(...page.data);
        // has_more is false on the last page only: a full last page says so itself, no empty page follows.
        expect(page.has_more).toBe(seen.length < list.expected.length);
        if (!page.has_more) break;
        expect(page.data).toHaveLength(limit);
        startingAfter = page.data.at(-1)!.id;
      }
      // Every row exactly once, newest first.
      expect(seen.map((item) => item.id)).toEqual(list.expected);
      if (list.byCreation) {
        const times = seen.map((item) => Date.parse(item.created_at));
        expect(times.every((time, index) => index === 0 || time <= times[index - 1]!)).toBe(true);
        // The rows tie on created_at somewhere: the id breaks the tie.
        expect(new Set(times).size).toBeLessThan(times.length);
      }
    }
    for (const id of [list.foreignId, list.unknownId]) {
      const response = await get(list, `?limit=2&starting_after=${id}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: {
          type: 'invalid_request_error',
          code: 'parameter_invalid',
          param: 'starting_after',
          message: `No such ${list.what}: '${id}'`,
        },
      });
    }
  }

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    database = subject.app.get(Database);
    [owner, stranger] = await Promise.all([createMerchant(subject, 'Owner'), createMerchant(subject, 'Stranger')]);
    // Payments made at once (several in the same millisecond), and their events and ledger entries; the stranger's
    // one payment gives the foreign ids.
    const made = await Promise.all([
      ...Array.from({ length: 7 }, () => createPayment(subject, owner)),
      createPayment(subject, stranger),
    ]);
    const settled = await Promise.all(
      made.map((response, index) =>
        settledPayment(subject, index < 7 ? owner : stranger, response.json<PaymentBody>().id),
      ),
    );
    expect(settled.map((payment) => payment.status)).toEqual(Array(8).fill('succeeded'));
    // Two groups of owner's payments share a created_at exactly.
    const ownIds = settled.slice(0, 7).map((payment) => payment.id);
    const instant = new Date(Date.now() - 60_000);
    await database.db
      .update(payments)
      .set({ createdAt: instant })
      .where(inArray(payments.id, ownIds.slice(0, 4)));
    await database.db
      .update(payments)
      .set({ createdAt: new Date(instant.getTime() + 1) })
      .where(inArray(payments.id, ownIds.slice(4, 6)));
  });
  afterAll(async () => {
    await subject.close();
  });

  it('pages payments', async () => {
    await checkPaging({
      path: '/v1/payments',
      headers: owner.headers,
      expected: await idsOf('SELECT id FROM payments WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC', [
        owner.id,
      ]),
      byCreation: true,
      foreignId: (await idsOf('SELECT id FROM payments WHERE merchant_id = $1', [stranger.id]))[0]!,
      unknownId: newId('pay'),
      what: 'payment',
    });
  });

  it('pages events', async () => {
    await checkPaging({
      path: '/v1/events',
      headers: owner.headers,
      expected: await idsOf('SELECT id FROM events WHERE merchant_id = $1 ORDER BY sequence DESC', [owner.id]),
      byCreation: false,
      foreignId: (await idsOf('SELECT id FROM events WHERE merchant_id = $1', [stranger.id]))[0]!,
      unknownId: newId('evt'),
      what: 'event',
    });
  });

  it('pages ledger entries', async () => {
    await checkPaging({
      path: '/v1/ledger/entries',
      headers: owner.headers,
      expected: await idsOf('SELECT id FROM ledger_postings WHERE merchant_id = $1 ORDER BY sequence DESC', [owner.id]),
      byCreation: false,
      foreignId: (await idsOf('SELECT id FROM ledger_postings WHERE merchant_id = $1', [stranger.id]))[0]!,
      unknownId: newId('lp'),
      what: 'ledger entry',
    });
  });

  describe('webhook endpoints and their deliveries', () => {
    // Merchants with no payments: no event of theirs is ever delivered to these endpoints.
    let hooks: Merchant;
    let endpointIds: string[];
    let strangerEndpointId: string;

    beforeAll(async () => {
      let other: Merchant;
      [hooks, other] = await Promise.all([createMerchant(subject, 'Hooks'), createMerchant(subject, 'Other hooks')]);
      const made = await Promise.all(
        Array.from({ length: 7 }, (_, index) => createEndpoint(subject, hooks, `https://example.com/keyset/${index}`)),
      );
      endpointIds = made.map((endpoint) => endpoint.id);
      strangerEndpointId = (await createEndpoint(subject, other, 'https://example.com/keyset/other')).id;
      const removed = await subject.inject({
        method: 'DELETE',
        url: `/v1/webhook_endpoints/${endpointIds[6]}`,
        headers: hooks.headers,
      });
      expect(removed.statusCode).toBe(200);

      // Delivery records, all in one millisecond, of an event written directly (nothing publishes it).
      const eventId = newId('evt');
      await database.db.insert(events).values({
        id: eventId,
        merchantId: hooks.id,
        type: 'payment.succeeded',
        objectId: newId('pay'),
        data: { object: {} },
      });
      const createdAt = new Date();
      const delivery = (endpointId: string, attempt: number) => ({
        id: newId('whd'),
        endpointId,
        eventId,
        eventType: 'payment.succeeded',
        attempt,
        statusCode: 500,
        durationMs: 3,
        createdAt,
      });
      await database.db
        .insert(webhookDeliveries)
        .values([
          ...Array.from({ length: 6 }, (_, index) => delivery(endpointIds[0]!, index + 1)),
          delivery(endpointIds[1]!, 1),
          delivery(strangerEndpointId, 1),
        ]);
    });

    it('pages webhook endpoints, deleted ones left out', async () => {
      const expected = await idsOf(
        'SELECT id FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY sequence DESC',
        [hooks.id],
      );
      expect(expected).toHaveLength(6);
      await checkPaging({
        path: '/v1/webhook_endpoints',
        headers: hooks.headers,
        expected,
        byCreation: false,
        foreignId: strangerEndpointId,
        unknownId: newId('we'),
        what: 'webhook endpoint',
      });
    });

    it('pages an endpoint’s deliveries; another endpoint’s or merchant’s delivery is no cursor', async () => {
      const list = {
        path: `/v1/webhook_endpoints/${endpointIds[0]}/deliveries`,
        headers: hooks.headers,
        expected: await idsOf('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY sequence DESC', [
          endpointIds[0],
        ]),
        byCreation: false,
        unknownId: newId('whd'),
        what: 'delivery',
      };
      const [otherEndpoints] = await idsOf('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1', [
        endpointIds[1],
      ]);
      const [otherMerchants] = await idsOf('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1', [
        strangerEndpointId,
      ]);
      await checkPaging({ ...list, foreignId: otherEndpoints! });
      await checkPaging({ ...list, foreignId: otherMerchants! });
    });
  });

  it('pages a merchant’s API keys, revoked ones included', async () => {
    const [keyed, other] = await Promise.all([createMerchant(subject, 'Keyed'), createMerchant(subject, 'Other')]);
    const made = await Promise.all(Array.from({ length: 6 }, () => apiKeysCall(subject, 'POST', keyed.id)));
    const madeIds = made.map((response) => response.json<{ id: string }>().id);
    expect((await apiKeysCall(subject, 'DELETE', keyed.id, { keyId: madeIds[2] })).statusCode).toBe(200);
    await database.db
      .update(apiKeys)
      .set({ createdAt: new Date(Date.now() - 1000) })
      .where(inArray(apiKeys.id, madeIds.slice(0, 5)));
    await checkPaging({
      path: `/v1/admin/merchants/${keyed.id}/api_keys`,
      headers: { 'x-admin-token': testAdminToken },
      expected: await idsOf('SELECT id FROM api_keys WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC', [
        keyed.id,
      ]),
      byCreation: true,
      foreignId: (await idsOf('SELECT id FROM api_keys WHERE merchant_id = $1', [other.id]))[0]!,
      unknownId: newId('key'),
      what: 'API key',
    });
  });
});
