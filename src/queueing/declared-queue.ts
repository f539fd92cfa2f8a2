import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Logger, type OnApplicationBootstrap, type Provider } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { dashboardQueue } from './dashboard-queue';
import {
  assertValidDefinition,
  jobOptionsOf,
  outboxJob,
  type QueueDefinition,
  repeatOf,
  runsWorkers,
  schedulesOf,
} from './queue-declaration';
import { logQueueErrors } from './queue-errors';
import { type OutboxRowsDispatcher, QueueRegistry } from './queue-registry';

/** A queue declared with defineQueue: mounted into the feature module that owns it. */
export interface DeclaredQueue<Job extends string> {
  readonly name: string;
  /** The declared options of `job` for one add (with that add's jobId and delay), for adds made in code. */
  jobOptions(job: Job, config: AppConfig, perAdd?: Pick<JobsOptions, 'jobId' | 'delay'>): JobsOptions;
  /**
   * The feature module with its queue: the BullMQ queue (injectable with @InjectQueue in every role), its Bull
   * Board entry, its Redis errors logged, its entry in the QueueRegistry (metrics, outbox topics), its schedules
   * and its processor in the roles that run workers.
   */
  mount(role: AppRole, feature: DynamicModule): DynamicModule;
}

/** One per declared queue, a provider of the feature module: what the declaration does once the queue exists. */
class DeclaredQueueHost implements OnApplicationBootstrap {
  private readonly logger: Logger;

  constructor(
    private readonly definition: QueueDefinition,
    private readonly queue: Queue,
    private readonly config: AppConfig,
    private readonly role: AppRole,
    registry: QueueRegistry,
    logContext: string,
  ) {
    this.logger = new Logger(logContext);
    logQueueErrors(queue, this.logger);
    // One addBulk per batch: one round trip to Redis for the whole batch (BullMQ pipelines the adds; a batch
    // that fails is retried whole, and the adds that went through are no-ops then, by job id).
    const dispatchers = new Map<string, OutboxRowsDispatcher>(
      Object.entries(definition.outboxTopics ?? {}).map(([topic, binding]) => [
        topic,
        async (rows) => {
          const nowMs = Date.now();
          await queue.addBulk(rows.map((row) => outboxJob(definition, binding, row, config, nowMs)));
        },
      ]),
    );
    registry.add(queue, dispatchers);
  }

  /**
   * Schedulers are upserted by every worker (the same id makes it a no-op after the first). Not awaited: a queue
   * Redis that is down at start must not keep the process from starting.
   */
  onApplicationBootstrap(): void {
    if (!runsWorkers(this.role)) return;
    for (const schedule of schedulesOf(this.definition, this.config)) {
      const { job, opts } = schedule;
      this.queue
        .upsertJobScheduler(job, repeatOf(schedule), { name: job, opts })
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, `${this.definition.name} schedule ${job} not registered yet`),
        );
    }
  }
}

/**
 * A queue is one declaration, in the folder of the feature that owns it:
 *
 *     export const reportsQueue = defineQueue({
 *       name: REPORTS_QUEUE,
 *       processor: ReportsProcessor,
 *       jobs: { [BUILD_REPORT_JOB]: (config) => ({ attempts: 3, removeOnComplete: { count: 100 }, removeOnFail: { count: config.deadLetterRetentionCount } }) },
 *       outboxTopics: { [BUILD_REPORT_TOPIC]: { job: BUILD_REPORT_JOB, data: (payload) => ({ reportId: payload.reportId }) } },
 *     });
 *     // in the feature module:
 *     static register(role: AppRole) { return reportsQueue.mount(role, { module: ReportsModule, providers: [...] }); }
 *
 * Queue names, job names and topics stay in the feature's constants file.
 */
export function defineQueue<const Job extends string = never>(definition: QueueDefinition<Job>): DeclaredQueue<Job> {
  assertValidDefinition(definition);
  const hostToken = Symbol(`declared queue ${definition.name}`);
  // Built once, so a definition mounted again imports the same modules (Nest keys modules by their metadata).
  let queueModules: DynamicModule[] | undefined;
  const modulesOfQueue = () =>
    (queueModules ??= [BullModule.registerQueue({ name: definition.name }), dashboardQueue(definition.name)]);
  return {
    name: definition.name,
    jobOptions: (job, config, perAdd) => jobOptionsOf(definition, job, config, perAdd),
    mount(role, feature) {
      const host: Provider = {
        provide: hostToken,
        inject: [getQueueToken(definition.name), AppConfig, QueueRegistry],
        useFactory: (queue: Queue, config: AppConfig, registry: QueueRegistry) =>
          new DeclaredQueueHost(definition, queue, config, role, registry, feature.module.name),
      };
      const worker = definition.processor && runsWorkers(role) ? [definition.processor] : [];
      return {
        ...feature,
        imports: [...(feature.imports ?? []), ...modulesOfQueue()],
        providers: [...(feature.providers ?? []), host, ...worker],
      };
    },
  };
}
