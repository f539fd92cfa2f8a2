import { cacheCommandTimeoutMs } from '../caching/caching.limits';
import {
  ConfigError,
  developmentAdminToken,
  developmentCardVaultKey,
  developmentFingerprintKey,
  parseConfig,
} from './config.schema';

describe('parseConfig', () => {
  it('works with no configuration at all, on this machine and under docker-compose defaults', () => {
    const config = parseConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/payments');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.redis.cacheUrl).toBe('redis://127.0.0.1:6379');
    expect(config.rabbitmq.urls).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
    expect(config.rabbitmq.queueType).toBe('classic');
    expect(config.role).toBe('all');
    expect(config.adminToken).toBe(developmentAdminToken);
    expect(config.production).toBe(false);
    expect(config.rateLimitPerSecond).toBe(100);
  });

  it('takes RATE_LIMIT_PER_SECOND, 0 turning limiting off', () => {
    expect(parseConfig({ RATE_LIMIT_PER_SECOND: '0' }).rateLimitPerSecond).toBe(0);
    expect(parseConfig({ RATE_LIMIT_PER_SECOND: '2500' }).rateLimitPerSecond).toBe(2500);
  });

  it('lets CACHE_REDIS_URL default to REDIS_URL and be set on its own', () => {
    expect(parseConfig({ REDIS_URL: 'redis://queue:6379/2' }).redis.cacheUrl).toBe('redis://queue:6379/2');
    expect(parseConfig({ CACHE_REDIS_URL: 'redis://cache:6379' }).redis.cacheUrl).toBe('redis://cache:6379');
  });

  it('switches the queue and the cache to a Redis Cluster with REDIS_CLUSTER_NODES', () => {
    const { redis } = parseConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' });
    const cluster = {
      mode: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      tls: false,
    };
    expect(redis.queue).toEqual(cluster);
    expect(redis.cache).toEqual(cluster);
    // What a single-server tool can reach: a node of the cluster.
    expect(redis.url).toBe('redis://127.0.0.1:7000');
  });

  it('refuses a database number with cluster mode, naming the variable', () => {
    expect(() => parseConfig({ REDIS_URL: 'redis://127.0.0.1:6379/1', REDIS_CLUSTER_NODES: 'h:7000' })).toThrow(
      /^Invalid configuration: REDIS_URL: must not be set together with REDIS_CLUSTER_NODES: cluster mode has no database numbers/,
    );
    expect(() => parseConfig({ CACHE_REDIS_URL: 'redis+cluster://h:7000/4' })).toThrow(
      /^Invalid configuration: CACHE_REDIS_URL: cluster mode has no database numbers/,
    );
  });

  it('takes CACHE_COMMAND_TIMEOUT_MS, by default the cache deadline caching.limits explains', () => {
    expect(parseConfig({}).redis.cacheCommandTimeoutMs).toBe(cacheCommandTimeoutMs);
    expect(parseConfig({ CACHE_COMMAND_TIMEOUT_MS: '1500' }).redis.cacheCommandTimeoutMs).toBe(1500);
    expect(() => parseConfig({ CACHE_COMMAND_TIMEOUT_MS: '0' })).toThrow(ConfigError);
  });

  it('lets DATABASE_DIRECT_URL default to DATABASE_URL, and leaves the replica unset unless given', () => {
    const pooled = 'postgres://app@pgbouncer:6432/payments';
    const defaults = parseConfig({ DATABASE_URL: pooled }).database;
    expect(defaults).toMatchObject({ url: pooled, directUrl: pooled, replicaUrl: undefined, preparedStatements: true });
    const split = parseConfig({
      DATABASE_URL: pooled,
      DATABASE_DIRECT_URL: 'postgres://app@primary:5432/payments',
      DATABASE_REPLICA_URL: 'postgres://app@replica:5432/payments',
      DATABASE_PREPARED_STATEMENTS: 'false',
    }).database;
    expect(split).toMatchObject({
      url: pooled,
      directUrl: 'postgres://app@primary:5432/payments',
      replicaUrl: 'postgres://app@replica:5432/payments',
      preparedStatements: false,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ PORT: '' }).port).toBe(3000);
  });

  it.each([
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['PORT', '3000.5'],
    ['APP_ROLE', 'scheduler'],
    ['LOG_LEVEL', 'verbose'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_URL', 'mysql://localhost/payments'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_DIRECT_URL', 'mysql://localhost/payments'],
    ['DATABASE_REPLICA_URL', 'not a url'],
    ['DATABASE_PREPARED_STATEMENTS', 'yes'],
    ['REDIS_URL', 'not a url'],
    ['CACHE_REDIS_URL', 'http://cache'],
    ['REDIS_CLUSTER_NODES', 'host-without-port'],
    ['CACHE_REDIS_CLUSTER_NODES', 'h:99999'],
    ['RABBITMQ_URL', 'redis://127.0.0.1:6379'],
    ['RABBITMQ_URL', 'amqp://a:5672,,amqp://b:5672'],
    ['RABBITMQ_QUEUE_TYPE', 'lazy'],
    ['QUEUE_PREFIX', 'has space'],
    ['RATE_LIMIT_PER_SECOND', '-1'],
    ['RATE_LIMIT_PER_SECOND', '1.5'],
    ['RATE_LIMIT_PER_SECOND', 'many'],
  ])('refuses %s=%s with one line naming the variable', (variable, value) => {
    expect(() => parseConfig({ [variable]: value })).toThrow(ConfigError);
    try {
      parseConfig({ [variable]: value });
    } catch (error) {
      expect((error as Error).message).toMatch(new RegExp(`^Invalid configuration: ${variable}: `));
      expect((error as Error).message).not.toContain('\n');
    }
  });

  const productionVaultKey = 'ab'.repeat(32);
  const production = {
    NODE_ENV: 'production',
    ADMIN_TOKEN: 'x'.repeat(32),
    CARD_VAULT_KEY: productionVaultKey,
    FINGERPRINT_KEY: 'cd'.repeat(32),
    RABBITMQ_URL: 'amqp://payments:s3cret@rabbitmq:5672',
  };

  it('starts in production with every secret set to its own value', () => {
    const config = parseConfig(production);
    expect(config.production).toBe(true);
    expect(config.fingerprintKey).toEqual(Buffer.from('cd'.repeat(32), 'hex'));
  });

  it('turns the card network report hook on in tests only, and refuses it in production', () => {
    expect(parseConfig({}).cardNetworkTestHooks).toBe(false);
    expect(parseConfig({ NODE_ENV: 'test' }).cardNetworkTestHooks).toBe(true);
    expect(parseConfig({ NODE_ENV: 'test', CARD_NETWORK_TEST_HOOKS: 'false' }).cardNetworkTestHooks).toBe(false);
    expect(parseConfig({ CARD_NETWORK_TEST_HOOKS: 'true' }).cardNetworkTestHooks).toBe(true);
    expect(parseConfig(production).cardNetworkTestHooks).toBe(false);
    expect(() => parseConfig({ ...production, CARD_NETWORK_TEST_HOOKS: 'true' })).toThrow(
      /^Invalid configuration: CARD_NETWORK_TEST_HOOKS/,
    );
  });

  it('takes the dispute timings', () => {
    expect(() => parseConfig({ DISPUTE_DELAY_MS: '-1' })).toThrow(/DISPUTE_DELAY_MS/);
    expect(parseConfig({ DISPUTE_DELAY_MS: '0' }).disputes).toEqual({
      delayMs: 0,
      evidenceWindowMs: 7 * 86_400_000,
      feeMajor: 15,
      pollIntervalMs: 2_000,
    });
  });

  it('takes the dispute fee in whole major units and the poll interval', () => {
    expect(parseConfig({ DISPUTE_FEE: '0', DISPUTE_POLL_INTERVAL_MS: '200' }).disputes).toMatchObject({
      feeMajor: 0,
      pollIntervalMs: 200,
    });
    expect(() => parseConfig({ DISPUTE_FEE: '12.5' })).toThrow(/DISPUTE_FEE/);
    expect(() => parseConfig({ DISPUTE_FEE: '-1' })).toThrow(/DISPUTE_FEE/);
    expect(() => parseConfig({ DISPUTE_POLL_INTERVAL_MS: '10' })).toThrow(/DISPUTE_POLL_INTERVAL_MS/);
  });

  it('takes the settlement delay (0 by default: no pending) and its release interval', () => {
    expect(parseConfig({}).settlement).toEqual({ delayMs: 0, releaseIntervalMs: 60_000 });
    expect(parseConfig({ SETTLEMENT_DELAY_MS: '5000', SETTLEMENT_RELEASE_INTERVAL_MS: '1000' }).settlement).toEqual({
      delayMs: 5000,
      releaseIntervalMs: 1000,
    });
    expect(() => parseConfig({ SETTLEMENT_DELAY_MS: '-1' })).toThrow(/SETTLEMENT_DELAY_MS/);
    expect(() => parseConfig({ SETTLEMENT_RELEASE_INTERVAL_MS: '10' })).toThrow(/SETTLEMENT_RELEASE_INTERVAL_MS/);
  });

  it('refuses production without an ADMIN_TOKEN, with a short one, or with the development one', () => {
    const { ADMIN_TOKEN: _, ...withoutToken } = production;
    expect(() => parseConfig(withoutToken)).toThrow(/^Invalid configuration: ADMIN_TOKEN/);
    expect(() => parseConfig({ ...production, ADMIN_TOKEN: 'x'.repeat(31) })).toThrow(/ADMIN_TOKEN/);
    expect(() => parseConfig({ ...production, ADMIN_TOKEN: developmentAdminToken })).toThrow(/ADMIN_TOKEN/);
    expect(parseConfig({ ...production, ADMIN_TOKEN: 'y'.repeat(32) }).adminToken).toBe('y'.repeat(32));
  });

  it('refuses production without a CARD_VAULT_KEY or with the development key, and a malformed key anywhere', () => {
    const { CARD_VAULT_KEY: _, ...withoutKey } = production;
    expect(() => parseConfig(withoutKey)).toThrow(/^Invalid configuration: CARD_VAULT_KEY/);
    expect(() => parseConfig({ ...production, CARD_VAULT_KEY: developmentCardVaultKey })).toThrow(/CARD_VAULT_KEY/);
    // The same key spelled in base64 is still the development key.
    const developmentBase64 = Buffer.from(developmentCardVaultKey, 'hex').toString('base64');
    expect(() => parseConfig({ ...production, CARD_VAULT_KEY: developmentBase64 })).toThrow(/CARD_VAULT_KEY/);
    expect(() => parseConfig({ CARD_VAULT_KEY: 'short' })).toThrow(/^Invalid configuration: CARD_VAULT_KEY/);
    expect(parseConfig({ CARD_VAULT_KEY: productionVaultKey }).cardVaultKey).toEqual(
      Buffer.from(productionVaultKey, 'hex'),
    );
  });

  it('refuses production without a FINGERPRINT_KEY or with the development one', () => {
    const { FINGERPRINT_KEY: _, ...withoutKey } = production;
    expect(() => parseConfig(withoutKey)).toThrow(/^Invalid configuration: FINGERPRINT_KEY/);
    expect(() => parseConfig({ ...production, FINGERPRINT_KEY: developmentFingerprintKey })).toThrow(/FINGERPRINT_KEY/);
    expect(() => parseConfig({ FINGERPRINT_KEY: 'short' })).toThrow(/^Invalid configuration: FINGERPRINT_KEY/);
  });

  it.each([
    ['unset (the development default)', undefined],
    ['guest/guest', 'amqp://guest:guest@rabbitmq:5672'],
    ['no credentials (AMQP logs in as guest)', 'amqp://rabbitmq:5672'],
  ])("refuses production with RabbitMQ's %s credentials", (_, url) => {
    const { RABBITMQ_URL: __, ...rest } = production;
    expect(() => parseConfig(url === undefined ? rest : { ...rest, RABBITMQ_URL: url })).toThrow(
      /^Invalid configuration: RABBITMQ_URL/,
    );
  });

  it('refuses production when any node of RABBITMQ_URL logs in as guest, saying which', () => {
    expect(() =>
      parseConfig({ ...production, RABBITMQ_URL: 'amqp://payments:s3cret@rabbit-1:5672,amqp://rabbit-2:5672' }),
    ).toThrow(/^Invalid configuration: RABBITMQ_URL: must not use .*guest.* \(entry 2 of 2 does\)$/);
    const cluster = 'amqp://payments:s3cret@rabbit-1:5672,amqp://payments:s3cret@rabbit-2:5672';
    expect(parseConfig({ ...production, RABBITMQ_URL: cluster }).rabbitmq.urls).toEqual([
      'amqp://payments:s3cret@rabbit-1:5672',
      'amqp://payments:s3cret@rabbit-2:5672',
    ]);
  });

  it('reads RABBITMQ_URL as a comma-separated list of nodes and refuses a bad entry', () => {
    expect(parseConfig({ RABBITMQ_URL: 'amqp://a:5672, amqp://b:5672' }).rabbitmq.urls).toEqual([
      'amqp://a:5672',
      'amqp://b:5672',
    ]);
    expect(() => parseConfig({ RABBITMQ_URL: 'amqp://a:5672,redis://b:6379' })).toThrow(
      /^Invalid configuration: RABBITMQ_URL: must be a URL with protocol amqp: or amqps: \(entry 2 of 2 is not\)$/,
    );
  });

  it('reads RABBITMQ_QUEUE_TYPE: classic by default, or quorum', () => {
    expect(parseConfig({}).rabbitmq.queueType).toBe('classic');
    expect(parseConfig({ RABBITMQ_QUEUE_TYPE: 'quorum' }).rabbitmq.queueType).toBe('quorum');
    expect(() => parseConfig({ RABBITMQ_QUEUE_TYPE: 'stream' })).toThrow(/^Invalid configuration: RABBITMQ_QUEUE_TYPE/);
  });

  it('keeps the development defaults outside production', () => {
    const config = parseConfig({});
    expect(config.cardVaultKey).toEqual(Buffer.from(developmentCardVaultKey, 'hex'));
    expect(config.fingerprintKey).toEqual(Buffer.from(developmentFingerprintKey, 'hex'));
    expect(config.cardVaultPreviousKeys).toEqual([]);
  });

  it('reads CARD_VAULT_PREVIOUS_KEYS as a list and refuses a malformed entry', () => {
    const base64Key = Buffer.alloc(32, 7).toString('base64');
    const config = parseConfig({ CARD_VAULT_PREVIOUS_KEYS: `${'01'.repeat(32)}, ${base64Key}` });
    expect(config.cardVaultPreviousKeys).toEqual([Buffer.alloc(32, 1), Buffer.alloc(32, 7)]);
    expect(() => parseConfig({ CARD_VAULT_PREVIOUS_KEYS: `${'01'.repeat(32)},short` })).toThrow(
      /^Invalid configuration: CARD_VAULT_PREVIOUS_KEYS/,
    );
  });

  it("reads PAYMENT_JOB_LOCK_MS (default BullMQ's 30 s, never longer, at least 1 s)", () => {
    expect(parseConfig({}).payments.jobLockMs).toBe(30_000);
    expect(parseConfig({ PAYMENT_JOB_LOCK_MS: '5000' }).payments.jobLockMs).toBe(5_000);
    expect(() => parseConfig({ PAYMENT_JOB_LOCK_MS: '30001' })).toThrow(/PAYMENT_JOB_LOCK_MS/);
    expect(() => parseConfig({ PAYMENT_JOB_LOCK_MS: '999' })).toThrow(/PAYMENT_JOB_LOCK_MS/);
  });

  it('reads AUTH_FAILURES_PER_SECOND_PER_IP (default 20, 0 off)', () => {
    expect(parseConfig({}).authFailuresPerSecondPerIp).toBe(20);
    expect(parseConfig({ AUTH_FAILURES_PER_SECOND_PER_IP: '0' }).authFailuresPerSecondPerIp).toBe(0);
    expect(() => parseConfig({ AUTH_FAILURES_PER_SECOND_PER_IP: '-1' })).toThrow(/AUTH_FAILURES_PER_SECOND_PER_IP/);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.1', ['10.0.0.0/8', '192.168.1.1']],
    ['::1', ['::1']],
  ])('reads TRUST_PROXY=%s as %j', (value, expected) => {
    expect(parseConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('refuses a TRUST_PROXY that is no address list', () => {
    expect(() => parseConfig({ TRUST_PROXY: 'everyone' })).toThrow(/^Invalid configuration: TRUST_PROXY/);
  });

  it('uses a given ADMIN_TOKEN outside production', () => {
    expect(parseConfig({ ADMIN_TOKEN: 'short' }).adminToken).toBe('short');
  });
});
