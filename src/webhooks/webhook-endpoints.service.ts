import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { and, eq, isNotNull, isNull, notInArray, or, sql } from 'drizzle-orm';
import { Keyring, KeyringError } from '../common/crypto/keyring';
import { HotCache } from '../caching/hot-cache.service';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { type ListObject, pageOf } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { webhookDeliveries, webhookEndpoints } from '../database/schema';
import { normalizeEnabledEvents } from './enabled-events';
import { assertPublicHost, DestinationRefused } from './webhook-destination';
import { webhookEndpointCache, webhookEndpointCacheId, type WebhookRoute } from './webhook-endpoint-cache';
import {
  presentWebhookDelivery,
  presentWebhookEndpoint,
  type WebhookDeliveryObject,
  type WebhookEndpointCreated,
  type WebhookEndpointDeleted,
  type WebhookEndpointObject,
} from './webhook-endpoint.presenter';
import type {
  CreateWebhookEndpointInput,
  ListWebhookDeliveriesQuery,
  ListWebhookEndpointsQuery,
} from './webhook-endpoint.schemas';
import { openWebhookSecret, sealWebhookSecret } from './webhook-secret';
import { checkWebhookUrl } from './webhook-url';
import { webhookLimits } from './webhooks.limits';

export const webhookSecretPrefix = 'whsec_';

/** Endpoint lists, newest first (webhook_endpoints_merchant_sequence_idx). */
const webhookEndpointsKeyset: Keyset = {
  id: webhookEndpoints.id,
  order: [webhookEndpoints.sequence],
  what: 'webhook endpoint',
};
/** An endpoint's deliveries, newest first (webhook_deliveries_endpoint_sequence_idx). */
const deliveriesKeyset: Keyset = { id: webhookDeliveries.id, order: [webhookDeliveries.sequence], what: 'delivery' };

/**
 * The advisory lock of one merchant's endpoints: a creation holds it (exclusively) until it commits, the fan-out's
 * load of the merchant's routes takes it shared, so that the load waits for a creation under way.
 */
function endpointsLockKey(merchantId: string) {
  return sql`hashtextextended(${`webhook_endpoints:${merchantId}`}, 0)`;
}

// The creation was refused before anything was stored: the cached routes could not be cleared, and the fan-out
// could have kept routing the merchant's events past the new endpoint. A retry succeeds once the cache answers.
const routesUnconfirmed = () =>
  new ApiError(
    503,
    'api_error',
    'service_unavailable',
    'The webhook endpoint was not created: the cache could not be cleared; repeat the request.',
    undefined,
    { 'Retry-After': '1' },
  );

