import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { IdempotentGroup } from '../idempotency/idempotent-group';
import { paymentLimits } from './payments.limits';
import { PaymentsService, type PaymentToCreate } from './payments.service';

/**
 * The group commit of POST /v1/payments: concurrent creates share one transaction and, when their keys are new, one
 * statement (their keys with their stored responses, vault entries, payments, events and outbox rows) and one
 * commit, and each request is answered 202 only once that transaction has committed.
 */
@Injectable()
export class PaymentIntake {
  readonly creates: IdempotentGroup<PaymentToCreate>;

  constructor(idempotency: IdempotencyService, database: Database, payments: PaymentsService) {
    this.creates = new IdempotentGroup(idempotency, database, {
      write: (writes, requests) => payments.createMany(writes.tx, requests, writes),
      maxBatch: paymentLimits.createBatchMax,
      maxInFlight: paymentLimits.createBatchesInFlight,
      name: 'payments.create',
    });
  }
}
