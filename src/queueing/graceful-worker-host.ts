import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { withDeadline } from '../common/deadline';
import { contextOfCarrier, isTracingOn } from '../telemetry/trace-context';
import { inWorkSpan } from '../telemetry/traced-work';
import { throttledWarning } from './queue-errors';

// How long a shutdown waits to learn whether the queue Redis answers before choosing how to close.
const redisProbeTimeoutMs = 500;

/** How long a job's lock lasts unrenewed, and how often jobs whose lock lapsed are looked for (BullMQ: 30 s each). */
export interface JobLockTiming {
  lockDurationMs: number;
  stalledIntervalMs: number;
}

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

  /**
   * Starts a worker declared with `autorun: false`, with lock timing from the configuration (the @Processor
   * options are static). BullMQ's lock manager copies the lock duration when it is built, so it is built again;
   * the worker has not run, so no job holds a lock of the old duration.
   */
  protected runWorker(timing: JobLockTiming): void {
    Object.assign(this.worker.opts, {
      lockDuration: timing.lockDurationMs,
      lockRenewTime: timing.lockDurationMs / 2,
      stalledInterval: timing.stalledIntervalMs,
    });
    (this.worker as unknown as { createLockManager(): void }).createLockManager();
    this.worker.run().catch((error: unknown) => this.workerLogger.error({ err: error }, 'queue worker stopped'));
  }

  /**
   * Runs one job's work in a span of the trace it continues, when tracing is on. The trace is the one the job data's
   * `traceparent` names (jobs made from outbox rows: outboxJob); BullMQ's own `process` span is its parent when it
   * continued that same trace (the job's telemetry metadata) or when the data names none (jobs added in code, whose
   * context BullMQ carries alone). A malformed traceparent is no trace: the job runs the same.
   */
  protected inJobTrace<T>(job: Job<unknown>, work: () => Promise<T>): Promise<T> {
    if (!isTracingOn()) return work();
    const traceparent = (job.data as { traceparent?: unknown } | null)?.traceparent;
    const fromData = contextOfCarrier({ traceparent });
    const dataTraceId = fromData && trace.getSpanContext(fromData)?.traceId;
    const activeTraceId = trace.getSpanContext(context.active())?.traceId;
    const parent = fromData && dataTraceId !== activeTraceId ? fromData : context.active();
    return inWorkSpan(
      `${job.queueName} ${job.name}`,
      { parent, attributes: { 'job.id': job.id ?? '', 'job.attempt': job.attemptsMade + 1 } },
      work,
    );
  }

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.warnAboutConnection(error);
  }
}
