import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../src/config/config.schema';
import {
  bindMountsOf,
  type ComposeFile,
  environmentOf,
  hostIpOfShortPort,
  hostNetworkServicesOf,
  publishedPortsOf,
} from './support/compose-file';

// There is no Docker engine on the build machine; these checks read the file the way `docker compose` would.
const repositoryRoot = join(__dirname, '..');
const composeFile = parse(readFileSync(join(repositoryRoot, 'docker-compose.yml'), 'utf8')) as ComposeFile;
const loopback = '127.0.0.1';

describe('docker-compose.yml', () => {
  it('publishes ports, so the checks below have something to check', () => {
    const services = new Set(publishedPortsOf(composeFile).map((port) => port.service));
    expect([...services].sort()).toEqual([
      'app',
      'grafana',
      'postgres',
      'prometheus',
      'rabbitmq',
      'redis-cache',
      'redis-queue',
    ]);
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

describe('docker-compose.yml with --profile observability (Prometheus and Grafana of deploy/observability)', () => {
  const mounts = bindMountsOf(composeFile);
  const mountOf = (service: string, sourceEnd: string) => {
    const mount = mounts.find((candidate) => candidate.service === service && candidate.source.endsWith(sourceEnd));
    if (!mount) throw new Error(`${service} mounts no ${sourceEnd}`);
    return mount;
  };
  const readYaml = <T>(path: string) => parse(readFileSync(join(repositoryRoot, path), 'utf8')) as T;

  it('starts Prometheus and Grafana only when the profile is asked for, and nothing else under it', () => {
    const profiled = Object.entries(composeFile.services ?? {})
      .filter(([, service]) => service.profiles !== undefined)
      .map(([name, service]) => [name, service.profiles]);
    expect(profiled).toEqual([
      ['prometheus', ['observability']],
      ['grafana', ['observability']],
    ]);
  });

  it('mounts host paths that exist in the repository', () => {
    expect(mounts.length).toBeGreaterThan(0);
    const missing = mounts.filter((mount) => !existsSync(join(repositoryRoot, mount.source)));
    expect(missing).toEqual([]);
  });

  it("has Prometheus load the mounted rules and scrape the app's port under the job name the alerts use", () => {
    const directory = mountOf('prometheus', 'deploy/observability/prometheus');
    const config = readYaml<{
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>(join(directory.source, 'prometheus.yml'));
    for (const rules of config.rule_files) expect(existsSync(join(repositoryRoot, directory.source, rules))).toBe(true);
    const appPort = environmentOf(composeFile, 'app', {}).PORT;
    const [payments] = config.scrape_configs;
    expect(payments!.static_configs.flatMap((targets) => targets.targets)).toEqual([`app:${appPort}`]);
    const alerts = readFileSync(join(repositoryRoot, directory.source, 'alerts.yml'), 'utf8');
    const jobsNamed = new Set([...alerts.matchAll(/job="([^"]+)"/g)].map((match) => match[1]));
    expect(jobsNamed).toEqual(new Set([payments!.job_name]));
  });

  it('has Grafana provision the dashboard from where it is mounted, on the Prometheus of this file', () => {
    const dashboard = mountOf('grafana', 'payments-dashboard.json');
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(
      join(mountOf('grafana', 'provisioning/dashboards').source, 'payments.yml'),
    );
    expect(provider.providers[0]!.options.path).toBe(posix.dirname(dashboard.target));
    const datasource = readYaml<{ datasources: { type: string; url: string }[] }>(
      join(mountOf('grafana', 'provisioning/datasources').source, 'prometheus.yml'),
    );
    expect(datasource.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    // The host in that url is this file's prometheus service.
    expect(composeFile.services?.prometheus).toBeDefined();
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
