// Reconciliation of one UTC day: the card network's settlement report against our ledger's records of the money it
// moves (the transactions that post to network_clearing). Pure: no Nest, no database.
//
// What pairs. A report line and a ledger record pair when they name the same movement: the same type, the same ids
// (reconciledTypes says which, per type) and the same currency. A line without the ids its type needs (a dispute line
// the network sent before we acknowledged the dispute) pairs with nothing: our ledger does not store the network's
// references, so it is missing in the ledger, with its network reference for the operator to look up.
// Amounts are then compared: equal is matched, different is an amount mismatch. A currency that differs is not an
// amount mismatch: the line is missing in the ledger and the record missing in the report, each in its currency.
//
// The day boundary. The report of day D lists what the network journaled on D, by its clock; our ledger records a
// movement by ours, and the two sides are never at the same instant: a capture is recorded in the ledger when the
// payment succeeds and reaches the network afterwards (the network-capture job), while the network's fee is in the
// network's journal before our ledger learns of it. A capture committed at 23:59:59.9 is on the network's next day.
// So a run of D pairs the reports of D−1, D and D+1 with the ledger records of those three days, then reports:
//   - the lines of D's report: matched, amount mismatches, or missing in the ledger (a line is on its network day);
//   - the ledger records of D (by the ledger's time) that no line of the three reports pairs with: missing in the
//     report (a record paired with a neighbour day's line belongs to that day's reconciliation).
// Each line and each record is therefore reported by exactly one day's run. Pairing goes in time order (the earlier
// day's lines first), so overlapping runs pair alike. Two sides more than a day apart (a network that settled a day
// late) are reported on both of their days: missing in the report on the ledger's day, missing in the ledger on the
// network's day. A run of a day that has not ended, or whose next day's report is not complete yet, may report a
// record the network settles after midnight as missing in the report; the scheduled run waits until the day has
// ended (reconciliation.limits.ts), and a rerun replaces the day.
import type { LedgerTransactionKind } from '../ledger/ledger-transaction';

export const RECONCILIATION_ITEM_TYPES = ['capture', 'refund', 'dispute', 'fee'] as const;
export type ReconciliationItemType = (typeof RECONCILIATION_ITEM_TYPES)[number];

type IdField = 'payment_id' | 'refund_id' | 'dispute_id';

/** How one type of movement is found on both sides. */
interface ReconciledType {
  /** The ledger transaction kinds that record this type of movement on our side. */
  ledgerKinds: readonly LedgerTransactionKind[];
  /** The ids that, with the currency, name one movement of this type on both sides. */
  keyIds: readonly IdField[];
  /** Without these a line names nothing of ours, and pairs with nothing. */
  requiredIds: readonly IdField[];
}

/**
 * The types of movement reconciled. A new type of report line (or a new ledger kind for an existing one) is one entry
 * here: the matcher and the ledger's query are driven by this table.
 */
export const reconciledTypes: Readonly<Record<ReconciliationItemType, ReconciledType>> = {
  capture: { ledgerKinds: ['payment_capture'], keyIds: ['payment_id'], requiredIds: ['payment_id'] },
  refund: { ledgerKinds: ['refund'], keyIds: ['payment_id', 'refund_id'], requiredIds: ['refund_id'] },
  // A lost dispute: the network takes the disputed amount back (dispute_lost credits network_clearing). A won one
  // moves no money between us and the network.
  dispute: { ledgerKinds: ['dispute_lost'], keyIds: ['payment_id', 'dispute_id'], requiredIds: ['dispute_id'] },
  // The interchange fee of a capture names the payment; the network's fee on a dispute names the dispute as well.
  fee: { ledgerKinds: ['network_fee'], keyIds: ['payment_id', 'dispute_id'], requiredIds: ['payment_id'] },
};

/** Every ledger kind a reconciliation reads, each with the one type it records. */
export const reconciledLedgerKinds: ReadonlyMap<LedgerTransactionKind, ReconciliationItemType> = new Map(
  RECONCILIATION_ITEM_TYPES.flatMap((type) =>
    reconciledTypes[type].ledgerKinds.map((kind): [LedgerTransactionKind, ReconciliationItemType] => [kind, type]),
  ),
);

