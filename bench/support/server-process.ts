import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchToServer, ServerCounters, ServerToBench } from './server-protocol';

/**
 * The V8 flags the app runs with, as package.json's `start` and the Dockerfile give them: semi-spaces capped at 16 MB
 * (V8 otherwise grows the young generation with the allocation rate: ~150 MB more RSS under load for ~2 % less CPU),
 * the old generation at 192 MB (about three times the live heap; unbounded, V8 grows it to ~470 MB of RSS under load).
 */
const appNodeFlags = ['--max-semi-space-size=16', '--max-old-space-size=192'];

const serverScript = path.join(__dirname, 'app-server.ts');
const swcRegister = pathToFileURL(path.join(__dirname, 'swc-register.mts')).href;
/** Boot includes migrating a fresh database and connecting to Redis and RabbitMQ. */
const startTimeoutMs = 60_000;
/** Past this the app has not closed gracefully and is killed. */
const stopTimeoutMs = 15_000;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function describe(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** The app under benchmark, running app-server.ts in a child process (same Node binary, same swc transform). */
export class ServerProcess {
  private nextRequestId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (message: ServerToBench) => void; reject: (error: Error) => void }
  >();

  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<Exit>,
    readonly port: number,
  ) {
    child.on('message', (message: ServerToBench) => {
      if (message.type !== 'counters' && message.type !== 'profiled') return;
      this.pending.get(message.requestId)?.resolve(message);
      this.pending.delete(message.requestId);
    });
    void exited.then((exit) => {
      for (const { reject } of this.pending.values()) reject(new Error(`the app process exited (${describe(exit)})`));
      this.pending.clear();
    });
  }

  /**
   * Spawns the app with `environment` and resolves once it listens; rejects (the process gone) if it cannot.
   * `builtScript`: app-server.ts compiled ahead (support/app-build.ts), run as it is.
   * BENCH_CPU_PROFILE_DIR in `environment`: the app writes a V8 CPU profile of its whole life there when it exits
   * (open it in Chrome DevTools); startProfile()/stopProfile() profile a part of it instead.
   */
  static async start(environment: NodeJS.ProcessEnv, options: { builtScript?: string } = {}): Promise<ServerProcess> {
    const profileDirectory = environment.BENCH_CPU_PROFILE_DIR;
    const profiling = profileDirectory ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`] : [];
    // The app built ahead (support/app-build.ts), or transformed as it loads.
    const script = options.builtScript ? [options.builtScript] : ['--import', swcRegister, serverScript];
    const child = spawn(process.execPath, [...appNodeFlags, ...profiling, ...script], {
      env: environment,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = exitOf(child);
    let timer: NodeJS.Timeout | undefined;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the app did not listen within ${startTimeoutMs} ms`)),
          startTimeoutMs,
        );
        child.once('error', reject);
        void exited.then((exit) => reject(new Error(`the app process exited (${describe(exit)}) before listening`)));
        child.on('message', (message: ServerToBench) => {
          if (message.type === 'ready') resolve(message.port);
          if (message.type === 'failed') reject(new Error(`the app failed to start: ${message.message}`));
        });
      });
      return new ServerProcess(child, exited, port);
    } catch (error) {
      await new ServerProcess(child, exited, 0).stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The app's process id (its CPU time in /proc). */
  get pid(): number {
    return this.child.pid!;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The app's counters now (queries, cache hits and misses, CPU time). */
  async counters(): Promise<ServerCounters> {
    const answer = await this.request((requestId) => ({ type: 'counters', requestId }));
    if (answer.type !== 'counters') throw new Error(`expected counters, got ${answer.type}`);
    return answer.counters;
  }

  /** Starts V8's sampling profiler in the app process. */
  async startProfile(): Promise<void> {
    await this.profileRequest((requestId) => ({ type: 'profile-start', requestId }));
  }

  /** Stops the profiler and has the app write the profile (.cpuprofile JSON) to `file`. */
  async stopProfile(file: string): Promise<void> {
    await this.profileRequest((requestId) => ({ type: 'profile-stop', requestId, file }));
  }

  /** Closes the app gracefully (killing it past the deadline) and waits until its process has exited. */
  async stop(): Promise<void> {
    if (this.running) {
      // A failed send (the channel closing at that moment) is covered by the kill below.
      if (this.child.connected) this.send({ type: 'stop' }, () => undefined);
      else this.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), stopTimeoutMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private async profileRequest(message: (requestId: number) => BenchToServer): Promise<void> {
    const answer = await this.request(message);
    if (answer.type !== 'profiled') throw new Error(`expected profiled, got ${answer.type}`);
    if (answer.error) throw new Error(`profiling the app: ${answer.error}`);
  }

  private request(message: (requestId: number) => BenchToServer): Promise<ServerToBench> {
    if (!this.child.connected) return Promise.reject(new Error('the app process is gone'));
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.send(message(requestId), (error) => {
        if (!error) return;
        this.pending.delete(requestId);
        reject(error);
      });
    });
  }

  private send(message: BenchToServer, callback?: (error: Error | null) => void): void {
    this.child.send(message, callback);
  }
}
