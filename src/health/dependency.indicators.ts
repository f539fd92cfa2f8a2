import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { Cluster, Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { connectToAnyNode } from '../events/rabbitmq-nodes';
import { clusterOptionsOf } from '../queueing/queue-redis';
import { redisOptionsFromUrl } from '../queueing/redis-options';
import { errorMessage } from '../common/errors/error-message';
import { withDeadline } from '../common/deadline';

/** Readiness checks of the real dependencies (and the replica, when set), each bounded by HEALTH_CHECK_TIMEOUT_MS. */
@Injectable()
export class DependencyIndicators implements OnApplicationShutdown {
  private readonly redis: Redis | Cluster;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly config: AppConfig,
    private readonly database: Database,
  ) {
    // Offline queue off: a ping while Redis is unreachable fails at once instead of waiting for a reconnect.
    const target = config.redis.queue;
    const options = { maxRetriesPerRequest: 0, connectTimeout: config.healthCheckTimeoutMs, connectionName: 'health' };
    this.redis =
      target.mode === 'cluster'
        ? new Cluster(target.nodes, {
            ...clusterOptionsOf(target, options),
            lazyConnect: true,
            enableOfflineQueue: false,
          })
        : new Redis({ ...redisOptionsFromUrl(target.url), ...options, lazyConnect: true, enableOfflineQueue: false });
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
      await withDeadline(this.ping(), this.config.healthCheckTimeoutMs, 'Redis');
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

  /** One server answers a PING; a cluster answers on every master it knows (its slots are all served). */
  private async ping(): Promise<void> {
    if (!(this.redis instanceof Cluster)) {
      await this.redis.ping();
      return;
    }
    const masters = this.redis.nodes('master');
    if (masters.length === 0) throw new Error('no master of the Redis Cluster is connected');
    await Promise.all(masters.map((master) => master.ping()));
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
