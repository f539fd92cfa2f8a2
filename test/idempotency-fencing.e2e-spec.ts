import { eq, sql } from 'drizzle-orm';
import { ApiError } from '../src/common/errors/api-error';
import { newId } from '../src/common/ids';
import { Database, type Tx } from '../src/database/database';
import { merchants } from '../src/database/schema';
import { type ApiResponse, IdempotencyService, type IdempotentRequest } from '../src/idempotency/idempotency.service';
import { eventually, uniqueKey } from './support/api';
import { TcpProxy } from './support/events-tcp-proxy';
import { startTestApp, type TestApp } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';

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

describe('a claim whose release failed because PostgreSQL was down', () => {
  let proxy: TcpProxy;
  let subject: TestApp;
  let database: Database;
  const databaseName = uniqueDatabaseName();

  beforeAll(async () => {
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(postgresServerUrl).port || 5432));
    subject = await startTestApp({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/${databaseName}` });
    database = subject.app.get(Database);
  });
  afterAll(async () => {
    await proxy.restore();
    await subject.close();
    await proxy.close();
    await dropDatabase(databaseName);
  });

  it('is released once PostgreSQL is back, long before the claim would count as abandoned', async () => {
    const idempotency = subject.app.get(IdempotencyService);
    const key = uniqueKey('release-later');
    const request: IdempotentRequest = { scope: 'operator', key, method: 'POST', path: '/v1/test/cut', body: {} };
    await expect(
      idempotency.execute(request, async () => {
        // PostgreSQL goes away mid-request: the work fails, and so does releasing the key right after.
        await proxy.cut();
        throw new Error('dependency failed');
      }),
    ).rejects.toThrow();
    await proxy.restore();
    const claims = () =>
      database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = ${key}`).then(
        (result) => result.rows[0]!.n,
        () => -1,
      );
    // Far below the 60 s after which an identical request could take the claim over.
    await eventually(claims, (count) => count === 0, { deadlineMs: 10_000, what: 'the claim being released' });
    const retried = await idempotency.execute(request, () => Promise.resolve({ status: 201, body: { ok: true } }));
    expect(retried).toEqual({ status: 201, body: { ok: true }, replayed: false });
  });
});
