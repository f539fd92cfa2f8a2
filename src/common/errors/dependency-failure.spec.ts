import { DrizzleQueryError } from 'drizzle-orm';
import { DatabaseError } from 'pg';
import { isDependencyFailure } from './dependency-failure';

function postgresError(code: string, message = 'from the server'): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

function withCode(code: string, message = 'system error'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDependencyFailure', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P02', 'terminating connection due to crash of another server process'],
    ['57P03', 'the database system is in recovery mode'],
    ['08006', 'connection failure'],
    ['08001', 'could not connect'],
    ['53300', 'sorry, too many clients already'],
  ])('counts PostgreSQL %s (%s) as a dependency down', (code, message) => {
    expect(isDependencyFailure(postgresError(code, message))).toBe(true);
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint'],
    ['40001', 'could not serialize access'],
    ['57014', 'canceling statement due to statement timeout'],
    ['42P01', 'relation "payments" does not exist'],
    ['08P01', 'protocol violation'],
  ])('does not count PostgreSQL %s (%s): the request or the code is at fault', (code, message) => {
    expect(isDependencyFailure(postgresError(code, message))).toBe(false);
  });

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EPIPE',
  ])('counts the socket error %s', (code) => {
    expect(isDependencyFailure(withCode(code))).toBe(true);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Client was closed and is not queryable',
    'Cannot use a pool after calling end on the pool',
    'Connection is closed.',
    'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
    'Command timed out',
  ])('counts the driver error "%s", which carries no code', (message) => {
    expect(isDependencyFailure(new Error(message))).toBe(true);
  });

  it('counts the failed ROLLBACK Drizzle reports when a transaction lost its connection', () => {
    // What the api answered 500 to while PostgreSQL restarted: the ROLLBACK's error replaces the query's.
    const rollback = new DrizzleQueryError(
      'rollback',
      [],
      new Error('Client has encountered a connection error and is not queryable'),
    );
    expect(isDependencyFailure(rollback)).toBe(true);
    expect(isDependencyFailure(new DrizzleQueryError('select 1', [], postgresError('57P01')))).toBe(true);
  });

  it('does not count a wrapped error that is not about availability', () => {
    expect(isDependencyFailure(new DrizzleQueryError('insert', [], postgresError('23505')))).toBe(false);
    expect(isDependencyFailure(new Error('payment state invalid', { cause: new Error('still not') }))).toBe(false);
  });

  it('looks into every error of an AggregateError (a connect that tried several addresses)', () => {
    expect(isDependencyFailure(new AggregateError([new Error('other'), withCode('ECONNREFUSED')]))).toBe(true);
    expect(isDependencyFailure(new AggregateError([new Error('other'), new Error('another')]))).toBe(false);
  });

  it('is false for anything that is not an Error, and ends on a cycle of causes', () => {
    expect(isDependencyFailure('Connection terminated')).toBe(false);
    expect(isDependencyFailure({ code: 'ECONNREFUSED', message: 'Connection terminated' })).toBe(false);
    expect(isDependencyFailure(undefined)).toBe(false);
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    expect(isDependencyFailure(first)).toBe(false);
  });
});
