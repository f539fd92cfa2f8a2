import {
  isClusterUrl,
  parseClusterNodes,
  parseClusterUrl,
  redisTargets,
  RedisTargetError,
  type RedisVariables,
} from './redis-target';

function failureOf(variables: RedisVariables): { variable: string; message: string } {
  try {
    redisTargets(variables);
  } catch (error) {
    if (error instanceof RedisTargetError) return { variable: error.variable, message: error.message };
    throw error;
  }
  throw new Error('expected a RedisTargetError');
}

describe('parseClusterNodes', () => {
  it('reads host:port seeds, IPv6 in brackets, spaces and empty entries ignored', () => {
    expect(parseClusterNodes('redis-0:7000, 10.0.0.2:7001,,[::1]:7002')).toEqual([
      { host: 'redis-0', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each(['', ',', 'redis-0', 'redis-0:', 'redis-0:0', 'redis-0:70000', 'redis://redis-0:7000', '::1:7000'])(
    'refuses %j',
    (text) => {
      expect(() => parseClusterNodes(text)).toThrow();
    },
  );
});

describe('parseClusterUrl', () => {
  it('reads seeds, credentials (percent-decoded) and TLS', () => {
    expect(parseClusterUrl('rediss+cluster://app:p%40ss@a:7000,b:7001')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it('takes a password alone, and a trailing slash', () => {
    expect(parseClusterUrl('redis+cluster://:secret@a:7000/')).toEqual({
      mode: 'cluster',
      nodes: [{ host: 'a', port: 7000 }],
      password: 'secret',
      tls: false,
    });
  });

  it('refuses a database number: cluster mode has none', () => {
    expect(() => parseClusterUrl('redis+cluster://a:7000,b:7001/2')).toThrow(/no database numbers/);
  });

  it('tells cluster URLs from single-server ones', () => {
    expect(isClusterUrl('redis+cluster://a:1')).toBe(true);
    expect(isClusterUrl(' rediss+cluster://a:1')).toBe(true);
    expect(isClusterUrl('redis://a:1')).toBe(false);
  });
});

describe('redisTargets', () => {
  const nodes = [
    { host: 'n1', port: 7000 },
    { host: 'n2', port: 7001 },
  ];

  it('is the local server for both when nothing is set', () => {
    const local = { mode: 'standalone', url: 'redis://127.0.0.1:6379' };
    expect(redisTargets({})).toEqual({ queue: local, cache: local });
  });

  it('puts the queue and, by default, the cache on the cluster REDIS_CLUSTER_NODES names', () => {
    const cluster = { mode: 'cluster', nodes, tls: false };
    expect(redisTargets({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001' })).toEqual({ queue: cluster, cache: cluster });
  });

  it('keeps the cache on CACHE_REDIS_URL when that is set beside REDIS_CLUSTER_NODES', () => {
    expect(redisTargets({ REDIS_CLUSTER_NODES: 'n1:7000', CACHE_REDIS_URL: 'redis://cache:6379/1' }).cache).toEqual({
      mode: 'standalone',
      url: 'redis://cache:6379/1',
    });
  });

  it('puts the cache alone on a cluster with CACHE_REDIS_CLUSTER_NODES', () => {
    expect(redisTargets({ CACHE_REDIS_CLUSTER_NODES: 'n1:7000,n2:7001' })).toEqual({
      queue: { mode: 'standalone', url: 'redis://127.0.0.1:6379' },
      cache: { mode: 'cluster', nodes, tls: false },
    });
  });

  it('reads a redis+cluster:// URL in REDIS_URL, for both', () => {
    const { queue, cache } = redisTargets({ REDIS_URL: 'redis+cluster://u:p@n1:7000,n2:7001' });
    expect(queue).toEqual({ mode: 'cluster', nodes, username: 'u', password: 'p', tls: false });
    expect(cache).toBe(queue);
  });

  it.each<[RedisVariables, string, RegExp]>([
    [{ REDIS_URL: 'redis://q:6379/2', REDIS_CLUSTER_NODES: 'n1:7000' }, 'REDIS_URL', /no database numbers/],
    [{ CACHE_REDIS_URL: 'redis://c', CACHE_REDIS_CLUSTER_NODES: 'n1:7000' }, 'CACHE_REDIS_URL', /together/],
    [{ REDIS_URL: 'redis+cluster://n1:7000/3' }, 'REDIS_URL', /no database numbers/],
    [{ CACHE_REDIS_URL: 'rediss+cluster://n1:7000/0' }, 'CACHE_REDIS_URL', /no database numbers/],
    [{ REDIS_CLUSTER_NODES: 'n1' }, 'REDIS_CLUSTER_NODES', /host:port/],
    [{ CACHE_REDIS_CLUSTER_NODES: ' , ' }, 'CACHE_REDIS_CLUSTER_NODES', /at least one/],
    [{ REDIS_URL: 'http://q' }, 'REDIS_URL', /redis:\/\//],
    [{ CACHE_REDIS_URL: 'not a url' }, 'CACHE_REDIS_URL', /redis:\/\//],
  ])('refuses %j, naming %s', (variables, variable, message) => {
    const failure = failureOf(variables);
    expect(failure.variable).toBe(variable);
    expect(failure.message).toMatch(message);
  });
});