/** A merchant's webhook endpoints and the record of their delivery attempts. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    private readonly keyring: Keyring,
    private readonly cache: HotCache,
  ) {}

  /**
   * The URL rules of API.md, checked before anything is stored (a refused URL stores no idempotent response):
   * in production mode https only, and the host must resolve to public addresses only.
   */
  async assertUrlAllowed(url: string): Promise<void> {
    const check = checkWebhookUrl(url, this.config.production);
    if (!check.ok) throw apiErrors.parameterInvalid('url', `Invalid url: it ${check.reason}.`);
    if (!this.config.production || check.addressLiteral) return;
    try {
      await assertPublicHost(check.hostname);
    } catch (error) {
      if (error instanceof DestinationRefused)
        throw apiErrors.parameterInvalid('url', `Invalid url: ${error.message}.`);
      throw error;
    }
  }

  async create(tx: Tx, merchantId: string, input: CreateWebhookEndpointInput): Promise<WebhookEndpointCreated> {
    // Serializes one merchant's creations, so that concurrent ones cannot pass the limit together; and holds the
    // fan-out's loads of the merchant's routes until this one commits (see routesOf).
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${endpointsLockKey(merchantId)})`);
    const [active] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.deletedAt)));
    if ((active?.count ?? 0) >= webhookLimits.endpointsPerMerchantMax) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'webhook_endpoints_limit_reached',
        `A merchant can have at most ${webhookLimits.endpointsPerMerchantMax} webhook endpoints; delete one first.`,
      );
    }
    const id = newId('we');
    const secret = webhookSecretPrefix + randomBytes(webhookLimits.secretRandomBytes).toString('base64url');
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        id,
        merchantId,
        url: input.url,
        secret: null,
        secretSealed: sealWebhookSecret(this.keyring, id, secret),
        enabledEvents: normalizeEnabledEvents(input.enabled_events),
      })
      .returning();
    await this.routesChangeBeforeCommit(tx, merchantId);
    return { ...presentWebhookEndpoint(row!), secret };
  }

  /**
   * The merchant's enabled endpoints as the fan-out routes events: from the cache, PostgreSQL on a miss (an empty
   * list is cached too). The load takes the merchant's lock shared, so it waits for a creation under way and reads
   * the endpoints as that creation left them: together with routesChangeBeforeCommit, the cache Redis never holds
   * a list that misses an endpoint whose creation has committed, and a worker's in-process copy of one is dropped
   * by the message published before that commit (kept at most webhookEndpointCache.inProcess.ttlMs by a worker
   * that misses the message).
   */
  async routesOf(merchantId: string): Promise<readonly WebhookRoute[]> {
    const routes = await this.cache.getOrLoad(webhookEndpointCache, merchantId, webhookEndpointCacheId, () =>
      this.database.transaction(
        async (tx): Promise<WebhookRoute[]> => {
          await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${endpointsLockKey(merchantId)})`);
          return tx
            .select({ id: webhookEndpoints.id, enabledEvents: webhookEndpoints.enabledEvents })
            .from(webhookEndpoints)
            .where(and(eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.deletedAt)))
            .orderBy(webhookEndpoints.sequence);
        },
        { accessMode: 'read only' },
      ),
    );
    return routes ?? [];
  }

  /**
   * In a creation's transaction, which holds the merchant's lock: an endpoint must receive every event recorded
   * after it commits, so the cached routes go before the commit, not only after it. Deleted now (every worker told,
   * through the cache Redis), they cannot come back stale: a load that starts after this waits on the lock for the
   * commit, and one that read PostgreSQL before cannot store what it read (HotCache's generations). When the cache
   * does not confirm it (routesInvalidationAttemptsMax tries), the creation is refused rather than left unseen by
   * the fan-out. The invalidation after the commit is the one every change makes.
   */
  private async routesChangeBeforeCommit(tx: Tx, merchantId: string): Promise<void> {
    let confirmed = false;
    for (let attempt = 1; !confirmed && attempt <= webhookLimits.routesInvalidationAttemptsMax; attempt += 1) {
      confirmed = await this.cache.invalidate(webhookEndpointCache, merchantId, webhookEndpointCacheId);
    }
    if (!confirmed) throw routesUnconfirmed();
    this.cache.invalidateAfterCommit(tx, webhookEndpointCache, merchantId, webhookEndpointCacheId);
  }

  /**
   * Seals under the current key every secret not yet sealed under it: the clear secrets of endpoints made before
   * secrets were encrypted (emptying their clear column), and those sealed under a previous key, so that a rotated
   * key can be dropped once the card vault no longer needs it. A batch per transaction; returns how many, and how many no configured key opens. Safe to
   * run from several processes at once: a row changes only while it still holds what was read. The fan-out's cached
   * routes hold no secret, so nothing cached changes here.
   */
  async sealSecretsUnderCurrentKey(): Promise<{ sealed: number; unopenable: number }> {
    const currentKeyId = Buffer.from(this.keyring.currentKeyId, 'hex');
    // Rows no configured key opens stay as they are (their deliveries fail, logged) rather than stop the start.
    const unopenable: string[] = [];
    let sealed = 0;
    for (;;) {
      const rows = await this.database.db
        .select({ id: webhookEndpoints.id, secret: webhookEndpoints.secret, sealed: webhookEndpoints.secretSealed })
        .from(webhookEndpoints)
        .where(
          and(
            or(
              isNotNull(webhookEndpoints.secret),
              // The key id sits in bytes 2 to 5 of the keyring's layout.
              sql`substring(${webhookEndpoints.secretSealed} from 2 for 4) <> ${currentKeyId}`,
            ),
            unopenable.length > 0 ? notInArray(webhookEndpoints.id, unopenable) : undefined,
          ),
        )
        .limit(webhookLimits.secretSealBatchSize);
      if (rows.length === 0) return { sealed, unopenable: unopenable.length };
      await this.database.transaction(async (tx) => {
        for (const row of rows) {
          let secret: string;
          try {
            secret = row.sealed !== null ? openWebhookSecret(this.keyring, row.id, row.sealed) : row.secret!;
          } catch (error) {
            if (!(error instanceof KeyringError)) throw error;
            unopenable.push(row.id);
            continue;
          }
          const unchanged =
            row.sealed !== null
              ? eq(webhookEndpoints.secretSealed, row.sealed)
              : eq(webhookEndpoints.secret, row.secret!);
          await tx
            .update(webhookEndpoints)
            .set({ secret: null, secretSealed: sealWebhookSecret(this.keyring, row.id, secret) })
            .where(and(eq(webhookEndpoints.id, row.id), unchanged));
          sealed += 1;
        }
      });
    }
  }

  async get(merchantId: string, endpointId: string): Promise<WebhookEndpointObject> {
    return presentWebhookEndpoint(await this.activeEndpoint(merchantId, endpointId));
  }

  async list(merchantId: string, query: ListWebhookEndpointsQuery): Promise<ListObject<WebhookEndpointObject>> {
    // A deleted endpoint is not listed, but still a cursor: the page after it goes on where it was.
    const own = eq(webhookEndpoints.merchantId, merchantId);
    const after = await rowsAfter(this.database, webhookEndpointsKeyset, own, query.starting_after);
    const rows = await this.database.db
      .select()
      .from(webhookEndpoints)
      .where(and(own, isNull(webhookEndpoints.deletedAt), after))
      .orderBy(...newestFirst(webhookEndpointsKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, presentWebhookEndpoint);
  }

  /**
   * The endpoint receives nothing more; deliveries already queued for it are dropped when they come up. The cached
   * routes go after the commit only: a list that still names the endpoint until then costs a job that the delivery
   * drops (it reads the endpoint again), never a request to it.
   */
  async remove(merchantId: string, endpointId: string): Promise<WebhookEndpointDeleted> {
    return this.database.transaction(async (tx) => {
      const [row] = await tx
        .update(webhookEndpoints)
        .set({ deletedAt: new Date() })
        .where(
          and(
            eq(webhookEndpoints.id, endpointId),
            eq(webhookEndpoints.merchantId, merchantId),
            isNull(webhookEndpoints.deletedAt),
          ),
        )
        .returning({ id: webhookEndpoints.id });
      if (!row) throw apiErrors.resourceMissing('webhook endpoint', endpointId);
      this.cache.invalidateAfterCommit(tx, webhookEndpointCache, merchantId, webhookEndpointCacheId);
      return { id: row.id, object: 'webhook_endpoint' as const, deleted: true as const };
    });
  }

  async deliveries(
    merchantId: string,
    endpointId: string,
    query: ListWebhookDeliveriesQuery,
  ): Promise<ListObject<WebhookDeliveryObject>> {
    await this.activeEndpoint(merchantId, endpointId);
    const ofEndpoint = eq(webhookDeliveries.endpointId, endpointId);
    const after = await rowsAfter(this.database, deliveriesKeyset, ofEndpoint, query.starting_after);
    const rows = await this.database.db
      .select()
      .from(webhookDeliveries)
      .where(and(ofEndpoint, query.event_id ? eq(webhookDeliveries.eventId, query.event_id) : undefined, after))
      .orderBy(...newestFirst(deliveriesKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, presentWebhookDelivery);
  }

  private async activeEndpoint(merchantId: string, endpointId: string) {
    const [row] = await this.database.db
      .select()
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.id, endpointId),
          eq(webhookEndpoints.merchantId, merchantId),
          isNull(webhookEndpoints.deletedAt),
        ),
      )
      .limit(1);
    if (!row) throw apiErrors.resourceMissing('webhook endpoint', endpointId);
    return row;
  }
}
