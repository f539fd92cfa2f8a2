import { setTimeout as delay } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import {
  type AuthorizationRequest,
  type AuthorizationResult,
  CardNetwork,
  CardNetworkUnavailableError,
} from './card-network.port';
import { simulatedOutcome } from './simulated-outcomes';

/** The built-in card network: answers after a configurable latency, following the test cards of API.md. */
@Injectable()
export class CardNetworkSimulator extends CardNetwork {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    if (this.config.payments.cardNetworkLatencyMs > 0) await delay(this.config.payments.cardNetworkLatencyMs);
    const outcome = simulatedOutcome(request.card.number, request.attempt);
    if (outcome.approved === 'unavailable') throw new CardNetworkUnavailableError(outcome.reason);
    return outcome;
  }
}
