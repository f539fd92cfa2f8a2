import { Injectable } from '@nestjs/common';
import type { OutboxRow } from './queue-declaration';

/**
 * Adds the jobs a batch of outbox rows become, in one round trip; resolves once the queue Redis has accepted them
 * all, and rejects if it may not have (then every row is retried: a job whose id exists already is not added again).
 */
export type OutboxRowsDispatcher = (rows: readonly OutboxRow[]) => Promise<void>;

/** What the registry needs of a queue: its name, and its job counts for the metrics. */
export interface RegisteredQueue {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

type OutboxTopicListener = (topic: string, addJobs: OutboxRowsDispatcher) => void;

/**
 * Every queue this process declared (see defineQueue), found here instead of listed by name: metrics read their
 * depths, and the outbox relay learns the topics that feed them. Each declared queue adds itself when its module
 * is built, in every role.
 */
@Injectable()
export class QueueRegistry {
  private readonly declared = new Map<string, RegisteredQueue>();
  private readonly topics = new Map<string, OutboxRowsDispatcher>();
  private readonly topicListeners: OutboxTopicListener[] = [];

  add(queue: RegisteredQueue, outboxTopics: ReadonlyMap<string, OutboxRowsDispatcher> = new Map()): void {
    if (this.declared.has(queue.name)) throw new Error(`queue ${queue.name} is declared twice`);
    for (const topic of outboxTopics.keys()) {
      if (this.topics.has(topic)) throw new Error(`outbox topic ${topic} feeds two queues`);
    }
    this.declared.set(queue.name, queue);
    for (const [topic, addJobs] of outboxTopics) {
      this.topics.set(topic, addJobs);
      for (const listener of this.topicListeners) listener(topic, addJobs);
    }
  }

  /** The declared queues, in the order they were declared. */
  get queues(): readonly RegisteredQueue[] {
    return [...this.declared.values()];
  }

  /**
   * Calls `listener` for every outbox topic declared so far and for each one declared later, so whoever relays
   * the outbox needs no knowledge of the order in which modules are built.
   */
  onOutboxTopic(listener: OutboxTopicListener): void {
    this.topicListeners.push(listener);
    for (const [topic, addJobs] of this.topics) listener(topic, addJobs);
  }
}
