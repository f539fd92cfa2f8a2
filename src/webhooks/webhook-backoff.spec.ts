import type { MinimalJob } from 'bullmq';
import { webhookRetryDelayCeilingMs } from './retry-schedule';
import { webhookBackoffStrategy } from './webhook-backoff';
import { fallbackRetryBackoff } from './webhooks.limits';

function jobWith(data: unknown): MinimalJob {
  return { data } as MinimalJob;
}

async function delayOf(attemptsMade: number, data: unknown): Promise<number> {
  return webhookBackoffStrategy(attemptsMade, 'webhook-equal-jitter', new Error('HTTP 500'), jobWith(data));
}

describe('webhookBackoffStrategy', () => {
  const retry = { baseDelayMs: 1_000, maxDelayMs: 5_000 };

  it('waits between half the ceiling and the ceiling of the schedule the job carries', async () => {
    for (let attemptsMade = 1; attemptsMade <= 6; attemptsMade += 1) {
      const ceilingMs = webhookRetryDelayCeilingMs(attemptsMade, retry);
      for (let draw = 0; draw < 50; draw += 1) {
        const delayMs = await delayOf(attemptsMade, { retry });
        expect(delayMs).toBeGreaterThanOrEqual(ceilingMs / 2);
        expect(delayMs).toBeLessThanOrEqual(ceilingMs);
      }
    }
  });

  it('waits longer for each retry while below the cap: a retry waits at least the longest the one before could', async () => {
    // Ceilings 1 s, 2 s, 4 s, then the 5 s cap.
    for (let attemptsMade = 1; attemptsMade <= 2; attemptsMade += 1) {
      for (let draw = 0; draw < 50; draw += 1) {
        expect(await delayOf(attemptsMade + 1, { retry })).toBeGreaterThanOrEqual(
          webhookRetryDelayCeilingMs(attemptsMade, retry),
        );
      }
    }
  });

  it.each([
    ['no schedule', {}],
    ['a malformed schedule', { retry: { baseDelayMs: 'soon', maxDelayMs: 1 } }],
    ['a cap below the base', { retry: { baseDelayMs: 10, maxDelayMs: 5 } }],
  ])('falls back to the default schedule for a job with %s', async (_case, data) => {
    const delayMs = await delayOf(1, data);
    expect(delayMs).toBeGreaterThanOrEqual(fallbackRetryBackoff.baseDelayMs / 2);
    expect(delayMs).toBeLessThanOrEqual(fallbackRetryBackoff.baseDelayMs);
  });
});
