import { isLostPreparedStatement, StatementNames, statementNameOf } from './statement-names';

describe('StatementNames', () => {
  const limits = { hotAfter: 3, maxNames: 2, maxCounted: 3 };

  it('names a text from its hotAfter-th sending on, always with the same name', () => {
    const names = new StatementNames(limits);
    expect(names.nameOf('SELECT $1')).toBeUndefined();
    expect(names.nameOf('SELECT $1')).toBeUndefined();
    const name = names.nameOf('SELECT $1');
    expect(name).toBe(statementNameOf('SELECT $1'));
    expect(names.nameOf('SELECT $1')).toBe(name);
    expect(names.size).toBe(1);
  });

  it('names at most maxNames texts; the named ones keep their names', () => {
    const names = new StatementNames(limits);
    for (const text of ['a', 'b', 'c']) for (let i = 0; i < 3; i += 1) names.nameOf(text);
    expect(names.size).toBe(2);
    expect(names.nameOf('a')).toBe(statementNameOf('a'));
    expect(names.nameOf('b')).toBe(statementNameOf('b'));
    expect(names.nameOf('c')).toBeUndefined();
  });

  it('counts at most maxCounted texts at once: a new text past that is never named', () => {
    const names = new StatementNames({ hotAfter: 2, maxNames: 10, maxCounted: 2 });
    names.nameOf('x');
    names.nameOf('y');
    expect(names.nameOf('z')).toBeUndefined();
    expect(names.nameOf('z')).toBeUndefined();
    // The texts already counted still become named, and free their place in the count.
    expect(names.nameOf('x')).toBe(statementNameOf('x'));
    expect(names.nameOf('z')).toBeUndefined();
    expect(names.nameOf('z')).toBe(statementNameOf('z'));
  });

  it('gives different texts different names that PostgreSQL keeps whole (under 64 bytes)', () => {
    const first = statementNameOf('INSERT INTO a VALUES ($1)');
    const second = statementNameOf('INSERT INTO a VALUES ($1) ');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^s_[0-9a-f]{32}$/);
    expect(Buffer.byteLength(first)).toBeLessThan(64);
  });
});

describe('isLostPreparedStatement', () => {
  it('recognizes a named statement missing from, or already on, the server connection', () => {
    expect(
      isLostPreparedStatement(Object.assign(new Error('prepared statement "s_1" does not exist'), { code: '26000' })),
    ).toBe(true);
    expect(
      isLostPreparedStatement(Object.assign(new Error('prepared statement "s_1" already exists'), { code: '42P05' })),
    ).toBe(true);
  });

  it('leaves every other failure alone', () => {
    expect(isLostPreparedStatement(Object.assign(new Error('canceling statement'), { code: '57014' }))).toBe(false);
    expect(isLostPreparedStatement(new Error('Connection terminated'))).toBe(false);
    expect(isLostPreparedStatement(undefined)).toBe(false);
  });
});
