// What a feature says about a queue it owns, and the pure decisions made from it. The Nest wiring that acts on a
// declaration is declared-queue.ts; this file imports neither Nest nor BullMQ's runtime.
import type { WorkerHost } from '@nestjs/bullmq';
import type { Type } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import type { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { carrierOf, contextOfCarrier, type TraceCarrier } from '../telemetry/trace-context';

/** The roles whose processes run queue workers (and job schedulers); `api` and `relay` only add jobs. */
export const workerRoles: readonly AppRole[] = ['all', 'worker'];

export function runsWorkers(role: AppRole): boolean {
  return workerRoles.includes(role);
}

/**
 * The options of one kind of job, stated once and passed explicitly at every add. Attempts and retention are
 * required: a job kind that forgets them would be tried once and kept in Redis for ever.
 */
export type DeclaredJobOptions = Required<Pick<JobsOptions, 'attempts' | 'removeOnComplete' | 'removeOnFail'>> &
  Omit<JobsOptions, 'jobId' | 'delay' | 'repeat' | 'repeatJobKey'>;

/** A job kind's options, read from the configuration when a job is added. */
export type JobOptionsOf = (config: AppConfig) => DeclaredJobOptions;

/** The part of an outbox row a queue job is made from (structurally an OutboxMessage). */
export interface OutboxRow {
  id: string;
  payload: Readonly<Record<string, unknown>>;
  /** The trace the job continues, when tracing is on (see outboxJob). */
  traceContext?: TraceCarrier | null;
}

/** An outbox topic whose rows become jobs of one kind; the job id is the outbox row id, so a re-send is a no-op. */
export interface OutboxTopicBinding<Job extends string = string> {
  job: Job;
  /** The job data made from the row's payload (ids only: job data is untrusted when it comes back). */
  data: (payload: Readonly<Record<string, unknown>>) => unknown;
  /** A delayed job's wait, computed when the row is relayed. */
  delayMs?: (payload: Readonly<Record<string, unknown>>, nowMs: number) => number;
}

/**
 * A repeating job, upserted by every process that runs workers (the same scheduler id, the job's name, makes it a
 * no-op): every `everyMs`, or at the times of a cron `pattern` read in UTC (`0 0 * * 1`: Mondays at 00:00 UTC), for
 * work tied to the calendar rather than to an interval.
 */
export type JobSchedule<Job extends string = string> = { job: Job; everyMs: number } | { job: Job; pattern: string };

/** BullMQ's repeat options of a schedule (its upsertJobScheduler's second argument). */
export function repeatOf(schedule: JobSchedule): { every: number } | { pattern: string; tz: 'UTC' } {
  return 'pattern' in schedule ? { pattern: schedule.pattern, tz: 'UTC' } : { every: schedule.everyMs };
}

export interface QueueDefinition<Job extends string = string> {
  /** The BullMQ queue name (a constant in the feature's constants file). */
  name: string;
  /** The @Processor class, a provider of the feature module in the roles that run workers only. */
  processor?: Type<WorkerHost>;
  /** Every kind of job the feature adds, with its options. */
  jobs?: Readonly<Record<Job, JobOptionsOf>>;
  /** Outbox topics the relay turns into jobs of this queue. */
  outboxTopics?: Readonly<Record<string, OutboxTopicBinding<NoInfer<Job>>>>;
  /** Repeating jobs, from the configuration. */
  schedules?: (config: AppConfig) => readonly JobSchedule<NoInfer<Job>>[];
}

/** The options of one add of a declared job kind: the declared ones, and the add's own id and delay. */
export function jobOptionsOf(
  definition: QueueDefinition,
  job: string,
  config: AppConfig,
  perAdd: Pick<JobsOptions, 'jobId' | 'delay'> = {},
): JobsOptions {
  const declared = definition.jobs?.[job];
  if (!declared) throw new Error(`job ${job} is not declared on queue ${definition.name}`);
  return { ...declared(config), ...perAdd };
}

export interface JobToAdd {
  name: string;
  data: unknown;
  opts: JobsOptions;
}

/**
 * The job an outbox row becomes: jobId = outbox id, the declared options, and a delay when the binding has one.
 * With tracing on, a row's trace context goes with it twice: as `traceparent` in the job data, beside the ids
 * (what the processor continues the trace from, checked by format like the rest of the data), and as BullMQ's own
 * telemetry metadata, so that BullMQ's spans of the job (its `process` span) are in the same trace instead of the
 * relay batch's. With tracing off, neither is there.
 */
export function outboxJob(
  definition: QueueDefinition,
  binding: OutboxTopicBinding,
  row: OutboxRow,
  config: AppConfig,
  nowMs: number,
): JobToAdd {
  const perAdd = binding.delayMs ? { jobId: row.id, delay: binding.delayMs(row.payload, nowMs) } : { jobId: row.id };
  const data = binding.data(row.payload);
  const opts = jobOptionsOf(definition, binding.job, config, perAdd);
  const trace = carrierOf(contextOfCarrier(row.traceContext));
  if (!trace || typeof data !== 'object' || data === null || Array.isArray(data))
    return { name: binding.job, data, opts };
  return {
    name: binding.job,
    data: { ...data, traceparent: trace.traceparent },
    opts: { ...opts, telemetry: { metadata: JSON.stringify(trace) } },
  };
}

/**
 * Checks a definition once, when it is declared: every job an outbox topic or schedule names must be declared
 * with its options, so a typo fails at start rather than at the first relayed row.
 */
export function assertValidDefinition(definition: QueueDefinition): void {
  if (definition.name.trim() === '') throw new Error('a queue needs a name');
  for (const [topic, binding] of Object.entries(definition.outboxTopics ?? {})) {
    if (!definition.jobs?.[binding.job]) {
      throw new Error(`queue ${definition.name}: outbox topic ${topic} names undeclared job ${binding.job}`);
    }
  }
  if (definition.schedules && !definition.processor) {
    throw new Error(`queue ${definition.name}: schedules need a processor to run them`);
  }
}

/** Schedules whose job is not declared are refused, like outbox topics (checked when the configuration is known). */
export function schedulesOf(definition: QueueDefinition, config: AppConfig): (JobSchedule & { opts: JobsOptions })[] {
  return (definition.schedules?.(config) ?? []).map((schedule) => ({
    ...schedule,
    opts: jobOptionsOf(definition, schedule.job, config),
  }));
}
