import { z } from 'zod';
import { parseKeyText } from './key-text';
import { readRabbitmqUrls, usesGuestCredentials } from './rabbitmq-urls';
import { type RedisTarget, RedisTargetError, redisTargets } from './redis-target';

function isVaultKey(value: string): boolean {
  try {
    parseKeyText(value);
    return true;
  } catch {
    return false;
  }
}

// A value every development machine and docker-compose file can share; production must set its own.
export const developmentAdminToken = 'dev-admin-token-change-me-in-production';
export const adminTokenProductionLengthMin = 32;
// A fixed key so development data survives restarts; production must bring its own (64 hex chars or base64 of 32 bytes).
export const developmentCardVaultKey = 'de'.repeat(32);
// The same bytes as the development vault key, so fingerprints made before FINGERPRINT_KEY existed stay equal.
export const developmentFingerprintKey = developmentCardVaultKey;

function sameKey(left: string, right: string): boolean {
  return parseKeyText(left).equals(parseKeyText(right));
}

const appRoles = ['all', 'api', 'worker', 'relay'] as const;
export type AppRole = (typeof appRoles)[number];

// How the subscribers' queues are declared (RABBITMQ_QUEUE_TYPE): RabbitMQ's classic queues, or quorum queues
// (replicated by Raft across the cluster's nodes; always durable, never exclusive or auto-delete).
export const rabbitmqQueueTypes = ['classic', 'quorum'] as const;
export type RabbitmqQueueType = (typeof rabbitmqQueueTypes)[number];

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integerFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL with protocol ${protocols.join(' or ')}`,
    );

/** A URL one client can connect to: the server's, or a cluster's first seed node's (with its credentials). */
function singleServerUrl(target: RedisTarget): string {
  if (target.mode === 'standalone') return target.url;
  const [node] = target.nodes;
  const credentials =
    target.username || target.password
      ? `${encodeURIComponent(target.username ?? '')}:${encodeURIComponent(target.password ?? '')}@`
      : '';
  const host = node!.host.includes(':') ? `[${node!.host}]` : node!.host;
  return `${target.tls ? 'rediss' : 'redis'}://${credentials}${host}:${node!.port}`;
}

