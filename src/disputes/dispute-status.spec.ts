import {
  DISPUTE_ACTIONS,
  DISPUTE_STATUSES,
  type DisputeAction,
  type DisputeStatus,
  disputeTransition,
  isFinalDisputeStatus,
} from './dispute-status';

const dueMs = Date.parse('2026-12-01T00:00:00.000Z');
const onTime = { nowMs: dueMs - 1, evidenceDueByMs: dueMs };

// Every (status, action) pair, with what it must give: the whole table, so a new status or action fails here first.
const expected: Record<DisputeStatus, Record<DisputeAction, string>> = {
  needs_response: {
    submit_evidence: 'under_review dispute.updated -',
    accept: 'lost dispute.closed dispute_lost',
    network_lost: 'lost dispute.closed dispute_lost',
    network_won: 'refused state_invalid',
  },
  under_review: {
    submit_evidence: 'refused state_invalid',
    accept: 'refused state_invalid',
    network_won: 'won dispute.closed dispute_won',
    network_lost: 'lost dispute.closed dispute_lost',
  },
  won: {
    submit_evidence: 'refused state_invalid',
    accept: 'refused state_invalid',
    network_won: 'refused unchanged',
    network_lost: 'refused state_invalid',
  },
  lost: {
    submit_evidence: 'refused state_invalid',
    accept: 'refused state_invalid',
    network_won: 'refused state_invalid',
    network_lost: 'refused unchanged',
  },
};

function described(status: DisputeStatus, action: DisputeAction, clock = onTime): string {
  const transition = disputeTransition(status, action, clock);
  if (!transition.allowed) return `refused ${transition.reason}`;
  return `${transition.to} ${transition.event} ${transition.ledger ?? '-'}`;
}

describe('dispute status machine', () => {
  it.each(DISPUTE_STATUSES.flatMap((status) => DISPUTE_ACTIONS.map((action) => [status, action] as const)))(
    '%s + %s',
    (status, action) => {
      expect(described(status, action)).toBe(expected[status][action]);
    },
  );

  it('takes evidence strictly before evidence_due_by only', () => {
    expect(described('needs_response', 'submit_evidence', { nowMs: dueMs - 1, evidenceDueByMs: dueMs })).toBe(
      'under_review dispute.updated -',
    );
    expect(described('needs_response', 'submit_evidence', { nowMs: dueMs, evidenceDueByMs: dueMs })).toBe(
      'refused evidence_late',
    );
    expect(described('needs_response', 'submit_evidence', { nowMs: dueMs + 60_000, evidenceDueByMs: dueMs })).toBe(
      'refused evidence_late',
    );
  });

  it('ignores the clock for everything but evidence', () => {
    const late = { nowMs: dueMs + 1, evidenceDueByMs: dueMs };
    for (const status of DISPUTE_STATUSES) {
      for (const action of DISPUTE_ACTIONS.filter((candidate) => candidate !== 'submit_evidence')) {
        expect(described(status, action, late)).toBe(expected[status][action]);
      }
    }
  });

  it('names the status a refusal saw', () => {
    expect(disputeTransition('won', 'accept', onTime)).toEqual({
      allowed: false,
      reason: 'state_invalid',
      status: 'won',
    });
  });

  it('knows the final statuses', () => {
    expect(DISPUTE_STATUSES.filter(isFinalDisputeStatus)).toEqual(['won', 'lost']);
  });

  it('refuses a status or action it does not know', () => {
    expect(() => disputeTransition('open' as DisputeStatus, 'accept', onTime)).toThrow(/unknown dispute status/);
    expect(() => disputeTransition('under_review', 'escalate' as DisputeAction, onTime)).toThrow(
      /unknown dispute status or action/,
    );
  });
});
