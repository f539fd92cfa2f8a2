import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import type { AppModuleOptions } from '../../src/app.module';
import { type AppConfigValues, parseConfig } from '../../src/config/config.schema';
import { deleteEventsTopology } from './events-rabbitmq';
import { LogCapture } from './log-capture';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './test-database';
import { removeRedisKeys, testName } from './test-names';

export const testAdminToken = 'test-admin-token-0123456789abcdef0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfigValues;
  logs: LogCapture;
  databaseName: string;
  inject: NestFastifyApplication['inject'];
  close(): Promise<void>;
}

/**
 * The whole application on the real PostgreSQL, Redis and RabbitMQ, with a database and queue prefix of its own.
 * `environment` overrides configuration variables, as a deployment would set them. What it made for itself (the
 * database, every Redis key under its prefix, its exchange and subscriber queue) is removed again on close; names
 * the caller passed are the caller's to remove (test/support/test-names.ts: newTestNamespace).
 */
export async function startTestApp(
  environment: Record<string, string> = {},
  options: AppModuleOptions = {},
): Promise<TestApp> {
  // A caller that passes DATABASE_URL shares that database (several roles of one deployment) and drops it itself.
  const ownsDatabase = environment.DATABASE_URL === undefined;
  const databaseName = ownsDatabase ? uniqueDatabaseName() : new URL(environment.DATABASE_URL!).pathname.slice(1);
  const ownsQueuePrefix = environment.QUEUE_PREFIX === undefined;
  const queuePrefix = environment.QUEUE_PREFIX ?? testName();
  // RabbitMQ names of its own too (shared by apps that share a queue prefix), removed again on close.
  const ownsEventsTopology = environment.EVENTS_EXCHANGE === undefined;
  const config = parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    ADMIN_TOKEN: testAdminToken,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    QUEUE_PREFIX: queuePrefix,
    EVENTS_EXCHANGE: `${queuePrefix}.events`,
    WEBHOOK_EVENTS_QUEUE: `${queuePrefix}.webhooks`,
    // Tests send bursts of one merchant's requests; test/rate-limit.e2e-spec.ts turns the limit on.
    RATE_LIMIT_PER_SECOND: '0',
    ...environment,
  });
  const logs = new LogCapture();
  const app = await createApp(config, { logStream: logs, ...options });
  const removeOwnNames = async (): Promise<void> => {
    if (ownsQueuePrefix) await removeRedisKeys(queuePrefix);
    if (ownsEventsTopology) {
      await deleteEventsTopology(config.rabbitmq.eventsExchange, [config.webhooks.eventsQueue]);
    }
    if (ownsDatabase) await dropDatabase(databaseName);
  };
  try {
    await app.init();
    // The hybrid app's RabbitMQ subscribers, bound to their queues before the test sends anything.
    await app.startAllMicroservices();
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    // A start that fails (what some tests expect) leaves no worker running and nothing of its own behind.
    await app.close().catch(() => undefined);
    await removeOwnNames();
    throw error;
  }
  return {
    app,
    config,
    logs,
    databaseName,
    inject: ((...args: Parameters<NestFastifyApplication['inject']>) =>
      app.inject(...args)) as NestFastifyApplication['inject'],
    async close() {
      await app.close();
      await removeOwnNames();
    },
  };
}
