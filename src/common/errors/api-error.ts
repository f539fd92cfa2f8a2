import type { z } from 'zod';
import type { API_ERROR_TYPES, errorBodySchema } from '../../openapi/error-body.schema';

/** The error types of API.md; `type` tells a client what class of problem it is, `code` which one. */
export type ApiErrorType = (typeof API_ERROR_TYPES)[number];

/** The body of every error response: the type of the document's Error schema. */
export type ApiErrorBody = z.output<typeof errorBodySchema>;

/** An error a client is meant to see, in the contract's shape. Anything else becomes a 500 with no details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ApiErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    const body: ApiErrorBody = { error: { type: this.type, code: this.code, message: this.message } };
    if (this.param !== undefined) body.error.param = this.param;
    return body;
  }
}

export const retryAfterSeconds = 1;

export const apiErrors = {
  resourceMissing: (what = 'resource', id?: string) =>
    new ApiError(404, 'invalid_request_error', 'resource_missing', id ? `No such ${what}: '${id}'` : `No such ${what}`),
  routeMissing: (method: string, url: string) =>
    new ApiError(404, 'invalid_request_error', 'resource_missing', `Unrecognized request URL (${method}: ${url})`),
  parameterInvalid: (param: string, message: string, code = 'parameter_invalid') =>
    new ApiError(400, 'invalid_request_error', code, message, param),
  parameterMissing: (param: string) =>
    new ApiError(400, 'invalid_request_error', 'parameter_missing', `Missing required param: ${param}.`, param),
  parameterUnknown: (param: string) =>
    new ApiError(400, 'invalid_request_error', 'parameter_unknown', `Received unknown parameter: ${param}`, param),
  bodyMalformed: () =>
    new ApiError(400, 'invalid_request_error', 'body_malformed', 'The request body is not valid JSON.'),
  bodyTooLarge: (limitBytes: number) =>
    new ApiError(413, 'invalid_request_error', 'body_too_large', `The request body exceeds ${limitBytes} bytes.`),
  contentTypeUnsupported: () =>
    new ApiError(
      415,
      'invalid_request_error',
      'content_type_unsupported',
      'Unsupported Content-Type: send application/json.',
    ),
  apiKeyMissing: () =>
    new ApiError(
      401,
      'authentication_error',
      'api_key_missing',
      'No API key provided: use Authorization: Bearer <key>.',
    ),
  apiKeyInvalid: () => new ApiError(401, 'authentication_error', 'api_key_invalid', 'Invalid API key provided.'),
  adminTokenInvalid: () =>
    new ApiError(401, 'authentication_error', 'admin_token_invalid', 'Missing or invalid X-Admin-Token.'),
  serviceUnavailable: (what = 'A dependency') =>
    new ApiError(
      503,
      'api_error',
      'service_unavailable',
      `${what} is temporarily unavailable; retry later.`,
      undefined,
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  // The contract's 503 for a request that reaches a process after it began to shut down: a retry succeeds.
  shuttingDown: () =>
    new ApiError(503, 'api_error', 'service_unavailable', 'The server is restarting; retry the request.', undefined, {
      'Retry-After': String(retryAfterSeconds),
    }),
  rateLimited: (limitPerSecond: number, retryAfterSeconds: number) =>
    new ApiError(
      429,
      'rate_limit_error',
      'rate_limited',
      `Too many requests: this API key may make ${limitPerSecond} requests per second.`,
      undefined,
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  internal: () => new ApiError(500, 'api_error', 'api_error', 'An unexpected error occurred on our side.'),
};
