import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './own-redis';
import { postgresServerUrl } from './test-database';

// Debian's package (1.18 on this machine); .ci/run installs it.
const pgbouncerBinary = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';
// It answers within a second here; one that does not within this is broken.
const startDeadlineMs = 15_000;

export interface OwnPgBouncerOptions {
  /** Server connections per database and user: small, so that transactions really share them. */
  defaultPoolSize: number;
  /** Extra `[databases]` entries, by alias (e.g. `{ replica_x: 'dbname=x' }`); every other name passes through. */
  databases?: Record<string, string>;
}

export interface PgBouncerRow {
  [column: string]: string | null;
}

/**
 * A PgBouncer of the test's own in transaction mode, on a port of its own, in front of the shared PostgreSQL
 * (every database name passes through as itself): trust authentication with an auth file in a temporary directory.
 * PgBouncer refuses to run as root: as root, it runs as the postgres user (`-u postgres`), which owns the directory.
 * Its admin console (`SHOW POOLS`, `SHOW STATS`, ...) is the `pgbouncer` database.
 */
export class OwnPgBouncer {
  private exited: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly directory: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(options: OwnPgBouncerOptions): Promise<OwnPgBouncer> {
    const port = await freePort();
    const upstream = new URL(postgresServerUrl);
    const directory = mkdtempSync(path.join(tmpdir(), 'pgbouncer-'));
    const upstreamAt = `host=${upstream.hostname} port=${upstream.port || 5432}`;
    const aliases = Object.entries(options.databases ?? {}).map(
      ([alias, entry]) => `${alias} = ${upstreamAt} ${entry}`,
    );
    writeFileSync(path.join(directory, 'userlist.txt'), '"postgres" ""\n');
    writeFileSync(
      path.join(directory, 'pgbouncer.ini'),
      [
        '[databases]',
        ...aliases,
        `* = ${upstreamAt}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${path.join(directory, 'userlist.txt')}`,
        'pool_mode = transaction',
        `default_pool_size = ${options.defaultPoolSize}`,
        'max_client_conn = 500',
        'admin_users = postgres',
        `logfile = ${path.join(directory, 'pgbouncer.log')}`,
        `pidfile = ${path.join(directory, 'pgbouncer.pid')}`,
        '',
      ].join('\n'),
    );
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      for (const file of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(path.join(directory, file), uid, gid);
    }
    const args = [...(asRoot ? ['-u', 'postgres'] : []), path.join(directory, 'pgbouncer.ini')];
    const child = spawn(pgbouncerBinary, args, { stdio: 'ignore' });
    const bouncer = new OwnPgBouncer(port, directory, child);
    const deadline = Date.now() + startDeadlineMs;
    while (!(await bouncer.answers())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const log = bouncer.log();
        await bouncer.stop();
        throw new Error(`pgbouncer on ${port} did not start: ${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return bouncer;
  }

  /** Database `name` through this PgBouncer. */
  url(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** A `SHOW ...` of the admin console (simple protocol only, as node-postgres sends a query without values). */
  async show(what: string): Promise<PgBouncerRow[]> {
    const client = new Client({ connectionString: this.url('pgbouncer') });
    await client.connect();
    try {
      return (await client.query<PgBouncerRow>(`SHOW ${what}`)).rows;
    } finally {
      await client.end();
    }
  }

  log(): string {
    try {
      return readFileSync(path.join(this.directory, 'pgbouncer.log'), 'utf8');
    } catch {
      return '(no log)';
    }
  }

  private async answers(): Promise<boolean> {
    try {
      await this.show('VERSION');
      return true;
    } catch {
      return false;
    }
  }

  /** Stops PgBouncer (its clients' connections drop) and deletes its files. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}
