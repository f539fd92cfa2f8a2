import { EventEmitter } from 'node:events';
import { createClient, createCluster } from '@keyv/redis';
import type { ClusterTarget, RedisTarget } from '../config/redis-target';
import {
  cacheClusterNodeCheckIntervalMs,
  cacheCommandQueueMax,
  cacheConnectTimeoutMs,
  cacheReconnectDelayMaxMs,
} from './caching.limits';

// Doubling from 100 ms up to the cap; the random part keeps many processes from reconnecting in step.
function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 10), cacheReconnectDelayMaxMs) + Math.floor(Math.random() * 100);
}

/** The options of every connection to the cache Redis (of each node's, in a cluster), named `name`. */
function connectionOptions(name: string) {
  return {
    // Shown by CLIENT LIST, to tell which deployment (or test run) a connection belongs to.
    name,
    // Commands fail at once while disconnected, instead of queueing until a reconnection that may never come.
    disableOfflineQueue: true,
    commandsQueueMaxLength: cacheCommandQueueMax,
  };
}

function standaloneClient(url: string, name: string) {
  return createClient({
    url,
    ...connectionOptions(name),
    socket: { connectTimeout: cacheConnectTimeoutMs, reconnectStrategy: reconnectDelayMs },
  });
}

function clusterClient(target: ClusterTarget, name: string) {
  return createCluster({
    rootNodes: target.nodes.map(({ host, port }) => ({ socket: { host, port } })),
    defaults: {
      ...connectionOptions(name),
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      socket: {
        connectTimeout: cacheConnectTimeoutMs,
        reconnectStrategy: reconnectDelayMs,
        ...(target.tls ? { tls: true as const } : {}),
      },
    },
  });
}

type StandaloneClient = ReturnType<typeof standaloneClient>;
type ClusterClient = ReturnType<typeof clusterClient>;
/** What commands are sent through: one server's client, or a cluster's, which routes each by its first key. */
export type CacheRedisCommands = StandaloneClient | ClusterClient;

/** A connection to one server, where SCAN walks every key there is on that server. */
export interface ScanningClient {
  scan(cursor: string, options: { MATCH: string; COUNT: number }): Promise<{ cursor: string; keys: string[] }>;
}

interface CacheRedisEvents {
  /** Usable: connected the first time, or every connection is back after a loss. */
  ready: [];
  /** A connection failed or was lost. */
  error: [unknown];
}

/**
 * A connection to the cache Redis, one server or a Redis Cluster, behaving the same for its users: `connect` keeps
 * trying until it succeeds (or the connection is destroyed), 'ready' is emitted when it is usable, again after
 * every loss, and 'error' on each failure; commands fail at once while it is down.
 */
export abstract class CacheRedis extends EventEmitter<CacheRedisEvents> {
  abstract readonly client: CacheRedisCommands;
  /** True for a cluster: keys a script or a multi-key command touches must share a hash slot. */
  abstract readonly clustered: boolean;

  constructor() {
    super();
    // Each user listens for what it needs; an unheard failure is no reason to crash the process.
    this.on('error', () => undefined);
  }

  /** Whether commands can reach every part of the data now. */
  abstract get isReady(): boolean;
  /** Whether it was connected or is trying to (and not destroyed). */
  abstract get isOpen(): boolean;
  /** Settles once connected, retrying until then; rejects when destroyed first. */
  abstract connect(): Promise<void>;
  /** Drops every connection at once (close() would wait for replies a hung Redis never sends). */
  abstract destroy(): void;
  /** A new connection to the same Redis, named `name` (a subscriber needs its own). */
  abstract duplicate(name: string): CacheRedis;
  /** One client per server holding keys (a cluster's masters), for commands that see one server only (SCAN). */
  abstract servers(): Promise<ScanningClient[]>;
  /** Subscribes to `channel`, resubscribing by itself after reconnections. */
  abstract subscribe(channel: string, listener: (message: string) => void): Promise<void>;
}

