import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  bigserial,
  char,
  check,
  customType,
  date,
  index,
  type AnyPgColumn,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import {
  CAPTURE_METHODS,
  DISPUTE_STATUSES,
  PAYMENT_STATUSES,
  PAYOUT_FAILURE_CODES,
  PAYOUT_METHODS,
  PAYOUT_SCHEDULES,
  PAYOUT_STATUSES,
  REFUND_STATUSES,
} from './enum-values';

// The status columns hold only the values of the TypeScript constants (enum-values.ts, which payments' status
// machine re-exports), and these types are generated from them.
export const paymentStatus = pgEnum('payment_status', PAYMENT_STATUSES);
export const captureMethod = pgEnum('capture_method', CAPTURE_METHODS);
export const refundStatus = pgEnum('refund_status', REFUND_STATUSES);
export const disputeStatus = pgEnum('dispute_status', DISPUTE_STATUSES);
export const payoutStatus = pgEnum('payout_status', PAYOUT_STATUSES);
export const payoutMethod = pgEnum('payout_method', PAYOUT_METHODS);
export const payoutSchedule = pgEnum('payout_schedule', PAYOUT_SCHEDULES);
export const payoutFailureCode = pgEnum('payout_failure_code', PAYOUT_FAILURE_CODES);

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

const createdAt = () => timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow();

export const merchants = pgTable(
  'merchants',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** When automatic payouts are made (API.md "Settlement and payouts"); `manual`: never. */
    payoutSchedule: payoutSchedule().notNull().default('manual'),
    createdAt: createdAt(),
  },
  // The scheduled payout runs read the merchants of one schedule; most merchants are `manual` and not indexed.
  (table) => [
    index('merchants_payout_schedule_idx')
      .on(table.payoutSchedule, table.id)
      .where(sql`payout_schedule <> 'manual'`),
  ],
);

/** Secret API keys, stored only as SHA-256 hashes: the plain key is shown once, at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    keyHash: text().notNull().unique(),
    /** The key's last four characters, shown in lists; null for keys made before it was kept. */
    last4: char({ length: 4 }),
    createdAt: createdAt(),
    revokedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (table) => [
    index('api_keys_merchant_idx')
      .on(table.merchantId)
      .where(sql`revoked_at IS NULL`),
  ],
);

const amount = () => bigint({ mode: 'bigint' });
const updatedAt = () => timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow();

export const payments = pgTable(
  'payments',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    amount: amount().notNull(),
    currency: char({ length: 3 }).notNull(),
    status: paymentStatus().notNull(),
    captureMethod: captureMethod().notNull(),
    amountCapturable: amount()
      .notNull()
      .default(sql`0`),
    amountCaptured: amount()
      .notNull()
      .default(sql`0`),
    amountRefunded: amount()
      .notNull()
      .default(sql`0`),
    /** The payment method's type (`card`, or one a PaymentMethodHandler added); its handler owns the columns below. */
    paymentMethodType: text().notNull().default('card'),
    /** The card summary of a `card` payment (null for other methods; the check below requires it for cards). */
    cardBrand: text(),
    cardLast4: char({ length: 4 }),
    cardExpMonth: smallint(),
    cardExpYear: smallint(),
    cardFingerprint: text(),
    /** What a payment method without columns of its own keeps of the payment (never a secret); null for cards. */
    paymentMethodDetails: jsonb().$type<Record<string, unknown>>(),
    /** The card vault entry while the card is still needed; null once the payment is final and the entry erased. */
    vaultToken: text(),
    /** The card network's reference of the authorization (or decline), for reconciliation with the network. */
    networkReference: text(),
    /** When an uncaptured authorization is canceled; set when the payment enters requires_capture. */
    authorizationExpiresAt: timestamp({ withTimezone: true, precision: 3 }),
    failureCode: text(),
    failureMessage: text(),
    /**
     * True once the card network opened a dispute on the payment (API.md "Disputes"); set by the disputes feature
     * through PaymentsService.openDispute, under the payment's lock, so a refund after it is refused.
     */
    disputed: boolean().notNull().default(false),
    description: text(),
    metadata: jsonb().$type<Record<string, string>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index('payments_merchant_created_idx').on(table.merchantId, table.createdAt.desc(), table.id.desc()),
    index('payments_merchant_status_created_idx').on(
      table.merchantId,
      table.status,
      table.createdAt.desc(),
      table.id.desc(),
    ),
    check('payments_amount_positive', sql`${table.amount} > 0`),
    check(
      'payments_card_summary_present',
      sql`${table.paymentMethodType} <> 'card' OR (${table.cardBrand} IS NOT NULL AND ${table.cardLast4} IS NOT NULL
        AND ${table.cardExpMonth} IS NOT NULL AND ${table.cardExpYear} IS NOT NULL AND ${table.cardFingerprint} IS NOT NULL)`,
    ),
    check(
      'payments_amounts_bounded',
      sql`${table.amountCapturable} >= 0 AND ${table.amountCapturable} <= ${table.amount}
        AND ${table.amountCaptured} >= 0 AND ${table.amountCaptured} <= ${table.amount}
        AND ${table.amountRefunded} >= 0 AND ${table.amountRefunded} <= ${table.amountCaptured}`,
    ),
  ],
);

