import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../src/config/config.schema';
import {
  type ComposeFile,
  environmentOf,
  hostIpOfShortPort,
  hostNetworkServicesOf,
  publishedPortsOf,
} from './support/compose-file';

// There is no Docker engine on the build machine; these checks read the file the way `docker compose` would.
const composeFile = parse(readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8')) as ComposeFile;
const loopback = '127.0.0.1';

describe('docker-compose.yml', () => {
  it('publishes ports, so the checks below have something to check', () => {
    const services = new Set(publishedPortsOf(composeFile).map((port) => port.service));
    expect([...services].sort()).toEqual(['app', 'postgres', 'rabbitmq', 'redis-cache', 'redis-queue']);
  });

  it('binds every published port of every service to 127.0.0.1, never to all interfaces', () => {
    const exposed = publishedPortsOf(composeFile).filter((port) => port.hostIp !== loopback);
    expect(exposed).toEqual([]);
  });

  it('runs no service on the host network, where nothing is bound by `ports`', () => {
    expect(hostNetworkServicesOf(composeFile)).toEqual([]);
  });

  it('starts the app in development mode by default, which accepts the development defaults', () => {
    const environment = environmentOf(composeFile, 'app', {});
    const config = parseConfig(environment);
    expect(config.nodeEnv).toBe('development');
    expect(config.production).toBe(false);
  });

  it('refuses to start the same app with NODE_ENV=production and nothing else set', () => {
    const environment = environmentOf(composeFile, 'app', { NODE_ENV: 'production' });
    expect(environment.NODE_ENV).toBe('production');
    expect(() => parseConfig(environment)).toThrow(ConfigError);
    expect(() => parseConfig(environment)).toThrow(/ADMIN_TOKEN/);
  });
});

describe('the published-port check itself', () => {
  it.each([
    ['5432:5432', undefined],
    ['5432', undefined],
    ['127.0.0.1:5432:5432', '127.0.0.1'],
    ['127.0.0.1::5432', '127.0.0.1'],
    ['0.0.0.0:5432:5432', '0.0.0.0'],
    ['[::1]:5432:5432', '::1'],
    ['3000-3005:3000-3005/tcp', undefined],
  ])('reads the host address of %s as %s', (spec, hostIp) => {
    expect(hostIpOfShortPort(spec)).toBe(hostIp);
  });

  it('flags the ports of the old file (short syntax, numbers and long syntax without host_ip)', () => {
    const old = parse(`
services:
  postgres: { ports: ['5432:5432'] }
  rabbitmq: { ports: ['5672:5672', '127.0.0.1:15672:15672'] }
  app: { ports: [3000, { target: 3000, published: '3000' }, { target: 80, host_ip: 127.0.0.1, published: '8080' }] }
`) as ComposeFile;
    const exposed = publishedPortsOf(old).filter((port) => port.hostIp !== loopback);
    expect(exposed.map((port) => [port.service, port.spec])).toEqual([
      ['postgres', '5432:5432'],
      ['rabbitmq', '5672:5672'],
      ['app', '3000'],
      ['app', '{"target":3000,"published":"3000"}'],
    ]);
  });

  it('substitutes variables as compose does', () => {
    const file = parse(`
services:
  app:
    environment: { A: '\${A:-fallback}', B: '\${B-kept}', C: '\${C}', D: 'cost $$5', E: '\${E:-}' }
`) as ComposeFile;
    expect(environmentOf(file, 'app', { B: '' })).toEqual({ A: 'fallback', B: '', C: '', D: 'cost $5', E: '' });
    expect(environmentOf(file, 'app', { A: 'set', E: 'x' })).toMatchObject({ A: 'set', B: 'kept', E: 'x' });
  });
});
