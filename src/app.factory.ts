import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions, eventSubscriptions } from './app.module';
import { fastifyTrustProxy } from './auth/trusted-proxies';
import { ApiExceptionFilter } from './common/errors/api-exception.filter';
import { requestBodyLimitBytes } from './common/http.limits';
import type { AppConfigValues } from './config/config.schema';
import { requestIdOf } from './http/request-id';
import { refuseNonOriginForm } from './http/request-target';
import { RequestLogController } from './logging/request-log.controller';
import { createRootLogger } from './logging/root-logger';
import { lazyRequestLogger } from './logging/lazy-request-logger';
import { connectEventSubscribers } from './events/event-subscribers';
import { setupOpenApi } from './openapi/openapi.setup';
import { protectDashboard } from './queueing/dashboard-auth';
import { AuthFailureLimiter } from './rate-limit/auth-failure-limiter.service';

function registerRequestHooks(fastify: FastifyInstance): void {
  // Only JSON is accepted; Fastify's default text/plain parser would let a string body past the contract.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('Request-Id', request.id);
  });
  refuseNonOriginForm(fastify);
}

/** Builds the whole application for `config`; main.ts and the integration tests share it. */
export async function createApp(
  config: AppConfigValues,
  options: AppModuleOptions = {},
): Promise<NestFastifyApplication> {
  const rootLogger = createRootLogger(config.logLevel, options.logStream);
  const adapter = new FastifyAdapter({
    loggerInstance: rootLogger,
    logController: new RequestLogController(),
    // A request's logger is made at its first line: most requests write none at LOG_LEVEL=warn.
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: requestBodyLimitBytes,
    genReqId: requestIdOf,
    requestIdHeader: false,
    forceCloseConnections: 'idle',
    // Fastify's 503 while it closes has a body of its own and no Retry-After; main.ts's ShutdownGate refuses those
    // requests in the contract's shape instead (from the signal on, before Fastify closes).
    return503OnClosing: false,
    // request.ip (the address failed authentications are counted against) is the socket's unless TRUST_PROXY names
    // the proxies allowed to say otherwise in X-Forwarded-For.
    trustProxy: fastifyTrustProxy(config.trustProxy),
  });
  registerRequestHooks(adapter.getInstance());
  // Filled once Nest has made its providers; the dashboard hook asks for it per request.
  const failureLimit: { limiter?: AuthFailureLimiter } = {};
  protectDashboard(adapter.getInstance(), config.adminToken, () => failureLimit.limiter);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, rootLogger, options),
    adapter,
    {
      bufferLogs: true,
      // A failed start throws to main(), which prints one line and exits 1, instead of Nest exiting on its own.
      abortOnError: false,
      // Only JSON is accepted: Nest's own url-encoded parser stays off, Fastify parses JSON.
      bodyParser: false,
    },
  );
  app.useLogger(app.get(Logger));
  failureLimit.limiter = app.get(AuthFailureLimiter);
  app.useGlobalFilters(new ApiExceptionFilter());
  // Hybrid application: the RabbitMQ subscribers of this role share the HTTP app's modules; the caller starts
  // them (startAllMicroservices) after init and before listen. The HTTP filter above does not apply to them.
  connectEventSubscribers(app, config, eventSubscriptions(config));
  setupOpenApi(app);
  return app;
}