/** Card numbers and CVCs, only ever encrypted (AES-256-GCM); rows are erased once the card is no longer needed. */
export const cardVault = pgTable('card_vault', {
  token: text().primaryKey(),
  sealed: bytea().notNull(),
  /** The id of the vault key that sealed the entry (null: sealed before key ids existed), to track a rotation. */
  keyId: text(),
  createdAt: createdAt(),
});

/** Stored responses of idempotent requests, per merchant and key, kept 24 hours. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text().notNull(),
    key: text().notNull(),
    requestFingerprint: text().notNull(),
    responseStatus: integer(),
    /** Only rows stored before responses were encrypted; new rows keep the body in response_sealed. */
    responseBody: jsonb(),
    /** The stored response body, encrypted (it may hold a secret shown once, such as an API key). */
    responseSealed: bytea(),
    /** Who holds the claim: storing the response and releasing the key both require it. */
    ownerToken: text(),
    lockedAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.scope, table.key] }),
    index('idempotency_keys_expires_idx').on(table.expiresAt),
  ],
);

/** Work to hand to Redis or RabbitMQ, written in the same transaction as the change that causes it. */
export const outbox = pgTable(
  'outbox',
  {
    sequence: bigserial({ mode: 'bigint' }).primaryKey(),
    id: text().notNull().unique(),
    topic: text().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    sentAt: timestamp({ withTimezone: true, precision: 3 }),
    attempts: integer().notNull().default(0),
    lastError: text(),
    /**
     * The W3C trace context (traceparent, tracestate) of the work that wrote the row, when tracing is on: the relay
     * carries it on, so the job or event the row becomes continues that trace (src/telemetry).
     */
    traceContext: jsonb().$type<{ traceparent: string; tracestate?: string }>(),
  },
  (table) => [
    // The relay drains each topic on its own (oldest unsent rows of one topic, in sequence order), the event
    // publisher looks up a topic's earlier unsent rows, and the lag metrics group unsent rows by topic.
    index('outbox_unsent_topic_idx')
      .on(table.topic, table.sequence)
      .where(sql`sent_at IS NULL`),
  ],
);

export const events = pgTable(
  'events',
  {
    sequence: bigserial({ mode: 'bigint' }).notNull().unique(),
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    type: text().notNull(),
    objectId: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('events_merchant_sequence_idx').on(table.merchantId, table.sequence.desc()),
    index('events_merchant_type_sequence_idx').on(table.merchantId, table.type, table.sequence.desc()),
  ],
);

export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: text().primaryKey(),
    kind: text().notNull(),
    merchantId: text().references(() => merchants.id),
    currency: char({ length: 3 }).notNull(),
    /** Kept for merchant accounts in the same transaction as their postings; the verifier proves it equals their sum. */
    balance: amount()
      .notNull()
      .default(sql`0`),
    createdAt: createdAt(),
  },
  (table) => [unique('ledger_accounts_identity').on(table.kind, table.merchantId, table.currency).nullsNotDistinct()],
);

