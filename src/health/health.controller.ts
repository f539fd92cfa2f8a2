import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/route-access';
import { retryAfterSeconds } from '../common/errors/api-error';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { DependencyIndicators } from './dependency.indicators';
import { type Live, liveSchema, type NotReady, notReadySchema, type Ready, readySchema } from './health.presenter';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dependencies: DependencyIndicators,
  ) {}

  /** The process answers: for a liveness probe, independent of any dependency. */
  @Get('live')
  @ApiObjectResponse(200, liveSchema, 'The process answers.')
  @ApiErrorResponses(503)
  live(): Live {
    return { status: 'ok' };
  }

  /** PostgreSQL (and its replica, when set), Redis and RabbitMQ all answer; 503 names each one that does not. */
  @Get('ready')
  @ApiObjectResponse(200, readySchema, 'PostgreSQL, Redis and RabbitMQ answer.')
  @ApiObjectResponse(503, notReadySchema, 'A dependency is down (named in `down`), or the process is shutting down.')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Ready | NotReady> {
    try {
      // Terminus's result: its indicators are those of DependencyIndicators, `up` or `down`.
      return (await this.health.check(this.dependencies.checks())) as Ready;
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as Omit<NotReady, 'error' | 'down'> & { error?: NotReady['down'] };
      const down = Object.keys(result.error ?? {});
      void reply.status(503).header('Retry-After', String(retryAfterSeconds));
      return {
        ...result,
        error: { type: 'api_error', code: 'service_unavailable', message: `Not ready: ${down.join(', ')} down` },
        down: result.error ?? {},
      };
    }
  }
}
