import { isKeyTakenError } from './key-taken-error';

describe('isKeyTakenError', () => {
  const violation = (table: string, code = '23505') => Object.assign(new Error('duplicate key'), { code, table });

  it('is the unique violation on idempotency_keys, bare or wrapped in causes', () => {
    expect(isKeyTakenError(violation('idempotency_keys'))).toBe(true);
    const wrapped = new Error('Failed query', { cause: new Error('batch', { cause: violation('idempotency_keys') }) });
    expect(isKeyTakenError(wrapped)).toBe(true);
  });

  it('is not another table, another error code, or not an error', () => {
    expect(isKeyTakenError(violation('payments'))).toBe(false);
    expect(isKeyTakenError(violation('idempotency_keys', '23503'))).toBe(false);
    expect(isKeyTakenError(new Error('connection terminated'))).toBe(false);
    expect(isKeyTakenError(undefined)).toBe(false);
    expect(isKeyTakenError('23505')).toBe(false);
  });

  it('stops at a cycle of causes', () => {
    const looping = new Error('a') as Error & { cause?: unknown };
    looping.cause = new Error('b', { cause: looping });
    expect(isKeyTakenError(looping)).toBe(false);
  });
});
