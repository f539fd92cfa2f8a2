import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { redisOptionsFromUrl } from '../queueing/redis-options';
import { withTimeout } from './health-check';

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Readiness checks of the three real dependencies, each bounded by HEALTH_CHECK_TIMEOUT_MS. */
@Injectable()
export class DependencyIndicators implements OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly config: AppConfig,
    private readonly database: Database,
  ) {
    // Offline queue off: a ping while Redis is unreachable fails at once instead of waiting for a reconnect.
    this.redis = new Redis({
      ...redisOptionsFromUrl(config.redis.url),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: config.healthCheckTimeoutMs,
      connectionName: 'health',
    });
    this.redis.on('error', () => undefined);
  }

  async postgres() {
    const indicator = this.indicators.check('postgres');
    try {
      await withTimeout(this.database.pool.query('SELECT 1'), this.config.healthCheckTimeoutMs, 'PostgreSQL');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: reason(error) });
    }
  }

  async redisQueue() {
    const indicator = this.indicators.check('redis');
    try {
      if (this.redis.status === 'wait')
        await withTimeout(this.redis.connect(), this.config.healthCheckTimeoutMs, 'Redis');
      await withTimeout(this.redis.ping(), this.config.healthCheckTimeoutMs, 'Redis');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: reason(error) });
    }
  }

  async rabbitmq() {
    const indicator = this.indicators.check('rabbitmq');
    try {
      const connection = await withTimeout(
        connect(this.config.rabbitmq.url, { timeout: this.config.healthCheckTimeoutMs }),
        this.config.healthCheckTimeoutMs,
        'RabbitMQ',
      );
      await connection.close();
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: reason(error) });
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
