import type { INestApplication } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, parseConfig } from './config/config.schema';
import { startEventSubscribers } from './events/event-subscribers';

/** Stops taking requests, lets in-flight ones finish, closes every connection, then exits 0 (1 past the deadline). */
function closeOnSignals(app: INestApplication, shutdownTimeoutMs: number): void {
  const shutdown = (): void => {
    setTimeout(() => process.exit(1), shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const app = await createApp(config);
  closeOnSignals(app, config.shutdownTimeoutMs);
  // Modules initialized first, then the RabbitMQ subscribers (hybrid app), then HTTP.
  await app.init();
  await startEventSubscribers(app);
  await app.listen(config.port, config.host);
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError
      ? error.message
      : `Start failed: ${error instanceof Error ? error.stack : String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
