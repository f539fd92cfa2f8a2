import { z } from 'zod';
import { apiComponent } from '../openapi/api-components';
import { errorBodySchema } from '../openapi/error-body.schema';

/** One dependency's indicator (Terminus): `up`, or `down` with why. */
const dependencyStatesSchema = z.record(
  z.string(),
  z
    .object({ status: z.enum(['up', 'down']), message: z.string().optional() })
    .catchall(z.unknown())
    .meta({ description: 'Keyed by dependency: `postgres`, `redis`, `rabbitmq`.' }),
);

export const liveSchema = apiComponent('HealthLive', z.strictObject({ status: z.literal('ok') }));
export type Live = z.output<typeof liveSchema>;

/** Every dependency answered (Terminus's health check result). */
export const readySchema = apiComponent(
  'HealthReady',
  z.strictObject({
    status: z.literal('ok'),
    info: dependencyStatesSchema,
    error: dependencyStatesSchema.meta({ description: 'Empty: no dependency is down.' }),
    details: dependencyStatesSchema,
  }),
);
export type Ready = z.output<typeof readySchema>;

/** A dependency did not answer: the Error body's `error`, and `down` naming each one that did not. */
export const notReadySchema = apiComponent(
  'HealthNotReady',
  z.strictObject({
    status: z.enum(['error', 'shutting_down']),
    info: dependencyStatesSchema.optional(),
    error: errorBodySchema.shape.error,
    details: dependencyStatesSchema,
    down: dependencyStatesSchema.meta({ description: 'Each dependency that is down, with why.' }),
  }),
);
export type NotReady = z.output<typeof notReadySchema>;
