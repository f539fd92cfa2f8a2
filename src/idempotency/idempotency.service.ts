import { type KeyObject, randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { ApiError } from '../common/errors/api-error';
import { Keyring } from '../common/crypto/keyring';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import type { CombinedWrite } from '../database/combined-write';
import { returning, runStatement, type Statement, statement } from '../database/statement';
import { idempotencyLimits } from './idempotency.limits';
import { fingerprintKey, requestFingerprint } from './request-fingerprint';
import { openResponseBody, sealResponseBody } from './sealed-response';

/** A combined write's tail: how many rows its part returned. */
const countOfRows = '(SELECT count(*) FROM {rows})';

export interface IdempotentRequest {
  /** The merchant id, or `operator` for operator calls: keys never collide across merchants. */
  scope: string;
  key: string | undefined;
  method: string;
  path: string;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface IdempotentResponse extends ApiResponse {
  replayed: boolean;
}

const keyPattern = /^[\x20-\x7e]+$/;

/** A key to claim for a request of a batch (IdempotencyService.claimMany). */
export interface KeyClaim {
  scope: string;
  key: string;
  fingerprint: string;
}

/** How a claimed key is named in the set claimMany answers. */
export function claimIdOf(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}

interface HeldClaim {
  scope: string;
  key: string;
  /** Random per claim: only the request that made the claim may store a response for it or release it. */
  ownerToken: string;
}

/** Thrown inside the work's transaction to roll it back when the claim turned out to be lost. */
class ClaimLost extends Error {}

const ownerTokenBytes = 16;

function newOwnerToken(): string {
  return randomBytes(ownerTokenBytes).toString('base64url');
}

interface StoredKey {
  request_fingerprint: string;
  response_status: number | null;
  /** The response as sent, opened from response_sealed (or read from response_body for rows stored before). */
  response_body: unknown;
}

interface StoredRow extends Record<string, unknown> {
  request_fingerprint: string;
  response_status: number | null;
  response_body: unknown;
  response_sealed: Buffer | null;
}

/**
 * Runs a request at most once per (scope, key): the stored response is written in the same transaction as the
 * work, so a replay returns exactly what the first request committed.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(IdempotencyService.name);
  private readonly fingerprintSecret: KeyObject;

  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    config: AppConfig,
  ) {
    this.fingerprintSecret = fingerprintKey(config.fingerprintKey);
  }

  /** Validates the `Idempotency-Key` header value; `required` on payment and refund creation. */
  static keyFrom(header: string | string[] | undefined, required: boolean): string | undefined {
    if (header === undefined || header === '') {
      if (required) {
        throw new ApiError(
          400,
          'invalid_request_error',
          'parameter_missing',
          'This request requires an Idempotency-Key header.',
          'Idempotency-Key',
        );
      }
      return undefined;
    }
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || key.length > idempotencyLimits.keyLengthMax || !keyPattern.test(key)) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'parameter_invalid',
        `Idempotency-Key must be 1–${idempotencyLimits.keyLengthMax} printable ASCII characters.`,
        'Idempotency-Key',
      );
    }
    return key;
  }

  async execute(request: IdempotentRequest, work: (tx: Tx) => Promise<ApiResponse>): Promise<IdempotentResponse> {
    if (request.key === undefined) {
      return { ...(await this.database.transaction(work)), replayed: false };
    }
    const key = request.key;
    const fingerprint = this.fingerprintOf(request);
    const claim = await this.claim(request.scope, key, fingerprint);
    if ('stored' in claim) return this.answerFromStored(claim.stored, fingerprint);
    const held: HeldClaim = { scope: request.scope, key, ownerToken: claim.ownerToken };

    try {
      const response = await this.database.transaction(async (tx) => {
        const result = await work(tx);
        // No row stored means the claim was taken over: throwing rolls the work back, so the late request
        // creates nothing and the winner's response stands.
        if (!(await this.store(tx, held, result))) throw new ClaimLost();
        return result;
      });
      return { ...response, replayed: false };
    } catch (error) {
      if (error instanceof ClaimLost) return this.answerAfterLosing(held, fingerprint);
      if (error instanceof ApiError && error.status < 500) {
        const stored = await this.store(this.database.db, held, { status: error.status, body: error.toBody() });
        if (!stored) return this.answerAfterLosing(held, fingerprint);
      } else {
        await this.release(held).catch(() => this.releaseLater(held));
      }
      throw error;
    }
  }

  /** The request's fingerprint, as stored with its key (method, path and body under the fingerprint key). */
  fingerprintOf(request: Pick<IdempotentRequest, 'method' | 'path' | 'body'>): string {
    return requestFingerprint(this.fingerprintSecret, request.method, request.path, request.body);
  }

  /**
   * Claims many keys with one statement (one request's claim, or a batch's in its transaction, see IdempotentGroup):
   * the claims that took their key come back with their owner token, the others lost it to a stored or in-flight
   * request. The claim is part of the
   * batch's transaction, so it is never left behind by a failure; a request of another transaction holding the
   * same key makes this statement wait for it to end, then lose. Keys must be distinct; they are taken in one
   * order, so two batches never wait on each other's keys in a cycle.
   */
  async claimMany(executor: Tx | Database['db'], claims: readonly KeyClaim[]): Promise<Map<string, string>> {
    if (claims.length === 0) return new Map();
    const retentionSeconds = idempotencyLimits.keyRetentionMs / 1000;
    const abandonedSeconds = idempotencyLimits.abandonedLockMs / 1000;
    const claimed = await executor.execute<{ scope: string; key: string; owner_token: string }>(sql`
      INSERT INTO idempotency_keys (scope, key, request_fingerprint, owner_token, locked_at, expires_at)
      SELECT claim.scope, claim.key, claim.fingerprint, claim.owner_token, now(),
             now() + make_interval(secs => ${retentionSeconds})
      FROM unnest(${sql.param(claims.map((claim) => claim.scope))}::text[], ${sql.param(claims.map((claim) => claim.key))}::text[],
                  ${sql.param(claims.map((claim) => claim.fingerprint))}::text[],
                  ${sql.param(claims.map(() => newOwnerToken()))}::text[]) AS claim(scope, key, fingerprint, owner_token)
      ORDER BY claim.scope, claim.key
      ON CONFLICT (scope, key) DO UPDATE
        SET request_fingerprint = EXCLUDED.request_fingerprint, owner_token = EXCLUDED.owner_token,
            locked_at = now(), created_at = now(), expires_at = EXCLUDED.expires_at,
            response_status = NULL, response_body = NULL, response_sealed = NULL
        WHERE idempotency_keys.expires_at < now()
           OR (idempotency_keys.response_status IS NULL
               AND idempotency_keys.request_fingerprint = EXCLUDED.request_fingerprint
               AND idempotency_keys.locked_at < now() - make_interval(secs => ${abandonedSeconds}))
      RETURNING scope, key, owner_token`);
    return new Map(claimed.rows.map((row) => [claimIdOf(row.scope, row.key), row.owner_token]));
  }

  /** Stores, in `tx`, the responses of keys claimed in `tx` by `claimMany` (sealed, as `execute` stores them). */
  async storeMany(tx: Tx, responses: readonly StoredResponse[]): Promise<void> {
    if (responses.length === 0) return;
    const stored = await runStatement(tx, this.storeStatement(responses));
    checkStored(stored.rowCount ?? 0, responses.length);
  }

  /** `storeMany` as a part of a combined write (sent with the transaction's other writes in one statement). */
  storeManyTo(writes: CombinedWrite, responses: readonly StoredResponse[]): void {
    if (responses.length === 0) return;
    writes.add(returning(this.storeStatement(responses), '1'), {
      tail: countOfRows,
      check: (count) => checkStored(Number(count), responses.length),
    });
  }

  /**
   * Claims keys that no one holds and stores their responses at once, as a part of a combined write: one INSERT of
   * finished rows (what `claimMany` then `storeManyTo` leave behind, in one row write each). A key that exists (stored,
   * in flight, expired or abandoned) makes the whole statement fail with a unique violation
   * (`isKeyTakenError`): the caller then claims the careful way, with `claimMany`.
   */
  claimStoredManyTo(writes: CombinedWrite, claims: readonly KeyClaim[], responses: readonly StoredResponse[]): void {
    if (claims.length === 0) return;
    if (claims.length !== responses.length) throw new Error('claimStoredManyTo: one response per claim');
    const retentionSeconds = idempotencyLimits.keyRetentionMs / 1000;
    const sealed = this.sealedBodies(responses);
    writes.add(
      statement`
      INSERT INTO idempotency_keys
        (scope, key, request_fingerprint, owner_token, locked_at, expires_at, response_status, response_sealed)
      SELECT claim.scope, claim.key, claim.fingerprint, claim.owner_token, NULL,
             now() + make_interval(secs => ${retentionSeconds}::float8), claim.status, claim.sealed
      FROM unnest(${claims.map((claim) => claim.scope)}::text[], ${claims.map((claim) => claim.key)}::text[],
                  ${claims.map((claim) => claim.fingerprint)}::text[],
                  ${claims.map(() => newOwnerToken())}::text[],
                  ${responses.map((response) => response.status)}::int[],
                  ${sealed}::bytea[]) AS claim(scope, key, fingerprint, owner_token, status, sealed)
      ORDER BY claim.scope, claim.key
      RETURNING 1`,
      {
        tail: countOfRows,
        check: (count) => checkStored(Number(count), claims.length),
      },
    );
  }

  /** Each response's body sealed under its key, as stored (a stored response may hold a secret shown once). */
  private sealedBodies(responses: readonly StoredResponse[]): Buffer[] {
    return responses.map((response) => sealResponseBody(this.keyring, response.scope, response.key, response.body));
  }

  private storeStatement(responses: readonly StoredResponse[]): Statement {
    const sealed = this.sealedBodies(responses);
    return statement`
      UPDATE idempotency_keys AS stored
      SET response_status = response.status, response_sealed = response.sealed, response_body = NULL,
          locked_at = NULL
      FROM unnest(${responses.map((response) => response.scope)}::text[],
                  ${responses.map((response) => response.key)}::text[],
                  ${responses.map((response) => response.status)}::int[],
                  ${sealed}::bytea[]) AS response(scope, key, status, sealed)
      WHERE stored.scope = response.scope AND stored.key = response.key AND stored.response_status IS NULL`;
  }

  /**
   * How a request whose key was held by another request is answered, read once that other request has ended:
   * its stored response replayed, 409 while it is still in flight, 422 for a different request.
   */
  async answerFromStoredKey(scope: string, key: string, fingerprint: string): Promise<IdempotentResponse> {
    return this.answerAfterLosing({ scope, key, ownerToken: '' }, fingerprint);
  }

  /** 409 idempotency_key_in_use: the answer to a request whose key another request holds right now. */
  static keyInUse(): ApiError {
    return new ApiError(
      409,
      'idempotency_error',
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is still in progress; retry shortly.',
      undefined,
      { 'Retry-After': '1' },
    );
  }

  /**
   * Every role, at every start, in the background: responses stored in the clear by an earlier version are sealed,
   * so no secret they hold stays readable in the database for the rest of their 24 hours.
   */
  onApplicationBootstrap(): void {
    this.sealStoredInTheClear().then(
      (sealed) => {
        if (sealed > 0) this.logger.log({ sealed }, 'sealed idempotent responses stored in the clear');
      },
      (error: unknown) => this.logger.warn({ reason: String(error) }, 'sealing stored idempotent responses failed'),
    );
  }

  /** Seals clear stored responses a batch at a time; returns how many it sealed. */
  async sealStoredInTheClear(): Promise<number> {
    let sealed = 0;
    for (;;) {
      const batch = await this.database.db.execute<{ scope: string; key: string; response_body: unknown }>(sql`
        SELECT scope, key, response_body FROM idempotency_keys
        WHERE response_body IS NOT NULL LIMIT ${idempotencyLimits.sealBatchSize}`);
      if (batch.rows.length === 0) return sealed;
      for (const row of batch.rows) {
        const sealedBody = sealResponseBody(this.keyring, row.scope, row.key, row.response_body);
        // Only a row still in the clear: another process may have sealed it, or a new claim replaced it.
        const updated = await this.database.db.execute(sql`
          UPDATE idempotency_keys SET response_sealed = ${sealedBody}, response_body = NULL
          WHERE scope = ${row.scope} AND key = ${row.key} AND response_body IS NOT NULL`);
        sealed += updated.rowCount ?? 0;
      }
    }
  }

  /** Deletes keys past their 24 hours, a batch at a time; returns how many were deleted. */
  async sweepExpired(): Promise<number> {
    const result = await this.database.db.execute(sql`
      DELETE FROM idempotency_keys WHERE ctid IN (
        SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT ${idempotencyLimits.sweepBatchSize})`);
    return result.rowCount ?? 0;
  }

  /**
   * Takes the key for this request under a fresh owner token, or returns the row that someone else holds. A claim
   * abandoned for `abandonedLockMs` may be taken over by the identical request; the token fences the old holder.
   */
  private async claim(
    scope: string,
    key: string,
    fingerprint: string,
  ): Promise<{ ownerToken: string } | { stored: StoredKey }> {
    const claimed = await this.claimMany(this.database.db, [{ scope, key, fingerprint }]);
    const ownerToken = claimed.get(claimIdOf(scope, key));
    if (ownerToken) return { ownerToken };
    const row = await this.stored(scope, key);
    // Deleted between the two statements (released after a failure): let the client retry.
    return { stored: row ?? { request_fingerprint: fingerprint, response_status: null, response_body: null } };
  }

  private async stored(scope: string, key: string): Promise<StoredKey | undefined> {
    const stored = await this.database.db.execute<StoredRow>(sql`
      SELECT request_fingerprint, response_status, response_body, response_sealed FROM idempotency_keys
      WHERE scope = ${scope} AND key = ${key}`);
    const row = stored.rows[0];
    if (!row) return undefined;
    const body = row.response_sealed
      ? openResponseBody(this.keyring, scope, key, row.response_sealed)
      : row.response_body;
    return { request_fingerprint: row.request_fingerprint, response_status: row.response_status, response_body: body };
  }

  /** This request's claim was taken over while it worked: answer as any later request with the key would be. */
  private async answerAfterLosing(held: HeldClaim, fingerprint: string): Promise<IdempotentResponse> {
    const row = await this.stored(held.scope, held.key);
    return this.answerFromStored(
      row ?? { request_fingerprint: fingerprint, response_status: null, response_body: null },
      fingerprint,
    );
  }

  /** In flight wins over a body mismatch (API.md: any request whose key is still in flight gets 409). */
  private answerFromStored(row: StoredKey, fingerprint: string): IdempotentResponse {
    if (row.response_status === null) throw IdempotencyService.keyInUse();
    if (row.request_fingerprint !== fingerprint) {
      throw new ApiError(
        422,
        'idempotency_error',
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request (method, path or body).',
      );
    }
    return { status: row.response_status, body: row.response_body, replayed: true };
  }

  /** Stores the response if this request still holds the claim; false when another request has taken it. */
  private async store(executor: Tx | Database['db'], held: HeldClaim, response: ApiResponse): Promise<boolean> {
    // Sealed: a stored response may hold a secret shown once (an API key, a webhook signing secret).
    const sealed = sealResponseBody(this.keyring, held.scope, held.key, response.body);
    const result = await executor.execute(sql`
      UPDATE idempotency_keys
      SET response_status = ${response.status}, response_sealed = ${sealed}, response_body = NULL, locked_at = NULL
      WHERE scope = ${held.scope} AND key = ${held.key} AND owner_token = ${held.ownerToken}
        AND response_status IS NULL`);
    return (result.rowCount ?? 0) === 1;
  }

  /** Frees the key after a failure, unless another request has taken it over meanwhile. */
  /**
   * The release failed too (PostgreSQL down): retried in the background until it lands or the claim would count
   * as abandoned anyway, so a client retrying with its key after the outage is not refused 409 for a minute.
   */
  private releaseLater(held: HeldClaim): void {
    const giveUpAtMs = Date.now() + idempotencyLimits.abandonedLockMs;
    const retry = (): void => {
      if (Date.now() >= giveUpAtMs) return;
      this.release(held).catch(() => setTimeout(retry, idempotencyLimits.releaseRetryIntervalMs).unref());
    };
    setTimeout(retry, idempotencyLimits.releaseRetryIntervalMs).unref();
  }

  private async release(held: HeldClaim): Promise<void> {
    await this.database.db.execute(sql`
      DELETE FROM idempotency_keys
      WHERE scope = ${held.scope} AND key = ${held.key} AND owner_token = ${held.ownerToken}
        AND response_status IS NULL`);
  }
}

/** A response of a claimed key, to store (IdempotencyService.storeMany). */
export type StoredResponse = ApiResponse & { scope: string; key: string };

/** Every response stored was claimed in this transaction and locked since: anything else is a bug, and rolls back. */
function checkStored(stored: number, expected: number): void {
  if (stored !== expected) throw new Error(`stored ${stored} of ${expected} idempotent responses`);
}