/** A line of the network's settlement report (structurally the card network port's SettlementReportLine). */
export interface NetworkLine {
  type: ReconciliationItemType;
  payment_id: string;
  refund_id: string | null;
  dispute_id: string | null;
  network_reference: string;
  /** Positive minor units; the type says the direction. */
  amount: number;
  currency: string;
}

/** A ledger transaction that moves money between us and the network, as the ledger recorded it. */
export interface LedgerMovement {
  transactionId: string;
  kind: LedgerTransactionKind;
  paymentId: string | null;
  refundId: string | null;
  disputeId: string | null;
  /** Positive minor units moved to or from network_clearing. */
  amountMinor: number;
  currency: string;
  recordedAt: Date;
}

/** One discrepancy (API.md "Reconciliation"): expected is the ledger's amount, reported the network's. */
export interface ReconciliationItem {
  type: ReconciliationItemType;
  payment_id: string | null;
  refund_id: string | null;
  dispute_id: string | null;
  network_reference: string | null;
  expected_amount: number | null;
  reported_amount: number | null;
  currency: string;
}

export interface MatchInput {
  /** The day reconciled, as [start, end) in UTC. */
  day: { start: Date; end: Date };
  /** The network's reports of the day before, the day, and the day after (lines in the report's order). */
  reports: { previous: readonly NetworkLine[]; day: readonly NetworkLine[]; next: readonly NetworkLine[] };
  /** The ledger's movements recorded from the start of the day before to the end of the day after. */
  ledger: readonly LedgerMovement[];
}

export interface MatchResult {
  /** Lines of the day's report paired with a ledger record of the same amount. */
  matched: number;
  missing_in_ledger: ReconciliationItem[];
  missing_in_report: ReconciliationItem[];
  amount_mismatches: ReconciliationItem[];
}

/** A report line with where it is: its report (−1, 0, +1 days from the day reconciled) and its place there. */
interface PlacedLine {
  line: NetworkLine;
  day: number;
  position: number;
}

interface PlacedMovement {
  movement: LedgerMovement;
  type: ReconciliationItemType;
  inDay: boolean;
  /** Its place in ledger time order. */
  order: number;
}

interface Group {
  lines: PlacedLine[];
  movements: PlacedMovement[];
}

/** The key both sides of one movement share, or null when the ids its type needs are missing. */
function idsKey(
  type: ReconciliationItemType,
  currency: string,
  ids: Readonly<Record<IdField, string | null>>,
): string | null {
  const spec = reconciledTypes[type];
  if (!spec.requiredIds.every((field) => ids[field])) return null;
  return JSON.stringify([type, currency.toUpperCase(), ...spec.keyIds.map((field) => ids[field] || null)]);
}

function lineKey(line: NetworkLine, fallback: string): string {
  const key = Object.hasOwn(reconciledTypes, line.type) ? idsKey(line.type, line.currency, line) : null;
  return key ?? JSON.stringify(['unpairable line', fallback]);
}

function movementKey(movement: LedgerMovement, type: ReconciliationItemType): string {
  const ids = { payment_id: movement.paymentId, refund_id: movement.refundId, dispute_id: movement.disputeId };
  return idsKey(type, movement.currency, ids) ?? JSON.stringify(['unpairable movement', movement.transactionId]);
}

function lineItem(line: NetworkLine, expectedAmount: number | null): ReconciliationItem {
  return {
    type: line.type,
    payment_id: line.payment_id || null,
    refund_id: line.refund_id,
    dispute_id: line.dispute_id,
    network_reference: line.network_reference,
    expected_amount: expectedAmount,
    reported_amount: line.amount,
    currency: line.currency.toUpperCase(),
  };
}

function movementItem({ movement, type }: PlacedMovement): ReconciliationItem {
  return {
    type,
    payment_id: movement.paymentId,
    refund_id: movement.refundId,
    dispute_id: movement.disputeId,
    // The ledger does not store the network's references: the ids name the movement.
    network_reference: null,
    expected_amount: movement.amountMinor,
    reported_amount: null,
    currency: movement.currency.toUpperCase(),
  };
}

