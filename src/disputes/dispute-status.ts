// The dispute status machine of API.md "Disputes", drawn in one place. Nothing else moves a dispute between statuses:
// the service asks `disputeTransition` and answers 409 dispute_state_invalid when it says no.
//
//   needs_response ──evidence (before evidence_due_by)──▶ under_review ──network: won──▶ won
//        │                                                     └──────network: lost──▶ lost
//        ├──close (the merchant accepts)──────────────────────────────────────────────▶ lost
//        └──network: lost (no evidence by evidence_due_by)───────────────────────────▶ lost

// The status list is the database enum's values (database/enum-values.ts, a file with no imports).
import { DISPUTE_STATUSES } from '../database/enum-values';

export { DISPUTE_STATUSES };
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** What can happen to a dispute: the merchant's two calls, and the network's decision. */
export const DISPUTE_ACTIONS = ['submit_evidence', 'accept', 'network_won', 'network_lost'] as const;
export type DisputeAction = (typeof DISPUTE_ACTIONS)[number];

/** The ledger transaction a transition records (the opening's is recorded when the dispute is created). */
export type DisputeOutcomeKind = 'dispute_won' | 'dispute_lost';

export type DisputeTransition =
  | {
      allowed: true;
      to: DisputeStatus;
      event: 'dispute.updated' | 'dispute.closed';
      /** null: no money moves (evidence only changes the status). */
      ledger: DisputeOutcomeKind | null;
    }
  /** The network says again what the dispute already is (a replayed job): nothing to do. */
  | { allowed: false; reason: 'unchanged' }
  /** 409 dispute_state_invalid: not from this status, or evidence at or after evidence_due_by. */
  | { allowed: false; reason: 'state_invalid' | 'evidence_late'; status: DisputeStatus };

export interface DisputeClock {
  nowMs: number;
  evidenceDueByMs: number;
}

const finalStatuses: ReadonlySet<DisputeStatus> = new Set(['won', 'lost']);

export function isFinalDisputeStatus(status: DisputeStatus): boolean {
  return finalStatuses.has(status);
}

const closedAs = (to: 'won' | 'lost'): DisputeTransition => ({
  allowed: true,
  to,
  event: 'dispute.closed',
  ledger: to === 'won' ? 'dispute_won' : 'dispute_lost',
});

/**
 * Where `action` takes a dispute in `status`. Evidence is on time strictly before evidence_due_by: at that instant
 * the network already counts the dispute lost for want of evidence (its own rule is `evidence_due_by > now`).
 */
export function disputeTransition(
  status: DisputeStatus,
  action: DisputeAction,
  clock: DisputeClock,
): DisputeTransition {
  const refused = (reason: 'state_invalid' | 'evidence_late'): DisputeTransition => ({
    allowed: false,
    reason,
    status,
  });
  switch (status) {
    case 'needs_response':
      switch (action) {
        case 'submit_evidence':
          if (!(clock.nowMs < clock.evidenceDueByMs)) return refused('evidence_late');
          return { allowed: true, to: 'under_review', event: 'dispute.updated', ledger: null };
        case 'accept':
        case 'network_lost':
          return closedAs('lost');
        case 'network_won':
          // A network cannot decide for a merchant who sent nothing: a bug or a forged answer, never applied.
          return refused('state_invalid');
      }
      break;
    case 'under_review':
      switch (action) {
        case 'network_won':
          return closedAs('won');
        case 'network_lost':
          return closedAs('lost');
        case 'submit_evidence':
        case 'accept':
          return refused('state_invalid');
      }
      break;
    case 'won':
    case 'lost':
      if ((action === 'network_won' && status === 'won') || (action === 'network_lost' && status === 'lost')) {
        return { allowed: false, reason: 'unchanged' };
      }
      return refused('state_invalid');
  }
  throw new Error(`unknown dispute status or action: ${String(status)} / ${String(action)}`);
}
