import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level } from 'pino';

/**
 * A request's logger that becomes a real pino child only when a line at an enabled level is written to it (or when
 * asked for its level, a child of its own or a level change). Fastify makes one logger per request; with pino's
 * redaction paths, making a child passes its bindings through the redaction on every request, about 3.5 % of the
 * app's CPU on a cached GET, even when the request writes nothing (LOG_LEVEL=warn and a request that succeeds).
 * What it writes is exactly what the child would write: same bindings, same options, same redaction.
 */
/** Fastify's logger as pino gives it: one that says whether a level is written. */
type LevelAwareLogger = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

export class LazyRequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: LevelAwareLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.madeChild().level;
  }

  set level(level: string) {
    this.madeChild().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.madeChild().child(bindings, options);
  }

  /** The real child, made once. */
  private madeChild(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  private write(level: Level, args: unknown[]): void {
    // A route's own log level (options.level) is the child's to apply: the child is made to decide.
    if (!this.made && this.options.level === undefined && !this.parent.isLevelEnabled(level)) return;
    const child = this.madeChild();
    child[level](...(args as [unknown, string?, ...unknown[]]));
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}
}

/** Fastify's childLoggerFactory: each request's logger is a LazyRequestLogger over the root logger. */
export function lazyRequestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger as LevelAwareLogger, bindings, options);
}
