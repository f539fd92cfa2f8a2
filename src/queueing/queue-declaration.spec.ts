import type { AppConfig } from '../config/app-config';
import {
  assertValidDefinition,
  jobOptionsOf,
  outboxJob,
  type QueueDefinition,
  runsWorkers,
  schedulesOf,
} from './queue-declaration';

const config = { deadLetterRetentionCount: 7, payments: { attemptsMax: 4 } } as unknown as AppConfig;

const reports: QueueDefinition<'build' | 'expire'> = {
  name: 'reports',
  jobs: {
    build: (values) => ({
      attempts: values.payments.attemptsMax,
      backoff: { type: 'exponential', delay: 50 },
      removeOnComplete: { count: 10 },
      removeOnFail: { count: values.deadLetterRetentionCount },
    }),
    expire: () => ({ attempts: 1, removeOnComplete: true, removeOnFail: false }),
  },
  outboxTopics: {
    'report.build': { job: 'build', data: (payload) => ({ reportId: payload.reportId }) },
    'report.expire': {
      job: 'expire',
      data: (payload) => ({ reportId: payload.reportId }),
      delayMs: (payload, nowMs) => Date.parse(String(payload.at)) - nowMs,
    },
  },
};

describe('runsWorkers', () => {
  it.each([
    ['all', true],
    ['worker', true],
    ['api', false],
    ['relay', false],
  ] as const)('%s: %s', (role, expected) => {
    expect(runsWorkers(role)).toBe(expected);
  });
});

describe('jobOptionsOf', () => {
  it('gives the declared options, read from the configuration, with the add’s own id and delay', () => {
    expect(jobOptionsOf(reports, 'build', config, { jobId: 'j1', delay: 5 })).toEqual({
      attempts: 4,
      backoff: { type: 'exponential', delay: 50 },
      removeOnComplete: { count: 10 },
      removeOnFail: { count: 7 },
      jobId: 'j1',
      delay: 5,
    });
  });

  it('refuses a job kind the queue did not declare', () => {
    expect(() => jobOptionsOf(reports, 'print', config)).toThrow('job print is not declared on queue reports');
  });
});

describe('outboxJob', () => {
  const row = { id: 'obx_1', payload: { reportId: 'rep_1', at: '2030-01-01T00:00:10.000Z', secret: 'x' } };

  it('makes the row a job of the bound kind: jobId = outbox id, data from the payload, no delay key', () => {
    const job = outboxJob(reports, reports.outboxTopics!['report.build']!, row, config, 0);
    expect(job).toEqual({
      name: 'build',
      data: { reportId: 'rep_1' },
      opts: {
        attempts: 4,
        backoff: { type: 'exponential', delay: 50 },
        removeOnComplete: { count: 10 },
        removeOnFail: { count: 7 },
        jobId: 'obx_1',
      },
    });
    expect('delay' in job.opts).toBe(false);
  });

  it('delays the job by what the binding computes at relay time', () => {
    const nowMs = Date.parse('2030-01-01T00:00:00.000Z');
    const job = outboxJob(reports, reports.outboxTopics!['report.expire']!, row, config, nowMs);
    expect(job.opts).toEqual({
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: false,
      jobId: 'obx_1',
      delay: 10_000,
    });
  });
});

describe('assertValidDefinition', () => {
  it('accepts a complete definition', () => {
    expect(() => assertValidDefinition(reports)).not.toThrow();
  });

  it('refuses an outbox topic bound to an undeclared job', () => {
    const broken: QueueDefinition = {
      name: 'reports',
      outboxTopics: { 'report.build': { job: 'build', data: () => ({}) } },
    };
    expect(() => assertValidDefinition(broken)).toThrow('outbox topic report.build names undeclared job build');
  });

  it('refuses schedules on a queue without a processor', () => {
    expect(() => assertValidDefinition({ ...reports, schedules: () => [] })).toThrow('schedules need a processor');
  });

  it('refuses an empty name', () => {
    expect(() => assertValidDefinition({ name: ' ' })).toThrow('a queue needs a name');
  });
});

describe('schedulesOf', () => {
  it('gives each schedule its interval from the configuration and its job’s declared options', () => {
    const scheduled = { ...reports, schedules: () => [{ job: 'expire' as const, everyMs: 1000 }] };
    expect(schedulesOf(scheduled, config)).toEqual([
      { job: 'expire', everyMs: 1000, opts: { attempts: 1, removeOnComplete: true, removeOnFail: false } },
    ]);
  });

  it('is empty for a queue without schedules', () => {
    expect(schedulesOf(reports, config)).toEqual([]);
  });
});
