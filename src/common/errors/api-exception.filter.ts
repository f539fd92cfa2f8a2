import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, apiErrors } from './api-error';
import { isDependencyFailure } from './dependency-failure';
import { requestBodyLimitBytes } from '../http.limits';

// Nest wraps Fastify's body-parser errors in an HttpException whose cause carries Fastify's code.
function fastifyErrorCode(exception: unknown): unknown {
  const direct = (exception as { code?: unknown } | null)?.code;
  if (typeof direct === 'string') return direct;
  return ((exception as { cause?: unknown } | null)?.cause as { code?: unknown } | undefined)?.code;
}

/** Gives every error the contract's shape; nothing internal (stack, SQL, driver text) ever reaches a body. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const apiError = this.toApiError(exception, request);
    if (apiError.status >= 500) {
      request.log.error({ err: exception, status: apiError.status }, 'request failed');
    }
    void reply.status(apiError.status).headers(apiError.headers).send(apiError.toBody());
  }

  private toApiError(exception: unknown, request: FastifyRequest): ApiError {
    if (exception instanceof ApiError) return exception;
    switch (fastifyErrorCode(exception)) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return apiErrors.bodyTooLarge(requestBodyLimitBytes);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return apiErrors.contentTypeUnsupported();
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return apiErrors.bodyMalformed();
    }
    if (exception instanceof HttpException) return this.fromHttpException(exception, request);
    if (isDependencyFailure(exception)) return apiErrors.serviceUnavailable();
    return apiErrors.internal();
  }

  private fromHttpException(exception: HttpException, request: FastifyRequest): ApiError {
    const status = exception.getStatus();
    if (status === 404) return apiErrors.routeMissing(request.method, request.url.split('?')[0] ?? request.url);
    if (status === 503) return apiErrors.serviceUnavailable();
    if (status >= 500) return apiErrors.internal();
    const type =
      status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : 'invalid_request_error';
    const code = status === 429 ? 'rate_limited' : status === 401 ? 'unauthorized' : 'request_invalid';
    return new ApiError(status, type, code, exception.message);
  }
}
