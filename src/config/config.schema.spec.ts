import { ConfigError, developmentAdminToken, parseConfig } from './config.schema';

describe('parseConfig', () => {
  it('works with no configuration at all, on this machine and under docker-compose defaults', () => {
    const config = parseConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/payments');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.redis.cacheUrl).toBe('redis://127.0.0.1:6379');
    expect(config.rabbitmq.url).toBe('amqp://guest:guest@127.0.0.1:5672');
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
    ['REDIS_URL', 'not a url'],
    ['CACHE_REDIS_URL', 'http://cache'],
    ['RABBITMQ_URL', 'redis://127.0.0.1:6379'],
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

  it('refuses production without an ADMIN_TOKEN, or with a short one', () => {
    const production = { NODE_ENV: 'production', CARD_VAULT_KEY: productionVaultKey };
    expect(() => parseConfig(production)).toThrow(/ADMIN_TOKEN/);
    expect(() => parseConfig({ ...production, ADMIN_TOKEN: 'x'.repeat(31) })).toThrow(/ADMIN_TOKEN/);
    expect(parseConfig({ ...production, ADMIN_TOKEN: 'x'.repeat(32) }).adminToken).toBe('x'.repeat(32));
  });

  it('refuses production without a CARD_VAULT_KEY, and a malformed key anywhere', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'x'.repeat(32) })).toThrow(/CARD_VAULT_KEY/);
    expect(() => parseConfig({ CARD_VAULT_KEY: 'short' })).toThrow(/^Invalid configuration: CARD_VAULT_KEY/);
    expect(parseConfig({ CARD_VAULT_KEY: productionVaultKey }).cardVaultKey).toEqual(
      Buffer.from(productionVaultKey, 'hex'),
    );
  });

  it('uses a given ADMIN_TOKEN outside production', () => {
    expect(parseConfig({ ADMIN_TOKEN: 'short' }).adminToken).toBe('short');
  });
});
