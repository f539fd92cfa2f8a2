/** One seed node of a Redis Cluster. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/**
 * Where a Redis client connects: one server (a redis:// or rediss:// URL, its database number honoured), or a
 * Redis Cluster through its seed nodes (credentials and TLS shared by every node; no database numbers: cluster
 * mode has database 0 only, so deployments sharing a cluster are kept apart by QUEUE_PREFIX).
 */
export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | { mode: 'cluster'; nodes: RedisNodeAddress[]; username?: string; password?: string; tls: boolean };

export type ClusterTarget = Extract<RedisTarget, { mode: 'cluster' }>;

/** A configuration mistake about one variable. */
export class RedisTargetError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

const clusterUrlPattern = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?$/;
const noDatabaseNumbers = 'cluster mode has no database numbers (keys are kept apart by QUEUE_PREFIX)';

/** Whether `url` names a Redis Cluster (`redis+cluster://` or `rediss+cluster://`). */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url.trim());
}

/** `host:port` or `[IPv6]:port`; throws on anything else. */
function nodeAddressOf(text: string): RedisNodeAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/@,]+)):([0-9]{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port < 1 || port > 65535) throw new Error(`'${text.trim()}' is not host:port`);
  return { host: match[1] ?? match[2]!, port };
}

/** A comma-separated list of seed nodes, `host:port` each (`[::1]:7000` for IPv6), at least one. */
export function parseClusterNodes(text: string): RedisNodeAddress[] {
  const entries = text.split(',').filter((entry) => entry.trim() !== '');
  if (entries.length === 0) throw new Error('must list at least one host:port');
  return entries.map(nodeAddressOf);
}

/** A `redis+cluster://[user:password@]host:port,host:port` URL (`rediss+cluster://` for TLS), without a path. */
export function parseClusterUrl(url: string): ClusterTarget {
  const match = clusterUrlPattern.exec(url.trim());
  if (!match) throw new Error('must be redis+cluster://[user:password@]host:port[,host:port...]');
  const [, scheme, credentials, hosts, path] = match;
  if (path !== undefined && path !== '' && path !== '/') throw new Error(noDatabaseNumbers);
  const separator = credentials?.indexOf(':') ?? -1;
  const username = credentials === undefined ? '' : credentials.slice(0, separator < 0 ? undefined : separator);
  const password = separator < 0 ? '' : credentials!.slice(separator + 1);
  return {
    mode: 'cluster',
    nodes: parseClusterNodes(hosts!),
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    tls: scheme === 'rediss',
  };
}

function standaloneTarget(url: string): RedisTarget {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error('must be a redis://, rediss:// or redis+cluster:// URL');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new Error('must be a redis://, rediss:// or redis+cluster:// URL');
  }
  return { mode: 'standalone', url };
}

/** The target one URL variable names, a cluster URL or a single server's. */
function targetOfUrl(url: string): RedisTarget {
  return isClusterUrl(url) ? parseClusterUrl(url) : standaloneTarget(url);
}

function inVariable<T>(variable: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new RedisTargetError(variable, (error as Error).message);
  }
}

/** One Redis (queue or cache) as set by its URL variable and its cluster-nodes variable, never both. */
function targetOf(
  urlVariable: string,
  url: string | undefined,
  nodesVariable: string,
  nodes: string | undefined,
): RedisTarget | undefined {
  if (nodes !== undefined) {
    if (url !== undefined) {
      throw new RedisTargetError(
        urlVariable,
        `must not be set together with ${nodesVariable}: ${noDatabaseNumbers}; for credentials or TLS use ` +
          `a redis+cluster:// URL in ${urlVariable} instead of ${nodesVariable}`,
      );
    }
    return inVariable(nodesVariable, () => ({ mode: 'cluster', nodes: parseClusterNodes(nodes), tls: false }));
  }
  return url === undefined ? undefined : inVariable(urlVariable, () => targetOfUrl(url));
}

export interface RedisVariables {
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
  CACHE_REDIS_URL?: string;
  CACHE_REDIS_CLUSTER_NODES?: string;
}

export const defaultRedisUrl = 'redis://127.0.0.1:6379';

/**
 * The queue Redis and the cache Redis. The queue's: REDIS_CLUSTER_NODES, or REDIS_URL (a cluster URL or one
 * server's), default the local server. The cache's: CACHE_REDIS_CLUSTER_NODES or CACHE_REDIS_URL, by default the
 * queue's. Throws RedisTargetError naming the variable at fault.
 */
export function redisTargets(variables: RedisVariables): { queue: RedisTarget; cache: RedisTarget } {
  const queue =
    targetOf('REDIS_URL', variables.REDIS_URL, 'REDIS_CLUSTER_NODES', variables.REDIS_CLUSTER_NODES) ??
    standaloneTarget(defaultRedisUrl);
  const cache =
    targetOf(
      'CACHE_REDIS_URL',
      variables.CACHE_REDIS_URL,
      'CACHE_REDIS_CLUSTER_NODES',
      variables.CACHE_REDIS_CLUSTER_NODES,
    ) ?? queue;
  return { queue, cache };
}
