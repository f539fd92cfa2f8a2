import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { connectToAnyNode } from '../events/rabbitmq-nodes';
import { redisOptionsFromUrl } from '../queueing/redis-options';
import { errorMessage } from '../common/errors/error-message';
import { withDeadline } from '../common/deadline';

/** Readiness checks of the real dependencies (and the replica, when set), each bounded by HEALTH_CHECK_TIMEOUT_MS. */
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
      await withDeadline(this.database.pool.query('SELECT 1'), this.config.healthCheckTimeoutMs, 'PostgreSQL');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: errorMessage(error) });
    }
  }

  /** The list endpoints' replica (DATABASE_REPLICA_URL): they fail without it. */
  async postgresReplica(replica: Pool) {
    const indicator = this.indicators.check('postgres_replica');
    try {
      await withDeadline(replica.query('SELECT 1'), this.config.healthCheckTimeoutMs, 'PostgreSQL replica');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: errorMessage(error) });
    }
  }

  /** Every check readiness runs: PostgreSQL, its replica when DATABASE_REPLICA_URL is set, Redis, RabbitMQ. */
  checks(): (() => Promise<HealthIndicatorResult>)[] {
    const replica = this.database.replicaPool;
    return [
      () => this.postgres(),
      ...(replica ? [() => this.postgresReplica(replica)] : []),
      () => this.redisQueue(),
      () => this.rabbitmq(),
    ];
  }

  async redisQueue() {
    const indicator = this.indicators.check('redis');
    try {
      if (this.redis.status === 'wait')
        await withDeadline(this.redis.connect(), this.config.healthCheckTimeoutMs, 'Redis');
      await withDeadline(this.redis.ping(), this.config.healthCheckTimeoutMs, 'Redis');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: errorMessage(error) });
    }
  }

  async rabbitmq() {
    const indicator = this.indicators.check('rabbitmq');
    try {
      // Up when any node of the cluster answers: the app's connections move to it when another goes away.
      const connection = await connectToAnyNode(this.config.rabbitmq.urls, this.config.healthCheckTimeoutMs);
      await connection.close();
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: errorMessage(error) });
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