export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: text().primaryKey(),
    kind: text().notNull(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    paymentId: text().references(() => payments.id),
    refundId: text(),
    /** The payout a payout_* transaction moves (po_…). */
    payoutId: text().references((): AnyPgColumn => payouts.id),
    /** The dispute a dispute_* transaction (or a network fee on it) moves (dp_…). */
    disputeId: text().references((): AnyPgColumn => disputes.id),
    createdAt: createdAt(),
  },
  (table) => [
    // The verifier reads each payment's transactions, refunds included, by payment id.
    index('ledger_transactions_payment_idx').on(table.paymentId),
    // Reconciliation reads the transactions of a few days at a time (LedgerService.networkMovements).
    index('ledger_transactions_created_idx').on(table.createdAt),
    // A payment's authorization hold, capture, release and network fee each happen once, however often a job runs
    // (a dispute's transactions name its payment too, and have their own once-index).
    uniqueIndex('ledger_transactions_payment_once')
      .on(table.paymentId, table.kind)
      .where(sql`refund_id IS NULL AND dispute_id IS NULL`),
    uniqueIndex('ledger_transactions_refund_once')
      .on(table.refundId)
      .where(sql`refund_id IS NOT NULL`),
    // A payout's creation, payment or failure, and a dispute's opening, outcome or network fee, each recorded once:
    // a replayed step finds its transaction there. Also the verifier's lookups by payout and by dispute.
    uniqueIndex('ledger_transactions_payout_once')
      .on(table.payoutId, table.kind)
      .where(sql`payout_id IS NOT NULL`),
    uniqueIndex('ledger_transactions_dispute_once')
      .on(table.disputeId, table.kind)
      .where(sql`dispute_id IS NOT NULL`),
    check('ledger_transactions_one_owner', sql`${table.payoutId} IS NULL OR ${table.disputeId} IS NULL`),
    check(
      'ledger_transactions_payout_named',
      sql`${table.kind} NOT IN ('payout_created', 'payout_paid', 'payout_failed') OR ${table.payoutId} IS NOT NULL`,
    ),
    check(
      'ledger_transactions_dispute_named',
      sql`${table.kind} NOT IN ('dispute_opened', 'dispute_won', 'dispute_lost') OR ${table.disputeId} IS NOT NULL`,
    ),
  ],
);

export const ledgerPostings = pgTable(
  'ledger_postings',
  {
    sequence: bigserial({ mode: 'bigint' }).primaryKey(),
    id: text().notNull().unique(),
    transactionId: text()
      .notNull()
      .references(() => ledgerTransactions.id),
    accountId: text()
      .notNull()
      .references(() => ledgerAccounts.id),
    merchantId: text().references(() => merchants.id),
    amount: amount().notNull(),
    currency: char({ length: 3 }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('ledger_postings_transaction_idx').on(table.transactionId),
    index('ledger_postings_account_idx').on(table.accountId),
    index('ledger_postings_merchant_sequence_idx').on(table.merchantId, table.sequence.desc()),
    check('ledger_postings_amount_nonzero', sql`${table.amount} <> 0`),
  ],
);

export const refunds = pgTable(
  'refunds',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    paymentId: text()
      .notNull()
      .references(() => payments.id),
    amount: amount().notNull(),
    currency: char({ length: 3 }).notNull(),
    status: refundStatus().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('refunds_payment_idx').on(table.paymentId),
    check('refunds_amount_positive', sql`${table.amount} > 0`),
  ],
);

/**
 * Payouts of a merchant's available balance to its bank account. The amount leaves `available` when the payout is
 * created (ledger transaction payout_created) and comes back if it fails (payout_failed).
 */
