import { ConfigError, parseConfig } from '../config/config.schema';
import { webhookRetryDelayCeilingMs } from './retry-schedule';

describe('webhook and events configuration', () => {
  it('defaults to about 8 tries over about a day, a 5 s timeout and the payments.webhooks queue', () => {
    const { webhooks, rabbitmq } = parseConfig({});
    expect(rabbitmq.eventsExchange).toBe('payments.events');
    expect(webhooks).toEqual({
      eventsQueue: 'payments.webhooks',
      attemptsMax: 8,
      retry: { baseDelayMs: 600_000, maxDelayMs: 21_600_000 },
      timeoutMs: 5_000,
      workerConcurrency: 16,
    });
    const waitsMs = [1, 2, 3, 4, 5, 6, 7].map((attempts) => webhookRetryDelayCeilingMs(attempts, webhooks.retry));
    const totalHours = waitsMs.reduce((sum, ms) => sum + ms, 0) / 3_600_000;
    expect(totalHours).toBeGreaterThan(12);
    expect(totalHours).toBeLessThan(24);
  });

  it('reads every variable', () => {
    const config = parseConfig({
      EVENTS_EXCHANGE: 'acme.events',
      WEBHOOK_EVENTS_QUEUE: 'acme.webhooks',
      WEBHOOK_ATTEMPTS_MAX: '3',
      WEBHOOK_RETRY_BASE_DELAY_MS: '100',
      WEBHOOK_RETRY_MAX_DELAY_MS: '100',
      WEBHOOK_TIMEOUT_MS: '250',
      WEBHOOK_WORKER_CONCURRENCY: '2',
    });
    expect(config.rabbitmq.eventsExchange).toBe('acme.events');
    expect(config.webhooks).toEqual({
      eventsQueue: 'acme.webhooks',
      attemptsMax: 3,
      retry: { baseDelayMs: 100, maxDelayMs: 100 },
      timeoutMs: 250,
      workerConcurrency: 2,
    });
  });

  it.each([
    ['WEBHOOK_ATTEMPTS_MAX', { WEBHOOK_ATTEMPTS_MAX: '0' }],
    ['WEBHOOK_ATTEMPTS_MAX', { WEBHOOK_ATTEMPTS_MAX: 'many' }],
    ['WEBHOOK_RETRY_BASE_DELAY_MS', { WEBHOOK_RETRY_BASE_DELAY_MS: '-5' }],
    ['WEBHOOK_RETRY_MAX_DELAY_MS', { WEBHOOK_RETRY_BASE_DELAY_MS: '2000', WEBHOOK_RETRY_MAX_DELAY_MS: '1000' }],
    ['WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: '10' }],
    ['WEBHOOK_WORKER_CONCURRENCY', { WEBHOOK_WORKER_CONCURRENCY: '0' }],
  ])('refuses a bad %s with one line naming it', (variable, environment) => {
    expect(() => parseConfig(environment)).toThrow(ConfigError);
    expect(() => parseConfig(environment)).toThrow(new RegExp(`^Invalid configuration: ${variable}: `));
  });
});
