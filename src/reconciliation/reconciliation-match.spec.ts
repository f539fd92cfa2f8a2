import fc from 'fast-check';
import type { LedgerTransactionKind } from '../ledger/ledger-transaction';
import { dayAfter, dayRange } from './reconciliation-day';
import {
  type LedgerMovement,
  type MatchInput,
  type NetworkLine,
  reconcileDay,
  RECONCILIATION_ITEM_TYPES,
  reconciledLedgerKinds,
  reconciledTypes,
  reconciliationStatus,
  type ReconciliationItemType,
} from './reconciliation-match';

const day = '2026-03-10';
const at = (time: string) => new Date(`${time}Z`);
const range = dayRange(day)!;

const kindOf: Record<ReconciliationItemType, LedgerTransactionKind> = {
  capture: 'payment_capture',
  refund: 'refund',
  dispute: 'dispute_lost',
  fee: 'network_fee',
};

let sequence = 0;

/** A ledger movement and the report line the network would send for it. */
function movementOf(
  type: ReconciliationItemType,
  amountMinor: number,
  recordedAt: Date,
  ids: { paymentId?: string; refundId?: string | null; disputeId?: string | null; currency?: string } = {},
): { movement: LedgerMovement; line: NetworkLine } {
  sequence += 1;
  const paymentId = ids.paymentId ?? `pay_${sequence}`;
  const refundId = ids.refundId !== undefined ? ids.refundId : type === 'refund' ? `re_${sequence}` : null;
  const disputeId = ids.disputeId !== undefined ? ids.disputeId : type === 'dispute' ? `dp_${sequence}` : null;
  const currency = ids.currency ?? 'USD';
  return {
    movement: {
      transactionId: `ltx_${String(sequence).padStart(6, '0')}`,
      kind: kindOf[type],
      paymentId,
      refundId,
      disputeId,
      amountMinor,
      currency,
      recordedAt,
    },
    line: {
      type,
      payment_id: paymentId,
      refund_id: refundId,
      dispute_id: disputeId,
      network_reference: `net_${sequence}`,
      amount: amountMinor,
      currency,
    },
  };
}

function input(
  lines: readonly NetworkLine[],
  ledger: readonly LedgerMovement[],
  neighbours: { previous?: NetworkLine[]; next?: NetworkLine[] } = {},
): MatchInput {
  return {
    day: range,
    reports: { previous: neighbours.previous ?? [], day: lines, next: neighbours.next ?? [] },
    ledger,
  };
}

const noon = at('2026-03-10T12:00:00');

describe('the reconciled types', () => {
  it('read exactly the ledger kinds that move money between us and the network (network_clearing)', () => {
    expect(new Map(reconciledLedgerKinds)).toEqual(
      new Map([
        ['payment_capture', 'capture'],
        ['refund', 'refund'],
        ['dispute_lost', 'dispute'],
        ['network_fee', 'fee'],
      ]),
    );
  });

  it('need, per type, ids that are part of its key', () => {
    for (const type of RECONCILIATION_ITEM_TYPES) {
      const spec = reconciledTypes[type];
      expect(spec.requiredIds.length).toBeGreaterThan(0);
      for (const id of spec.requiredIds) expect(spec.keyIds).toContain(id);
    }
  });
});

