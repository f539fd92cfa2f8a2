import { beginStatementOf, beginWithSettings, setLocalStatements } from './transaction-settings';

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

describe('beginStatementOf', () => {
  it.each([
    [undefined, 'begin'],
    [{}, 'begin'],
    [{ isolationLevel: 'repeatable read' as const }, 'begin isolation level repeatable read'],
    [{ accessMode: 'read only' as const }, 'begin read only'],
    [
      { isolationLevel: 'serializable' as const, accessMode: 'read only' as const, deferrable: true },
      'begin isolation level serializable read only deferrable',
    ],
    [{ deferrable: false }, 'begin not deferrable'],
  ])('writes %p as %p, which then carries the settings', (config, text) => {
    expect(beginStatementOf(config)).toBe(text);
    expect(beginWithSettings(beginStatementOf(config), 'SET LOCAL x = 1')).toBe(`${text}; SET LOCAL x = 1`);
  });
});
