import { eq, sql } from 'drizzle-orm';
import { ApiError } from '../src/common/errors/api-error';
import { newId } from '../src/common/ids';
import { Database, type Tx } from '../src/database/database';
import { merchants } from '../src/database/schema';
import { type ApiResponse, IdempotencyService, type IdempotentRequest } from '../src/idempotency/idempotency.service';
import { uniqueKey } from './support/api';
import { startTestApp, type TestApp } from './support/test-app';

/** A promise the test resolves by hand, to hold a request inside its work at a chosen moment. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * A request whose claim was taken over (after the abandonment timeout) by the identical request must neither
 * overwrite the winner's response nor delete its live claim, and what it did in its transaction is rolled back.
 */
describe('idempotency claims are fenced by an owner token', () => {
  let subject: TestApp;
  let database: Database;
  let idempotency: IdempotencyService;

  beforeAll(async () => {
    subject = await startTestApp();
    database = subject.app.get(Database);
    idempotency = subject.app.get(IdempotencyService);
  });
  afterAll(async () => {
    await subject.close();
  });

  function request(key: string): IdempotentRequest {
    return { scope: 'operator', key, method: 'POST', path: '/v1/test/fenced', body: { name: 'same request' } };
  }

  /** Work that creates a merchant named `name`, first waiting for `held` while the test moves the world on. */
  function workCreating(name: string, started: () => void, held: Promise<void>, failWith?: Error) {
    return async (tx: Tx): Promise<ApiResponse> => {
      const id = newId('mer');
      await tx.insert(merchants).values({ id, name });
      started();
      await held;
      if (failWith) throw failWith;
      return { status: 201, body: { id, name } };
    };
  }

  async function merchantsNamed(name: string): Promise<number> {
    const rows = await database.db.select().from(merchants).where(eq(merchants.name, name));
    return rows.length;
  }

  /** What a crashed holder looks like after a minute: its claim is old enough to be taken over. */
  async function abandon(key: string): Promise<void> {
    const aged = await database.db.execute(sql`
      UPDATE idempotency_keys SET locked_at = now() - interval '10 minutes'
      WHERE scope = 'operator' AND key = ${key} AND response_status IS NULL`);
    expect(aged.rowCount).toBe(1);
  }

  async function storedRow(key: string) {
    const result = await database.db.execute<{ response_status: number | null; owner_token: string | null }>(sql`
      SELECT response_status, owner_token FROM idempotency_keys WHERE scope = 'operator' AND key = ${key}`);
    return result.rows[0];
  }

  it('rolls back a late request whose claim was taken over, and answers it with the winner’s response', async () => {
    const key = uniqueKey('late-store');
    const late = gate();
    const lateStarted = gate();
    const lateName = `late-${key}`;
    const winnerName = `winner-${key}`;
    const lateRequest = idempotency.execute(request(key), workCreating(lateName, lateStarted.open, late.opened));
    await lateStarted.opened;
    await abandon(key);

    const winner = await idempotency.execute(
      request(key),
      workCreating(winnerName, () => undefined, Promise.resolve()),
    );
    expect(winner).toMatchObject({ status: 201, replayed: false, body: { name: winnerName } });

    late.open();
    const lateAnswer = await lateRequest;
    // The late request is answered like any later request with the key: the winner's stored response.
    expect(lateAnswer).toEqual({ ...winner, replayed: true });
    expect(await merchantsNamed(lateName)).toBe(0);
    expect(await merchantsNamed(winnerName)).toBe(1);
    const replay = await idempotency.execute(request(key), () => {
      throw new Error('a stored key must not run the work again');
    });
    expect(replay).toEqual({ ...winner, replayed: true });
  });

  it('does not let a failing late request delete the live claim of the request that took over', async () => {
    const key = uniqueKey('late-release');
    const lateStarted = gate();
    const late = gate();
    const lateRequest = idempotency.execute(
      request(key),
      workCreating(`late-${key}`, lateStarted.open, late.opened, new Error('dependency failed')),
    );
    await lateStarted.opened;
    await abandon(key);

    const winnerStarted = gate();
    const winnerHeld = gate();
    const winnerName = `winner-${key}`;
    const winnerRequest = idempotency.execute(
      request(key),
      workCreating(winnerName, winnerStarted.open, winnerHeld.opened),
    );
    await winnerStarted.opened;
    const winnerClaim = await storedRow(key);

    late.open();
    await expect(lateRequest).rejects.toThrow('dependency failed');
    // The late request's release matched nothing: the winner still holds its claim.
    expect(await storedRow(key)).toEqual(winnerClaim);
    await expect(idempotency.execute(request(key), () => Promise.reject(new Error('must not run')))).rejects.toThrow(
      expect.objectContaining({ code: 'idempotency_key_in_use' }) as Error,
    );

    winnerHeld.open();
    const winner = await winnerRequest;
    expect(winner).toMatchObject({ status: 201, replayed: false, body: { name: winnerName } });
    expect(await merchantsNamed(`late-${key}`)).toBe(0);
    expect(await merchantsNamed(winnerName)).toBe(1);
  });

  it('does not let a late request that ends in a 4xx store its error over the winner’s response', async () => {
    const key = uniqueKey('late-4xx');
    const lateStarted = gate();
    const late = gate();
    const refusal = new ApiError(422, 'invalid_request_error', 'amount_too_large', 'too large');
    const lateRequest = idempotency.execute(
      request(key),
      workCreating(`late-${key}`, lateStarted.open, late.opened, refusal),
    );
    await lateStarted.opened;
    await abandon(key);
    const winner = await idempotency.execute(
      request(key),
      workCreating(`winner-${key}`, () => undefined, Promise.resolve()),
    );

    late.open();
    expect(await lateRequest).toEqual({ ...winner, replayed: true });
    expect((await storedRow(key))?.response_status).toBe(201);
  });
});
