import { clusterOptionsOf, queueKeyPrefix } from './queue-redis';

describe('queueKeyPrefix', () => {
  it('keeps the plain prefix on one server, so a running deployment keeps its key names', () => {
    expect(queueKeyPrefix('payments', { mode: 'standalone', url: 'redis://127.0.0.1:6379' })).toBe('payments');
  });

  it('makes the prefix a hash tag on a cluster, so every key of a queue shares a slot', () => {
    const cluster = { mode: 'cluster' as const, nodes: [{ host: 'a', port: 7000 }], tls: false };
    expect(queueKeyPrefix('payments', cluster)).toBe('{payments}');
  });
});

describe('clusterOptionsOf', () => {
  it('gives every node the credentials and TLS, beside the caller options', () => {
    const target = { mode: 'cluster' as const, nodes: [], username: 'u', password: 'p', tls: true };
    expect(clusterOptionsOf(target, { maxRetriesPerRequest: null })).toEqual({
      redisOptions: { username: 'u', password: 'p', tls: {}, maxRetriesPerRequest: null },
    });
  });

  it('adds nothing a plain cluster does not need', () => {
    expect(clusterOptionsOf({ mode: 'cluster', nodes: [], tls: false })).toEqual({ redisOptions: {} });
  });
});
