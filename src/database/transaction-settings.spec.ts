import { beginWithSettings, setLocalStatements } from './transaction-settings';

describe('transaction settings', () => {
  const setLocal = setLocalStatements({ statementTimeoutMs: 15_000, idleInTransactionTimeoutMs: 5_000 });

  it('sets each setting for the transaction only', () => {
    expect(setLocal).toBe('SET LOCAL statement_timeout = 15000; SET LOCAL idle_in_transaction_session_timeout = 5000');
  });

  it('refuses a value that is not a count of milliseconds (it is written into the SQL text)', () => {
    expect(() => setLocalStatements({ statementTimeoutMs: 1.5, idleInTransactionTimeoutMs: 5_000 })).toThrow(
      /statementTimeoutMs/,
    );
    expect(() => setLocalStatements({ statementTimeoutMs: 1_000, idleInTransactionTimeoutMs: -1 })).toThrow(
      /idleInTransactionTimeoutMs/,
    );
  });

  it.each(['begin', 'BEGIN', 'begin isolation level repeatable read', 'begin read only', ' begin'])(
    'sends the settings with %p in the same message',
    (begin) => {
      expect(beginWithSettings(begin, setLocal)).toBe(`${begin}; ${setLocal}`);
    },
  );

  it.each(['commit', 'rollback', 'beginning', 'SELECT 1', 'savepoint sp1', 'begin; SELECT 1', 'SELECT begin'])(
    'leaves %p as it is',
    (text) => {
      expect(beginWithSettings(text, setLocal)).toBeUndefined();
    },
  );
});