/**
 * Pairs a group's lines (earlier reports first, then report order) with its movements (ledger time order): first
 * each line with the first movement of its amount, then the lines left with the movements left, in order.
 */
function pairGroup(group: Group): { pairs: [PlacedLine, PlacedMovement][]; movementsLeft: PlacedMovement[] } {
  const movementsLeft = [...group.movements];
  const linesLeft: PlacedLine[] = [];
  const pairs: [PlacedLine, PlacedMovement][] = [];
  for (const placed of group.lines) {
    const index = movementsLeft.findIndex(({ movement }) => movement.amountMinor === placed.line.amount);
    if (index === -1) {
      linesLeft.push(placed);
    } else {
      pairs.push([placed, movementsLeft[index]!]);
      movementsLeft.splice(index, 1);
    }
  }
  for (const placed of linesLeft) {
    const movement = movementsLeft.shift();
    if (movement) pairs.push([placed, movement]);
  }
  return { pairs, movementsLeft };
}

/** The day's reconciliation: see the comment at the top of this file for what pairs and which day reports it. */
export function reconcileDay(input: MatchInput): MatchResult {
  const startMs = input.day.start.getTime();
  const endMs = input.day.end.getTime();
  if (!(startMs < endMs)) throw new RangeError('a reconciled day ends after it starts');
  const groups = new Map<string, Group>();
  const groupOf = (key: string): Group => {
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { lines: [], movements: [] }));
    return group;
  };

  const reports: [number, readonly NetworkLine[]][] = [
    [-1, input.reports.previous],
    [0, input.reports.day],
    [1, input.reports.next],
  ];
  for (const [day, lines] of reports) {
    lines.forEach((line, position) => {
      groupOf(lineKey(line, `${day}:${position}`)).lines.push({ line, day, position });
    });
  }

  const movements = [...input.ledger].sort(
    (a, b) =>
      a.recordedAt.getTime() - b.recordedAt.getTime() ||
      (a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0),
  );
  movements.forEach((movement, order) => {
    const type = reconciledLedgerKinds.get(movement.kind);
    if (!type) throw new RangeError(`ledger kind ${movement.kind} is not reconciled against the network`);
    const recordedMs = movement.recordedAt.getTime();
    groupOf(movementKey(movement, type)).movements.push({
      movement,
      type,
      inDay: recordedMs >= startMs && recordedMs < endMs,
      order,
    });
  });

  let matched = 0;
  const missingInLedger: PlacedLine[] = [];
  const mismatches: [PlacedLine, PlacedMovement][] = [];
  const missingInReport: PlacedMovement[] = [];
  for (const group of groups.values()) {
    const { pairs, movementsLeft } = pairGroup(group);
    const paired = new Set(pairs.map(([line]) => line));
    for (const placed of group.lines) {
      if (placed.day === 0 && !paired.has(placed)) missingInLedger.push(placed);
    }
    for (const pair of pairs) {
      if (pair[0].day !== 0) continue;
      if (pair[0].line.amount === pair[1].movement.amountMinor) matched += 1;
      else mismatches.push(pair);
    }
    missingInReport.push(...movementsLeft.filter((placed) => placed.inDay));
  }

  const byPosition = (a: PlacedLine, b: PlacedLine) => a.position - b.position;
  return {
    matched,
    missing_in_ledger: missingInLedger.sort(byPosition).map((placed) => lineItem(placed.line, null)),
    missing_in_report: missingInReport.sort((a, b) => a.order - b.order).map(movementItem),
    amount_mismatches: mismatches
      .sort(([a], [b]) => byPosition(a, b))
      .map(([placed, { movement }]) => lineItem(placed.line, movement.amountMinor)),
  };
}

/** `matched` when nothing disagrees, else `discrepancies`. */
export function reconciliationStatus(result: MatchResult): 'matched' | 'discrepancies' {
  return result.missing_in_ledger.length + result.missing_in_report.length + result.amount_mismatches.length === 0
    ? 'matched'
    : 'discrepancies';
}
