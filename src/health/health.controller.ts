import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/route-access';
import { retryAfterSeconds } from '../common/errors/api-error';
import { DependencyIndicators } from './dependency.indicators';

@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyIndicators,
  ) {}

  /** The process answers: for a liveness probe, independent of any dependency. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** PostgreSQL, Redis and RabbitMQ all answer; 503 names each one that does not. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check([
        () => this.dependencies.postgres(),
        () => this.dependencies.redisQueue(),
        () => this.dependencies.rabbitmq(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as { error?: Record<string, unknown> };
      const down = Object.keys(result.error ?? {});
      void reply.status(503).header('Retry-After', String(retryAfterSeconds));
      return {
        ...result,
        error: { type: 'api_error', code: 'service_unavailable', message: `Not ready: ${down.join(', ')} down` },
        down: result.error,
      };
    }
  }
}
