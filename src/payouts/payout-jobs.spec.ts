import { newId } from '../common/ids';
import { arrivalDelayMs, checkPayoutJob, parsePayoutJob, payoutJobData } from './payout-jobs';
import { SETTLE_PAYOUT_JOB, SUBMIT_PAYOUT_JOB } from './payouts.constants';

const payoutId = newId('po');
const merchantId = newId('mer');

describe('payout jobs', () => {
  it.each([SUBMIT_PAYOUT_JOB, SETTLE_PAYOUT_JOB])('accepts %s naming a payout and its merchant', (name) => {
    expect(parsePayoutJob(name, { payoutId, merchantId })).toEqual({ valid: true, target: { payoutId, merchantId } });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(parsePayoutJob(name, { payoutId, merchantId, traceparent })).toEqual({
      valid: true,
      target: { payoutId, merchantId },
    });
  });

  it('refuses an unknown job, other ids, extra fields and a malformed traceparent, without echoing the data', () => {
    expect(parsePayoutJob('pay-everyone', { payoutId, merchantId })).toEqual({
      valid: false,
      reason: 'unknown job name',
    });
    const refused = [
      { payoutId: newId('pay'), merchantId },
      { payoutId, merchantId: 'mer_x' },
      { payoutId },
      { payoutId, merchantId, amount: 1_000_000 },
      { payoutId, merchantId, traceparent: 'secret-value' },
      null,
      'po_x',
    ];
    for (const data of refused) {
      const parsed = parsePayoutJob(SUBMIT_PAYOUT_JOB, data);
      expect(parsed.valid).toBe(false);
      if (!parsed.valid) expect(parsed.reason).not.toContain('secret-value');
    }
  });

  it('acts only on the payout it names, of its merchant, in the status it exists for', () => {
    const row = { merchantId, status: 'pending' as const };
    expect(checkPayoutJob(row, { payoutId, merchantId }, 'pending')).toBe('ok');
    expect(checkPayoutJob(undefined, { payoutId, merchantId }, 'pending')).toBe('unknown_payout');
    expect(checkPayoutJob(row, { payoutId, merchantId: newId('mer') }, 'pending')).toBe('wrong_merchant');
    expect(checkPayoutJob(row, { payoutId, merchantId }, 'in_transit')).toBe('already_moved');
  });

  it('queues the ids of an outbox row and nothing else', () => {
    expect(payoutJobData({ payoutId, merchantId, arrivalAt: '2026-12-01T00:00:00.000Z' })).toEqual({
      payoutId,
      merchantId,
    });
    expect(payoutJobData({ payoutId: 7 })).toEqual({ payoutId: '', merchantId: '' });
  });

  it('delays a settle job until the arrival date, never below zero', () => {
    const nowMs = Date.parse('2026-12-01T00:00:00.000Z');
    expect(arrivalDelayMs('2026-12-03T00:00:00.000Z', nowMs)).toBe(2 * 86_400_000);
    expect(arrivalDelayMs('2026-11-30T00:00:00.000Z', nowMs)).toBe(0);
    expect(arrivalDelayMs('not a time', nowMs)).toBe(0);
    expect(arrivalDelayMs(undefined, nowMs)).toBe(0);
  });
});
