import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import { withDeadline } from '../common/deadline';
import { Database } from '../database/database';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { lagByTopic, type TopicLag, type UnsentRowsOfTopic } from './outbox-lag';
import { outboxLimits } from './outbox.limits';
import { OutboxRelay } from './outbox.relay';

/**
 * Outbox lag per topic on /metrics, read at scrape time: the age of the oldest unsent row and the count of unsent
 * rows. Both gauges come from one query per scrape (the registry collects them concurrently and they share it);
 * when PostgreSQL does not answer in time the scrape reports no lag samples rather than stale ones.
 */
@Injectable()
export class OutboxLagMetrics {
  private inFlight: Promise<Map<string, TopicLag> | undefined> | undefined;

  constructor(
    private readonly database: Database,
    private readonly relay: OutboxRelay,
    registry: MetricsRegistry,
  ) {
    const read = (): Promise<Map<string, TopicLag> | undefined> => this.read();
    new Gauge({
      name: 'outbox_oldest_unsent_age_seconds',
      help: 'Age of the oldest outbox row not yet accepted by its broker, per topic (0 when none)',
      labelNames: ['topic'],
      registers: [registry],
      async collect() {
        const lag = await read();
        this.reset();
        for (const [topic, { oldestAgeSeconds }] of lag ?? []) this.set({ topic }, oldestAgeSeconds);
      },
    });
    new Gauge({
      name: 'outbox_unsent_rows',
      help: 'Outbox rows not yet accepted by their broker, per topic',
      labelNames: ['topic'],
      registers: [registry],
      async collect() {
        const lag = await read();
        this.reset();
        for (const [topic, { unsentCount }] of lag ?? []) this.set({ topic }, unsentCount);
      },
    });
  }

  private read(): Promise<Map<string, TopicLag> | undefined> {
    this.inFlight ??= this.query().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Counts per topic from the unsent-rows index; the age is that of each topic's head (its lowest sequence), one
   * row read per topic instead of every unsent row's created_at.
   */
  private async query(): Promise<Map<string, TopicLag> | undefined> {
    const unsent = await withDeadline(
      this.database.db.execute<{ topic: string; unsent_count: number; oldest_age_seconds: number }>(sql`
        SELECT waiting.topic, waiting.unsent_count,
               EXTRACT(EPOCH FROM now() - head.created_at)::float8 AS oldest_age_seconds
        FROM (SELECT topic, count(*)::int AS unsent_count, min(sequence) AS head_sequence
              FROM outbox WHERE sent_at IS NULL GROUP BY topic) waiting
        JOIN outbox head ON head.sequence = waiting.head_sequence`),
      outboxLimits.lagQueryTimeoutMs,
      'outbox lag query',
    ).catch(() => undefined);
    if (!unsent) return undefined;
    const rows: UnsentRowsOfTopic[] = unsent.rows.map((row) => ({
      topic: row.topic,
      unsentCount: row.unsent_count,
      oldestAgeSeconds: row.oldest_age_seconds,
    }));
    return lagByTopic(this.relay.topics, rows);
  }
}
