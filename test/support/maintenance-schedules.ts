import { Queue } from 'bullmq';
import { MAINTENANCE_QUEUE } from '../../src/maintenance/maintenance.constants';
import { eventually } from './api';
import type { TestApp } from './test-app';

/** Waits until `subject` has scheduled the maintenance job `job`, and answers its interval (ms). */
export async function maintenanceScheduleEvery(subject: TestApp, job: string): Promise<number | undefined> {
  const queue = new Queue(MAINTENANCE_QUEUE, {
    connection: { url: subject.config.redis.url },
    prefix: subject.config.redis.queuePrefix,
  });
  try {
    const schedulers = await eventually(
      () => queue.getJobSchedulers(),
      (list) => list.some((scheduler) => scheduler.key === job),
      { what: `the ${job} scheduler` },
    );
    return schedulers.find((scheduler) => scheduler.key === job)?.every ?? undefined;
  } finally {
    await queue.close();
  }
}
