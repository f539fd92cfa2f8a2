import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { ApiError } from '../common/errors/api-error';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { idempotencyLimits } from './idempotency.limits';
import { fingerprintKey, requestFingerprint } from './request-fingerprint';

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

interface StoredKey extends Record<string, unknown> {
  request_fingerprint: string;
  response_status: number | null;
  response_body: unknown;
}

/**
 * Runs a request at most once per (scope, key): the stored response is written in the same transaction as the
 * work, so a replay returns exactly what the first request committed.
 */
@Injectable()
export class IdempotencyService {
  private readonly fingerprintSecret: Buffer;

  constructor(
    private readonly database: Database,
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
    const fingerprint = requestFingerprint(this.fingerprintSecret, request.method, request.path, request.body);
    const existing = await this.claim(request.scope, key, fingerprint);
    if (existing) return this.answerFromStored(existing, fingerprint);

    try {
      const response = await this.database.transaction(async (tx) => {
        const result = await work(tx);
        await this.store(tx, request.scope, key, result);
        return result;
      });
      return { ...response, replayed: false };
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) {
        await this.store(this.database.db, request.scope, key, { status: error.status, body: error.toBody() });
      } else {
        await this.release(request.scope, key).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Deletes keys past their 24 hours, a batch at a time; returns how many were deleted. */
  async sweepExpired(): Promise<number> {
    const result = await this.database.db.execute(sql`
      DELETE FROM idempotency_keys WHERE ctid IN (
        SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT ${idempotencyLimits.sweepBatchSize})`);
    return result.rowCount ?? 0;
  }

  /** Takes the key for this request, or returns the row that someone else holds. */
  private async claim(scope: string, key: string, fingerprint: string): Promise<StoredKey | undefined> {
    const retentionSeconds = idempotencyLimits.keyRetentionMs / 1000;
    const abandonedSeconds = idempotencyLimits.abandonedLockMs / 1000;
    const claimed = await this.database.db.execute(sql`
      INSERT INTO idempotency_keys (scope, key, request_fingerprint, locked_at, expires_at)
      VALUES (${scope}, ${key}, ${fingerprint}, now(), now() + make_interval(secs => ${retentionSeconds}))
      ON CONFLICT (scope, key) DO UPDATE
        SET request_fingerprint = EXCLUDED.request_fingerprint, locked_at = now(), created_at = now(),
            expires_at = EXCLUDED.expires_at, response_status = NULL, response_body = NULL
        WHERE idempotency_keys.expires_at < now()
           OR (idempotency_keys.response_status IS NULL
               AND idempotency_keys.request_fingerprint = EXCLUDED.request_fingerprint
               AND idempotency_keys.locked_at < now() - make_interval(secs => ${abandonedSeconds}))
      RETURNING 1`);
    if (claimed.rows.length > 0) return undefined;
    const stored = await this.database.db.execute<StoredKey>(sql`
      SELECT request_fingerprint, response_status, response_body FROM idempotency_keys
      WHERE scope = ${scope} AND key = ${key}`);
    const row = stored.rows[0];
    // Deleted between the two statements (released after a failure): let the client retry.
    if (!row) return { request_fingerprint: fingerprint, response_status: null, response_body: null };
    return row;
  }

  /** In flight wins over a body mismatch (API.md: any request whose key is still in flight gets 409). */
  private answerFromStored(row: StoredKey, fingerprint: string): IdempotentResponse {
    if (row.response_status === null) {
      throw new ApiError(
        409,
        'idempotency_error',
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is still in progress; retry shortly.',
        undefined,
        { 'Retry-After': '1' },
      );
    }
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

  private async store(executor: Tx | Database['db'], scope: string, key: string, response: ApiResponse): Promise<void> {
    await executor.execute(sql`
      UPDATE idempotency_keys
      SET response_status = ${response.status}, response_body = ${JSON.stringify(response.body)}::jsonb, locked_at = NULL
      WHERE scope = ${scope} AND key = ${key}`);
  }

  private async release(scope: string, key: string): Promise<void> {
    await this.database.db.execute(sql`
      DELETE FROM idempotency_keys WHERE scope = ${scope} AND key = ${key} AND response_status IS NULL`);
  }
}
