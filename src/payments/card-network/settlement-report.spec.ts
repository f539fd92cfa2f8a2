import type { SettlementReportLine } from './card-network.port';
import { adjustedReport, utcDayOf, utcDayRange } from './settlement-report';

const line = (reference: string, overrides: Partial<SettlementReportLine> = {}): SettlementReportLine => ({
  type: 'capture',
  payment_id: 'pay_1',
  refund_id: null,
  dispute_id: null,
  network_reference: reference,
  amount: 1000,
  currency: 'USD',
  ...overrides,
});

describe('utcDayRange', () => {
  it('answers the UTC day as a half-open range', () => {
    expect(utcDayRange('2026-11-30')).toEqual({
      start: new Date('2026-11-30T00:00:00.000Z'),
      end: new Date('2026-12-01T00:00:00.000Z'),
    });
    expect(utcDayRange('2028-02-29')?.end.toISOString()).toBe('2028-03-01T00:00:00.000Z');
  });

  it.each(['2026-02-30', '2026-13-01', '2026-1-01', '20261101', '2026-11-30T00:00:00Z', '', 'yesterday'])(
    'refuses %p',
    (day) => {
      expect(utcDayRange(day)).toBeNull();
    },
  );

  it('names the UTC day of an instant, whatever the local zone', () => {
    expect(utcDayOf(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11-30');
    expect(utcDayOf(new Date('2026-12-01T00:00:00.000Z'))).toBe('2026-12-01');
  });
});

describe('adjustedReport', () => {
  const report = [line('net_a'), line('net_b', { type: 'fee', amount: 7 }), line('net_c', { type: 'refund' })];

  it('changes nothing without adjustments, and never the lines given', () => {
    const copy = structuredClone(report);
    expect(adjustedReport(report, [])).toEqual(report);
    adjustedReport(report, [{ action: 'drop', reference: 'net_a' }]);
    expect(report).toEqual(copy);
  });

  it('drops, alters and adds lines in order', () => {
    const added = line('net_extra', { type: 'capture', payment_id: 'pay_ghost', amount: 42 });
    expect(
      adjustedReport(report, [
        { action: 'drop', reference: 'net_b' },
        { action: 'alter', reference: 'net_a', changes: { amount: 999, network_reference: 'net_moved' } },
        { action: 'add', line: added },
      ]),
    ).toEqual([line('net_a', { amount: 999 }), line('net_c', { type: 'refund' }), added]);
  });

  it('ignores an adjustment that names no line', () => {
    expect(
      adjustedReport(report, [
        { action: 'drop', reference: 'net_none' },
        { action: 'alter', reference: 'net_none', changes: { amount: 1 } },
      ]),
    ).toEqual(report);
  });
});