describe('reconcileDay', () => {
  it('matches a clean day of every type', () => {
    const movements = [
      movementOf('capture', 1000, noon),
      movementOf('fee', 7, noon),
      movementOf('refund', 400, noon),
      movementOf('dispute', 2500, noon),
      movementOf('fee', 1500, noon, { disputeId: 'dp_fee' }),
    ];
    const result = reconcileDay(
      input(
        movements.map((m) => m.line),
        movements.map((m) => m.movement),
      ),
    );
    expect(result).toEqual({ matched: 5, missing_in_ledger: [], missing_in_report: [], amount_mismatches: [] });
    expect(reconciliationStatus(result)).toBe('matched');
  });

  it('matches an empty day', () => {
    const result = reconcileDay(input([], []));
    expect(result.matched).toBe(0);
    expect(reconciliationStatus(result)).toBe('matched');
  });

  it.each(RECONCILIATION_ITEM_TYPES)('finds a %s line dropped from the report as missing in the report', (type) => {
    const kept = movementOf('capture', 1000, noon);
    const dropped = movementOf(type, 321, at('2026-03-10T08:00:00'));
    const result = reconcileDay(input([kept.line], [kept.movement, dropped.movement]));
    expect(result).toEqual({
      matched: 1,
      missing_in_ledger: [],
      missing_in_report: [
        {
          type,
          payment_id: dropped.movement.paymentId,
          refund_id: dropped.movement.refundId,
          dispute_id: dropped.movement.disputeId,
          network_reference: null,
          expected_amount: 321,
          reported_amount: null,
          currency: 'USD',
        },
      ],
      amount_mismatches: [],
    });
    expect(reconciliationStatus(result)).toBe('discrepancies');
  });

  it.each(RECONCILIATION_ITEM_TYPES)('finds a %s line added to the report as missing in the ledger', (type) => {
    const added = movementOf(type, 555, noon);
    const result = reconcileDay(input([added.line], []));
    expect(result.missing_in_ledger).toEqual([
      {
        type,
        payment_id: added.line.payment_id,
        refund_id: added.line.refund_id,
        dispute_id: added.line.dispute_id,
        network_reference: added.line.network_reference,
        expected_amount: null,
        reported_amount: 555,
        currency: 'USD',
      },
    ]);
    expect(result.matched).toBe(0);
  });

  it.each(RECONCILIATION_ITEM_TYPES)('finds a %s line whose amount was altered as an amount mismatch', (type) => {
    const altered = movementOf(type, 1000, noon);
    const result = reconcileDay(input([{ ...altered.line, amount: 999 }], [altered.movement]));
    expect(result).toEqual({
      matched: 0,
      missing_in_ledger: [],
      missing_in_report: [],
      amount_mismatches: [
        {
          type,
          payment_id: altered.line.payment_id,
          refund_id: altered.line.refund_id,
          dispute_id: altered.line.dispute_id,
          network_reference: altered.line.network_reference,
          expected_amount: 1000,
          reported_amount: 999,
          currency: 'USD',
        },
      ],
    });
  });

  it('does not count a capture committed just before midnight and settled by the network just after it', () => {
    const late = movementOf('capture', 1000, at('2026-03-10T23:59:59.950'));
    // Reconciling the day: the line is on the next day's report, which pairs the record.
    expect(reconcileDay(input([], [late.movement], { next: [late.line] }))).toEqual({
      matched: 0,
      missing_in_ledger: [],
      missing_in_report: [],
      amount_mismatches: [],
    });
    // Reconciling the next day: its line pairs the record of the day before.
    const next = dayRange(dayAfter(day, 1))!;
    expect(
      reconcileDay({ day: next, reports: { previous: [], day: [late.line], next: [] }, ledger: [late.movement] }),
    ).toMatchObject({ matched: 1, missing_in_ledger: [], missing_in_report: [], amount_mismatches: [] });
  });

  it('does not count a network fee journaled just before midnight and recorded by the ledger just after it', () => {
    const fee = movementOf('fee', 14, at('2026-03-11T00:00:00.020'));
    expect(reconcileDay(input([fee.line], [fee.movement]))).toMatchObject({ matched: 1, missing_in_report: [] });
    const next = dayRange(dayAfter(day, 1))!;
    expect(
      reconcileDay({ day: next, reports: { previous: [fee.line], day: [], next: [] }, ledger: [fee.movement] }),
    ).toEqual({ matched: 0, missing_in_ledger: [], missing_in_report: [], amount_mismatches: [] });
  });

  it('reports an altered line settled on the next day on that day, not on the ledger’s day', () => {
    const late = movementOf('capture', 1000, at('2026-03-10T23:59:59.950'));
    const altered = { ...late.line, amount: 1001 };
    expect(reconcileDay(input([], [late.movement], { next: [altered] }))).toMatchObject({
      missing_in_report: [],
      amount_mismatches: [],
    });
    const next = dayRange(dayAfter(day, 1))!;
    expect(
      reconcileDay({ day: next, reports: { previous: [], day: [altered], next: [] }, ledger: [late.movement] })
        .amount_mismatches,
    ).toMatchObject([{ expected_amount: 1000, reported_amount: 1001 }]);
  });

  it('leaves records of the neighbour days that no line pairs to their own day', () => {
    const before = movementOf('capture', 10, at('2026-03-09T10:00:00'));
    const after = movementOf('refund', 20, at('2026-03-11T10:00:00'));
    expect(reconcileDay(input([], [before.movement, after.movement]))).toEqual({
      matched: 0,
      missing_in_ledger: [],
      missing_in_report: [],
      amount_mismatches: [],
    });
  });

  it('tells a capture’s fee from a dispute’s fee on the same payment', () => {
    const captureFee = movementOf('fee', 14, noon, { paymentId: 'pay_both' });
    const disputeFee = movementOf('fee', 1500, noon, { paymentId: 'pay_both', disputeId: 'dp_both' });
    const result = reconcileDay(input([disputeFee.line], [captureFee.movement, disputeFee.movement]));
    expect(result.matched).toBe(1);
    expect(result.missing_in_report).toMatchObject([{ type: 'fee', dispute_id: null, expected_amount: 14 }]);
    expect(result.amount_mismatches).toEqual([]);
  });

  it('reports a dispute line without our dispute id as missing in the ledger, by its network reference', () => {
    const lost = movementOf('dispute', 2500, noon);
    const unacknowledged: NetworkLine = { ...lost.line, dispute_id: null };
    expect(reconcileDay(input([unacknowledged], [lost.movement]))).toMatchObject({
      matched: 0,
      missing_in_ledger: [{ type: 'dispute', dispute_id: null, network_reference: lost.line.network_reference }],
      missing_in_report: [{ type: 'dispute', dispute_id: lost.movement.disputeId }],
    });
    // Two such lines are two discrepancies, not one.
    const twice = reconcileDay(input([unacknowledged, { ...unacknowledged, network_reference: 'net_other' }], []));
    expect(twice.missing_in_ledger).toHaveLength(2);
  });

  it('reports a line in another currency as missing on both sides, not as an amount mismatch', () => {
    const capture = movementOf('capture', 1000, noon);
    const result = reconcileDay(input([{ ...capture.line, currency: 'EUR' }], [capture.movement]));
    expect(result).toMatchObject({
      matched: 0,
      missing_in_ledger: [{ currency: 'EUR', reported_amount: 1000 }],
      missing_in_report: [{ currency: 'USD', expected_amount: 1000 }],
      amount_mismatches: [],
    });
  });

  it('reads currencies in any case', () => {
    const capture = movementOf('capture', 1000, noon);
    expect(reconcileDay(input([{ ...capture.line, currency: 'usd' }], [capture.movement])).matched).toBe(1);
  });

  it('does not pair a refund the network reports against another payment', () => {
    const refund = movementOf('refund', 400, noon);
    const result = reconcileDay(input([{ ...refund.line, payment_id: 'pay_other' }], [refund.movement]));
    expect(result).toMatchObject({ matched: 0, missing_in_ledger: [{ payment_id: 'pay_other' }] });
    expect(result.missing_in_report).toHaveLength(1);
  });

  it('reports a line the network sent twice once matched and once missing in the ledger', () => {
    const capture = movementOf('capture', 1000, noon);
    const result = reconcileDay(
      input([capture.line, { ...capture.line, network_reference: 'net_again' }], [capture.movement]),
    );
    expect(result).toMatchObject({
      matched: 1,
      missing_in_ledger: [{ network_reference: 'net_again', reported_amount: 1000 }],
      amount_mismatches: [],
    });
  });

  it('pairs equal amounts first, so a stray line does not turn a match into a mismatch', () => {
    const capture = movementOf('capture', 1000, noon);
    const stray = { ...capture.line, network_reference: 'net_stray', amount: 990 };
    expect(reconcileDay(input([stray, capture.line], [capture.movement]))).toMatchObject({
      matched: 1,
      missing_in_ledger: [{ network_reference: 'net_stray', reported_amount: 990 }],
      amount_mismatches: [],
    });
  });

  it('keeps the report’s order for lines and the ledger’s time order for records', () => {
    const lines = [movementOf('capture', 3, noon), movementOf('capture', 1, noon), movementOf('capture', 2, noon)];
    const records = [
      movementOf('refund', 30, at('2026-03-10T03:00:00')),
      movementOf('refund', 10, at('2026-03-10T01:00:00')),
      movementOf('refund', 20, at('2026-03-10T02:00:00')),
    ];
    const result = reconcileDay(
      input(
        lines.map((m) => m.line),
        records.map((m) => m.movement),
      ),
    );
    expect(result.missing_in_ledger.map((item) => item.reported_amount)).toEqual([3, 1, 2]);
    expect(result.missing_in_report.map((item) => item.expected_amount)).toEqual([10, 20, 30]);
  });

  it('refuses a ledger kind that is not reconciled, and a day that ends before it starts', () => {
    const stray = { ...movementOf('capture', 1, noon).movement, kind: 'payout_paid' as const };
    expect(() => reconcileDay(input([], [stray]))).toThrow(RangeError);
    expect(() => reconcileDay({ ...input([], []), day: { start: range.end, end: range.start } })).toThrow(RangeError);
  });
});

