import { dashboardActionAllowed, dashboardActionOf } from './dashboard-actions';

const allowed = (method: string, route: string, params: Record<string, unknown> = {}, jobState?: string) =>
  dashboardActionAllowed(dashboardActionOf(method, route, params), jobState);

describe('dashboard actions', () => {
  it.each(['/api/queues', '/api/redis/stats', '/api/queues/:queueName/:jobId', '/api/queues/:queueName/:jobId/logs'])(
    'allows reading %s',
    (route) => {
      expect(allowed('get', route)).toBe(true);
      expect(allowed('GET', route)).toBe(true);
    },
  );

  it('allows retrying a failed job, and only a failed one', () => {
    const route = '/api/queues/:queueName/:jobId/retry';
    expect(allowed('put', route, {}, 'failed')).toBe(true);
    for (const state of ['completed', 'waiting', 'active', 'delayed', 'unknown', undefined]) {
      expect(allowed('put', route, {}, state)).toBe(false);
    }
  });

  it("allows retrying all of a queue's failed jobs, not its completed ones", () => {
    const route = '/api/queues/:queueName/retry/:queueStatus';
    expect(allowed('put', route, { queueStatus: 'failed' })).toBe(true);
    expect(allowed('put', route, { queueStatus: 'completed' })).toBe(false);
    expect(allowed('put', route, {})).toBe(false);
  });

  it.each([
    ['put', '/api/queues/pause'],
    ['put', '/api/queues/resume'],
    ['put', '/api/queues/:queueName/pause'],
    ['put', '/api/queues/:queueName/empty'],
    ['put', '/api/queues/:queueName/obliterate'],
    ['put', '/api/queues/:queueName/clean/:queueStatus'],
    ['put', '/api/queues/:queueName/promote'],
    ['put', '/api/queues/:queueName/concurrency'],
    ['put', '/api/queues/:queueName/:jobId/clean'],
    ['put', '/api/queues/:queueName/:jobId/promote'],
    ['patch', '/api/queues/:queueName/:jobId/update-data'],
    ['post', '/api/queues/:queueName/add'],
    ['post', '/api/metrics/history/purge'],
    // A retry route under any other method is not a retry.
    ['post', '/api/queues/:queueName/:jobId/retry'],
    ['delete', '/api/queues/:queueName/:jobId/retry'],
  ])('refuses %s %s', (method, route) => {
    expect(allowed(method, route, { queueStatus: 'failed' }, 'failed')).toBe(false);
  });
});
