import { redisOptionsFromUrl } from './redis-options';

describe('redisOptionsFromUrl', () => {
  it('reads host, port and database number', () => {
    expect(redisOptionsFromUrl('redis://cache.internal:6380/3')).toEqual({ host: 'cache.internal', port: 6380, db: 3 });
  });

  it('defaults to port 6379 and database 0', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
  });

  it('reads credentials and turns on TLS for rediss', () => {
    expect(redisOptionsFromUrl('rediss://user:p%40ss@host:1/0')).toEqual({
      host: 'host',
      port: 1,
      db: 0,
      username: 'user',
      password: 'p@ss',
      tls: {},
    });
  });

  it('refuses a database that is not a number', () => {
    expect(() => redisOptionsFromUrl('redis://host/abc')).toThrow(/database/);
  });
});
