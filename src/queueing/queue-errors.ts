import type { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';

// During an outage every reconnect attempt errors again: one warning per interval is enough to see it.
const warningIntervalMs = 10_000;

export function throttledWarning(logger: Logger, message: string): (error: Error) => void {
  let lastWarningMs = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastWarningMs < warningIntervalMs) return;
    lastWarningMs = now;
    logger.warn({ err: error }, message);
  };
}

/** A queue without an error listener prints every connection error to stderr; route them to the log instead. */
export function logQueueErrors(queue: Queue, logger: Logger): void {
  queue.on('error', throttledWarning(logger, `queue ${queue.name}: Redis error (BullMQ reconnects on its own)`));
}
