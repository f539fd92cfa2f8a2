import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, type ClusterOptions } from 'ioredis';
import { withDeadline } from '../common/deadline';
import { AppConfig } from '../config/app-config';
import type { ClusterTarget, RedisTarget } from '../config/redis-target';
import { queueClusterQuitTimeoutMs } from './queueing.limits';

/**
 * BullMQ's key prefix. On a Redis Cluster every key of one queue must share a hash slot (BullMQ's Lua scripts touch
 * several keys of the queue at once; a flow moves jobs between queues): the prefix is made a hash tag, `{payments}`,
 * which puts every queue of the deployment on one slot. One server keeps its plain prefix, so the keys of a running
 * standalone deployment (delayed expiry jobs live for days) keep their names.
 */
export function queueKeyPrefix(queuePrefix: string, target: RedisTarget): string {
  return target.mode === 'cluster' ? `{${queuePrefix}}` : queuePrefix;
}

/** ioredis Cluster options of `target`: its seed nodes, with credentials and TLS given to every node. */
export function clusterOptionsOf(
  target: ClusterTarget,
  redisOptions: ClusterOptions['redisOptions'] = {},
): ClusterOptions {
  return {
    redisOptions: {
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
      ...redisOptions,
    },
  };
}

/**
 * The queue Redis as BullMQ connects to it: a URL for one server (each queue and worker opens its connections), or,
 * for a cluster, one ioredis Cluster shared by every queue (workers duplicate it for their blocking connections).
 * BullMQ never closes a connection it was handed, so the Cluster is closed here, after the queues and workers.
 */
@Injectable()
export class QueueRedis implements OnApplicationShutdown {
  readonly connection: ConnectionOptions;
  private readonly cluster: Cluster | undefined;

  constructor(config: AppConfig) {
    const target = config.redis.queue;
    if (target.mode === 'cluster') {
      // BullMQ's blocking commands require maxRetriesPerRequest: null on its connections.
      this.cluster = new Cluster(target.nodes, clusterOptionsOf(target, { maxRetriesPerRequest: null }));
      // Errors reach BullMQ's own listeners (queue and worker 'error' events), which log them.
      this.cluster.on('error', () => undefined);
      this.connection = this.cluster;
    } else {
      this.connection = { url: target.url, maxRetriesPerRequest: null };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.cluster) return;
    // quit() waits for replies a cluster that stopped answering never sends: past the deadline, drop the sockets.
    await withDeadline(this.cluster.quit(), queueClusterQuitTimeoutMs, 'queue Redis cluster quit').catch(
      () => undefined,
    );
    this.cluster.disconnect();
  }
}
