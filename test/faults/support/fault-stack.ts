import { randomBytes } from 'node:crypto';
import { deleteEventsTopology } from '../../support/events-rabbitmq';
import { fastProcessing } from '../../support/fast-processing';
import { dropDatabase, postgresServerUrl } from '../../support/test-database';
import { faultAdminToken } from './load-driver';

export interface FaultStackOptions {
  /** Defaults to a database of its own on the shared server (which no fault test breaks). */
  databaseUrl?: string;
  redisUrl: string;
  cacheRedisUrl?: string;
  rabbitmqUrl?: string;
  environment?: Record<string, string>;
}

/**
 * The configuration one fault test's processes share: its own database, queue prefix, events exchange and webhook
 * queue, so nothing it does reaches another test; `cleanup` removes what it made on the shared servers.
 */
export class FaultStack {
  readonly name: string;
  readonly databaseUrl: string;
  readonly environment: Record<string, string>;
  private readonly ownsSharedDatabase: boolean;

  constructor(label: string, options: FaultStackOptions) {
    this.name = `fault-${label}-${randomBytes(4).toString('hex')}`;
    this.ownsSharedDatabase = options.databaseUrl === undefined;
    this.databaseUrl = options.databaseUrl ?? `${postgresServerUrl}/${this.name.replaceAll('-', '_')}`;
    this.environment = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN: faultAdminToken,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: options.redisUrl,
      CACHE_REDIS_URL: options.cacheRedisUrl ?? options.redisUrl,
      QUEUE_PREFIX: this.name,
      RABBITMQ_URL: options.rabbitmqUrl ?? 'amqp://guest:guest@127.0.0.1:5672',
      EVENTS_EXCHANGE: `${this.name}.events`,
      WEBHOOK_EVENTS_QUEUE: `${this.name}.webhooks`,
      RATE_LIMIT_PER_SECOND: '0',
      AUTH_FAILURES_PER_SECOND_PER_IP: '0',
      HEALTH_CHECK_TIMEOUT_MS: '500',
      ...fastProcessing,
      ...options.environment,
    };
  }

  get eventsExchange(): string {
    return this.environment.EVENTS_EXCHANGE!;
  }

  async cleanup(): Promise<void> {
    await deleteEventsTopology(this.eventsExchange, [this.environment.WEBHOOK_EVENTS_QUEUE!]).catch(() => undefined);
    if (this.ownsSharedDatabase) await dropDatabase(new URL(this.databaseUrl).pathname.slice(1)).catch(() => undefined);
  }
}