class StandaloneCacheRedis extends CacheRedis {
  readonly clustered = false;

  constructor(readonly client: StandaloneClient) {
    super();
    client.on('ready', () => this.emit('ready'));
    client.on('error', (error: unknown) => this.emit('error', error));
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  get isOpen(): boolean {
    return this.client.isOpen;
  }

  async connect(): Promise<void> {
    // node-redis retries on its own (reconnectStrategy) until Redis answers, or rejects once destroyed.
    await this.client.connect();
  }

  destroy(): void {
    if (this.client.isOpen) this.client.destroy();
  }

  duplicate(name: string): CacheRedis {
    return new StandaloneCacheRedis(this.client.duplicate({ name }));
  }

  servers(): Promise<ScanningClient[]> {
    return Promise.resolve([this.client as unknown as ScanningClient]);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    await this.client.subscribe(channel, listener);
  }
}

/**
 * A Redis Cluster through node-redis. Its client discovers the masters from the seed nodes, connects to each and
 * reconnects each on its own, but tells of neither a failed first discovery (connect() rejects once) nor a node's
 * return (its 'node-ready' comes once per node): connect() here retries discovery, and after a node's error the
 * masters are checked every cacheClusterNodeCheckIntervalMs until each is connected again, then 'ready' is emitted.
 */
class ClusterCacheRedis extends CacheRedis {
  readonly clustered = true;
  readonly client: ClusterClient;
  private connected = false;
  private destroyed = false;
  private checkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: ClusterTarget,
    private readonly name: string,
  ) {
    super();
    this.client = clusterClient(target, name);
    this.client.on('error', (error: unknown) => this.emit('error', error));
    this.client.on('node-error', (error: unknown) => this.nodeFailed(error));
  }

  get isReady(): boolean {
    if (!this.connected || !this.client.isOpen || this.client.masters.length === 0) return false;
    const pubSub = this.client.pubSubNode;
    return (
      this.client.masters.every((master) => master.client?.isReady === true) &&
      (pubSub === undefined || pubSub.client.isReady)
    );
  }

  get isOpen(): boolean {
    return !this.destroyed && (this.connected || this.client.isOpen);
  }

  async connect(): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      if (this.destroyed) throw new Error('the cache Redis connection was destroyed');
      try {
        await this.client.connect();
        break;
      } catch (error) {
        if (this.destroyed) throw error;
        this.emit('error', error);
        await new Promise((resolve) => setTimeout(resolve, reconnectDelayMs(attempt)).unref());
      }
    }
    this.connected = true;
    this.emit('ready');
  }

  destroy(): void {
    this.destroyed = true;
    clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    if (this.client.isOpen) this.client.destroy();
  }

  duplicate(name: string): CacheRedis {
    return new ClusterCacheRedis(this.target, name);
  }

  async servers(): Promise<ScanningClient[]> {
    const masters = await Promise.all(this.client.masters.map((master) => this.client.nodeClient(master)));
    return masters;
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    // Classic PUBLISH reaches every node of a cluster, so one subscription on any node hears every message; the
    // client moves it to another node when its node leaves the cluster.
    await this.client.subscribe(channel, listener);
  }

  private nodeFailed(error: unknown): void {
    this.emit('error', error);
    if (!this.connected || this.destroyed || this.checkTimer) return;
    this.checkTimer = setInterval(() => {
      if (!this.isReady) return;
      clearInterval(this.checkTimer);
      this.checkTimer = undefined;
      this.emit('ready');
    }, cacheClusterNodeCheckIntervalMs).unref();
  }
}

/** A connection to the cache Redis at `target`, named `name`, not connected yet. */
export function createCacheRedis(target: RedisTarget, name: string): CacheRedis {
  return target.mode === 'cluster'
    ? new ClusterCacheRedis(target, name)
    : new StandaloneCacheRedis(standaloneClient(target.url, name));
}
