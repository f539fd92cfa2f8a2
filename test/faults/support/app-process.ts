import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../support/own-redis';

// The built entry point, exactly as `npm start` runs it (npm test builds before the fault suite runs).
export const mainPath = path.resolve(__dirname, '..', '..', '..', 'dist', 'main.js');
// Several Nest processes start at once on 2 shared cores: generous, but bounded.
const readyDeadlineMs = 45_000;
// What a process printed last, for the failure message of a test that could not start or stop it.
const outputKeptChars = 8_000;

export type AppRole = 'all' | 'api' | 'worker' | 'relay';

export function assertBuilt(): void {
  if (!existsSync(mainPath)) throw new Error(`${mainPath} is missing: run npm run build (npm test does)`);
}

/**
 * One `APP_ROLE` process of the built service, on an HTTP port of its own (every role serves /health), which a
 * fault test may SIGKILL, SIGSTOP, SIGTERM and start again with the same configuration.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private output = '';
  /** Processes this one replaced after a kill: their exits, for the figures. */
  starts = 0;

  private constructor(
    readonly role: AppRole,
    readonly port: number,
    private readonly environment: Record<string, string>,
  ) {}

  /** Starts one; a process that does not come up is killed before this rejects, so none is left running. */
  static async start(role: AppRole, environment: Record<string, string>): Promise<AppProcess> {
    const app = new AppProcess(role, await freePort(), environment);
    try {
      await app.restart();
    } catch (error) {
      await app.kill();
      throw error;
    }
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get recentOutput(): string {
    return this.output;
  }

  /** Starts the process (again) and resolves once it answers /health/live. */
  async restart(): Promise<void> {
    if (this.running) throw new Error(`${this.role} is already running`);
    this.starts += 1;
    const child = spawn(process.execPath, [mainPath], {
      env: {
        PATH: process.env.PATH ?? '',
        ...this.environment,
        APP_ROLE: this.role,
        PORT: String(this.port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-outputKeptChars);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await this.waitUntilLive();
  }

  /** Sends `signal` to this process only (never by name). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) throw new Error(`${this.role} is not running`);
    this.child!.kill(signal);
  }

  /** SIGKILL, resolved once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * SIGTERM, then waits up to `deadlineMs` for the exit: resolves with the exit code and how long it took; a
   * process still there at the deadline is SIGKILLed and reported with code null.
   */
  async terminate(deadlineMs: number): Promise<{ code: number | null; exitMs: number }> {
    const child = this.child;
    if (!child || !this.running) return { code: child?.exitCode ?? null, exitMs: 0 };
    const startedAt = Date.now();
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
    const outcome = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      await this.kill();
      return { code: null, exitMs: Date.now() - startedAt };
    }
    return { code: outcome[0], exitMs: Date.now() - startedAt };
  }

  private async waitUntilLive(): Promise<void> {
    const deadline = Date.now() + readyDeadlineMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.role} exited during start (${this.child?.exitCode}): ${this.output}`);
      try {
        const response = await fetch(`${this.url}/health/live`, { signal: AbortSignal.timeout(1_000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.role} not live within ${readyDeadlineMs} ms: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Stops every process still running; for afterAll, so a failed test leaves nothing behind. */
export async function killAll(apps: readonly (AppProcess | undefined)[]): Promise<void> {
  await Promise.all(apps.map((app) => (app ? app.kill() : Promise.resolve())));
}