const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: integerFromEnv(0, 65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    APP_ROLE: z.enum(appRoles).default('all'),
    LOG_LEVEL: z.enum(logLevels).default('info'),
    ADMIN_TOKEN: z.string().optional(),
    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/payments'),
    DATABASE_POOL_SIZE: integerFromEnv(1, 200).default(10),
    // A session of PostgreSQL's own (never through a pooler in transaction mode): the relay's LISTEN and the
    // migrations' advisory lock and DDL. Defaults to DATABASE_URL, which is direct unless a pooler is put in front.
    DATABASE_DIRECT_URL: url(['postgres:', 'postgresql:']).optional(),
    // A read-only copy (streaming replica) for the list endpoints only, which may lag behind the primary.
    DATABASE_REPLICA_URL: url(['postgres:', 'postgresql:']).optional(),
    // Hot statements prepared by name once per connection: `false` behind a pooler in transaction mode that cannot
    // keep them (PgBouncer before 1.21, or without max_prepared_statements), where only unnamed statements work.
    DATABASE_PREPARED_STATEMENTS: z
      .enum(['true', 'false'])
      .default('true')
      .transform((value) => value === 'true'),
    // The queue Redis and the cache Redis: one server's URL, a redis+cluster:// URL, or the seed nodes of a Redis
    // Cluster (host:port,host:port); read together by redisTargets (redis-target.ts), which explains the defaults.
    REDIS_URL: z.string().trim().optional(),
    REDIS_CLUSTER_NODES: z.string().trim().optional(),
    CACHE_REDIS_URL: z.string().trim().optional(),
    CACHE_REDIS_CLUSTER_NODES: z.string().trim().optional(),
    // A healthy cache Redis answers in about a millisecond; past this a read goes to PostgreSQL instead of waiting
    // (the default is caching.limits' cacheCommandTimeoutMs, which explains it).
    CACHE_COMMAND_TIMEOUT_MS: integerFromEnv(1, 60_000).default(100),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, - and _ only')
      .default('payments'),
    // One AMQP URL, or the nodes of one cluster separated by commas (rabbitmq-urls.ts).
    RABBITMQ_URL: z
      .string()
      .transform((value, context): string[] => {
        const reading = readRabbitmqUrls(value);
        if ('urls' in reading) return reading.urls;
        context.addIssue({ code: 'custom', message: reading.problem });
        return z.NEVER;
      })
      .prefault('amqp://guest:guest@127.0.0.1:5672'),
    RABBITMQ_QUEUE_TYPE: z.enum(rabbitmqQueueTypes).default('classic'),
    EVENTS_EXCHANGE: z.string().min(1).default('payments.events'),
    // The webhook fan-out's own RabbitMQ queue on EVENTS_EXCHANGE (durable; one per deployment).
    WEBHOOK_EVENTS_QUEUE: z.string().min(1).max(255).default('payments.webhooks'),
    // API.md: about 8 tries over about a day: ceilings of 10 min doubling to the 6 h cap add up to 16.5 h.
    WEBHOOK_ATTEMPTS_MAX: integerFromEnv(1, 50).default(8),
    WEBHOOK_RETRY_BASE_DELAY_MS: integerFromEnv(1, 86_400_000).default(600_000),
    WEBHOOK_RETRY_MAX_DELAY_MS: integerFromEnv(1, 7 * 86_400_000).default(21_600_000),
    // API.md: a receiver that does not answer within 5 s has failed that attempt.
    WEBHOOK_TIMEOUT_MS: integerFromEnv(100, 60_000).default(5_000),
    WEBHOOK_WORKER_CONCURRENCY: integerFromEnv(1, 1_000).default(16),
    HEALTH_CHECK_TIMEOUT_MS: integerFromEnv(50, 30_000).default(1000),
    SHUTDOWN_TIMEOUT_MS: integerFromEnv(100, 120_000).default(10_000),
    CARD_VAULT_KEY: z.string().refine(isVaultKey, 'must be 64 hex characters or base64 of 32 bytes').optional(),
    // Keys rotated out of CARD_VAULT_KEY, comma-separated: still read what they sealed, never seal anything new.
    CARD_VAULT_PREVIOUS_KEYS: z
      .string()
      .refine(
        (value) => value.split(',').every((key) => isVaultKey(key)),
        'must be a comma-separated list of keys, each 64 hex characters or base64 of 32 bytes',
      )
      .optional(),
    // The secret of keyed hashes that must stay equal across a vault key rotation (card and request fingerprints).
    FINGERPRINT_KEY: z.string().refine(isVaultKey, 'must be 64 hex characters or base64 of 32 bytes').optional(),
    PAYMENT_ATTEMPTS_MAX: integerFromEnv(1, 50).default(5),
    // 4 s doubling over 5 attempts waits 4 + 8 + 16 + 32 = 60 s: "5 attempts within about a minute" (API.md).
    PAYMENT_BACKOFF_DELAY_MS: integerFromEnv(1, 600_000).default(4_000),
    CARD_NETWORK_LATENCY_MS: integerFromEnv(0, 60_000).default(3),
    // Authorization jobs one worker runs at once. Their reads and outcomes are batched (settlement by group commit),
    // so this also bounds a batch: settling a burst of 2,000 payments took 2.7 ms CPU per payment (app + PostgreSQL)
    // at 64 against 4.1 ms at 16; 128 saved 0.3 ms more, while a killed or frozen worker would hold twice the jobs
    // until their locks lapse.
    PAYMENT_WORKER_CONCURRENCY: integerFromEnv(1, 1_000).default(64),
    // An authorization job's lock (renewed every half of it) and the period of the check for jobs whose lock
    // lapsed: a killed or frozen worker's jobs run elsewhere within about two of these. At most BullMQ's 30 s,
    // the time per attempt the stranded-payments retry budget allows.
    PAYMENT_JOB_LOCK_MS: integerFromEnv(1_000, 30_000).default(30_000),
    // API.md "Disputes": the simulated network opens the test card's dispute this long after the capture (a short
    // default, so that a local walkthrough sees one), and gives this long for evidence (7 days, as schemes roughly do).
    DISPUTE_DELAY_MS: integerFromEnv(0, 90 * 86_400_000).default(10_000),
    DISPUTE_EVIDENCE_WINDOW_MS: integerFromEnv(1, 90 * 86_400_000).default(7 * 86_400_000),
    // What a merchant pays per dispute, in whole major units of the payment's currency (15 USD = 1500 cents, 15 JPY),
    // whatever the outcome. Whole units, so every currency's minor units are exact; at most 1,000 (a fee, not a price).
    DISPUTE_FEE: integerFromEnv(0, 1_000).default(15),
    // How often a worker asks the card network for disputes it opened (a real network pushes or lists them; the
    // simulator lists them). A dispute is recorded at most this long after the network opens it.
    DISPUTE_POLL_INTERVAL_MS: integerFromEnv(50, 3_600_000).default(2_000),
    // The card network simulator's report hook (tests alter its settlement report); on with NODE_ENV=test, refused in
    // production.
    CARD_NETWORK_TEST_HOOKS: z.enum(['true', 'false']).optional(),
    FEE_PERCENT_BASIS_POINTS: integerFromEnv(0, 10_000).default(0),
    FEE_FIXED_MINOR: integerFromEnv(0, 1_000_000).default(0),
    OUTBOX_POLL_INTERVAL_MS: integerFromEnv(10, 60_000).default(500),
    DEAD_LETTER_RETENTION_COUNT: integerFromEnv(1, 1_000_000).default(10_000),
    IDEMPOTENCY_SWEEP_INTERVAL_MS: integerFromEnv(1_000, 86_400_000).default(3_600_000),
    // Outbox rows the relay has sent are kept this long (for an operator looking into a message), then deleted by a
    // sweep this often: the outbox is a transport, its rows are not the record (events and the ledger are).
    OUTBOX_RETENTION_HOURS: integerFromEnv(1, 8_760).default(24),
    OUTBOX_SWEEP_INTERVAL_MS: integerFromEnv(1_000, 86_400_000).default(3_600_000),
    // API.md: manual payments not captured within 7 days are canceled.
    AUTHORIZATION_EXPIRY_MS: integerFromEnv(1, 31 * 86_400_000).default(7 * 86_400_000),
    LEDGER_VERIFY_INTERVAL_MS: integerFromEnv(1_000, 7 * 86_400_000).default(3_600_000),
    // API.md "Settlement and payouts": captured money stays `pending` this long before it is `available`. 0 (the
    // default) credits `available` at once, with no pending bookkeeping at all (the benchmark's hot path).
    SETTLEMENT_DELAY_MS: integerFromEnv(0, 90 * 86_400_000).default(0),
    // How often the release job moves due pending money to available: a due amount waits at most this much longer.
    SETTLEMENT_RELEASE_INTERVAL_MS: integerFromEnv(1_000, 86_400_000).default(60_000),
    // How often stranded payments (stuck processing, overdue authorizations) are driven to a final state.
    STRANDED_PAYMENTS_SWEEP_INTERVAL_MS: integerFromEnv(1_000, 86_400_000).default(60_000),
    // API.md: a payout's arrival_date is its creation plus this, and the bank rail is asked for the outcome then. Two
    // days, a bank transfer's usual time; 0 asks at once (tests, demos).
    PAYOUT_ARRIVAL_MS: integerFromEnv(0, 31 * 86_400_000).default(2 * 86_400_000),
    // API.md: requests per second per merchant; 0 turns limiting off (benchmarks).
    RATE_LIMIT_PER_SECOND: integerFromEnv(0, 1_000_000).default(100),
    // Failed authentications per second per client address before 429; 0 turns the limit off.
    AUTH_FAILURES_PER_SECOND_PER_IP: integerFromEnv(0, 1_000_000).default(20),
    // Which proxies may set X-Forwarded-For: unset/false (none: the socket's address counts), true, a hop count,
    // or a comma-separated list of addresses and CIDR ranges (Fastify's trustProxy).
    TRUST_PROXY: z
      .string()
      .trim()
      .transform((value, context): boolean | number | string[] => {
        if (value === 'false') return false;
        if (value === 'true') return true;
        if (/^[0-9]{1,2}$/.test(value)) return Number(value);
        const addresses = value.split(',').map((entry) => entry.trim());
        if (addresses.every((entry) => /^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(entry))) return addresses;
        context.addIssue({ code: 'custom', message: 'must be true, false, a hop count, or addresses/CIDRs' });
        return z.NEVER;
      })
      .default(false),
  })
  .transform((env, context) => {
    const production = env.NODE_ENV === 'production';
    const adminToken = env.ADMIN_TOKEN ?? (production ? undefined : developmentAdminToken);
    if (
      adminToken === undefined ||
      (production && (adminToken.length < adminTokenProductionLengthMin || adminToken === developmentAdminToken))
    ) {
      context.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: `must be set to at least ${adminTokenProductionLengthMin} characters (not the development default) in production`,
      });
      return z.NEVER;
    }
    const cardVaultKey = env.CARD_VAULT_KEY ?? (production ? undefined : developmentCardVaultKey);
    if (cardVaultKey === undefined || (production && sameKey(cardVaultKey, developmentCardVaultKey))) {
      context.addIssue({
        code: 'custom',
        path: ['CARD_VAULT_KEY'],
        message: 'must be set (not the development key) in production',
      });
      return z.NEVER;
    }
    const fingerprintKey = env.FINGERPRINT_KEY ?? (production ? undefined : developmentFingerprintKey);
    if (fingerprintKey === undefined || (production && sameKey(fingerprintKey, developmentFingerprintKey))) {
      context.addIssue({
        code: 'custom',
        path: ['FINGERPRINT_KEY'],
        message: 'must be set (not the development key) in production',
      });
      return z.NEVER;
    }
    const previousVaultKeys = (env.CARD_VAULT_PREVIOUS_KEYS ?? '')
      .split(',')
      .filter((key) => key.trim() !== '')
      .map(parseKeyText);
    if (production && env.CARD_NETWORK_TEST_HOOKS === 'true') {
      context.addIssue({
        code: 'custom',
        path: ['CARD_NETWORK_TEST_HOOKS'],
        message: 'must not be true in production (it lets anyone with access alter the network report)',
      });
      return z.NEVER;
    }
    const guestUrl = env.RABBITMQ_URL.findIndex((rabbitmqUrl) => usesGuestCredentials(rabbitmqUrl));
    if (production && guestUrl !== -1) {
      const entry = env.RABBITMQ_URL.length > 1 ? ` (entry ${guestUrl + 1} of ${env.RABBITMQ_URL.length} does)` : '';
      context.addIssue({
        code: 'custom',
        path: ['RABBITMQ_URL'],
        message: `must not use RabbitMQ's default guest/guest credentials in production${entry}`,
      });
      return z.NEVER;
    }
    let redis: { queue: RedisTarget; cache: RedisTarget };
    try {
      redis = redisTargets(env);
    } catch (error) {
      if (!(error instanceof RedisTargetError)) throw error;
      context.addIssue({ code: 'custom', path: [error.variable], message: error.message });
      return z.NEVER;
    }
    if (env.WEBHOOK_RETRY_MAX_DELAY_MS < env.WEBHOOK_RETRY_BASE_DELAY_MS) {
      context.addIssue({
        code: 'custom',
        path: ['WEBHOOK_RETRY_MAX_DELAY_MS'],
        message: 'must be at least WEBHOOK_RETRY_BASE_DELAY_MS',
      });
      return z.NEVER;
    }
    return {
      nodeEnv: env.NODE_ENV,
      production,
      port: env.PORT,
      host: env.HOST,
      role: env.APP_ROLE,
      logLevel: env.LOG_LEVEL,
      adminToken,
      database: {
        url: env.DATABASE_URL,
        directUrl: env.DATABASE_DIRECT_URL ?? env.DATABASE_URL,
        replicaUrl: env.DATABASE_REPLICA_URL,
        poolSize: env.DATABASE_POOL_SIZE,
        preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
      },
      redis: {
        /** Where the queue's clients connect: one server or a cluster (REDIS_URL / REDIS_CLUSTER_NODES). */
        queue: redis.queue,
        /** Where the cache's and the rate limiters' clients connect (CACHE_REDIS_URL / CACHE_REDIS_CLUSTER_NODES). */
        cache: redis.cache,
        /** The queue Redis as one server's URL, for tools that speak to one server (tests, scripts); in cluster
         * mode a seed node's, which serves only its own slots. */
        url: singleServerUrl(redis.queue),
        /** The cache Redis as one server's URL; in cluster mode a seed node's (see url). */
        cacheUrl: singleServerUrl(redis.cache),
        cacheCommandTimeoutMs: env.CACHE_COMMAND_TIMEOUT_MS,
        queuePrefix: env.QUEUE_PREFIX,
      },
      rabbitmq: {
        urls: env.RABBITMQ_URL,
        queueType: env.RABBITMQ_QUEUE_TYPE,
        eventsExchange: env.EVENTS_EXCHANGE,
      },
      webhooks: {
        eventsQueue: env.WEBHOOK_EVENTS_QUEUE,
        attemptsMax: env.WEBHOOK_ATTEMPTS_MAX,
        retry: { baseDelayMs: env.WEBHOOK_RETRY_BASE_DELAY_MS, maxDelayMs: env.WEBHOOK_RETRY_MAX_DELAY_MS },
        timeoutMs: env.WEBHOOK_TIMEOUT_MS,
        workerConcurrency: env.WEBHOOK_WORKER_CONCURRENCY,
      },
      healthCheckTimeoutMs: env.HEALTH_CHECK_TIMEOUT_MS,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      cardVaultKey: parseKeyText(cardVaultKey),
      cardVaultPreviousKeys: previousVaultKeys,
      fingerprintKey: parseKeyText(fingerprintKey),
      payments: {
        attemptsMax: env.PAYMENT_ATTEMPTS_MAX,
        backoffDelayMs: env.PAYMENT_BACKOFF_DELAY_MS,
        workerConcurrency: env.PAYMENT_WORKER_CONCURRENCY,
        jobLockMs: env.PAYMENT_JOB_LOCK_MS,
        cardNetworkLatencyMs: env.CARD_NETWORK_LATENCY_MS,
        fees: { percentBasisPoints: env.FEE_PERCENT_BASIS_POINTS, fixedMinor: env.FEE_FIXED_MINOR },
      },
      outboxPollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
      deadLetterRetentionCount: env.DEAD_LETTER_RETENTION_COUNT,
      idempotencySweepIntervalMs: env.IDEMPOTENCY_SWEEP_INTERVAL_MS,
      outboxSweep: { retentionMs: env.OUTBOX_RETENTION_HOURS * 3_600_000, intervalMs: env.OUTBOX_SWEEP_INTERVAL_MS },
      authorizationExpiryMs: env.AUTHORIZATION_EXPIRY_MS,
      disputes: {
        delayMs: env.DISPUTE_DELAY_MS,
        evidenceWindowMs: env.DISPUTE_EVIDENCE_WINDOW_MS,
        feeMajor: env.DISPUTE_FEE,
        pollIntervalMs: env.DISPUTE_POLL_INTERVAL_MS,
      },
      cardNetworkTestHooks:
        env.CARD_NETWORK_TEST_HOOKS === undefined ? env.NODE_ENV === 'test' : env.CARD_NETWORK_TEST_HOOKS === 'true',
      ledgerVerifyIntervalMs: env.LEDGER_VERIFY_INTERVAL_MS,
      strandedPaymentsSweepIntervalMs: env.STRANDED_PAYMENTS_SWEEP_INTERVAL_MS,
      payouts: { arrivalMs: env.PAYOUT_ARRIVAL_MS },
      settlement: { delayMs: env.SETTLEMENT_DELAY_MS, releaseIntervalMs: env.SETTLEMENT_RELEASE_INTERVAL_MS },
      rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
      authFailuresPerSecondPerIp: env.AUTH_FAILURES_PER_SECOND_PER_IP,
      trustProxy: env.TRUST_PROXY,
    };
  });

export type AppConfigValues = z.output<typeof environmentSchema>;

export class ConfigError extends Error {}

/** Reads the whole configuration from environment variables; an empty string counts as unset. */
export function parseConfig(environment: Record<string, string | undefined>): AppConfigValues {
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const result = environmentSchema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = issue?.path.join('.') ?? 'environment';
  throw new ConfigError(`Invalid configuration: ${variable}: ${issue?.message ?? 'invalid'}`);
}
