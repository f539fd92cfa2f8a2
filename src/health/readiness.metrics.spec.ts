import { dependenciesUp } from './readiness.metrics';

describe('dependenciesUp', () => {
  it('is 1 for each dependency the readiness check found up and 0 for each it found down', () => {
    const up = dependenciesUp([
      { postgres: { status: 'up' } },
      { redis: { status: 'down', message: 'connect ECONNREFUSED' } },
      { rabbitmq: { status: 'up' } },
    ]);
    expect(Object.fromEntries(up)).toEqual({ postgres: 1, redis: 0, rabbitmq: 1 });
  });
});
