/**
 * The resident memory (VmRSS, /proc/<pid>/status, Linux) of the app's processes, sampled every
 * `sampleIntervalMs` for the whole run; the report keeps each process's highest, overall and per scenario.
 */
import { readFileSync } from 'node:fs';

const sampleIntervalMs = 250;

/** The resident set of `pid` in MB (10^6 bytes), or undefined once the process has gone. */
function residentMegabytes(pid: number): number | undefined {
  try {
    const kilobytes = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isNaN(kilobytes) ? undefined : Math.round((kilobytes * 1024) / 1e5) / 10;
  } catch {
    return undefined;
  }
}

export class ResidentMemoryWatch {
  private readonly processes = new Map<string, number>();
  private scenario = 'start';
  /** Highest MB per scenario, per process name. */
  private readonly highest = new Map<string, Map<string, number>>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), sampleIntervalMs);
    this.timer.unref();
  }

  /** Watches `pid` under `name` (the same name again replaces the process: a new phase's app). */
  watch(name: string, pid: number): void {
    this.processes.set(name, pid);
    this.sample();
  }

  /** Samples from now on count for `name`. */
  enter(scenario: string): void {
    this.sample();
    this.scenario = scenario;
    this.sample();
  }

  /** The processes gone from the run (so that the next phase's names start afresh). */
  forget(): void {
    this.sample();
    this.processes.clear();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Highest MB per process name over the whole run, and per scenario. */
  result(): { highestMegabytes: Record<string, number>; byScenario: Record<string, Record<string, number>> } {
    const overall: Record<string, number> = {};
    const byScenario: Record<string, Record<string, number>> = {};
    for (const [scenario, processes] of this.highest) {
      byScenario[scenario] = Object.fromEntries(processes);
      for (const [name, megabytes] of processes) overall[name] = Math.max(overall[name] ?? 0, megabytes);
    }
    return { highestMegabytes: overall, byScenario };
  }

  private sample(): void {
    const highest = this.highest.get(this.scenario) ?? new Map<string, number>();
    for (const [name, pid] of this.processes) {
      const megabytes = residentMegabytes(pid);
      if (megabytes !== undefined) highest.set(name, Math.max(highest.get(name) ?? 0, megabytes));
    }
    if (highest.size > 0) this.highest.set(this.scenario, highest);
  }
}
