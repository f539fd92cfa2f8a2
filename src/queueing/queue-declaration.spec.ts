import type { AppConfig } from '../config/app-config';
import { markTracingOn } from '../telemetry/trace-context';
import {
  assertValidDefinition,
  jobOptionsOf,
  outboxJob,
  type QueueDefinition,
  runsWorkers,
  repeatOf,
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
  const traceContext = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'v=1' };

  it('carries no trace context while tracing is off, whatever the row holds', () => {
    const job = outboxJob(reports, reports.outboxTopics!['report.build']!, { ...row, traceContext }, config, 0);
    expect(job.data).toEqual({ reportId: 'rep_1' });
    expect(job.opts.telemetry).toBeUndefined();
  });

  describe('with tracing on', () => {
    beforeAll(() => markTracingOn());

    it('carries the row’s trace context in the job data (traceparent) and in BullMQ’s telemetry metadata', () => {
      const job = outboxJob(reports, reports.outboxTopics!['report.build']!, { ...row, traceContext }, config, 0);
      expect(job.data).toEqual({ reportId: 'rep_1', traceparent: traceContext.traceparent });
      expect(JSON.parse(job.opts.telemetry!.metadata!)).toEqual(traceContext);
      expect(job.opts.jobId).toBe('obx_1');
    });

    it.each([
      ['no trace context', null],
      ['a malformed traceparent', { traceparent: '00-xyz' }],
      ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` }],
    ])('carries nothing for a row with %s', (_case, malformed) => {
      const job = outboxJob(
        reports,
        reports.outboxTopics!['report.build']!,
        { ...row, traceContext: malformed },
        config,
        0,
      );
      expect(job.data).toEqual({ reportId: 'rep_1' });
      expect(job.opts.telemetry).toBeUndefined();
    });
  });

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

describe('repeatOf', () => {
  it('repeats an interval every that many ms', () => {
    expect(repeatOf({ job: 'expire', everyMs: 1000 })).toEqual({ every: 1000 });
  });

  it('reads a cron pattern in UTC, whatever the process’s time zone', () => {
    expect(repeatOf({ job: 'expire', pattern: '0 0 * * *' })).toEqual({ pattern: '0 0 * * *', tz: 'UTC' });
  });
});

describe('schedulesOf', () => {
  it('gives each schedule its interval from the configuration and its job’s declared options', () => {
    const scheduled = { ...reports, schedules: () => [{ job: 'expire' as const, everyMs: 1000 }] };
    expect(schedulesOf(scheduled, config)).toEqual([
      { job: 'expire', everyMs: 1000, opts: { attempts: 1, removeOnComplete: true, removeOnFail: false } },
    ]);
  });

  it('keeps a cron schedule’s pattern', () => {
    const scheduled = { ...reports, schedules: () => [{ job: 'expire' as const, pattern: '0 0 * * 1' }] };
    expect(schedulesOf(scheduled, config)).toEqual([
      { job: 'expire', pattern: '0 0 * * 1', opts: { attempts: 1, removeOnComplete: true, removeOnFail: false } },
    ]);
  });

  it('is empty for a queue without schedules', () => {
    expect(schedulesOf(reports, config)).toEqual([]);
  });
});
