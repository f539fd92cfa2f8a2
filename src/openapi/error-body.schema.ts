import { z } from 'zod';
import { apiComponent } from './api-components';

/** API.md's error types: `type` tells a client what class of problem it is, `code` which one. */
export const API_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'card_error',
  'idempotency_error',
  'rate_limit_error',
  'api_error',
] as const;

/** The body of every error response (API.md "Errors always have this shape"), never a stack trace. */
export const errorBodySchema = apiComponent(
  'Error',
  z.strictObject({
    error: z.strictObject({
      type: z.enum(API_ERROR_TYPES),
      code: z.string().meta({ description: 'Which problem: `parameter_invalid`, `resource_missing`, …' }),
      message: z.string().meta({ description: 'Human readable.' }),
      param: z.string().optional().meta({ description: 'The field (or header) at fault, as a path: `card.number`.' }),
    }),
  }),
);
