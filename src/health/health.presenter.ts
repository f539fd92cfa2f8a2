import { z } from 'zod';
import { apiComponent } from '../openapi/api-components';
import { errorBodySchema } from '../openapi/error-body.schema';

/** One dependency's indicator (Terminus): `up`, or `down` with why. */
const dependencyStatesSchema = z.record(
  z.string(),
  z
    .object({ status: z.enum(['up', 'down']), message: z.string().optional() })
    .catchall(z.unknown())
    .meta({
      description:
        'Keyed by dependency: `postgres`, `redis`, `rabbitmq`, and `postgres_replica` when DATABASE_REPLICA_URL is set.',
    }),
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

/**
 * Not ready: the Error body, with Terminus's result beside it when the checks ran (`down` names each dependency
 * that did not answer). A process that is shutting down answers the Error body alone (ShutdownGate).
 */
export const notReadySchema = apiComponent(
  'HealthNotReady',
  z.strictObject({
    error: errorBodySchema.shape.error,
    status: z.enum(['error', 'shutting_down']).optional(),
    info: dependencyStatesSchema.optional(),
    details: dependencyStatesSchema.optional(),
    down: dependencyStatesSchema.optional().meta({ description: 'Each dependency that is down, with why.' }),
  }),
);
export type NotReady = z.output<typeof notReadySchema>;
