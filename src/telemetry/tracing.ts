import { markTracingOn } from './trace-context';
import type { RunningTracing } from './tracing-sdk';
import { type TracingDecision, tracingDecision } from './tracing-switch';

let running: RunningTracing | undefined;
let decided: TracingDecision | undefined;

/**
 * Starts the OpenTelemetry SDK when the environment asks for it (tracingDecision), and does nothing else otherwise:
 * the SDK and the instrumentations are not even loaded then. Must run before the instrumented libraries (http,
 * fastify, pg, ioredis, amqplib) are first required: register.ts, the first import of main.ts.
 */
export function startTracingIfWanted(environment: Readonly<Record<string, string | undefined>>): TracingDecision {
  if (decided) return decided;
  decided = tracingDecision(environment);
  if (decided.on) {
    // Required here, not imported at the top: with tracing off nothing of the SDK is loaded.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startTracingSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
    running = startTracingSdk(environment);
    markTracingOn();
  }
  return decided;
}

/** What startTracingIfWanted decided (for the start-up log), or undefined before it ran. */
export function tracingDecided(): TracingDecision | undefined {
  return decided;
}

/** Exports the spans still buffered and stops the SDK; never rejects (a collector that is down loses them). */
export async function stopTracing(): Promise<void> {
  const stopping = running;
  running = undefined;
  await stopping?.shutdown().catch(() => undefined);
}
