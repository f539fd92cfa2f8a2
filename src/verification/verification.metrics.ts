import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { LedgerVerifier } from './ledger-verifier.service';

/**
 * The ledger's proof on /metrics, from the last stored verification (read at scrape time): whether it balanced and
 * how many mismatches it found. No sample while no verification has run or PostgreSQL does not answer.
 */
@Injectable()
export class VerificationMetrics {
  constructor(verifier: LedgerVerifier, registry: MetricsRegistry) {
    const latest = () => verifier.latest().catch(() => null);
    new Gauge({
      name: 'ledger_balanced',
      help: '1 when the last ledger verification found no mismatch, 0 otherwise',
      registers: [registry],
      async collect() {
        const verification = await latest();
        if (verification) this.set(verification.balanced ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ledger_mismatches',
      help: 'Mismatches found by the last ledger verification',
      registers: [registry],
      async collect() {
        const verification = await latest();
        if (verification) this.set(verification.mismatches.length);
      },
    });
  }
}
