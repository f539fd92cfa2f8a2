import type { FeeSchedule } from '../../ledger/ledger-transaction';

/** The simulated network's own prices and bounds (a real network publishes its fee schedule; these stand in). */
export const cardNetworkLimits = {
  // Interchange and scheme fees together, per capture: 0.20 % plus 5 minor units, close to a European consumer
  // debit card's. A simple rule on purpose: reconciliation must recompute nothing, it compares lines.
  interchangeFees: { percentBasisPoints: 20, fixedMinor: 5 } satisfies FeeSchedule,
  // The network's fee per dispute, in major units of the payment's currency (15, as API.md's DISPUTE_FEE default):
  // turned into minor units by the currency's exponent.
  disputeFeeMajor: 15,
  // A report is read whole; a day of this simulator has far fewer lines (bounded so a runaway test cannot exhaust
  // memory).
  reportLinesMax: 1_000_000,
  // Disputes listed per openedDisputes call at most.
  openedDisputesListedMax: 100,
  // Evidence text kept (API.md: ≤ 20,000 characters).
  evidenceLengthMax: 20_000,
} as const;

/** The test card the network disputes after it succeeds (API.md "Disputes"). */
export const disputedTestCardNumber = '4000000000002685';
