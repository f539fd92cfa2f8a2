// First: tracing (when the OTEL_* variables turn it on) must start before the instrumented libraries load.
import './telemetry/register';
import { type INestApplication, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory';
import { ConfigError, parseConfig } from './config/config.schema';
import { startEventSubscribers } from './events/event-subscribers';
import { QueueDeclarationError } from './events/subscriber-queue';
import { ShutdownGate } from './http/graceful-shutdown';
import { stopTracing, tracingDecided } from './telemetry/tracing';

/**
 * Refuses new requests (503 with Retry-After), lets in-flight ones finish, closes every connection, then exits 0
 * (1 past the deadline).
 */
function closeOnSignals(app: INestApplication, gate: ShutdownGate, shutdownTimeoutMs: number): void {
  const shutdown = (): void => {
    setTimeout(() => process.exit(1), shutdownTimeoutMs).unref();
    // The spans still buffered are exported before the exit (bounded by the same deadline).
    gate
      .close(app)
      .then(stopTracing)
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const app: NestFastifyApplication = await createApp(config);
  const gate = new ShutdownGate().install(app.getHttpAdapter().getInstance());
  closeOnSignals(app, gate, config.shutdownTimeoutMs);
  const tracing = tracingDecided();
  if (tracing) new Logger('Tracing').log(`tracing ${tracing.on ? 'on' : 'off'}: ${tracing.reason}`);
  // Modules initialized first, then the RabbitMQ subscribers (hybrid app), then HTTP.
  await app.init();
  await startEventSubscribers(app);
  await app.listen(config.port, config.host);
}

main().catch((error: unknown) => {
  // Both name what to change; a stack trace would only bury it.
  const message =
    error instanceof ConfigError || error instanceof QueueDeclarationError
      ? error.message
      : `Start failed: ${error instanceof Error ? error.stack : String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
