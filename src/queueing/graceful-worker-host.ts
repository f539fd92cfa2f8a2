import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { withDeadline } from '../common/deadline';
import { throttledWarning } from './queue-errors';

// How long a shutdown waits to learn whether the queue Redis answers before choosing how to close.
const redisProbeTimeoutMs = 500;

/**
 * A processor that shuts down gracefully when it can: with Redis reachable, in-flight jobs finish before the
 * worker closes; with Redis down, a graceful close would wait for a reconnect forever, so the worker is closed
 * at once (its jobs stay in Redis and are picked up again as stalled jobs).
 */
export abstract class GracefulWorkerHost extends WorkerHost implements BeforeApplicationShutdown {
  protected readonly workerLogger = new Logger(this.constructor.name);
  private readonly warnAboutConnection = throttledWarning(
    this.workerLogger,
    'queue worker error (BullMQ reconnects on its own)',
  );

  async beforeApplicationShutdown(): Promise<void> {
    const reachable = await withDeadline(
      this.worker.backend.client.then((client) => (client as unknown as Redis).ping()),
      redisProbeTimeoutMs,
      'queue Redis',
    ).then(
      () => true,
      () => false,
    );
    await this.worker.close(!reachable);
  }

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.warnAboutConnection(error);
  }
}
