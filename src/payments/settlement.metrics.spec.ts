import { Registry } from 'prom-client';
import { SettlementMetrics, settlementSeconds } from './settlement.metrics';

describe('settlementSeconds', () => {
  it('is the time from creation to settlement in seconds, never negative when the clocks disagree', () => {
    expect(settlementSeconds(1_000, 3_500)).toBe(2.5);
    expect(settlementSeconds(5_000, 4_990)).toBe(0);
  });
});

describe('SettlementMetrics', () => {
  async function histogramOf(registry: Registry) {
    const metric = await registry.getSingleMetric('payment_settlement_seconds')!.get();
    // A histogram's values carry the sample name (_bucket, _sum, _count) beside the labels.
    const values = metric.values as ((typeof metric.values)[number] & { metricName?: string })[];
    const sample = (name: string, outcome: string, le?: number) =>
      values.find(
        (value) =>
          value.metricName === name && value.labels.outcome === outcome && (le === undefined || value.labels.le === le),
      )?.value;
    return { sample };
  }

  it('has every outcome at 0 before any settlement, so rates over it exist', async () => {
    const registry = new Registry();
    new SettlementMetrics(registry);
    const { sample } = await histogramOf(registry);
    for (const outcome of ['succeeded', 'failed', 'requires_capture']) {
      expect(sample('payment_settlement_seconds_count', outcome)).toBe(0);
    }
  });

  it('observes each settled payment once, by its outcome, from its creation', async () => {
    const registry = new Registry();
    const metrics = new SettlementMetrics(registry);
    const settledAtMs = Date.parse('2026-01-01T00:00:10.000Z');
    metrics.observeSettled(
      [
        { status: 'succeeded', createdAt: new Date('2026-01-01T00:00:09.950Z') },
        { status: 'succeeded', createdAt: new Date('2026-01-01T00:00:07.000Z') },
        { status: 'failed', createdAt: new Date('2026-01-01T00:00:09.000Z') },
      ],
      settledAtMs,
    );
    const { sample } = await histogramOf(registry);
    expect(sample('payment_settlement_seconds_count', 'succeeded')).toBe(2);
    expect(sample('payment_settlement_seconds_sum', 'succeeded')).toBeCloseTo(3.05);
    expect(sample('payment_settlement_seconds_bucket', 'succeeded', 0.05)).toBe(1);
    expect(sample('payment_settlement_seconds_count', 'failed')).toBe(1);
    expect(sample('payment_settlement_seconds_count', 'requires_capture')).toBe(0);
  });
});
