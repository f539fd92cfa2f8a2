// Module boundaries (issue #12 item 7; ARCHITECTURE.md "Seams for extension", STYLE.md "Modules talk through
// exported services or events"). Run by `npm run lint` through scripts/check-boundaries.mjs, which also checks
// that no two src/* folders import each other, even through different files (a folder-level loop).
// `npm exec -- depcruise src --config .dependency-cruiser.cjs` runs the file-level rules alone.

/** Infrastructure: imports no feature. Each with the reason it is infrastructure. */
const infrastructure = {
  common: 'errors, Money, ids, validation, crypto helpers: leaves every module uses',
  config: 'the typed configuration every module reads',
  database: 'pool, Drizzle schema, migrations, transaction()',
  queueing: 'BullMQ connection and the queue declarations features register',
  caching: 'cache store and the cache families features declare',
  http: 'request ids, route access declarations, graceful shutdown: the plumbing of every route',
  logging: 'the pino root logger and request logs',
  metrics: 'the registry every module registers its metrics on, and /metrics',
  openapi: 'the OpenAPI document built from the zod schemas',
  health: 'liveness and readiness of the dependencies; no business data',
  auth: 'the one guard every route passes; finds merchants through the ApiKeyLookup port AppModule binds',
  'rate-limit': 'limiters over the cache store, used by auth',
  idempotency: 'stored responses and key locks for every POST that creates or moves money',
  outbox: 'rows written inside business transactions and their relay; features register their topics',
  events: 'event records and the RabbitMQ client; features declare their event types',
  telemetry: 'OpenTelemetry: the SDK started before the app, and the trace context carried across the async hops',
};

/** Features: reach each other only through the public surface below. */
const features = {
  merchants: 'merchants and their API keys (the operator API)',
  payments: 'payments, their status machine, the card network and payment-method handlers',
  refunds: 'refunds of payments',
  payouts: 'payouts of available balances to bank accounts, the bank rail and the payout schedules',
  disputes: 'disputes the card network opens on payments: their status machine, evidence and the money they move',
  ledger: 'double-entry accounts, postings and balances',
  webhooks: 'webhook endpoints, signing and the delivery processor',
  verification: 'the ledger verifier: checks payments and refunds against their postings, so above both features',
  maintenance: 'scheduled sweeps that call features (stranded payments, ledger verification, idempotency keys)',
  reconciliation: 'the card network’s settlement reports against the ledger, per UTC day; above payments and ledger',
  settlement:
    'the settlement delay’s release of due pending money (captures write the rows), above ledger and verifier',
};

/**
 * What a feature may import of another one: its module, its services, its constants, limits and event declarations,
 * and the small pure
 * domain files named here (STYLE.md: business rules live in small pure files). Everything else is internal: schemas,
 * presenters, controllers, processors, repositories, cache families, other helpers.
 */
const publicSurface = [
  '[.]module[.]ts$',
  '[.]service[.]ts$',
  '[.]constants[.]ts$',
  '[.]limits[.]ts$',
  '-events[.]ts$', // a feature's event type declarations (ARCHITECTURE.md "Seams for extension")
  '^src/payments/(payment-status|payment-transitions|stranded-payments)[.]ts$',
  // The card network port: the adapter contract, whose reports and disputes serve the features above payments.
  '^src/payments/card-network/card-network[.]port[.]ts$',
  '^src/ledger/ledger-transaction[.]ts$',
  '^src/ledger/[a-z-]+-postings[.]ts$', // the postings of settlement releases, payouts, disputes, network fees
];

const folders = (names) => `^src/(${Object.keys(names).join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    {
      name: 'infrastructure-imports-no-feature',
      comment: 'Infrastructure imports no feature: features register with it (queues, cache families, event types).',
      severity: 'error',
      from: { path: folders(infrastructure) },
      to: { path: folders(features) },
    },
    {
      name: 'feature-internals',
      comment:
        'A feature reaches another only through its module, services, constants, limits or the pure domain files listed in publicSurface (never its schemas, presenters, controllers, processors or helpers).',
      severity: 'error',
      from: { path: folders(features) },
      to: { path: folders(features), pathNot: ['^src/$1/', ...publicSurface] },
    },
    {
      name: 'unclassified-folder',
      comment: 'Every src/* folder is classified as infrastructure or feature in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: [folders(infrastructure), folders(features)] },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'No file-level import cycle.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    exclude: { path: '[.]spec[.]ts$' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    skipAnalysisNotInRules: true,
  },
};

module.exports = config;
