import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './own-redis';

const run = promisify(execFile);

// Starting three servers and forming the cluster takes about a second here; a loaded machine gets far more.
const clusterStartDeadlineMs = 30_000;
const pollIntervalMs = 50;

async function clusterInfoOf(port: number): Promise<string> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return String(await client.call('CLUSTER', 'INFO'));
  } catch {
    return '';
  } finally {
    client.disconnect();
  }
}

async function until(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

/**
 * A Redis Cluster of the test's own: `masters` redis-servers (cluster mode, no replicas, no persistence) on free
 * local ports, their cluster bus on free ports too, configuration files in a temporary directory, joined by
 * `redis-cli --cluster create`. The shared server on 6379 is never touched. `stop` kills every server and removes
 * the directory, also after a failed start.
 */
export class OwnRedisCluster {
  private readonly servers: ChildProcess[] = [];
  private readonly ports: number[] = [];

  private constructor(private readonly directory: string) {}

  static async start(masters = 3): Promise<OwnRedisCluster> {
    const cluster = new OwnRedisCluster(await mkdtemp(join(tmpdir(), 'redis-cluster-test-')));
    try {
      await cluster.form(masters);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The seed nodes as REDIS_CLUSTER_NODES takes them: every node, `127.0.0.1:port,...`. */
  get nodes(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** An ioredis Cluster client of the test's own (call disconnect()). */
  client(): Cluster {
    return new Cluster(this.ports.map((port) => ({ host: '127.0.0.1', port })));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.servers.map(async (server) => {
        if (server.exitCode !== null || server.signalCode !== null) return;
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(this.directory, { recursive: true, force: true });
  }

  private async form(masters: number): Promise<void> {
    for (let index = 0; index < masters; index += 1) {
      const [port, busPort] = [await freePort(), await freePort()];
      this.ports.push(port);
      const server = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          // The bus port is port + 10000 unless named: above 55535 that is no port at all.
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          join(this.directory, `nodes-${port}.conf`),
          '--dir',
          this.directory,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: 'ignore' },
      );
      this.servers.push(server);
    }
    await until('every cluster node answering', clusterStartDeadlineMs, async () => {
      const infos = await Promise.all(this.ports.map(clusterInfoOf));
      return infos.every((info) => info !== '');
    });
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await until('cluster_state:ok on every node', clusterStartDeadlineMs, async () => {
      const infos = await Promise.all(this.ports.map(clusterInfoOf));
      return infos.every((info) => info.includes('cluster_state:ok'));
    });
  }
}
