import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Redis } from 'ioredis';
import { deleteEventsTopology } from './events-rabbitmq';

/** The shared Redis itself, where a test's keys outlive it (its own redis-servers keep nothing once stopped). */
export const redisServerUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The tag of this jest run, set once by the leftovers guard's global setup (test/support/leftovers.setup.ts) so
 * that the guard finds this run's names, and not those of other runs sharing the servers. A file run some other
 * way gets a tag of its own.
 */
export const testRunTag = (process.env.TEST_RUN_TAG ??= randomBytes(3).toString('hex'));

/** Every name this run makes on the shared Redis and RabbitMQ starts with this. */
export function testRunNamespace(runTag: string = testRunTag): string {
  return `test-${runTag}-`;
}

// QUEUE_PREFIX takes at most 64 characters: `test-<6>-<file, at most this>-<8>` leaves room for the app's suffixes.
const fileLabelLengthMax = 24;

/** The test file running now (`webhooks` for test/webhooks.e2e-spec.ts), so a leftover says where it came from. */
function currentFileLabel(): string {
  const testPath = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath;
  if (!testPath) return 'adhoc';
  return basename(testPath)
    .replace(/\..*$/, '')
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .slice(0, fileLabelLengthMax);
}

/** A fresh name for a queue prefix, a RabbitMQ object or user: `test-<run>-<file>-<random>`. */
export function testName(): string {
  return `${testRunNamespace()}${currentFileLabel()}-${randomBytes(4).toString('hex')}`;
}

/** Escapes Redis glob characters, so SCAN's MATCH takes `text` literally. */
function literalGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Unlinks every key of the shared Redis under `prefix:` (BullMQ's queues with their jobs, schedulers and delayed
 * jobs, cache entries, generations and epochs, rate limiter state): the whole prefix belongs to the test, so this
 * removes more surely than obliterating queue by queue.
 */
export async function removeRedisKeys(prefix: string): Promise<number> {
  const redis = new Redis(redisServerUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let removed = 0;
    for await (const keys of redis.scanStream({ match: `${literalGlob(prefix)}:*`, count: 1000 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) removed += await redis.unlink(...keys);
    }
    return removed;
  } finally {
    redis.disconnect();
  }
}

/**
 * The queue prefix and RabbitMQ names of one deployment of the app: one test app's, or those of several apps
 * sharing them (APP_ROLE tests, restarts), which pass `environment` to each and call `remove` once all are closed.
 */
export interface TestNamespace {
  queuePrefix: string;
  eventsExchange: string;
  webhookEventsQueue: string;
  environment: { QUEUE_PREFIX: string; EVENTS_EXCHANGE: string; WEBHOOK_EVENTS_QUEUE: string };
  /** Removes its Redis keys, its subscriber queue and its exchange. */
  remove(): Promise<void>;
}

export function newTestNamespace(): TestNamespace {
  return testNamespaceOf(testName());
}

/** The names derived from `queuePrefix` as the test apps derive them. */
export function testNamespaceOf(queuePrefix: string): TestNamespace {
  const eventsExchange = `${queuePrefix}.events`;
  const webhookEventsQueue = `${queuePrefix}.webhooks`;
  return {
    queuePrefix,
    eventsExchange,
    webhookEventsQueue,
    environment: {
      QUEUE_PREFIX: queuePrefix,
      EVENTS_EXCHANGE: eventsExchange,
      WEBHOOK_EVENTS_QUEUE: webhookEventsQueue,
    },
    async remove() {
      await removeRedisKeys(queuePrefix);
      await deleteEventsTopology(eventsExchange, [webhookEventsQueue]);
    },
  };
}
