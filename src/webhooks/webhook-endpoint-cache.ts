import { defineCacheFamily } from '../caching/cache-family';

/**
 * What the fan-out needs of one endpoint to route an event: which endpoint, and which types it wants. Never the URL
 * or the signing secret (not even sealed): the delivery job reads those from PostgreSQL when it sends.
 */
export interface WebhookRoute {
  id: string;
  enabledEvents: string[];
}

/**
 * A merchant's enabled endpoints as routes, looked up by the fan-out for every event; an empty list (the common case,
 * a merchant without endpoints) is cached like any other.
 * - ttlMs: every change of a merchant's endpoints invalidates the entry (WebhookEndpointsService), a creation before
 *   its commit too, so the TTL only bounds a change made outside the service (SQL by hand) or a deletion whose
 *   invalidation the cache Redis missed (harmless: the delivery job drops an endpoint deleted since).
 * - inProcess: each worker also keeps it for up to a second, so a busy merchant's events cost no Redis round trip.
 *   The invalidation of a creation is published before the creation commits, so a worker drops its copy before an
 *   event recorded after that commit can reach it (through the outbox, RabbitMQ and the event's own PostgreSQL
 *   read); the second bounds the delay for a worker that missed the message. About one entry per merchant with
 *   events in the last second; the least recently used go first.
 */
export const webhookEndpointCache = defineCacheFamily('webhook_endpoints', {
  ttlMs: 300_000,
  inProcess: { ttlMs: 1_000, entriesMax: 10_000 },
});

/** The id segment of the entry: one per merchant, its enabled endpoints (`webhook_endpoints:<merchant>:enabled`). */
export const webhookEndpointCacheId = 'enabled';
