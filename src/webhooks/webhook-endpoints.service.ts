import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { and, eq, isNotNull, isNull, notInArray, or, sql } from 'drizzle-orm';
import { Keyring, KeyringError } from '../common/crypto/keyring';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { type ListObject, pageOf } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { webhookDeliveries, webhookEndpoints } from '../database/schema';
import { normalizeEnabledEvents } from './enabled-events';
import { assertPublicHost, DestinationRefused } from './webhook-destination';
import {
  presentWebhookDelivery,
  presentWebhookEndpoint,
  type WebhookDeliveryObject,
  type WebhookEndpointCreated,
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

/** A merchant's webhook endpoints and the record of their delivery attempts. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    private readonly keyring: Keyring,
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
    // Serializes one merchant's creations, so that concurrent ones cannot pass the limit together.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`webhook_endpoints:${merchantId}`}, 0))`);
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
    return { ...presentWebhookEndpoint(row!), secret };
  }

  /**
   * Seals under the current key every secret not yet sealed under it: the clear secrets of endpoints made before
   * secrets were encrypted (emptying their clear column), and those sealed under a previous key, so that a rotated
   * key can be dropped once the card vault no longer needs it. A batch per transaction; returns how many, and how many no configured key opens. Safe to
   * run from several processes at once: a row changes only while it still holds what was read.
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

  /** The endpoint receives nothing more; deliveries already queued for it are dropped when they come up. */
  async remove(
    merchantId: string,
    endpointId: string,
  ): Promise<{ id: string; object: 'webhook_endpoint'; deleted: true }> {
    const [row] = await this.database.db
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
    return { id: row.id, object: 'webhook_endpoint', deleted: true };
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