export const payouts = pgTable(
  'payouts',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    amount: amount().notNull(),
    currency: char({ length: 3 }).notNull(),
    status: payoutStatus().notNull(),
    method: payoutMethod().notNull(),
    failureCode: payoutFailureCode(),
    /** When the bank is expected to have paid it: creation + PAYOUT_ARRIVAL_MS. */
    arrivalAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    description: text(),
    /**
     * An automatic payout's schedule period (`daily:2026-12-01`, `weekly:2026-11-30`): one payout per merchant,
     * currency and period, however often the schedule runs. Null for manual payouts.
     */
    schedulePeriod: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index('payouts_merchant_created_idx').on(table.merchantId, table.createdAt.desc(), table.id.desc()),
    index('payouts_merchant_status_created_idx').on(
      table.merchantId,
      table.status,
      table.createdAt.desc(),
      table.id.desc(),
    ),
    uniqueIndex('payouts_schedule_period_once')
      .on(table.merchantId, table.currency, table.schedulePeriod)
      .where(sql`schedule_period IS NOT NULL`),
    check('payouts_amount_positive', sql`${table.amount} > 0`),
    check('payouts_failure_code_when_failed', sql`(${table.status} = 'failed') = (${table.failureCode} IS NOT NULL)`),
    check(
      'payouts_period_when_automatic',
      sql`(${table.method} = 'automatic') = (${table.schedulePeriod} IS NOT NULL)`,
    ),
  ],
);

/**
 * Disputes the card network opened against our payments (API.md "Disputes"): one per payment, recorded once per
 * network dispute (its reference), with the money taken when it opened (amount: captured − refunded then; fee:
 * DISPUTE_FEE in the currency's minor units). Written only by the disputes feature.
 */
export const disputes = pgTable(
  'disputes',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    paymentId: text()
      .notNull()
      .unique()
      .references(() => payments.id),
    /** The network's reference of the dispute: a dispute the network lists again is found here, not opened twice. */
    networkReference: text().notNull().unique(),
    amount: amount().notNull(),
    /** What the merchant pays for the dispute, whatever its outcome (0 when DISPUTE_FEE is 0). */
    fee: amount().notNull(),
    currency: char({ length: 3 }).notNull(),
    status: disputeStatus().notNull(),
    reason: text().notNull(),
    evidenceText: text(),
    evidenceSubmittedAt: timestamp({ withTimezone: true, precision: 3 }),
    evidenceDueBy: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index('disputes_merchant_created_idx').on(table.merchantId, table.createdAt.desc(), table.id.desc()),
    index('disputes_merchant_status_created_idx').on(
      table.merchantId,
      table.status,
      table.createdAt.desc(),
      table.id.desc(),
    ),
    check('disputes_amount_positive', sql`${table.amount} > 0`),
    check('disputes_fee_not_negative', sql`${table.fee} >= 0`),
    check('disputes_evidence_whole', sql`(${table.evidenceText} IS NULL) = (${table.evidenceSubmittedAt} IS NULL)`),
  ],
);

/** Results of the ledger verifier, newest last; the scheduled run and the operator endpoint both write here. */
export const ledgerVerifications = pgTable('ledger_verifications', {
  id: bigserial({ mode: 'bigint' }).primaryKey(),
  balanced: boolean().notNull(),
  transactionsChecked: integer().notNull(),
  mismatches: jsonb().$type<unknown[]>().notNull(),
  createdAt: createdAt(),
});

/** A merchant's webhook endpoints; the signing secret is shown only at creation and kept encrypted. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    sequence: bigserial({ mode: 'bigint' }).notNull().unique(),
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    url: text().notNull(),
    /** Only rows made before secrets were encrypted; emptied at start once sealed into secret_sealed. */
    secret: text(),
    /** The signing secret, encrypted; opened only to sign a delivery. */
    secretSealed: bytea(),
    enabledEvents: jsonb().$type<string[]>().notNull(),
    createdAt: createdAt(),
    /** Deleted endpoints stay for their delivery history but receive nothing more. */
    deletedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (table) => [
    index('webhook_endpoints_merchant_sequence_idx')
      .on(table.merchantId, table.sequence.desc())
      .where(sql`deleted_at IS NULL`),
  ],
);

