export const DISPUTES_QUEUE = 'disputes';

/** Repeating: asks the card network for the disputes it opened and records each one (DISPUTE_POLL_INTERVAL_MS). */
export const POLL_NETWORK_DISPUTES_JOB = 'poll-network-disputes';

export const SUBMIT_EVIDENCE_JOB = 'submit-dispute-evidence';
/** Outbox topic whose rows become jobs that send a dispute's evidence to the network and apply its decision. */
export const SUBMIT_EVIDENCE_TOPIC = 'dispute.network_evidence';

export const ACCEPT_DISPUTE_JOB = 'accept-dispute';
/** Outbox topic whose rows become jobs that tell the network the merchant accepted (closed) a dispute. */
export const ACCEPT_DISPUTE_TOPIC = 'dispute.network_accept';

export const DISPUTE_DEADLINE_JOB = 'dispute-deadline';
/** Outbox topic whose rows become jobs delayed to evidence_due_by, that apply the network's decision then. */
export const DISPUTE_DEADLINE_TOPIC = 'dispute.deadline';

/** The data of every dispute job made from an outbox row: ids only, everything else is read from the dispute row. */
export interface DisputeJobData {
  disputeId: string;
  merchantId: string;
}

/** A deadline row's payload: the job data and when it is due (ISO time, the dispute's evidence_due_by). */
export interface DisputeDeadlineOutboxPayload extends DisputeJobData {
  evidenceDueBy: string;
}
