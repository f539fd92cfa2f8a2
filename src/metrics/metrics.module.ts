import { Controller, Get, Global, Header, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram } from 'prom-client';
import { Public } from '../http/route-access';
import { withDeadline } from '../common/deadline';
import { ApiErrorResponses } from '../openapi/api-responses';
import { QueueRegistry } from '../queueing/queue-registry';
import { MetricsRegistry } from './metrics-registry';

// A scrape must answer even when Redis does not: queue depths are skipped past this deadline.
const queueDepthTimeoutMs = 500;
const jobStates = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

// Prometheus scrapes without a credential.
@Public()
@ApiTags('operations')
@Controller('metrics')
class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  @ApiResponse({
    status: 200,
    description: 'Prometheus text exposition format (version 0.0.4).',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  // While the process shuts down (ShutdownGate).
  @ApiErrorResponses(503)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * Prometheus metrics at /metrics: the registry every module registers its own metrics on (cache counters, ledger
 * proof, outbox lag, ...), HTTP latency and process metrics.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: MetricsRegistry, useFactory: () => new MetricsRegistry() }],
  exports: [MetricsRegistry],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly registry: MetricsRegistry,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry });
    const latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, matched route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', async (request, reply) => {
      latency.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  }
}

/**
 * Queue depths per state (completed and failed are the job outcomes kept), read from Redis at scrape time. The
 * queues are those declared with defineQueue, found in the QueueRegistry (the instances their own modules
 * registered), so metrics list no queue by name and add no Redis connections.
 */
@Module({})
export class QueueMetricsModule implements OnModuleInit {
  constructor(
    private readonly registry: MetricsRegistry,
    private readonly queues: QueueRegistry,
  ) {}

  onModuleInit(): void {
    const queues = this.queues;
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (failed = dead letters)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of queues.queues) {
          const counts = await withDeadline(queue.getJobCounts(...jobStates), queueDepthTimeoutMs, 'queue depth').catch(
            () => undefined,
          );
          if (!counts) continue;
          for (const state of jobStates) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }
}