// Property: over a run of days, with each movement's two sides up to 12 hours apart in either direction, every
// movement is counted by exactly one day's run: kept ones as matched, altered ones as mismatches, dropped ones as
// missing in the report, lines the network added as missing in the ledger.
describe('reconcileDay over consecutive days (property)', () => {
  const firstDay = '2026-03-02';
  const daysSimulated = 5;
  const hourMs = 3_600_000;
  const dayStartMs = dayRange(firstDay)!.start.getTime();

  const movementArbitrary = fc.record({
    type: fc.constantFrom(...RECONCILIATION_ITEM_TYPES),
    amountMinor: fc.integer({ min: 1, max: 1_000_000 }),
    currency: fc.constantFrom('USD', 'JPY', 'EUR'),
    // Kept clear of the simulated range's edges by a day, so that every side falls inside the days reconciled.
    recordedMs: fc.integer({ min: 86_400_000, max: (daysSimulated - 1) * 86_400_000 - 1 }),
    lagMs: fc.integer({ min: -12 * hourMs, max: 12 * hourMs }),
    fate: fc.constantFrom('kept', 'kept', 'dropped', 'altered'),
    alterByMinor: fc.integer({ min: 1, max: 500 }),
    disputeFee: fc.boolean(),
  });
  const addedArbitrary = fc.record({
    type: fc.constantFrom(...RECONCILIATION_ITEM_TYPES),
    amountMinor: fc.integer({ min: 1, max: 1_000_000 }),
    reportedMs: fc.integer({ min: 86_400_000, max: (daysSimulated - 1) * 86_400_000 - 1 }),
  });

  it('counts each movement once, as what happened to its line', () => {
    fc.assert(
      fc.property(
        fc.array(movementArbitrary, { maxLength: 40 }),
        fc.array(addedArbitrary, { maxLength: 5 }),
        (specs, additions) => {
          const reports = new Map<string, NetworkLine[]>();
          const reportOn = (ms: number, line: NetworkLine) => {
            const reportDay = new Date(dayStartMs + ms).toISOString().slice(0, 10);
            reports.set(reportDay, [...(reports.get(reportDay) ?? []), line]);
          };
          const ledger: LedgerMovement[] = [];
          const expected = { matched: 0, altered: [] as string[], dropped: [] as string[], added: [] as string[] };
          specs.forEach((spec, index) => {
            const disputeId =
              spec.type === 'dispute' || (spec.type === 'fee' && spec.disputeFee) ? `dp_${index}` : null;
            const { movement, line } = movementOf(spec.type, spec.amountMinor, new Date(dayStartMs + spec.recordedMs), {
              paymentId: `pay_${index}`,
              refundId: spec.type === 'refund' ? `re_${index}` : null,
              disputeId,
              currency: spec.currency,
            });
            ledger.push(movement);
            const lineMs = spec.recordedMs + spec.lagMs;
            if (spec.fate === 'kept') {
              reportOn(lineMs, line);
              expected.matched += 1;
            } else if (spec.fate === 'altered') {
              reportOn(lineMs, { ...line, amount: line.amount + spec.alterByMinor });
              expected.altered.push(line.network_reference);
            } else {
              expected.dropped.push(movement.transactionId);
            }
          });
          additions.forEach((addition, index) => {
            const { line } = movementOf(addition.type, addition.amountMinor, new Date(0), {
              paymentId: `pay_added_${index}`,
            });
            reportOn(addition.reportedMs, line);
            expected.added.push(line.network_reference);
          });

          const found = { matched: 0, altered: [] as string[], dropped: [] as string[], added: [] as string[] };
          for (let offset = 0; offset < daysSimulated; offset += 1) {
            const reconciled = dayAfter(firstDay, offset);
            const dayOfRun = dayRange(reconciled)!;
            // The ledger's window of a run: from the start of the day before to the end of the day after.
            const windowStart = dayOfRun.start.getTime() - 86_400_000;
            const windowEnd = dayOfRun.end.getTime() + 86_400_000;
            const result = reconcileDay({
              day: dayOfRun,
              reports: {
                previous: reports.get(dayAfter(reconciled, -1)) ?? [],
                day: reports.get(reconciled) ?? [],
                next: reports.get(dayAfter(reconciled, 1)) ?? [],
              },
              ledger: ledger.filter(
                (movement) => movement.recordedAt.getTime() >= windowStart && movement.recordedAt.getTime() < windowEnd,
              ),
            });
            found.matched += result.matched;
            found.altered.push(...result.amount_mismatches.map((item) => item.network_reference!));
            found.added.push(...result.missing_in_ledger.map((item) => item.network_reference!));
            found.dropped.push(
              ...result.missing_in_report.map(
                (item) => ledger.find((movement) => movement.paymentId === item.payment_id)!.transactionId,
              ),
            );
          }
          const sorted = (values: string[]) => [...values].sort();
          expect({
            matched: found.matched,
            altered: sorted(found.altered),
            dropped: sorted(found.dropped),
            added: sorted(found.added),
          }).toEqual({
            matched: expected.matched,
            altered: sorted(expected.altered),
            dropped: sorted(expected.dropped),
            added: sorted(expected.added),
          });
        },
      ),
    );
  });

  it('matches every movement of a clean day whatever the order of the report', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(...RECONCILIATION_ITEM_TYPES),
            amountMinor: fc.integer({ min: 1, max: 99_999_999_999 }),
            secondOfDay: fc.integer({ min: 0, max: 86_399 }),
          }),
          { maxLength: 60 },
        ),
        fc.infiniteStream(fc.nat()),
        (specs, shuffle) => {
          const movements = specs.map((spec) =>
            movementOf(spec.type, spec.amountMinor, new Date(range.start.getTime() + spec.secondOfDay * 1000)),
          );
          const lines = movements.map((m) => m.line);
          const iterator = shuffle[Symbol.iterator]();
          for (let index = lines.length - 1; index > 0; index -= 1) {
            const other = iterator.next().value! % (index + 1);
            [lines[index], lines[other]] = [lines[other]!, lines[index]!];
          }
          const result = reconcileDay(
            input(
              lines,
              movements.map((m) => m.movement),
            ),
          );
          expect(result).toEqual({
            matched: specs.length,
            missing_in_ledger: [],
            missing_in_report: [],
            amount_mismatches: [],
          });
        },
      ),
    );
  });
});
