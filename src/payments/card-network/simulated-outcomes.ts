import type { AuthorizationResult } from './card-network.port';

/** The test cards of API.md and what the simulated network does with each; any other valid card is approved. */
export type SimulatedBehaviour =
  | { kind: 'approve' }
  | { kind: 'decline'; declineCode: 'card_declined' | 'insufficient_funds'; message: string }
  | { kind: 'transient_then_approve'; failingAttempts: number }
  | { kind: 'always_timeout' };

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
};

export type SimulatedOutcome = AuthorizationResult | { approved: 'unavailable'; reason: string };

/** Pure: the outcome of one authorization attempt of `cardNumber` (attempt counts from 1). */
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
