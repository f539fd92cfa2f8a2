import { newId } from '../common/ids';
import { deadlineDelayMs, disputeJobData, parseDisputeJob } from './dispute-jobs';

const disputeId = newId('dp');
const merchantId = newId('mer');

describe('dispute jobs', () => {
  it('accepts the ids of a dispute and its merchant, with a traceparent', () => {
    expect(parseDisputeJob({ disputeId, merchantId })).toEqual({ valid: true, target: { disputeId, merchantId } });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(parseDisputeJob({ disputeId, merchantId, traceparent })).toEqual({
      valid: true,
      target: { disputeId, merchantId },
    });
  });

  it.each([
    ['no data', undefined, '(data)'],
    ['a payment id for the dispute', { disputeId: newId('pay'), merchantId }, 'disputeId'],
    ['no merchant', { disputeId }, 'merchantId'],
    ['a field of its own', { disputeId, merchantId, text: 'winning_evidence' }, 'unrecognized_keys'],
    ['a malformed traceparent', { disputeId, merchantId, traceparent: 'x' }, 'traceparent'],
  ])('refuses %s, naming the path only', (_, data, named) => {
    const parsed = parseDisputeJob(data);
    expect(parsed.valid).toBe(false);
    expect(!parsed.valid && parsed.reason).toContain(named);
    expect(!parsed.valid && parsed.reason).not.toContain('winning_evidence');
  });

  it('makes job data of the ids of an outbox row only', () => {
    expect(disputeJobData({ disputeId, merchantId, evidenceDueBy: '2026-12-01T00:00:00.000Z' })).toEqual({
      disputeId,
      merchantId,
    });
    expect(disputeJobData({})).toEqual({ disputeId: '', merchantId: '' });
  });

  it('waits until evidence_due_by, and not at all for a time it cannot read', () => {
    const nowMs = Date.parse('2026-12-01T00:00:00.000Z');
    expect(deadlineDelayMs('2026-12-01T00:00:01.500Z', nowMs)).toBe(1_500);
    expect(deadlineDelayMs('2026-11-30T00:00:00.000Z', nowMs)).toBe(0);
    expect(deadlineDelayMs('tomorrow', nowMs)).toBe(0);
    expect(deadlineDelayMs(undefined, nowMs)).toBe(0);
  });
});
