import type { AuthorizationResult } from './card-network.port';

/** The test cards of API.md and what the simulated network does with each; any other valid card is approved. */
export type SimulatedBehaviour =
  | { kind: 'approve' }
  | { kind: 'decline'; declineCode: SimulatedDeclineCode; message: string }
  | { kind: 'transient_then_approve'; failingAttempts: number }
  | { kind: 'always_timeout' };

export type SimulatedDeclineCode = 'card_declined' | 'insufficient_funds';

export const testCardBehaviours: Readonly<Record<string, SimulatedBehaviour>> = {
  '4242424242424242': { kind: 'approve' },
  '5555555555554444': { kind: 'approve' },
  '4000000000000002': { kind: 'decline', declineCode: 'card_declined', message: 'Your card was declined.' },
  '4000000000009995': {
    kind: 'decline',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  '4000000000000119': { kind: 'transient_then_approve', failingAttempts: 2 },
  '4000000000000259': { kind: 'always_timeout' },
  // Approved; the network then disputes the payment DISPUTE_DELAY_MS after its capture (SimulatedNetworkBooks).
  '4000000000002685': { kind: 'approve' },
};

/** What one attempt decides before the network's record gives it a reference: final, or no answer this time. */
export type SimulatedOutcome =
  | { approved: true; authorizationCode: string }
  | { approved: false; declineCode: SimulatedDeclineCode; message: string }
  | { approved: 'unavailable'; reason: string };

/** Pure: the outcome of attempt `attempt` (counted from 1 per idempotency key) to authorize `cardNumber`. */
export function simulatedOutcome(cardNumber: string, attempt: number): SimulatedOutcome {
  const behaviour = testCardBehaviours[cardNumber] ?? { kind: 'approve' };
  switch (behaviour.kind) {
    case 'approve':
      return { approved: true, authorizationCode: `sim_${attempt}` };
    case 'decline':
      return { approved: false, declineCode: behaviour.declineCode, message: behaviour.message };
    case 'transient_then_approve':
      return attempt <= behaviour.failingAttempts
        ? { approved: 'unavailable', reason: 'simulated transient network error' }
        : { approved: true, authorizationCode: `sim_${attempt}` };
    case 'always_timeout':
      return { approved: 'unavailable', reason: 'simulated network timeout' };
  }
}

/** The simulated network's own record of one idempotency key, as stored. */
export interface SimulatedRecord {
  reference: string;
  outcome: string | null;
  authorizationCode: string | null;
  declineCode: string | null;
  declineMessage: string | null;
}

export const voidedMessage = 'The authorization was closed before the card network answered; the card was not charged.';

const declineCodes: ReadonlySet<string> = new Set<SimulatedDeclineCode>(['card_declined', 'insufficient_funds']);

/**
 * Pure: the final answer `record` holds, the same every time it is asked, or null while it holds none. A voided
 * key (closed without an answer) is declined with processing_error: it can never be approved any more.
 */
export function recordedAnswer(record: SimulatedRecord): AuthorizationResult | null {
  const networkReference = record.reference;
  switch (record.outcome) {
    case null:
      return null;
    case 'approved':
      if (!record.authorizationCode) throw new Error(`approved network record ${networkReference} has no code`);
      return { approved: true, authorizationCode: record.authorizationCode, networkReference };
    case 'declined': {
      const declineCode = record.declineCode ?? '';
      if (!declineCodes.has(declineCode)) {
        throw new Error(`declined network record ${networkReference} has decline code ${JSON.stringify(declineCode)}`);
      }
      return {
        approved: false,
        declineCode: declineCode as SimulatedDeclineCode,
        message: record.declineMessage ?? '',
        networkReference,
      };
    }
    case 'voided':
      return { approved: false, declineCode: 'processing_error', message: voidedMessage, networkReference };
    default:
      throw new Error(`network record ${networkReference} has unknown outcome ${JSON.stringify(record.outcome)}`);
  }
}
