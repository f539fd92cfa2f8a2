import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../../support/own-redis';

const run = promisify(execFile);
// initdb and a crash recovery on this 2-core machine take a few seconds; a server that needs longer is broken.
const commandDeadlineMs = 60_000;

/** The newest PostgreSQL server binaries installed (Debian layout), e.g. /usr/lib/postgresql/17/bin. */
function serverBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(path.join(root, version, 'bin', 'initdb')))
        .sort((left, right) => Number(right) - Number(left))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root} (.ci/run installs them)`);
  return path.join(root, versions[0]!, 'bin');
}

/** PostgreSQL refuses to run as root: as root, its commands run as the postgres user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/**
 * A PostgreSQL server of the test's own (initdb in a temporary directory, its own port, trust auth), which the test
 * may crash and start again; the shared server on 5432 is never touched.
 */
export class OwnPostgres {
  private running = false;

  private constructor(
    readonly port: number,
    private readonly directory: string,
    private readonly binaries: string,
  ) {}

  static async start(): Promise<OwnPostgres> {
    const directory = mkdtempSync(path.join(tmpdir(), 'fault-postgres-'));
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: group } = await run('id', ['-g', 'postgres']);
      chownSync(directory, Number(stdout.trim()), Number(group.trim()));
    }
    chmodSync(directory, 0o700);
    const server = new OwnPostgres(await freePort(), directory, serverBinaries());
    await server.command('initdb', ['-D', server.dataDirectory, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await server.restart();
    return server;
  }

  private get dataDirectory(): string {
    return path.join(this.directory, 'data');
  }

  /** Database `name` on this server. */
  url(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** Starts the server (again, on the same port and data) and resolves once it accepts connections. */
  async restart(): Promise<void> {
    const options = `-p ${this.port} -k ${this.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.command('pg_ctl', [
      '-D',
      this.dataDirectory,
      '-l',
      path.join(this.directory, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    this.running = true;
  }

  /** Crashes the server: `immediate` mode kills every backend at once; the next start runs crash recovery. */
  async crash(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.command('pg_ctl', ['-D', this.dataDirectory, '-m', 'immediate', '-w', '-t', '60', 'stop']);
  }

  async answers(): Promise<boolean> {
    const client = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Stops the server and deletes its files. */
  async destroy(): Promise<void> {
    await this.crash().catch(() => undefined);
    rmSync(this.directory, { recursive: true, force: true });
  }

  private async command(name: string, args: string[]): Promise<void> {
    const [command, commandArgs] = asServerUser(path.join(this.binaries, name), args);
    await run(command, commandArgs, { timeout: commandDeadlineMs });
  }
}
