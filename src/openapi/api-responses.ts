import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type ApiResponseOptions } from '@nestjs/swagger';
import type { z } from 'zod';
import { apiComponents } from './api-components';
import { errorBodySchema } from './error-body.schema';

/** The error statuses a route can answer (API.md "Conventions"), plus 415 for a body that is not JSON. */
export const ERROR_STATUSES = [400, 401, 404, 409, 413, 415, 422, 429, 503] as const;
export type ErrorStatus = (typeof ERROR_STATUSES)[number];

const retryAfterHeader = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' as const } },
};

const errorResponses: Readonly<Record<ErrorStatus, { description: string; retryAfter: boolean }>> = {
  400: {
    description:
      'invalid_request_error: `parameter_invalid`, `parameter_missing`, `parameter_unknown`, `body_malformed`, …',
    retryAfter: false,
  },
  401: { description: 'authentication_error: the credential is missing or wrong.', retryAfter: false },
  404: {
    description:
      'invalid_request_error `resource_missing`: no such object (also another merchant’s, or a malformed id).',
    retryAfter: false,
  },
  409: {
    description:
      'idempotency_error `idempotency_key_in_use` (the first request with this key is still in flight), or ' +
      'invalid_request_error `*_state_invalid` (the object’s status does not allow it).',
    retryAfter: true,
  },
  413: { description: 'invalid_request_error `body_too_large`: bodies over 64 KiB.', retryAfter: false },
  415: { description: 'invalid_request_error `content_type_unsupported`: send application/json.', retryAfter: false },
  422: {
    description:
      'idempotency_error `idempotency_key_reused` (the key was used with another request), or ' +
      'invalid_request_error `amount_too_large`.',
    retryAfter: false,
  },
  429: { description: 'rate_limit_error `rate_limited`.', retryAfter: true },
  503: { description: 'api_error `service_unavailable`: a dependency is down; retry later.', retryAfter: true },
};

/** The documented response of each error status: API.md's error body, and `Retry-After` where it is sent. */
export function errorResponseOptions(statuses: readonly ErrorStatus[]): ApiResponseOptions[] {
  if (new Set(statuses).size !== statuses.length)
    throw new Error(`an error status is listed twice: ${statuses.join(', ')}`);
  return statuses.map((status) => {
    const { description, retryAfter } = errorResponses[status];
    return {
      status,
      description,
      schema: apiComponents.refOf(errorBodySchema),
      ...(retryAfter ? { headers: retryAfterHeader } : {}),
    };
  });
}

/** A response whose body is the named component `schema` (see apiComponent): `@ApiObjectResponse(201, refundSchema, …)`. */
export function ApiObjectResponse(status: number, schema: z.ZodType, description: string) {
  return ApiResponse({ status, description, schema: apiComponents.refOf(schema) });
}

/** The error statuses a route (or every route of a controller) can answer, each with the Error body. */
export function ApiErrorResponses(...statuses: ErrorStatus[]) {
  return applyDecorators(...errorResponseOptions(statuses).map((options) => ApiResponse(options)));
}