/** One row per delivery attempt: when, what the receiver answered (or why there was no answer), how long it took. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    sequence: bigserial({ mode: 'bigint' }).notNull().unique(),
    id: text().primaryKey(),
    endpointId: text()
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text()
      .notNull()
      .references(() => events.id),
    eventType: text().notNull(),
    attempt: integer().notNull(),
    statusCode: integer(),
    error: text(),
    durationMs: integer().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('webhook_deliveries_endpoint_sequence_idx').on(table.endpointId, table.sequence.desc()),
    index('webhook_deliveries_endpoint_event_idx').on(table.endpointId, table.eventId),
    check('webhook_deliveries_outcome_known', sql`${table.statusCode} IS NOT NULL OR ${table.error} IS NOT NULL`),
  ],
);

/**
 * The built-in card network simulator's own records, standing in for a real network's: one row per idempotency key
 * (a payment id), so a key asked again gets its first final answer and the card is charged at most once.
 */
export const simulatedNetworkAuthorizations = pgTable(
  'simulated_network_authorizations',
  {
    idempotencyKey: text().primaryKey(),
    reference: text().notNull().unique(),
    /** Attempts seen under this key: the test cards whose outcome depends on the attempt count them. */
    attempts: integer().notNull().default(0),
    /** null while no final answer was given; then approved, declined, or voided (closed without an answer). */
    outcome: text(),
    authorizationCode: text(),
    declineCode: text(),
    declineMessage: text(),
    amount: amount().notNull(),
    currency: char({ length: 3 }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    check(
      'simulated_network_authorizations_outcome_known',
      sql`${table.outcome} IS NULL OR ${table.outcome} IN ('approved', 'declined', 'voided')`,
    ),
  ],
);

/**
 * The card network simulator's journal, standing in for the network's own books (written only by the simulator,
 * never by ledger code): one line per money movement the network settled, under the acquirer's idempotency key, so
 * a retried capture or refund finds its line instead of adding one. Each UTC day's settlement report is read from
 * here. Amounts are positive; the type says the direction.
 */
export const cardNetworkJournal = pgTable(
  'card_network_journal',
  {
    /** The network's own reference of the line (net_…). */
    reference: text().primaryKey(),
    idempotencyKey: text().notNull().unique(),
    type: text().notNull(),
    paymentId: text().notNull(),
    refundId: text(),
    /** Our dispute id (dp_…) once we acknowledged the network's dispute; its fee and loss lines carry it. */
    disputeId: text(),
    /** The network's reference of what the line is about: the authorization of a capture, the dispute of a loss. */
    relatedReference: text(),
    amount: amount().notNull(),
    currency: char({ length: 3 }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    // The day's report reads a range of created_at.
    index('card_network_journal_created_idx').on(table.createdAt),
    index('card_network_journal_payment_idx').on(table.paymentId),
    check('card_network_journal_type_known', sql`${table.type} IN ('capture', 'refund', 'dispute', 'fee')`),
    check('card_network_journal_amount_positive', sql`${table.amount} > 0`),
  ],
);

/**
 * The simulator's disputes: scheduled when the dispute test card is authorized, opened DISPUTE_DELAY_MS after the
 * capture, decided by the evidence (or its absence by evidence_due_by).
 */
export const cardNetworkDisputes = pgTable(
  'card_network_disputes',
  {
    /** The network's dispute reference (net_…). */
    reference: text().primaryKey(),
    paymentId: text().notNull().unique(),
    /** The authorization's network reference. */
    authorizationReference: text().notNull(),
    /** Null until the capture reached the network. */
    opensAt: timestamp({ withTimezone: true, precision: 3 }),
    evidenceDueBy: timestamp({ withTimezone: true, precision: 3 }),
    /** Captured minus refunded at the network when the dispute opened (fixed when first listed). */
    amount: amount(),
    currency: char({ length: 3 }).notNull(),
    reason: text().notNull().default('fraudulent'),
    /** Our dispute id, given when we acknowledged the dispute. */
    disputeId: text().unique(),
    acknowledgedAt: timestamp({ withTimezone: true, precision: 3 }),
    evidenceText: text(),
    evidenceSubmittedAt: timestamp({ withTimezone: true, precision: 3 }),
    /** won | lost once decided; null while open. */
    decision: text(),
    decidedAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (table) => [
    index('card_network_disputes_opening_idx')
      .on(table.opensAt)
      .where(sql`acknowledged_at IS NULL`),
    check(
      'card_network_disputes_decision_known',
      sql`${table.decision} IS NULL OR ${table.decision} IN ('won', 'lost')`,
    ),
  ],
);

/**
 * Test hook only (NODE_ENV=test or CARD_NETWORK_TEST_HOOKS=true, never in production): changes to a day's settlement
 * report, so tests can make the network's report disagree with the ledger. `drop` and `alter` name a line by its
 * network reference; `add` carries a whole line.
 */
export const cardNetworkReportAdjustments = pgTable('card_network_report_adjustments', {
  id: bigserial({ mode: 'bigint' }).primaryKey(),
  day: text().notNull(),
  action: text().notNull(),
  reference: text(),
  line: jsonb().$type<Record<string, unknown>>(),
  createdAt: createdAt(),
});

/**
 * The result of reconciling one UTC day (API.md "Reconciliation"): the network's settlement report against the
 * ledger. A rerun of the day replaces its row. Each list keeps at most reconciliationLimits.itemsStoredMax items; its
 * count column is the total found.
 */
export const reconciliations = pgTable(
  'reconciliations',
  {
    /** The UTC day reconciled. */
    date: date({ mode: 'string' }).primaryKey(),
    status: text().notNull(),
    matched: integer().notNull(),
    missingInLedger: jsonb().$type<unknown[]>().notNull(),
    missingInLedgerCount: integer().notNull(),
    missingInReport: jsonb().$type<unknown[]>().notNull(),
    missingInReportCount: integer().notNull(),
    amountMismatches: jsonb().$type<unknown[]>().notNull(),
    amountMismatchesCount: integer().notNull(),
    /** When this result was made (a rerun's time). */
    createdAt: createdAt(),
  },
  (table) => [
    // The /metrics gauges read the latest run.
    index('reconciliations_created_idx').on(table.createdAt),
    check('reconciliations_status_known', sql`${table.status} IN ('matched', 'discrepancies')`),
    check(
      'reconciliations_counts_not_negative',
      sql`${table.matched} >= 0 AND ${table.missingInLedgerCount} >= 0 AND ${table.missingInReportCount} >= 0 AND ${table.amountMismatchesCount} >= 0`,
    ),
  ],
);

/**
 * What is still pending of a payment's captured money while SETTLEMENT_DELAY_MS runs (none is written without a
 * delay), written in the capture's transaction. The ledger is append-only, so this is where the release job finds
 * what is due: `amount` is lowered by refunds taken from pending; the release sets `released_at` and names its
 * settlement_release ledger transaction (the verifier's check `settlement_release` sums the rows per transaction).
 * A row refunded down to 0 is closed (`released_at` set) without a release transaction.
 */
export const pendingSettlements = pgTable(
  'pending_settlements',
  {
    paymentId: text()
      .primaryKey()
      .references(() => payments.id),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    currency: char({ length: 3 }).notNull(),
    amount: amount().notNull(),
    /** Capture + SETTLEMENT_DELAY_MS, by the database clock. */
    dueAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    releasedAt: timestamp({ withTimezone: true, precision: 3 }),
    releaseTransactionId: text().references(() => ledgerTransactions.id),
    createdAt: createdAt(),
  },
  (table) => [
    // The release job's one read: the unreleased rows by due time.
    index('pending_settlements_due_idx')
      .on(table.dueAt)
      .where(sql`released_at IS NULL`),
    index('pending_settlements_release_idx')
      .on(table.releaseTransactionId)
      .where(sql`release_transaction_id IS NOT NULL`),
    check('pending_settlements_amount_not_negative', sql`${table.amount} >= 0`),
    check(
      'pending_settlements_release_when_released',
      sql`${table.releaseTransactionId} IS NULL OR ${table.releasedAt} IS NOT NULL`,
    ),
  ],
);
